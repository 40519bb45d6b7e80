// Placeholder so `npm start` runs; the real demo replaces this file.
import { version } from '../ts/index';

console.log(`ferrograd ${version}`);

/** Loads the UCI Iris dataset shipped in `data/iris/` as feature and label arrays. */

import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The three species, in label order. */
export const IRIS_CLASSES = ['Iris-setosa', 'Iris-versicolor', 'Iris-virginica'] as const;

/** 150 rows of 4 features and integer labels 0..2. */
export interface IrisData {
  features: number[][];
  labels: number[];
}

/** Parses `data/iris/iris.data` (CSV without header, blank trailing lines). */
export function loadIris(): IrisData {
  const file = path.join(__dirname, '..', 'data', 'iris', 'iris.data');
  const features: number[][] = [];
  const labels: number[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const cells = line.split(',');
    const label = IRIS_CLASSES.indexOf(cells[4]!.trim() as (typeof IRIS_CLASSES)[number]);
    if (cells.length !== 5 || label < 0) throw new Error(`iris.data: malformed row '${line}'`);
    features.push(cells.slice(0, 4).map(Number));
    labels.push(label);
  }
  return { features, labels };
}

// Runs inside a worker_threads Worker: loads the addon in the worker's own
// Node-API environment and exercises sync, class and async entry points.
import { parentPort, workerData } from 'node:worker_threads';

import { NativeBuffer, addArrays } from '../../ts/native';

async function main(): Promise<void> {
  const id = (workerData as { id: number }).id;
  const sum = addArrays(new Float32Array([id, 1]), new Float32Array([1, id]));
  const buf = NativeBuffer.filled(1024, id);
  const scaled = await buf.scaleAsync(2, 100);
  buf.dispose();
  parentPort!.postMessage({ id, sum: Array.from(sum), first: scaled[0], length: scaled.length });
}

main().catch((err: unknown) => {
  throw err;
});

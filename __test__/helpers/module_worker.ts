// Runs inside a worker_threads Worker: trains a custom Module on XOR with Module.fit (the pattern
// the Module docs recommend for heavy training off the main thread) and reports the result.
import { parentPort } from 'node:worker_threads';

import { Module, Tensor, manualSeed, metrics, tensor } from '../../ts/index';

class XorNet extends Module {
  w1 = this.parameter('w1', [2, 8]);
  b1 = this.parameter('b1', [8], 'zeros');
  w2 = this.parameter('w2', [8, 2]);
  b2 = this.parameter('b2', [2], 'zeros');

  forward(x: Tensor): Tensor {
    return x.matmul(this.w1).add(this.b1).tanh().matmul(this.w2).add(this.b2);
  }
}

async function main(): Promise<void> {
  manualSeed(5);
  const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
  const y = tensor([0, 1, 1, 0]);
  const net = new XorNet();
  net.compile({ optimizer: { type: 'adam', lr: 0.05 }, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true } });
  const history = await net.fit(x, y, { epochs: 150, batchSize: 4, verbose: 0 });
  parentPort!.postMessage({ epochs: history.epochs.length, accuracy: metrics.accuracy(y, await net.predict(x)) });
}

main().catch((err: unknown) => {
  throw err;
});

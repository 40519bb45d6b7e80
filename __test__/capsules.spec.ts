// Capsules: squash, routing-by-agreement, and a small CapsNet-style MNIST classifier trained with
// the margin loss through Module.fit.
import test from 'ava';

import { CapsuleLayer, Module, Sequential, Tensor, ValueError, layers, loadMnist, manualSeed, marginLoss, metrics, randn, sequential, squash, tensor } from '../ts';

test('squash keeps directions and maps lengths into [0, 1)', (t) => {
  const s = tensor([[3, 4], [0.03, 0.04]]);
  const v = squash(s).toArray() as number[][];
  const len = (r: number[]): number => Math.hypot(...r);
  t.true(Math.abs(len(v[0]!) - 25 / 26) < 1e-6 && Math.abs(len(v[1]!) - 0.0025 / 1.0025) < 1e-6);
  t.true(Math.abs(v[0]![0]! / v[0]![1]! - 0.75) < 1e-6);
});

test('routing gives agreeing predictions a long output capsule', (t) => {
  manualSeed(1);
  const layer = new CapsuleLayer({ inCapsules: 6, inDim: 4, outCapsules: 2, outDim: 3, routings: 3 });
  const out = layer.forward(randn([5, 6, 4]));
  t.deepEqual(out.shape, [5, 2, 3]);
  // Make every input predict the same vector for capsule 0 and random ones for capsule 1.
  const w = randn([6, 2, 3, 4], 0, 1, { seed: 2 }).toArray() as number[][][][];
  for (let i = 0; i < 6; i++) w[i]![0] = [[1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0]];
  layer.weight.assign(tensor(w));
  const u = tensor(Array.from({ length: 6 }, () => [0.5, 0.5, 0.5, 0.5])).reshape([1, 6, 4]);
  const lengths = layer.forward(u).square().sum(2).sqrt().toArray() as number[][];
  t.true(lengths[0]![0]! > lengths[0]![1]!, `agreeing ${lengths[0]![0]} vs scattered ${lengths[0]![1]}`);
  t.throws(() => layer.forward(randn([2, 5, 4])), { instanceOf: ValueError, message: /\[N, 6, 4\]/ });
  t.true(Math.abs(marginLoss(tensor([[0.95, 0.05]]), tensor([0])).item()) < 1e-9, 'confident and right: no loss');
});

test('a small CapsNet-style network learns MNIST digits with the margin loss', async (t) => {
  class CapsNet extends Module {
    readonly features: Sequential = sequential([layers.dense({ units: 256, activation: 'relu' }), layers.dense({ units: 16 * 8 })], { inputShape: [784] });
    readonly digits = new CapsuleLayer({ inCapsules: 16, inDim: 8, outCapsules: 10, outDim: 8, routings: 3 });
    forward(x: Tensor): Tensor {
      const primary = squash(this.features.forward(x).reshape([-1, 16, 8]));
      return this.digits.forward(primary).square().sum(2).add(1e-9).sqrt(); // class capsule lengths
    }
  }
  manualSeed(3);
  const { trainImages, trainLabels, testImages, testLabels } = await loadMnist();
  const net = new CapsNet();
  net.compile({ optimizer: { type: 'adam', lr: 2e-3 }, loss: (lengths, labels) => marginLoss(lengths, labels) });
  await net.fit(trainImages.narrow(0, 0, 3000), trainLabels.narrow(0, 0, 3000), { epochs: 3, batchSize: 64, verbose: 0 });
  const pred = await net.predict(testImages.narrow(0, 0, 1000));
  const acc = metrics.accuracy(testLabels.narrow(0, 0, 1000), pred);
  t.log(`CapsNet-style (dense primary capsules, 3 routing iterations): test accuracy ${acc.toFixed(3)} on 1000 images`);
  t.true(acc > 0.85);
});

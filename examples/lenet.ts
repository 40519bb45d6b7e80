/**
 * A LeNet-style CNN on the bundled MNIST through `fit` — the benchmark CNN of `benches/`:
 * conv 5×5×32 'same' + relu + maxpool 2, conv 5×5×64 'same' + relu + maxpool 2, dense 256 relu,
 * dense 10; Adam, batch 64. Prints the test accuracy and the wall time.
 * Run with `npx tsx examples/lenet.ts [epochs]` (default 4).
 */

import { getNumThreads, layers, loadMnist, manualSeed, sequential } from '../ts/index';

async function main(): Promise<void> {
  const epochs = Number(process.argv[2] ?? 4);
  manualSeed(1);
  const { trainImages, trainLabels, testImages, testLabels } = await loadMnist();
  const model = sequential(
    [
      layers.reshape({ targetShape: [1, 28, 28] }),
      layers.conv2d({ filters: 32, kernelSize: 5, padding: 'same', activation: 'relu' }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.conv2d({ filters: 64, kernelSize: 5, padding: 'same', activation: 'relu' }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.flatten(),
      layers.dense({ units: 256, activation: 'relu' }),
      layers.dense({ units: 10 }),
    ],
    { inputShape: [784] },
  );
  console.log(model.summary());
  model.compile({ optimizer: { type: 'adam', lr: 1e-3 }, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
  const started = Date.now();
  await model.fit(trainImages, trainLabels, { epochs, batchSize: 64, seed: 2 });
  const seconds = (Date.now() - started) / 1000;
  const test = await model.evaluate(testImages, testLabels, { batchSize: 500 });
  console.log(`test accuracy ${(100 * test.accuracy!).toFixed(2)}% after ${epochs} epochs, ${seconds.toFixed(1)} s of training on ${getNumThreads()} threads`);
}

void main();

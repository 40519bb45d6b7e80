/**
 * Feature visualisation: a sparse autoencoder (784 → 100 sigmoid units with a KL sparsity target
 * of 0.05 → 784) trained on all of MNIST, whose first-layer weights are drawn as 28×28 images —
 * the stroke detectors the course notes show. Writes `out/autoencoder_filters.svg`.
 * Run with `npx tsx examples/autoencoder_filters.ts [epochs]` (default 10).
 */

import * as path from 'node:path';

import { imageGridSvg, layers as L, loadMnist, manualSeed, saveSvg, sequential } from '../ts/index';

async function main(): Promise<void> {
  const epochs = Number(process.argv[2] ?? 10);
  manualSeed(1);
  const { trainImages, testImages } = await loadMnist();
  const ae = sequential(
    [
      L.dense({ units: 100, activation: 'sigmoid', activityRegularizer: { klTarget: 0.05, klWeight: 0.1 }, name: 'encoder' }),
      L.dense({ units: 784, activation: 'sigmoid', name: 'decoder' }),
    ],
    { inputShape: [784] },
  );
  ae.compile({ optimizer: { type: 'adam', lr: 2e-3 }, loss: 'binaryCrossentropy', metrics: ['mse'] });
  await ae.fit(trainImages, trainImages, { epochs, batchSize: 128 });
  const mse = (await ae.evaluate(testImages, testImages, { batchSize: 1000 })).mse!;
  const [w, b] = ae.parameters();
  const meanActivation = testImages.matmul(w!).add(b!).sigmoid().mean().item();
  console.log(`test reconstruction MSE ${mse.toFixed(4)}, mean code activation ${meanActivation.toFixed(3)} (target 0.05)`);
  const file = path.join(process.cwd(), 'out', 'autoencoder_filters.svg');
  saveSvg(file, imageGridSvg(w!.transpose(0, 1), { columns: 10, scale: 'each', pixel: 2 }));
  console.log(`wrote the 100 first-layer filters to ${file}`);
}

void main();

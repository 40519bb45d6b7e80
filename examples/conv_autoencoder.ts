/**
 * A convolutional autoencoder on MNIST: a strided-conv encoder down to a 7×7×16 code and a
 * transposed-conv decoder back to 28×28, trained with binary cross-entropy. Prints the
 * reconstruction error against the mean-image baseline and writes a few original /
 * reconstructed digits as an SVG grid to `out/conv_autoencoder.svg`.
 * Run with `npx tsx examples/conv_autoencoder.ts [epochs]` (default 3).
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import { concat, imageGridSvg, layers as L, loadMnist, manualSeed, saveSvg, sequential } from '../ts/index';

async function main(): Promise<void> {
  const epochs = Number(process.argv[2] ?? 3);
  manualSeed(1);
  const { trainImages, testImages } = await loadMnist();
  const x = trainImages.reshape([-1, 1, 28, 28]);
  const xt = testImages.reshape([-1, 1, 28, 28]);
  const ae = sequential(
    [
      L.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      L.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      L.conv2dTranspose({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      L.conv2dTranspose({ filters: 1, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid' }),
    ],
    { inputShape: [1, 28, 28] },
  );
  console.log(ae.summary());
  ae.compile({ optimizer: { type: 'adam', lr: 2e-3 }, loss: 'binaryCrossentropy', metrics: ['mse'] });
  await ae.fit(x, x, { epochs, batchSize: 128 });
  const mse = (await ae.evaluate(xt, xt, { batchSize: 500 })).mse!;
  const baseline = xt.sub(xt.mean(0, { keepDims: true })).square().mean().item();
  console.log(`test reconstruction MSE ${mse.toFixed(4)} (mean-image baseline ${baseline.toFixed(4)})`);
  const sample = xt.narrow(0, 0, 8);
  const recon = await ae.predict(sample);
  const out = path.join(process.cwd(), 'out');
  fs.mkdirSync(out, { recursive: true });
  saveSvg(path.join(out, 'conv_autoencoder.svg'), imageGridSvg(concat([sample, recon], 0), { columns: 8 }));
  console.log(`wrote ${path.join(out, 'conv_autoencoder.svg')} (top: originals, bottom: reconstructions)`);
}

void main();

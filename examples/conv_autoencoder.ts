/**
 * A convolutional autoencoder on MNIST: a strided-conv encoder down to a 7×7×16 code and a
 * transposed-conv decoder back to 28×28, trained with binary cross-entropy. Prints the
 * reconstruction error against the mean-image baseline and writes a few original /
 * reconstructed digits as an SVG grid to `out/conv_autoencoder.svg`.
 * Run with `npx tsx examples/conv_autoencoder.ts [epochs]` (default 3).
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import { layers as L, loadMnist, manualSeed, saveSvg, sequential } from '../ts/index';

function digitsSvg(rows: number[][][]): string {
  const cell = 3;
  const size = 28 * cell;
  const w = rows[0]!.length * (size + 4);
  const h = rows.length * (size + 4);
  const rects: string[] = [];
  rows.forEach((row, r) =>
    row.forEach((img, c) =>
      img.forEach((v, i) => {
        const g = Math.round(255 * (1 - Math.min(1, Math.max(0, v))));
        rects.push(`<rect x="${c * (size + 4) + (i % 28) * cell}" y="${r * (size + 4) + Math.floor(i / 28) * cell}" width="${cell}" height="${cell}" fill="rgb(${g},${g},${g})"/>`);
      }),
    ),
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">${rects.join('')}</svg>\n`;
}

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
  const flat = (t: typeof sample): number[][] => (t.reshape([8, 784]).toArray() as number[][]);
  const out = path.join(process.cwd(), 'out');
  fs.mkdirSync(out, { recursive: true });
  saveSvg(path.join(out, 'conv_autoencoder.svg'), digitsSvg([flat(sample), flat(recon)]));
  console.log(`wrote ${path.join(out, 'conv_autoencoder.svg')} (top: originals, bottom: reconstructions)`);
}

void main();

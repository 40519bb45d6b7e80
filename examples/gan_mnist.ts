/**
 * A DCGAN-style GAN on MNIST with {@link GanTrainer}: a transposed-conv generator (noise → 7×7×64
 * → 14×14×32 → 28×28×1) and a strided-conv discriminator, non-saturating loss, Adam (2e-4, β1
 * 0.5). Writes a grid of samples from fixed noise after every epoch to `out/gan/epoch-<k>.svg`.
 * Run with `npx tsx examples/gan_mnist.ts [epochs] [images]` (default 5 epochs over 60000).
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import { GanTrainer, imageGridSvg, layers as L, loadMnist, manualSeed, saveSvg, sequential } from '../ts/index';

async function main(): Promise<void> {
  const epochs = Number(process.argv[2] ?? 5);
  const count = Number(process.argv[3] ?? 60000);
  const latent = 64;
  manualSeed(1);
  const { trainImages } = await loadMnist();
  const images = trainImages.narrow(0, 0, count).reshape([count, 1, 28, 28]).mul(2).sub(1); // tanh range
  const generator = sequential(
    [
      L.dense({ units: 64 * 7 * 7, activation: 'relu' }),
      L.reshape({ targetShape: [64, 7, 7] }),
      L.conv2dTranspose({ filters: 32, kernelSize: 4, strides: 2, padding: 'same' }),
      L.batchNormalization(),
      L.activation({ activation: 'relu' }),
      L.conv2dTranspose({ filters: 1, kernelSize: 4, strides: 2, padding: 'same', activation: 'tanh' }),
    ],
    { inputShape: [latent] },
  );
  const discriminator = sequential(
    [
      L.conv2d({ filters: 32, kernelSize: 4, strides: 2, padding: 'same', activation: 'leakyRelu' }),
      L.conv2d({ filters: 64, kernelSize: 4, strides: 2, padding: 'same', activation: 'leakyRelu' }),
      L.flatten(),
      L.dense({ units: 1 }),
    ],
    { inputShape: [1, 28, 28] },
  );
  const gan = new GanTrainer({ generator, discriminator, latentDim: latent, loss: 'nonSaturating', seed: 2 });
  const out = path.join(process.cwd(), 'out', 'gan');
  fs.mkdirSync(out, { recursive: true });
  const batch = 64;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const started = Date.now();
    let logs = { discriminatorLoss: 0, generatorLoss: 0 };
    for (let start = 0; start + batch <= count; start += batch) logs = gan.step(images.narrow(0, start, batch));
    const samples = gan.sample(32, 12345).add(1).mul(0.5); // back to [0, 1]
    saveSvg(path.join(out, `epoch-${epoch}.svg`), imageGridSvg(samples, { columns: 8 }));
    console.log(
      `epoch ${epoch}/${epochs}: D loss ${logs.discriminatorLoss.toFixed(3)}, G loss ${logs.generatorLoss.toFixed(3)}, ` +
        `sample mean ${samples.mean().item().toFixed(3)} (data ${images.add(1).mul(0.5).mean().item().toFixed(3)}), ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  console.log(`wrote sample grids to ${out}`);
}

void main();

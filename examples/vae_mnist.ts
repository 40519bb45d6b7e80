/**
 * A variational autoencoder on MNIST (dense encoder to a 16-D Gaussian, reparameterised sample,
 * dense decoder, Bernoulli likelihood + KL), trained with a custom loop; prints the ELBO per
 * epoch and writes `out/vae/samples.svg` (decoded prior samples) and `out/vae/interpolation.svg`
 * (decodings along a straight line between two test digits' codes).
 * Run with `npx tsx examples/vae_mnist.ts [epochs]` (default 10).
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import { concat, imageGridSvg, layers as L, linspace, loadMnist, manualSeed, noGrad, optimizer, randn, reparameterize, saveSvg, sequential, vaeLoss } from '../ts/index';

async function main(): Promise<void> {
  const epochs = Number(process.argv[2] ?? 10);
  const latent = 16;
  manualSeed(1);
  const { trainImages, testImages } = await loadMnist();
  const encoder = sequential([L.dense({ units: 256, activation: 'relu' }), L.dense({ units: 2 * latent })], { inputShape: [784] });
  const decoder = sequential([L.dense({ units: 256, activation: 'relu' }), L.dense({ units: 784, activation: 'sigmoid' })], { inputShape: [latent] });
  const opt = optimizer([...encoder.parameters(), ...decoder.parameters()], { type: 'adam', lr: 1e-3 });
  const encode = (x: typeof trainImages): [typeof x, typeof x] => {
    const h = encoder.forward(x);
    return [h.narrow(1, 0, latent), h.narrow(1, latent, latent)];
  };
  const batch = 128;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const started = Date.now();
    let total = 0;
    let steps = 0;
    for (let start = 0; start + batch <= 60000; start += batch) {
      const x = trainImages.narrow(0, start, batch);
      const [mean, logVar] = encode(x);
      const l = vaeLoss(decoder.forward(reparameterize(mean, logVar)), x, mean, logVar);
      total += l.item();
      steps++;
      l.backward();
      opt.step();
      opt.zeroGrad();
      if (steps % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const testElbo = noGrad(() => {
      const x = testImages.narrow(0, 0, 2000);
      const [mean, logVar] = encode(x);
      return -vaeLoss(decoder.forward(reparameterize(mean, logVar, { seed: 0 })), x, mean, logVar).item();
    });
    console.log(`epoch ${epoch}/${epochs}: train ELBO ${(-total / steps).toFixed(1)}, test ELBO ${testElbo.toFixed(1)} nats per image (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  const out = path.join(process.cwd(), 'out', 'vae');
  fs.mkdirSync(out, { recursive: true });
  noGrad(() => {
    saveSvg(path.join(out, 'samples.svg'), imageGridSvg(decoder.forward(randn([32, latent], 0, 1, { seed: 7 })), { columns: 8 }));
    const [a] = encode(testImages.narrow(0, 0, 1));
    const [b] = encode(testImages.narrow(0, 1, 1));
    const steps = linspace(0, 1, 10).reshape([10, 1]);
    const path2 = a.mul(steps.neg().add(1)).add(b.mul(steps));
    saveSvg(path.join(out, 'interpolation.svg'), imageGridSvg(concat([decoder.forward(path2)], 0), { columns: 10 }));
  });
  console.log(`wrote ${path.join(out, 'samples.svg')} and interpolation.svg`);
}

void main();

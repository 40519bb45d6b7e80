// VAE building blocks: reparameterisation gradients, the Gaussian KL term against its closed
// form, and a small VAE on MNIST whose ELBO improves and whose prior samples decode to images.
import test from 'ava';

import { ValueError, gaussianKl, grad, layers, loadMnist, manualSeed, optimizer, randn, reparameterize, sequential, tensor, vaeLoss } from '../ts';

test('reparameterize samples N(mean, exp(logVar)) with gradients to both', (t) => {
  const mean = tensor([[1, -2]], undefined, { requiresGrad: true });
  const logVar = tensor([[0, Math.log(4)]], undefined, { requiresGrad: true });
  const z = reparameterize(mean, logVar, { seed: 3 });
  const eps = randn([1, 2], 0, 1, { seed: 3 }).toArray() as number[][];
  const zv = z.toArray() as number[][];
  t.true(Math.abs(zv[0]![0]! - (1 + eps[0]![0]!)) < 1e-6 && Math.abs(zv[0]![1]! - (-2 + 2 * eps[0]![1]!)) < 1e-5);
  const [gm, gl] = grad(z.sum(), [mean, logVar]);
  t.deepEqual(gm!.toArray(), [[1, 1]]);
  // d/dlogVar of exp(logVar/2)·ε = ½·exp(logVar/2)·ε
  t.true(Math.abs((gl!.toArray() as number[][])[0]![1]! - 0.5 * 2 * eps[0]![1]!) < 1e-5);
  // Many samples have the right moments.
  const many = reparameterize(tensor(Array(4000).fill([3])), tensor(Array(4000).fill([Math.log(0.25)])), { seed: 1 });
  t.true(Math.abs(many.mean().item() - 3) < 0.03 && Math.abs(many.std().item() - 0.5) < 0.03);
  t.throws(() => reparameterize(tensor([[1]]), tensor([[1, 2]])), { instanceOf: ValueError });
});

test('gaussianKl equals the closed form and is 0 at the prior', (t) => {
  const mean = tensor([[0.5, -1], [0, 0]]);
  const logVar = tensor([[0.2, -0.3], [0, 0]]);
  const kl = gaussianKl(mean, logVar, { reduction: 'none' }).toArray() as number[];
  const want = -0.5 * (1 + 0.2 - 0.25 - Math.exp(0.2) + 1 - 0.3 - 1 - Math.exp(-0.3));
  t.true(Math.abs(kl[0]! - want) < 1e-6);
  t.is(Math.abs(kl[1]!), 0);
  t.true(Math.abs(gaussianKl(mean, logVar).item() - want / 2) < 1e-6);
});

test('a small VAE on MNIST improves its ELBO and decodes prior samples to images', async (t) => {
  manualSeed(2);
  const latent = 8;
  const { trainImages } = await loadMnist();
  const x = trainImages.narrow(0, 0, 2048);
  const encoder = sequential([layers.dense({ units: 128, activation: 'relu' }), layers.dense({ units: 2 * latent })], { inputShape: [784] });
  const decoder = sequential([layers.dense({ units: 128, activation: 'relu' }), layers.dense({ units: 784, activation: 'sigmoid' })], { inputShape: [latent] });
  const opt = optimizer([...encoder.parameters(), ...decoder.parameters()], { type: 'adam', lr: 2e-3 });
  const elbo = (batch: typeof x, seed: number): number => {
    const h = encoder.forward(batch);
    const mean = h.narrow(1, 0, latent);
    const logVar = h.narrow(1, latent, latent);
    return -vaeLoss(decoder.forward(reparameterize(mean, logVar, { seed })), batch, mean, logVar).item();
  };
  const before = elbo(x, 0);
  for (let epoch = 0; epoch < 4; epoch++) {
    for (let start = 0; start < 2048; start += 128) {
      const batch = x.narrow(0, start, 128);
      const h = encoder.forward(batch);
      const mean = h.narrow(1, 0, latent);
      const logVar = h.narrow(1, latent, latent);
      const l = vaeLoss(decoder.forward(reparameterize(mean, logVar)), batch, mean, logVar);
      l.backward();
      opt.step();
      opt.zeroGrad();
    }
  }
  const after = elbo(x, 0);
  t.log(`ELBO per image: ${before.toFixed(1)} -> ${after.toFixed(1)} nats`);
  t.true(after > before + 200, `${before} -> ${after}`);
  const samples = decoder.forward(randn([16, latent], 0, 1, { seed: 9 }));
  t.deepEqual(samples.shape, [16, 784]);
  const v = Array.from(samples.dataSync());
  t.true(v.every((p) => p >= 0 && p <= 1));
  t.true(samples.mean().item() > 0.05 && samples.mean().item() < 0.3, 'mostly dark images with some ink, like MNIST');
});

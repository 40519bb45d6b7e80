// VAE building blocks: reparameterisation gradients, the Gaussian KL term against its closed
// form, and a small VAE on MNIST whose ELBO improves and whose prior samples decode to images.
import test from 'ava';

import { ValueError, contractivePenalty, gaussianKl, grad, layers, loadMnist, loss, manualSeed, optimizer, randn, reparameterize, sequential, tensor, vaeLoss } from '../ts';

test.serial('reparameterize samples N(mean, exp(logVar)) with gradients to both', (t) => {
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

test.serial('gaussianKl equals the closed form and is 0 at the prior', (t) => {
  const mean = tensor([[0.5, -1], [0, 0]]);
  const logVar = tensor([[0.2, -0.3], [0, 0]]);
  const kl = gaussianKl(mean, logVar, { reduction: 'none' }).toArray() as number[];
  const want = -0.5 * (1 + 0.2 - 0.25 - Math.exp(0.2) + 1 - 0.3 - 1 - Math.exp(-0.3));
  t.true(Math.abs(kl[0]! - want) < 1e-6);
  t.is(Math.abs(kl[1]!), 0);
  t.true(Math.abs(gaussianKl(mean, logVar).item() - want / 2) < 1e-6);
});

test.serial('a small VAE on MNIST improves its ELBO and decodes prior samples to images', async (t) => {
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

test.serial('contractivePenalty estimates ‖∂h/∂x‖²_F and training with it contracts the encoder', async (t) => {
  // A sigmoid layer h = σ(xW + b) has the closed form Σ_j (h_j(1 - h_j))² Σ_i W_ij² per sample.
  const w = randn([6, 4], 0, 1, { seed: 1 });
  const b = randn([4], 0, 1, { seed: 2 });
  const x = randn([3, 6], 0, 1, { seed: 3 });
  x.requiresGrad = true;
  const h = x.matmul(w).add(b).sigmoid();
  const exact = h.mul(h.neg().add(1)).square().mul(w.square().sum(0)).sum(1).mean().item();
  const estimate = contractivePenalty(h, x, { samples: 4000, seed: 5 }).item();
  t.log(`exact ${exact.toFixed(4)}, Hutchinson estimate (4000 samples) ${estimate.toFixed(4)}`);
  t.true(Math.abs(estimate - exact) < 0.05 * exact);
  // The estimate is differentiable: its gradient reaches the weights (double backward).
  const wl = randn([6, 4], 0, 1, { seed: 1 });
  wl.requiresGrad = true;
  const x2 = randn([3, 6], 0, 1, { seed: 3 });
  x2.requiresGrad = true;
  const [gw] = grad(contractivePenalty(x2.matmul(wl).sigmoid(), x2, { samples: 2, seed: 1 }), [wl]);
  t.true(gw !== null && gw.abs().sum().item() > 0);
  t.throws(() => contractivePenalty(h, randn([3, 6])), { instanceOf: ValueError, message: /require grad/ });

  // Training: an autoencoder with the penalty ends with a smaller encoder Jacobian than without.
  const { trainImages } = await loadMnist();
  const data = trainImages.narrow(0, 0, 1024);
  const jacobianNorm = async (lambda: number): Promise<number> => {
    manualSeed(6);
    const enc = sequential([layers.dense({ units: 32, activation: 'sigmoid' })], { inputShape: [784] });
    const dec = sequential([layers.dense({ units: 784, activation: 'sigmoid' })], { inputShape: [32] });
    const opt = optimizer([...enc.parameters(), ...dec.parameters()], { type: 'adam', lr: 3e-3 });
    for (let epoch = 0; epoch < 3; epoch++) {
      for (let s = 0; s < 1024; s += 128) {
        const xb = data.narrow(0, s, 128).detach();
        xb.requiresGrad = true;
        const code = enc.forward(xb);
        let l = loss('binaryCrossentropy', dec.forward(code), xb.detach()).mul(784);
        if (lambda > 0) l = l.add(contractivePenalty(code, xb, { seed: s }).mul(lambda));
        l.backward();
        opt.step();
        opt.zeroGrad();
      }
    }
    const xe = data.narrow(0, 0, 256).detach();
    xe.requiresGrad = true;
    return contractivePenalty(enc.forward(xe), xe, { samples: 8, seed: 9 }).item();
  };
  const plain = await jacobianNorm(0);
  const contractive = await jacobianNorm(500);
  t.log(`encoder ‖J‖²_F: plain ${plain.toFixed(3)}, contractive ${contractive.toFixed(3)}`);
  t.true(contractive < 0.75 * plain, `${plain} -> ${contractive}`);
});

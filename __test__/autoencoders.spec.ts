// Autoencoders from the course notes: a linear autoencoder spans the top principal subspace,
// greedy layer-wise pre-training initialises a classifier, first-layer weights render as an
// image grid, and a denoising autoencoder removes noise it was trained against.
import test from 'ava';

import { augment, imageGridSvg, layers, loadMnist, manualSeed, pca, pretrainLayerwise, randn, sequential, tensor, type Tensor } from '../ts';

/** Orthonormal rows spanning the rows of `m` (Gram-Schmidt), as plain arrays. */
function basis(m: number[][]): number[][] {
  const out: number[][] = [];
  for (const row of m) {
    const v = [...row];
    for (const b of out) {
      const dot = v.reduce((s, x, i) => s + x * b[i]!, 0);
      b.forEach((x, i) => (v[i]! -= dot * x));
    }
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    out.push(v.map((x) => x / norm));
  }
  return out;
}

/** ‖P_a − P_b‖_F of the projections onto two row spaces (0 when they are the same subspace). */
function subspaceDistance(a: number[][], b: number[][]): number {
  const [ba, bb] = [basis(a), basis(b)];
  const d = ba[0]!.length;
  let sum = 0;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      const pa = ba.reduce((s, r) => s + r[i]! * r[j]!, 0);
      const pb = bb.reduce((s, r) => s + r[i]! * r[j]!, 0);
      sum += (pa - pb) ** 2;
    }
  }
  return Math.sqrt(sum);
}

test.serial('a linear autoencoder trained with MSE spans the top principal subspace', async (t) => {
  manualSeed(3);
  // 10-D data with three dominant directions (variances 9, 4, 1) plus small isotropic noise.
  const z = randn([2000, 3], 0, 1, { seed: 1 }).mul(tensor([3, 2, 1]));
  const mixing = randn([3, 10], 0, 1, { seed: 2 });
  const x = z.matmul(mixing).add(randn([2000, 10], 0, 0.05, { seed: 3 }));
  const { components, explainedVariance } = pca(x, { components: 3 });
  t.true(explainedVariance[0]! > explainedVariance[1]! && explainedVariance[1]! > explainedVariance[2]!);
  const centered = x.sub(x.mean(0));
  const ae = sequential([layers.dense({ units: 3, useBias: false }), layers.dense({ units: 10, useBias: false })], { inputShape: [10] });
  ae.compile({ optimizer: { type: 'adam', lr: 0.01 }, loss: 'mse' });
  await ae.fit(centered, centered, { epochs: 40, batchSize: 64, verbose: 0 });
  const decoder = ae.parameters()[1]!; // [3, 10]: its rows span the reconstruction subspace
  const distance = subspaceDistance(decoder.toArray() as number[][], components.toArray() as number[][]);
  t.log(`‖P_ae − P_pca‖_F = ${distance.toFixed(4)} (orthogonal subspaces would give ${Math.sqrt(6).toFixed(2)})`);
  t.true(distance < 0.05, `${distance}`);
});

test.serial('greedy layer-wise pre-training stacks encoders that start a good classifier; weights render as images', async (t) => {
  const { trainImages, trainLabels, testImages, testLabels } = await loadMnist();
  const x = trainImages.narrow(0, 0, 3000);
  manualSeed(4);
  const { encoder, reconstructionLoss } = await pretrainLayerwise(x, { units: [128, 32], epochs: 4, optimizer: { type: 'adam', lr: 2e-3 } });
  const variance = x.sub(x.mean(0)).square().mean().item();
  t.log(`stage reconstruction MSE: ${reconstructionLoss.map((l) => l.toFixed(4)).join(', ')} (pixel variance ${variance.toFixed(4)})`);
  t.true(reconstructionLoss[0]! < 0.5 * variance);
  t.deepEqual((await encoder.predict(x.narrow(0, 0, 5))).shape, [5, 32]);

  const classifier = sequential([layers.dense({ units: 128, activation: 'relu' }), layers.dense({ units: 32, activation: 'relu' }), layers.dense({ units: 10 })], { inputShape: [784] });
  encoder.parameters().forEach((p, i) => classifier.parameters()[i]!.assign(p));
  classifier.compile({ optimizer: { type: 'adam', lr: 1e-3 }, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
  await classifier.fit(x, trainLabels.narrow(0, 0, 3000), { epochs: 5, batchSize: 32, verbose: 0 });
  const acc = (await classifier.evaluate(testImages.narrow(0, 0, 1000), testLabels.narrow(0, 0, 1000))).accuracy!;
  t.log(`fine-tuned pre-trained classifier: ${acc.toFixed(3)} on 1000 test images`);
  t.true(acc > 0.85);

  // The first layer's 128 filters as 28x28 images (the picture the notes show).
  const filters = encoder.parameters()[0]!.transpose(0, 1).narrow(0, 0, 16) as Tensor;
  const svg = imageGridSvg(filters, { columns: 8, scale: 'each' });
  t.is((svg.match(/<rect /g) ?? []).length, 16 * 784 + 1);
});

test.serial('a denoising autoencoder (Gaussian noise layer in training) removes noise', async (t) => {
  const { trainImages, testImages } = await loadMnist();
  const x = trainImages.narrow(0, 0, 4000);
  manualSeed(5);
  const dae = sequential(
    [layers.gaussianNoise({ stddev: 0.3 }), layers.dense({ units: 128, activation: 'relu' }), layers.dense({ units: 784, activation: 'sigmoid' })],
    { inputShape: [784] },
  );
  dae.compile({ optimizer: { type: 'adam', lr: 2e-3 }, loss: 'binaryCrossentropy', metrics: ['mse'] });
  await dae.fit(x, x, { epochs: 6, batchSize: 64, verbose: 0 });
  const clean = testImages.narrow(0, 0, 500);
  const noisy = augment.gaussianNoise(clean.reshape([500, 1, 28, 28]), { stddev: 0.3, seed: 7 }).reshape([500, 784]);
  const denoised = await dae.predict(noisy);
  const before = noisy.sub(clean).square().mean().item();
  const after = denoised.sub(clean).square().mean().item();
  t.log(`MSE to the clean images: noisy ${before.toFixed(4)} -> denoised ${after.toFixed(4)}`);
  t.true(after < 0.5 * before);
});

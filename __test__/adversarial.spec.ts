// Adversarial examples: FGSM and PGD against a small MNIST classifier, the perturbation budget,
// the gradient sign against finite differences, adversarial training, modes, disposal and errors.
import test from 'ava';

import {
  Attack,
  Dataset,
  Module,
  ShapeError,
  Tensor,
  ValueError,
  adversarialAccuracy,
  adversarialBatches,
  fgsm,
  layers,
  loadMnist,
  loss as lossOf,
  manualSeed,
  noGrad,
  pgd,
  rand,
  sequential,
  tensor,
} from '../ts/index';
import { scoped } from '../ts/internal/scope';

const xent = { type: 'sparseCategoricalCrossentropy', fromLogits: true } as const;
const EPSILON = 0.1;

const clean: Attack = (_model, x) => x;
const fgsmAttack: Attack = (m, x, y) => fgsm(m, x, y, { epsilon: EPSILON, loss: xent, clipMin: 0, clipMax: 1 });
const pgdAttack: Attack = (m, x, y) => pgd(m, x, y, { epsilon: EPSILON, stepSize: 0.01, steps: 20, randomStart: true, seed: 3, loss: xent, clipMin: 0, clipMax: 1 });

const mnist = loadMnist().then((m) => ({
  x: m.trainImages.narrow(0, 0, 3000),
  y: m.trainLabels.narrow(0, 0, 3000),
  xTest: m.testImages.narrow(0, 0, 1000),
  yTest: m.testLabels.narrow(0, 0, 1000),
}));

/** A freshly trained MLP (each test gets its own, since adversarial training changes it). */
async function trainedMlp() {
  const data = await mnist;
  manualSeed(0);
  const net = sequential([layers.dense({ units: 64, activation: 'relu' }), layers.dense({ units: 10 })], { inputShape: [784] });
  net.compile({ optimizer: { type: 'adam', lr: 1e-3 }, loss: xent, metrics: ['accuracy'] });
  await net.fit(data.x, data.y, { epochs: 3, batchSize: 32, seed: 1, verbose: 0 });
  return { net, ...data };
}

const maxAbs = (t: Tensor): number => noGrad(() => t.abs().max().item());

test('FGSM and PGD lower the accuracy of a trained MNIST classifier', async (t) => {
  const { net, xTest, yTest } = await trainedMlp();
  const cleanAcc = await adversarialAccuracy(net, xTest, yTest, clean, { batchSize: 250 });
  const fgsmAcc = await adversarialAccuracy(net, xTest, yTest, fgsmAttack, { batchSize: 250 });
  const pgdAcc = await adversarialAccuracy(net, xTest, yTest, pgdAttack, { batchSize: 250 });
  t.log(`1000 test images, epsilon ${EPSILON}: clean ${cleanAcc.toFixed(3)}, FGSM ${fgsmAcc.toFixed(3)}, PGD(20 steps) ${pgdAcc.toFixed(3)}`);
  t.true(cleanAcc > 0.85);
  t.true(fgsmAcc < 0.5 * cleanAcc);
  t.true(pgdAcc <= fgsmAcc);
  // The clean accuracy agrees with the native evaluation.
  const logs = await net.evaluate(xTest, yTest, { batchSize: 250 });
  t.true(Math.abs(logs.accuracy! - cleanAcc) < 1e-6);
});

test('perturbations stay within epsilon and the pixel range, and leave inputs and parameters alone', async (t) => {
  const { net, xTest, yTest } = await trainedMlp();
  const x = xTest.narrow(0, 0, 100);
  const y = yTest.narrow(0, 0, 100);
  const before = x.dataSync();
  for (const [name, adv] of [
    ['fgsm', fgsm(net, x, y, { epsilon: 0.15, loss: xent, clipMin: 0, clipMax: 1 })],
    ['pgd', pgd(net, x, y, { epsilon: 0.15, stepSize: 0.05, steps: 10, randomStart: true, seed: 7, loss: xent, clipMin: 0, clipMax: 1 })],
  ] as const) {
    t.deepEqual(adv.shape, [100, 784], name);
    t.false(adv.requiresGrad, name);
    const delta = noGrad(() => adv.sub(x));
    t.true(maxAbs(delta) <= 0.15 + 1e-6, `${name}: |delta| = ${maxAbs(delta)}`);
    t.true(maxAbs(delta) > 0.1, `${name} moves the input`);
    t.true(adv.min().item() >= 0 && adv.max().item() <= 1, `${name} stays in [0, 1]`);
    delta.dispose();
    adv.dispose();
  }
  t.deepEqual(x.dataSync(), before);
  t.false(x.requiresGrad);
  // Only the input gradient was taken: nothing accumulated into the parameters.
  t.true(net.parameters().every((p) => p.grad === null));
  // Without clipping, FGSM moves every pixel with a non-zero gradient by exactly epsilon.
  const free = fgsm(net, x, y, { epsilon: 0.05, loss: xent });
  const moved = noGrad(() => free.sub(x).abs());
  t.true(Math.abs(moved.max().item() - 0.05) < 1e-6);
  t.true(moved.min().item() >= 0);
});

test('the FGSM step is the sign of the finite-difference gradient of the loss (tiny model)', (t) => {
  manualSeed(5);
  const net = sequential([layers.dense({ units: 3, activation: 'tanh' }), layers.dense({ units: 2 })], { inputShape: [4] });
  const x = rand([2, 4], -1, 1, { seed: 11 });
  const y = tensor([0, 1]);
  const eps = 0.25;
  const adv = fgsm(net, x, y, { epsilon: eps, loss: xent });
  const step = noGrad(() => adv.sub(x).div(eps)).dataSync();
  // Called inside noGrad on purpose: the attack records its own forward pass.
  const targeted = noGrad(() => fgsm(net, x, y, { epsilon: eps, loss: xent, targeted: true }).sub(x).div(eps)).dataSync();
  // J(x) = mean cross-entropy; dJ/dx_i ~ (J(x + h e_i) - J(x - h e_i)) / 2h.
  const base = x.dataSync();
  const lossAt = (values: Float32Array): number => noGrad(() => lossOf(xent, net.forward(tensor(values, [2, 4])), y).item());
  const h = 1e-2;
  let checked = 0;
  for (let i = 0; i < base.length; i++) {
    const plus = base.slice();
    const minus = base.slice();
    plus[i]! += h;
    minus[i]! -= h;
    const fd = (lossAt(plus) - lossAt(minus)) / (2 * h);
    if (Math.abs(fd) < 1e-4) continue;
    t.is(step[i], Math.sign(fd), `element ${i}: finite difference ${fd}`);
    t.is(targeted[i], -Math.sign(fd), `element ${i} (targeted)`);
    checked++;
  }
  t.true(checked >= 6, `${checked} elements compared`);
  // One PGD step of size epsilon from x, without a random start, is FGSM.
  const onePgd = pgd(net, x, y, { epsilon: eps, stepSize: eps, steps: 1, loss: xent });
  t.true(maxAbs(noGrad(() => onePgd.sub(adv))) < 1e-6);
  // A loss given as a function gives the same step as the spec.
  const viaFn = fgsm(net, x, y, { epsilon: eps, loss: (p, target) => lossOf(xent, p, target) });
  t.true(maxAbs(noGrad(() => viaFn.sub(adv))) < 1e-6);
});

test('adversarial training on mixed clean and FGSM batches raises the adversarial accuracy', async (t) => {
  const { net, x, y, xTest, yTest } = await trainedMlp();
  const before = await adversarialAccuracy(net, xTest, yTest, fgsmAttack, { batchSize: 250 });
  const mixed = Dataset.fromTensors(x, y)
    .shuffle(3000, { seed: 2 })
    .batch(64)
    .map((batch) => adversarialBatches(net, batch, { attack: fgsmAttack }));
  await net.fit(mixed, { epochs: 2, verbose: 0 });
  const after = await adversarialAccuracy(net, xTest, yTest, fgsmAttack, { batchSize: 250 });
  const cleanAfter = await adversarialAccuracy(net, xTest, yTest, clean, { batchSize: 250 });
  const pgdAfter = await adversarialAccuracy(net, xTest, yTest, pgdAttack, { batchSize: 250 });
  t.log(`FGSM accuracy ${before.toFixed(3)} -> ${after.toFixed(3)} after 2 epochs of adversarial training; clean ${cleanAfter.toFixed(3)}, PGD ${pgdAfter.toFixed(3)}`);
  t.true(after > before + 0.15);
  t.true(cleanAfter > 0.8);
});

test('adversarialBatches appends adversarial copies with their labels and works with trainOnBatch', async (t) => {
  const { net, xTest, yTest } = await trainedMlp();
  const xb = xTest.narrow(0, 0, 40);
  const yb = yTest.narrow(0, 0, 40);
  const [xm, ym] = adversarialBatches(net, [xb, yb], { attack: fgsmAttack });
  t.deepEqual(xm.shape, [80, 784]);
  t.deepEqual(ym.dataSync(), Float32Array.from([...yb.dataSync(), ...yb.dataSync()]));
  t.deepEqual(xm.narrow(0, 0, 40).dataSync(), xb.dataSync());
  t.true(maxAbs(noGrad(() => xm.narrow(0, 40, 40).sub(xb))) <= EPSILON + 1e-6);
  const [xh, yh] = adversarialBatches(net, [xb, yb], { attack: fgsmAttack, ratio: 0.25 });
  t.deepEqual(xh.shape, [50, 784]);
  t.deepEqual(yh.dataSync(), Float32Array.from([...yb.dataSync(), ...yb.dataSync().slice(0, 10)]));
  const [x0] = adversarialBatches(net, [xb, yb], { attack: fgsmAttack, ratio: 0 });
  t.deepEqual(x0.shape, [40, 784]);
  const logs = await net.trainOnBatch(xm, ym);
  t.true(Number.isFinite(logs.loss));
  for (const tensorOut of [xm, ym, xh, yh, x0]) tensorOut.dispose();
});

class Recorder extends Module {
  fc = this.parameter('fc', [4, 3]);
  modes: boolean[] = [];

  forward(x: Tensor): Tensor {
    this.modes.push(this.training);
    return x.matmul(this.fc);
  }
}

test('attacks run Modules and native models in eval mode and restore their mode', async (t) => {
  const net = new Recorder();
  const x = rand([5, 4], 0, 1, { seed: 1 });
  const y = tensor([0, 1, 2, 0, 1]);
  net.train();
  const adv = fgsm(net, x, y, { epsilon: 0.1, loss: xent, clipMin: 0, clipMax: 1 });
  t.deepEqual(adv.shape, [5, 4]);
  t.true(net.training);
  net.eval();
  pgd(net, x, y, { epsilon: 0.1, stepSize: 0.03, steps: 3, loss: xent });
  t.false(net.training);
  net.train();
  await adversarialAccuracy(net, x, y, (m, xb, yb) => fgsm(m, xb, yb, { epsilon: 0.1, loss: xent }), { batchSize: 2 });
  t.true(net.training);
  t.true(net.modes.length > 0 && net.modes.every((m) => m === false), 'every forward of an attack ran in eval mode');
  // A throwing loss still restores the mode.
  t.throws(() => fgsm(net, x, y, { epsilon: 0.1, loss: () => { throw new Error('boom'); } }), { message: 'boom' });
  t.true(net.training);

  // Dropout in a native model: the attack is deterministic (eval mode) and the model gets its training mode back.
  manualSeed(2);
  const drop = sequential([layers.dense({ units: 16, activation: 'relu' }), layers.dropout({ rate: 0.5 }), layers.dense({ units: 3 })], { inputShape: [4] });
  drop.train();
  const a1 = fgsm(drop, x, y, { epsilon: 0.1, loss: xent }).dataSync();
  drop.train();
  const a2 = fgsm(drop, x, y, { epsilon: 0.1, loss: xent }).dataSync();
  t.deepEqual(a1, a2);
  t.true(drop.training);
  drop.eval();
  fgsm(drop, x, y, { epsilon: 0.1, loss: xent });
  t.false(drop.training);
});

test('attacks release every tensor they create except the result', (t) => {
  manualSeed(4);
  const net = sequential([layers.dense({ units: 8, activation: 'relu' }), layers.dense({ units: 3 })], { inputShape: [4] });
  const x = rand([6, 4], 0, 1, { seed: 2 });
  const y = tensor([0, 1, 2, 0, 1, 2]);
  const runs: Array<() => Tensor | Tensor[]> = [
    () => fgsm(net, x, y, { epsilon: 0.1, loss: xent, clipMin: 0, clipMax: 1 }),
    () => pgd(net, x, y, { epsilon: 0.1, stepSize: 0.02, steps: 10, randomStart: true, seed: 1, loss: xent, clipMin: 0, clipMax: 1 }),
    () => adversarialBatches(net, [x, y], { attack: fgsmAttack, ratio: 0.5 }),
  ];
  for (const run of runs) {
    // A scope that keeps everything, only to see which tensors the attack hands out (what its
    // own scopes let through, plus anything made outside them).
    const created: Tensor[] = [];
    const result = scoped(run, () => ({ has: (tn: Tensor) => (created.push(tn), true) }) as unknown as ReadonlySet<Tensor>);
    const alive = created.filter((tn) => !tn.isDisposed);
    t.log(`${created.length} tensor(s) reached the caller's scope`);
    t.deepEqual(alive, Array.isArray(result) ? result : [result]);
  }
});

test('bad epsilon, step options, clip ranges and shapes raise typed errors', (t) => {
  const net = sequential([layers.dense({ units: 3 })], { inputShape: [4] });
  const x = rand([2, 4], 0, 1, { seed: 1 });
  const y = tensor([0, 1]);
  for (const epsilon of [-0.1, Number.NaN, Infinity]) {
    t.throws(() => fgsm(net, x, y, { epsilon, loss: xent }), { instanceOf: ValueError, message: /epsilon/ });
    t.throws(() => pgd(net, x, y, { epsilon, stepSize: 0.01, steps: 2, loss: xent }), { instanceOf: ValueError, message: /epsilon/ });
  }
  t.throws(() => pgd(net, x, y, { epsilon: 0.1, stepSize: 0, steps: 2, loss: xent }), { instanceOf: ValueError, message: /stepSize/ });
  t.throws(() => pgd(net, x, y, { epsilon: 0.1, stepSize: 0.01, steps: 1.5, loss: xent }), { instanceOf: ValueError, message: /steps/ });
  t.throws(() => fgsm(net, x, y, { epsilon: 0.1, loss: xent, clipMin: 1, clipMax: 0 }), { instanceOf: ValueError, message: /clipMin/ });
  t.throws(() => fgsm(net, x, tensor([0, 1, 2]), { epsilon: 0.1, loss: xent }), { instanceOf: ShapeError, message: /same number of samples/ });
  t.throws(() => adversarialBatches(net, [x, y], { attack: fgsmAttack, ratio: 2 }), { instanceOf: ValueError, message: /ratio/ });
  return t.throwsAsync(adversarialAccuracy(net, x, y, clean, { batchSize: 0 }), { instanceOf: ValueError, message: /batchSize/ });
});

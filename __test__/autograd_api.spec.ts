// Autograd through the public API (ts/index): requiresGrad, .grad accumulation, backward seeds,
// detach, noGrad, grad() w.r.t. inputs, higher-order gradients, and small training loops.
import test from 'ava';

import {
  AutogradError,
  FerrogradError,
  Tensor,
  grad,
  isGradEnabled,
  noGrad,
  randn,
  tensor,
  zeros,
} from '../ts/index';
import { assertClose } from './helpers/close';

// ---- requiresGrad and leaves -------------------------------------------------------------

test('requiresGrad can be set by option, by setter and by requiresGrad_()', (t) => {
  t.false(tensor([1, 2]).requiresGrad);
  t.true(tensor([1, 2], undefined, { requiresGrad: true }).requiresGrad);
  t.true(zeros([2], { requiresGrad: true }).requiresGrad);

  const a = tensor([1, 2]);
  a.requiresGrad = true;
  t.true(a.requiresGrad);
  a.requiresGrad = false;
  t.false(a.requiresGrad);

  const b = tensor([1, 2]);
  t.is(b.requiresGrad_(), b);
  t.true(b.requiresGrad);
  t.is(b.requiresGrad_(false), b);
  t.false(b.requiresGrad);
});

test('isLeaf is true for created tensors and false for op results that require grad', (t) => {
  const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
  t.true(x.isLeaf);
  const y = x.mul(2);
  t.false(y.isLeaf);
  t.true(y.requiresGrad);
  t.true(tensor([1]).isLeaf);
  const err = t.throws(
    () => {
      y.requiresGrad = false;
    },
    { instanceOf: AutogradError },
  );
  t.true(err instanceof FerrogradError);
});

test('.grad accumulates across two backward calls until zeroGrad()', (t) => {
  const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
  t.is(x.grad, null);
  x.mul(x).sum().backward();
  t.deepEqual(x.grad!.toArray(), [2, 4, 6]);
  x.mul(x).sum().backward();
  t.deepEqual(x.grad!.toArray(), [4, 8, 12]);
  x.zeroGrad();
  t.true(x.grad === null || x.grad.dataSync().every((v) => v === 0));
  x.mul(3).sum().backward();
  t.deepEqual(x.grad!.toArray(), [3, 3, 3]);
});

test('backward with a seed gradient computes a vector-Jacobian product', (t) => {
  const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
  x.mul(x).backward({ gradient: tensor([1, 0, -2]) });
  t.deepEqual(x.grad!.toArray(), [2, 0, -12]);
  const w = tensor(
    [
      [1, 2],
      [3, 4],
    ],
    undefined,
    { requiresGrad: true },
  );
  w.matmul(tensor([1, -1])).backward({ gradient: tensor([2, 3]) });
  // d(Σ g_i (W v)_i)/dW = g vᵀ
  t.deepEqual(w.grad!.toArray(), [
    [2, -2],
    [3, -3],
  ]);
});

test('gradients flow only to leaves that require grad', (t) => {
  const a = tensor([1, 2], undefined, { requiresGrad: true });
  const b = tensor([3, 4]);
  a.mul(b).sum().backward();
  t.deepEqual(a.grad!.toArray(), [3, 4]);
  t.is(b.grad, null);
});

test('detach() returns a leaf with the same values that is cut from the graph', (t) => {
  const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
  const y = x.mul(2);
  const d = y.detach();
  t.deepEqual(d.toArray(), [2, 4, 6]);
  t.false(d.requiresGrad);
  t.true(d.isLeaf);
  // d is a constant: only the direct path contributes.
  x.mul(d).sum().backward();
  t.deepEqual(x.grad!.toArray(), [2, 4, 6]);
});

// ---- noGrad ----------------------------------------------------------------------------

test('noGrad(fn) disables recording inside fn and returns its value', (t) => {
  const x = tensor([1, 2], undefined, { requiresGrad: true });
  t.true(isGradEnabled());
  const [y, enabledInside] = noGrad(() => [x.mul(2).add(1), isGradEnabled()] as const);
  t.false(enabledInside);
  t.false(y.requiresGrad);
  t.deepEqual(y.toArray(), [3, 5]);
  t.true(isGradEnabled());
  t.true(x.mul(2).requiresGrad);
});

test('noGrad restores grad mode when fn throws', (t) => {
  t.throws(
    () =>
      noGrad(() => {
        throw new RangeError('boom');
      }),
    { instanceOf: RangeError, message: 'boom' },
  );
  t.true(isGradEnabled());
  // Nested: the inner scope restores the outer (disabled) state.
  noGrad(() => {
    t.throws(() => noGrad(() => tensor([1]).clamp(2, 1)));
    t.false(isGradEnabled());
  });
  t.true(isGradEnabled());
});

// ---- grad() ------------------------------------------------------------------------------

test('grad() returns gradients without touching .grad', (t) => {
  const a = tensor([1, 2], undefined, { requiresGrad: true });
  const b = tensor([3, 4], undefined, { requiresGrad: true });
  const [ga, gb] = grad(a.mul(b).sum(), [a, b]);
  t.deepEqual(ga!.toArray(), [3, 4]);
  t.deepEqual(gb!.toArray(), [1, 2]);
  t.is(a.grad, null);
  t.is(b.grad, null);
  t.false(ga!.requiresGrad);
});

test('grad() gives null for an input the output does not depend on', (t) => {
  const a = tensor([1, 2], undefined, { requiresGrad: true });
  const b = tensor([3, 4], undefined, { requiresGrad: true });
  const [ga, gb] = grad(a.square().sum(), [a, b]);
  t.deepEqual(ga!.toArray(), [2, 4]);
  t.is(gb, null);
});

test('grad() accepts a seed gradient and intermediate tensors', (t) => {
  const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
  const h = x.mul(2);
  const y = h.square();
  const [gh, gx] = grad(y, [h, x], { gradient: tensor([1, 1, 0.5]) });
  t.deepEqual(gh!.toArray(), [4, 8, 6]);
  t.deepEqual(gx!.toArray(), [8, 16, 12]);
});

test('FGSM: the sign of the input gradient of a linear classifier loss matches the analytic one', (t) => {
  // logits = x W + b, loss = mean cross-entropy against labels.
  const N = 4;
  const D = 3;
  const C = 2;
  const x = randn([N, D], 0, 1, { seed: 101 }).requiresGrad_();
  const W = randn([D, C], 0, 1, { seed: 102 }).requiresGrad_();
  const b = tensor([0.1, -0.2], undefined, { requiresGrad: true });
  const labels = tensor([0, 1, 1, 0]);
  const lossOf = (input: Tensor) => {
    const logits = input.matmul(W).add(b);
    return logits.logSoftmax(-1).mul(labels.oneHot(C)).sum(-1).mean().neg();
  };
  const loss = lossOf(x);
  const [gx] = grad(loss, [x]);
  t.is(x.grad, null);
  t.is(W.grad, null);
  t.is(b.grad, null);

  // Analytic gradient in float64: (softmax(logits) - onehot) Wᵀ / N.
  const xd = x.dataSync();
  const wd = W.dataSync();
  const bd = b.dataSync();
  const ld = labels.dataSync();
  const expected: number[] = [];
  for (let n = 0; n < N; n++) {
    const logits = [0, 1].map((c) => bd[c]! + [0, 1, 2].reduce((s, d) => s + xd[n * D + d]! * wd[d * C + c]!, 0));
    const m = Math.max(...logits);
    const z = logits.reduce((s, l) => s + Math.exp(l - m), 0);
    const delta = logits.map((l, c) => Math.exp(l - m) / z - (ld[n] === c ? 1 : 0));
    for (let d = 0; d < D; d++) expected.push((delta[0]! * wd[d * C]! + delta[1]! * wd[d * C + 1]!) / N);
  }
  assertClose(t, gx!, expected);
  const sign = gx!.sign();
  t.deepEqual(Array.from(sign.dataSync()), expected.map(Math.sign));

  // The adversarial step increases the loss.
  const xAdv = noGrad(() => x.add(sign.mul(0.1)));
  t.true(lossOf(xAdv).item() > loss.item());
});

// ---- higher order ----------------------------------------------------------------------

test('second derivative of x^3 is 6x via grad(..., { createGraph: true })', (t) => {
  const x = tensor([1, 2, -3, 0.5], undefined, { requiresGrad: true });
  const [g] = grad(x.pow(3).sum(), [x], { createGraph: true });
  t.true(g!.requiresGrad);
  assertClose(t, g!, [3, 12, 27, 0.75]);
  const [g2] = grad(g!.sum(), [x]);
  assertClose(t, g2!, [6, 12, -18, 3]);
  // Third order through another createGraph.
  const [h] = grad(x.pow(3).sum(), [x], { createGraph: true });
  const [h2] = grad(h!.sum(), [x], { createGraph: true });
  const [h3] = grad(h2!.sum(), [x]);
  assertClose(t, h3!, [6, 6, 6, 6]);
});

test('a gradient penalty differentiates the input-gradient norm w.r.t. the weights (checked by finite differences)', (t) => {
  const x = randn([4, 3], 0, 1, { seed: 201 });
  const w0 = randn([3, 2], 0, 0.7, { seed: 202 }).dataSync();

  // penalty(W) = mean_n (‖∂f/∂x_n‖ - 1)², f = Σ tanh(x W)
  const penalty = (W: Tensor, createGraph: boolean): Tensor => {
    const xi = x.detach().requiresGrad_();
    const f = xi.matmul(W).tanh().sum();
    const [gx] = grad(f, [xi], { createGraph });
    return gx!.square().sum(1).sqrt().sub(1).square().mean();
  };

  const W = tensor(w0, [3, 2], { requiresGrad: true });
  const p = penalty(W, true);
  t.true(p.requiresGrad);
  const [gW] = grad(p, [W]);
  t.deepEqual(gW!.shape, [3, 2]);
  t.is(W.grad, null);

  // Central differences with the library's own first-order gradients, eps = 1e-2.
  const eps = 1e-2;
  const analytic = gW!.dataSync();
  const fd: number[] = [];
  for (let i = 0; i < w0.length; i++) {
    const plus = Float32Array.from(w0);
    const minus = Float32Array.from(w0);
    plus[i] = plus[i]! + eps;
    minus[i] = minus[i]! - eps;
    const fp = penalty(tensor(plus, [3, 2]), false).item();
    const fm = penalty(tensor(minus, [3, 2]), false).item();
    fd.push((fp - fm) / (plus[i]! - minus[i]!));
  }
  t.true(fd.some((v) => Math.abs(v) > 1e-2), 'the penalty depends on the weights');
  assertClose(t, analytic, fd, { atol: 3e-4, rtol: 1e-3 });
});

// ---- training loops --------------------------------------------------------------------

test('manual SGD with noGrad + assign fits y = 3x - 1', (t) => {
  const x = randn([30, 1], 0, 1, { seed: 301 });
  const noise = randn([30, 1], 0, 0.01, { seed: 302 });
  const y = x.mul(3).sub(1).add(noise);
  const w = tensor([[0]], undefined, { requiresGrad: true });
  const b = tensor([0], undefined, { requiresGrad: true });
  const lr = 0.1;
  let first = NaN;
  let loss = NaN;
  for (let step = 0; step < 300; step++) {
    const l = x.matmul(w).add(b).sub(y).square().mean();
    loss = l.item();
    if (step === 0) first = loss;
    l.backward();
    noGrad(() => {
      w.assign(w.sub(w.grad!.mul(lr)));
      b.assign(b.sub(b.grad!.mul(lr)));
    });
    w.zeroGrad();
    b.zeroGrad();
  }
  t.true(first > 1, `initial loss ${first}`);
  t.true(loss < 1e-3, `final loss ${loss}`);
  t.true(Math.abs(w.item() - 3) < 0.02, `w = ${w.item()}`);
  t.true(Math.abs(b.item() + 1) < 0.02, `b = ${b.item()}`);
  t.true(w.requiresGrad && w.isLeaf);
});

test('200 training steps of a small MLP keep working without dispose()', (t) => {
  const x = randn([64, 4], 0, 1, { seed: 401 });
  const target = x.matmul(randn([4, 1], 0, 1, { seed: 402 })).tanh();
  const W1 = randn([4, 16], 0, 0.5, { seed: 403 }).requiresGrad_();
  const b1 = zeros([16], { requiresGrad: true });
  const W2 = randn([16, 1], 0, 0.5, { seed: 404 }).requiresGrad_();
  const params = [W1, b1, W2];
  const losses: number[] = [];
  for (let step = 0; step < 200; step++) {
    const pred = x.matmul(W1).add(b1).relu().matmul(W2);
    const loss = pred.sub(target).square().mean();
    losses.push(loss.item());
    loss.backward();
    noGrad(() => {
      for (const p of params) p.assign(p.sub(p.grad!.mul(0.05)));
    });
    for (const p of params) p.zeroGrad();
  }
  t.is(losses.length, 200);
  t.true(losses.every(Number.isFinite));
  t.true(losses[199]! < 0.5 * losses[0]!, `loss ${losses[0]} -> ${losses[199]}`);
  for (const p of params) {
    t.true(p.isLeaf && p.requiresGrad);
    t.true(p.grad === null || p.grad.dataSync().every((v) => v === 0));
  }
});

// The public tensor API (ts/index): construction, data access, formatting, factories, ops,
// views, indexing, async forms, disposal and typed errors.
import test from 'ava';

import {
  AutogradError,
  DisposedError,
  FerrogradError,
  ShapeError,
  Tensor,
  ValueError,
  add,
  arange,
  chunk,
  concat,
  div,
  eye,
  full,
  getNumThreads,
  gt,
  linspace,
  lt,
  manualSeed,
  matmul,
  matmulAsync,
  maximum,
  mul,
  ones,
  onesLike,
  pad,
  pow,
  rand,
  randn,
  setNumThreads,
  softmax,
  split,
  stack,
  sub,
  tensor,
  variance,
  where,
  zeros,
  zerosLike,
} from '../ts/index';
import { assertClose } from './helpers/close';

/** Plain-JS reference matmul of row-major 2-D blocks. */
function refMatmul(a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number, m: number): number[] {
  const out = new Array<number>(n * m).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) for (let p = 0; p < k; p++) out[i * m + j]! += a[i * k + p]! * b[p * m + j]!;
  return out;
}

// ---- construction ----------------------------------------------------------------------

test('tensor() infers the shape of nested arrays', (t) => {
  t.deepEqual(tensor([[1, 2, 3], [4, 5, 6]]).shape, [2, 3]);
  t.deepEqual(tensor([[[1], [2]], [[3], [4]]]).shape, [2, 2, 1]);
  t.deepEqual(tensor([7, 8]).shape, [2]);
  t.deepEqual(tensor([]).shape, [0]);
  t.deepEqual(Array.from(tensor([[1, 2], [3, 4]]).dataSync()), [1, 2, 3, 4]);
});

test('tensor() of a number is a 0-d tensor', (t) => {
  const s = tensor(3.5);
  t.deepEqual(s.shape, []);
  t.is(s.rank, 0);
  t.is(s.size, 1);
  t.is(s.item(), 3.5);
  t.is(s.toArray(), 3.5);
});

test('tensor() accepts typed arrays and flat arrays with an explicit shape', (t) => {
  const a = tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
  t.deepEqual(a.shape, [2, 3]);
  t.deepEqual(a.toArray(), [
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const b = tensor(new Float64Array([0.5, 1.5]));
  t.deepEqual(b.shape, [2]);
  t.deepEqual(Array.from(b.dataSync()), [0.5, 1.5]);
  const c = tensor(new Int32Array([1, -2, 3, -4]), [2, 2]);
  t.deepEqual(c.toArray(), [
    [1, -2],
    [3, -4],
  ]);
  t.deepEqual(tensor([1, 2, 3, 4, 5, 6], [3, 2]).toArray(), [
    [1, 2],
    [3, 4],
    [5, 6],
  ]);
});

test('tensor() rounds values to float32', (t) => {
  t.is(tensor([0.1]).item(), Math.fround(0.1));
  t.not(tensor([0.1]).item(), 0.1);
});

test('ragged nested arrays throw ShapeError', (t) => {
  for (const ragged of [[[1, 2], [3]], [1, [2, 3]], [[1, [2]], [3, 4]]] as unknown[]) {
    const err = t.throws(() => tensor(ragged as number[]), { instanceOf: ShapeError });
    t.true(err instanceof FerrogradError);
    t.is(err!.code, 'ShapeError');
    t.regex(err!.message, /tensor: ragged nested array/);
  }
});

test('a flat array whose length does not match the shape throws ShapeError', (t) => {
  const err = t.throws(() => tensor([1, 2, 3], [2, 2]), { instanceOf: ShapeError });
  t.regex(err!.message, /\[2, 2\]/);
  t.throws(() => tensor([1, 2], [-1, -2]), { instanceOf: ShapeError });
  t.throws(() => tensor([1, 2], [1.5]), { instanceOf: ShapeError });
});

// ---- properties and data out -------------------------------------------------------------

test('shape, dtype, rank and size describe the tensor', (t) => {
  const x = zeros([2, 3, 4]);
  t.deepEqual(x.shape, [2, 3, 4]);
  t.is(x.dtype, 'float32');
  t.is(x.rank, 3);
  t.is(x.size, 24);
  t.is(zeros([0, 5]).size, 0);
});

test('dataSync, data(), toArray() and item() return the same elements', async (t) => {
  const x = tensor([
    [1, -2],
    [3.5, 4],
  ]);
  const sync = x.dataSync();
  t.true(sync instanceof Float32Array);
  t.deepEqual(Array.from(sync), [1, -2, 3.5, 4]);
  const asyncData = await x.data();
  t.true(asyncData instanceof Float32Array);
  t.deepEqual(Array.from(asyncData), [1, -2, 3.5, 4]);
  t.deepEqual(x.toArray(), [
    [1, -2],
    [3.5, 4],
  ]);
  t.is(tensor([[42]]).item(), 42);
  t.throws(() => x.item(), { instanceOf: ShapeError, message: /item/ });
});

test('dataSync returns a copy that does not alias the tensor', (t) => {
  const x = tensor([1, 2, 3]);
  const d = x.dataSync();
  d[0] = 100;
  t.deepEqual(Array.from(x.dataSync()), [1, 2, 3]);
});

test('toString() renders like PyTorch', (t) => {
  t.is(
    tensor([
      [1, 2],
      [3, 4],
    ]).toString(),
    'tensor([[1., 2.],\n        [3., 4.]])',
  );
  t.is(tensor([1.5, -2]).toString(), 'tensor([ 1.5000, -2.0000])');
  t.is(tensor(3.5).toString(), 'tensor(3.5000)');
  t.is(tensor(3).toString(), 'tensor(3.)');
  t.is(tensor([1, 2], undefined, { requiresGrad: true }).toString(), 'tensor([1., 2.], requires_grad=True)');
  t.is(arange(8).reshape([2, 2, 2]).toString(), 'tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])');
  t.is(`${tensor([0.25])}`, 'tensor([0.2500])');
});

// ---- factories ---------------------------------------------------------------------------

test('zeros, ones, full, zerosLike and onesLike fill with constants', (t) => {
  t.deepEqual(zeros([2, 2]).toArray(), [
    [0, 0],
    [0, 0],
  ]);
  t.deepEqual(ones([3]).toArray(), [1, 1, 1]);
  t.deepEqual(full([2, 1], -7.5).toArray(), [[-7.5], [-7.5]]);
  const like = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  t.deepEqual(zerosLike(like).shape, [2, 3]);
  t.deepEqual(Array.from(zerosLike(like).dataSync()), [0, 0, 0, 0, 0, 0]);
  t.deepEqual(Array.from(onesLike(like).dataSync()), [1, 1, 1, 1, 1, 1]);
  t.true(zeros([2], { requiresGrad: true }).requiresGrad);
  t.false(zeros([2]).requiresGrad);
});

test('arange counts from 0 with one argument and by a step with three', (t) => {
  t.deepEqual(arange(5).toArray(), [0, 1, 2, 3, 4]);
  t.deepEqual(arange(2, 5).toArray(), [2, 3, 4]);
  assertClose(t, arange(1, 2, 0.25), [1, 1.25, 1.5, 1.75]);
  t.deepEqual(arange(5, 0, -2).toArray(), [5, 3, 1]);
  t.throws(() => arange(0, 5, 0), { instanceOf: ValueError, message: /arange/ });
});

test('linspace includes both ends', (t) => {
  assertClose(t, linspace(0, 1, 5), [0, 0.25, 0.5, 0.75, 1]);
  assertClose(t, linspace(-3, 3, 3), [-3, 0, 3]);
  t.deepEqual(linspace(2, 5, 1).toArray(), [2]);
});

test('eye builds square and rectangular identities', (t) => {
  t.deepEqual(eye(3).toArray(), [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ]);
  t.deepEqual(eye(2, 3).toArray(), [
    [1, 0, 0],
    [0, 1, 0],
  ]);
});

test('rand draws in [low, high) and is reproducible with a seed', (t) => {
  const u = rand([2000], 0, 1, { seed: 11 }).dataSync();
  t.true(u.every((v) => v >= 0 && v < 1));
  const mean = u.reduce((a, b) => a + b, 0) / u.length;
  t.true(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
  const r = rand([2000], -2, 3, { seed: 12 }).dataSync();
  t.true(r.every((v) => v >= -2 && v < 3));
  t.true(Math.min(...r) < -1.9 && Math.max(...r) > 2.9);
  t.deepEqual(Array.from(rand([5], 0, 1, { seed: 5 }).dataSync()), Array.from(rand([5], 0, 1, { seed: 5 }).dataSync()));
  t.notDeepEqual(Array.from(rand([5], 0, 1, { seed: 5 }).dataSync()), Array.from(rand([5], 0, 1, { seed: 6 }).dataSync()));
  t.throws(() => rand([2], 1, 0), { instanceOf: ValueError });
});

test('randn has the requested mean and std and is reproducible with a seed', (t) => {
  const x = randn([20000], 2, 3, { seed: 7 });
  t.true(Math.abs(x.mean().item() - 2) < 0.1);
  t.true(Math.abs(x.std().item() - 3) < 0.1);
  t.deepEqual(Array.from(randn([6], 0, 1, { seed: 3 }).dataSync()), Array.from(randn([6], 0, 1, { seed: 3 }).dataSync()));
  t.throws(() => randn([2], 0, -1), { instanceOf: ValueError });
});

test('manualSeed makes the global generator reproducible', (t) => {
  manualSeed(42);
  const a = Array.from(randn([4]).dataSync());
  const b = Array.from(rand([4]).dataSync());
  const c = Array.from(randn([4]).dataSync());
  manualSeed(42);
  t.deepEqual(Array.from(randn([4]).dataSync()), a);
  t.deepEqual(Array.from(rand([4]).dataSync()), b);
  t.deepEqual(Array.from(randn([4]).dataSync()), c);
  t.notDeepEqual(a, c);
});

test('random draws are identical with 1 and 2 threads', (t) => {
  const original = getNumThreads();
  try {
    const draw = () => {
      const seeded = randn([100_000], 0, 1, { seed: 3 }).dataSync();
      manualSeed(9);
      const global = rand([100_000]).dataSync();
      return { seeded, global };
    };
    setNumThreads(1);
    t.is(getNumThreads(), 1);
    const one = draw();
    setNumThreads(2);
    t.is(getNumThreads(), 2);
    const two = draw();
    t.deepEqual(one.seeded, two.seeded);
    t.deepEqual(one.global, two.global);
  } finally {
    setNumThreads(original);
  }
  t.is(getNumThreads(), original);
});

// ---- elementwise ------------------------------------------------------------------------

test('binary ops broadcast rows, columns and scalars', (t) => {
  const a = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const row = tensor([10, 20, 30]);
  const col = tensor([[100], [200]]);
  t.deepEqual(a.add(row).toArray(), [
    [11, 22, 33],
    [14, 25, 36],
  ]);
  t.deepEqual(a.sub(col).toArray(), [
    [-99, -98, -97],
    [-196, -195, -194],
  ]);
  t.deepEqual(row.mul(col).shape, [2, 3]);
  t.deepEqual(row.mul(col).toArray(), [
    [1000, 2000, 3000],
    [2000, 4000, 6000],
  ]);
  assertClose(t, a.div(row), [0.1, 0.1, 0.1, 0.4, 0.25, 0.2]);
  t.deepEqual(a.pow(tensor(2)).toArray(), [
    [1, 4, 9],
    [16, 25, 36],
  ]);
  t.deepEqual(maximum(a, tensor([[3], [5]])).toArray(), [
    [3, 3, 3],
    [5, 5, 6],
  ]);
  t.throws(() => a.add(tensor([1, 2])), { instanceOf: ShapeError, message: /add.*\[2, 3\].*\[2\]/ });
});

test('numbers work on either side of a binary op', (t) => {
  const x = tensor([1, 2, 4]);
  t.deepEqual(add(2, x).toArray(), [3, 4, 6]);
  t.deepEqual(add(x, 2).toArray(), [3, 4, 6]);
  t.deepEqual(sub(10, x).toArray(), [9, 8, 6]);
  t.deepEqual(x.sub(1).toArray(), [0, 1, 3]);
  t.deepEqual(mul(3, x).toArray(), [3, 6, 12]);
  t.deepEqual(div(8, x).toArray(), [8, 4, 2]);
  t.deepEqual(x.div(2).toArray(), [0.5, 1, 2]);
  t.deepEqual(pow(2, x).toArray(), [2, 4, 16]);
  t.deepEqual(x.pow(2).toArray(), [1, 4, 16]);
  t.deepEqual(maximum(3, x).toArray(), [3, 3, 4]);
  t.deepEqual(x.minimum(2).toArray(), [1, 2, 2]);
});

test('unary math ops give the expected values', (t) => {
  const x = tensor([-2, -0.5, 0.5, 2]);
  t.deepEqual(x.neg().toArray(), [2, 0.5, -0.5, -2]);
  t.deepEqual(x.abs().toArray(), [2, 0.5, 0.5, 2]);
  t.deepEqual(x.sign().toArray(), [-1, -1, 1, 1]);
  t.deepEqual(x.square().toArray(), [4, 0.25, 0.25, 4]);
  t.deepEqual(x.reciprocal().toArray(), [-0.5, -2, 2, 0.5]);
  assertClose(t, x.exp(), [Math.exp(-2), Math.exp(-0.5), Math.exp(0.5), Math.exp(2)]);
  assertClose(t, tensor([1, 4, 9]).sqrt(), [1, 2, 3]);
  assertClose(t, tensor([1, Math.E]).log(), [0, 1]);
  assertClose(t, tensor([0, Math.PI / 2]).sin(), [0, 1]);
  assertClose(t, tensor([0, Math.PI]).cos(), [1, -1]);
  assertClose(t, tensor([0, 1, -1]).erf(), [0, 0.8427007929, -0.8427007929]);
  t.deepEqual(tensor([-1.5, 1.2]).floor().toArray(), [-2, 1]);
  t.deepEqual(tensor([-1.5, 1.2]).ceil().toArray(), [-1, 2]);
  t.deepEqual(tensor([1, -1, 0]).div(0).toArray(), [Infinity, -Infinity, NaN]);
});

test('comparisons return 0/1 tensors that broadcast and do not require grad', (t) => {
  const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
  t.deepEqual(x.eq(2).toArray(), [0, 1, 0]);
  t.deepEqual(x.ne(2).toArray(), [1, 0, 1]);
  t.deepEqual(x.lt(2).toArray(), [1, 0, 0]);
  t.deepEqual(x.le(2).toArray(), [1, 1, 0]);
  t.deepEqual(x.gt(2).toArray(), [0, 0, 1]);
  t.deepEqual(x.ge(2).toArray(), [0, 1, 1]);
  t.deepEqual(x.eq(tensor([[1], [3]])).toArray(), [
    [1, 0, 0],
    [0, 0, 1],
  ]);
  t.deepEqual(lt(2, x).toArray(), [0, 0, 1]);
  t.deepEqual(gt(x, tensor([0, 5, 1])).toArray(), [1, 0, 1]);
  t.false(x.gt(1).requiresGrad);
});

test('where picks from a or b by condition, broadcasting numbers', (t) => {
  const cond = tensor([1, 0, 1]);
  t.deepEqual(where(cond, tensor([1, 2, 3]), tensor([10, 20, 30])).toArray(), [1, 20, 3]);
  t.deepEqual(where(cond, 5, tensor([1, 2, 3])).toArray(), [5, 2, 5]);
  t.deepEqual(where(tensor([[1], [0]]), tensor([1, 2]), -1).toArray(), [
    [1, 2],
    [-1, -1],
  ]);
  const x = tensor([-2, 3, -1]);
  t.deepEqual(where(x.gt(0), x, 0).toArray(), [0, 3, 0]);
});

test('clamp limits to [min, max] with either bound open', (t) => {
  const x = tensor([-2, 0.5, 3]);
  t.deepEqual(x.clamp(0, 1).toArray(), [0, 0.5, 1]);
  t.deepEqual(x.clamp(0).toArray(), [0, 0.5, 3]);
  t.deepEqual(x.clamp(undefined, 1).toArray(), [-2, 0.5, 1]);
  t.deepEqual(x.clamp(1, 1).toArray(), [1, 1, 1]);
});

test('activations give the reference values', (t) => {
  const one = (f: (x: Tensor) => Tensor, v: number) => f(tensor([v])).item();
  assertClose(t, one((x) => x.sigmoid(), 0), 0.5);
  assertClose(t, one((x) => x.sigmoid(), 2), 1 / (1 + Math.exp(-2)));
  assertClose(t, one((x) => x.tanh(), 0.5), Math.tanh(0.5));
  t.is(one((x) => x.relu(), -1), 0);
  t.is(one((x) => x.relu(), 1.5), 1.5);
  assertClose(t, one((x) => x.leakyRelu(), -2), -0.02);
  assertClose(t, one((x) => x.leakyRelu(0.2), -2), -0.4);
  t.is(one((x) => x.leakyRelu(0.2), 3), 3);
  assertClose(t, one((x) => x.elu(), -1), Math.exp(-1) - 1);
  assertClose(t, one((x) => x.elu(0.5), -1), 0.5 * (Math.exp(-1) - 1));
  assertClose(t, one((x) => x.gelu(), 1), 0.8413447461);
  assertClose(t, one((x) => x.gelu('tanh'), 1), 0.8411919906);
  assertClose(t, one((x) => x.softplus(), 0), Math.LN2);
  assertClose(t, one((x) => x.softsign(), 1), 0.5);
  assertClose(t, one((x) => x.silu(), 1), 1 / (1 + Math.exp(-1)));
  assertClose(t, one((x) => x.logSigmoid(), 0), -Math.LN2);
});

test('activations stay finite for large inputs', (t) => {
  t.deepEqual(tensor([1000, -1000]).sigmoid().toArray(), [1, 0]);
  t.deepEqual(tensor([1000]).softplus().toArray(), [1000]);
  t.deepEqual(tensor([-1000]).logSigmoid().toArray(), [-1000]);
  t.deepEqual(tensor([-1000, 1000]).tanh().toArray(), [-1, 1]);
});

// ---- reductions -------------------------------------------------------------------------

test('sum and mean reduce all, one, several and negative axes', (t) => {
  const x = arange(24).reshape([2, 3, 4]);
  t.is(x.sum().item(), 276);
  t.deepEqual(x.sum().shape, []);
  t.deepEqual(x.sum(0).shape, [3, 4]);
  t.deepEqual(x.sum(-1).toArray(), [
    [6, 22, 38],
    [54, 70, 86],
  ]);
  t.deepEqual(x.sum([0, 2]).toArray(), [60, 92, 124]);
  t.deepEqual(x.sum([-1, 0]).toArray(), [60, 92, 124]);
  t.deepEqual(x.sum(1, { keepDims: true }).shape, [2, 1, 4]);
  t.deepEqual(x.sum(undefined, { keepDims: true }).shape, [1, 1, 1]);
  t.is(x.mean().item(), 11.5);
  t.deepEqual(x.mean([-1, 0]).toArray(), [7.5, 11.5, 15.5]);
  t.deepEqual(x.mean(-2, { keepDims: true }).shape, [2, 1, 4]);
  t.throws(() => x.sum(3), { instanceOf: ShapeError, message: /sum/ });
});

test('max, min and logsumexp reduce over axes', (t) => {
  const x = tensor([
    [1, 5, 3],
    [4, 2, 6],
  ]);
  t.is(x.max().item(), 6);
  t.is(x.min().item(), 1);
  t.deepEqual(x.max(0).toArray(), [4, 5, 6]);
  t.deepEqual(x.min(-1, { keepDims: true }).toArray(), [[1], [2]]);
  const lse = (r: number[]) => Math.log(r.reduce((a, v) => a + Math.exp(v), 0));
  assertClose(t, x.logsumexp(1), [lse([1, 5, 3]), lse([4, 2, 6])]);
  assertClose(t, tensor([1000, 1000]).logsumexp(), 1000 + Math.LN2);
});

test('var and std use correction 1 by default and 0 on request', (t) => {
  const x = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assertClose(t, x.var(), 3.5);
  assertClose(t, x.var(undefined, { correction: 0 }), 17.5 / 6);
  assertClose(t, variance(x, undefined, { correction: 0 }), 17.5 / 6);
  assertClose(t, x.var(1), [1, 1]);
  assertClose(t, x.var(0, { correction: 0 }), [2.25, 2.25, 2.25]);
  assertClose(t, x.std(), Math.sqrt(3.5));
  assertClose(t, x.std(-1, { correction: 0, keepDims: true }), [[Math.sqrt(2 / 3)], [Math.sqrt(2 / 3)]]);
  t.deepEqual(x.std(-1, { keepDims: true }).shape, [2, 1]);
});

test('argmax and argmin index the flattened tensor or an axis', (t) => {
  const x = tensor([
    [1, 9, 3],
    [7, 2, 8],
  ]);
  t.is(x.argmax().item(), 1);
  t.deepEqual(x.argmax().shape, []);
  t.is(x.argmin().item(), 0);
  t.deepEqual(x.argmax(1).toArray(), [1, 2]);
  t.deepEqual(x.argmin(0).toArray(), [0, 1, 0]);
  t.deepEqual(x.argmax(-1, { keepDims: true }).toArray(), [[1], [2]]);
  t.deepEqual(x.argmax(undefined, { keepDims: true }).shape, [1, 1]);
  t.deepEqual(tensor([3, 1, 3]).argmax().item(), 0, 'ties resolve to the first index');
});

test('softmax rows sum to 1 and are stable for ±1000', (t) => {
  const x = randn([4, 7], 0, 3, { seed: 21 });
  const s = x.softmax();
  assertClose(t, s.sum(-1), [1, 1, 1, 1]);
  t.true(s.dataSync().every((v) => v > 0 && v < 1));
  assertClose(t, softmax(x, 0).sum(0), new Array(7).fill(1));
  const big = tensor([
    [1000, -1000, 0],
    [1000, 1000, -1000],
  ]).softmax();
  t.true(big.dataSync().every(Number.isFinite));
  assertClose(t, big, [1, 0, 0, 0.5, 0.5, 0]);
  assertClose(t, tensor([1000, 0]).logSoftmax(), [0, -1000]);
  assertClose(t, tensor([1, 2, 3]).softmax(), [0.09003057, 0.24472847, 0.66524096]);
});

// ---- matmul -----------------------------------------------------------------------------

test('matmul multiplies 2-D matrices', (t) => {
  const a = tensor([
    [1, 2],
    [3, 4],
  ]);
  const b = tensor([
    [5, 6],
    [7, 8],
  ]);
  t.deepEqual(a.matmul(b).toArray(), [
    [19, 22],
    [43, 50],
  ]);
  const x = randn([5, 7], 0, 1, { seed: 1 });
  const y = randn([7, 3], 0, 1, { seed: 2 });
  assertClose(t, matmul(x, y), refMatmul(x.dataSync(), y.dataSync(), 5, 7, 3));
});

test('matmul broadcasts batch dimensions', (t) => {
  const a = randn([2, 1, 3, 4], 0, 1, { seed: 3 });
  const b = randn([5, 4, 2], 0, 1, { seed: 4 });
  const c = a.matmul(b);
  t.deepEqual(c.shape, [2, 5, 3, 2]);
  const ad = a.dataSync();
  const bd = b.dataSync();
  const expected: number[] = [];
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 5; j++) {
      expected.push(...refMatmul(ad.subarray(i * 12, i * 12 + 12), bd.subarray(j * 8, j * 8 + 8), 3, 4, 2));
    }
  }
  assertClose(t, c, expected);
});

test('matmul promotes vectors like torch.matmul', (t) => {
  const m = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const mv = m.matmul(tensor([1, 0, -1]));
  t.deepEqual(mv.shape, [2]);
  t.deepEqual(mv.toArray(), [-2, -2]);
  const vm = tensor([1, -1]).matmul(m);
  t.deepEqual(vm.shape, [3]);
  t.deepEqual(vm.toArray(), [-3, -3, -3]);
  const vv = tensor([1, 2, 3]).matmul(tensor([4, 5, 6]));
  t.deepEqual(vv.shape, []);
  t.is(vv.item(), 32);
  t.deepEqual(ones([4, 2, 3]).matmul(ones([3])).shape, [4, 2]);
});

test('matmul shape errors name the op and both shapes', (t) => {
  const err = t.throws(() => zeros([2, 3]).matmul(zeros([4, 5])), { instanceOf: ShapeError });
  t.true(err instanceof FerrogradError);
  t.is(err!.code, 'ShapeError');
  t.is(err!.name, 'ShapeError');
  t.regex(err!.message, /matmul/);
  t.regex(err!.message, /\[2, 3\]/);
  t.regex(err!.message, /\[4, 5\]/);
});

// ---- views and shape ---------------------------------------------------------------------

test('reshape infers one -1 dimension and rejects bad targets', (t) => {
  const x = arange(6);
  t.deepEqual(x.reshape([2, -1]).toArray(), [
    [0, 1, 2],
    [3, 4, 5],
  ]);
  t.deepEqual(x.reshape([-1, 2]).shape, [3, 2]);
  t.deepEqual(x.view([3, -1]).shape, [3, 2]);
  t.throws(() => x.reshape([4, -1]), { instanceOf: ShapeError, message: /reshape/ });
  t.throws(() => x.reshape([-1, -1]), { instanceOf: ShapeError });
});

test('permute and transpose reorder dimensions', (t) => {
  const x = arange(24).reshape([2, 3, 4]);
  const p = x.permute([2, 0, 1]);
  t.deepEqual(p.shape, [4, 2, 3]);
  // p[i][j][k] = x[j][k][i] = 12j + 4k + i
  t.is((p.toArray() as number[][][])[3]![1]![2], 12 + 8 + 3);
  const tr = x.transpose();
  t.deepEqual(tr.shape, [2, 4, 3]);
  t.is((tr.toArray() as number[][][])[1]![3]![2], 12 + 8 + 3);
  t.deepEqual(tensor([
    [1, 2],
    [3, 4],
  ]).transpose().toArray(), [
    [1, 3],
    [2, 4],
  ]);
  t.deepEqual(x.transpose(0, 2).shape, [4, 3, 2]);
  t.deepEqual(arange(6).reshape([2, 3]).transpose().reshape([-1]).toArray(), [0, 3, 1, 4, 2, 5]);
  t.deepEqual(arange(6).reshape([2, 3]).transpose().contiguous().toArray(), [
    [0, 3],
    [1, 4],
    [2, 5],
  ]);
  t.throws(() => x.permute([0, 0, 1]), { instanceOf: ShapeError });
});

test('narrow and slice select ranges, with negative bounds and steps', (t) => {
  const x = tensor([
    [0, 1, 2, 3, 4],
    [5, 6, 7, 8, 9],
  ]);
  t.deepEqual(x.narrow(1, 1, 3).toArray(), [
    [1, 2, 3],
    [6, 7, 8],
  ]);
  t.deepEqual(x.narrow(0, 1, 1).toArray(), [[5, 6, 7, 8, 9]]);
  t.throws(() => x.narrow(1, 3, 3), { instanceOf: ShapeError, message: /narrow/ });
  t.deepEqual(x.slice(1, -2).toArray(), [
    [3, 4],
    [8, 9],
  ]);
  t.deepEqual(x.slice(1, 0, undefined, 2).toArray(), [
    [0, 2, 4],
    [5, 7, 9],
  ]);
  t.deepEqual(x.slice(-1, -4, -1).toArray(), [
    [1, 2, 3],
    [6, 7, 8],
  ]);
  t.deepEqual(x.slice(1, 1, 100, 3).toArray(), [
    [1, 4],
    [6, 9],
  ]);
  t.deepEqual(x.slice(1, 3, 1).shape, [2, 0]);
  t.throws(() => x.slice(1, 0, 5, 0), { instanceOf: ValueError });
});

test('expand broadcasts size-1 and new leading dimensions', (t) => {
  t.deepEqual(tensor([[1], [2]]).expand([2, 3]).toArray(), [
    [1, 1, 1],
    [2, 2, 2],
  ]);
  t.deepEqual(tensor([1, 2]).expand([2, -1]).toArray(), [
    [1, 2],
    [1, 2],
  ]);
  t.deepEqual(tensor([[1], [2]]).expand([3, -1, 2]).shape, [3, 2, 2]);
  t.throws(() => tensor([1, 2]).expand([3]), { instanceOf: ShapeError, message: /expand/ });
});

test('squeeze, unsqueeze and flatten change only the shape', (t) => {
  const x = zeros([1, 3, 1]);
  t.deepEqual(x.squeeze().shape, [3]);
  t.deepEqual(x.squeeze(0).shape, [3, 1]);
  t.deepEqual(x.squeeze(-1).shape, [1, 3]);
  t.deepEqual(zeros([3]).unsqueeze(0).shape, [1, 3]);
  t.deepEqual(zeros([3]).unsqueeze(-1).shape, [3, 1]);
  const y = arange(24).reshape([2, 3, 4]);
  t.deepEqual(y.flatten().shape, [24]);
  t.deepEqual(y.flatten(1).shape, [2, 12]);
  t.deepEqual(y.flatten(0, 1).shape, [6, 4]);
  t.deepEqual(Array.from(y.flatten().dataSync()), Array.from(arange(24).dataSync()));
  t.throws(() => zeros([2]).unsqueeze(3), { instanceOf: ShapeError });
});

test('split, chunk, concat and stack round-trip', (t) => {
  const x = arange(10).reshape([2, 5]);
  const parts = x.split([2, 3], 1);
  t.deepEqual(parts.map((p) => p.shape), [
    [2, 2],
    [2, 3],
  ]);
  t.deepEqual(parts[1]!.toArray(), [
    [2, 3, 4],
    [7, 8, 9],
  ]);
  t.deepEqual(split(x, 2, 1).map((p) => p.shape[1]), [2, 2, 1]);
  t.deepEqual(concat(parts, 1).toArray(), x.toArray());
  t.deepEqual(arange(5).chunk(3).map((c) => c.toArray()), [[0, 1], [2, 3], [4]]);
  t.deepEqual(chunk(x, 2, 0).map((c) => c.shape), [
    [1, 5],
    [1, 5],
  ]);
  t.deepEqual(concat([tensor([[1], [2]]), tensor([
    [3, 4],
    [5, 6],
  ])], -1).toArray(), [
    [1, 3, 4],
    [2, 5, 6],
  ]);
  t.deepEqual(stack([tensor([1, 2]), tensor([3, 4])]).toArray(), [
    [1, 2],
    [3, 4],
  ]);
  t.deepEqual(stack([tensor([1, 2]), tensor([3, 4])], -1).toArray(), [
    [1, 3],
    [2, 4],
  ]);
  t.throws(() => x.split([2, 2], 1), { instanceOf: ShapeError, message: /split/ });
  t.throws(() => concat([zeros([2, 3]), zeros([3, 2])]), { instanceOf: ShapeError, message: /concat.*\[2, 3\].*\[3, 2\]/ });
  t.throws(() => stack([zeros([2]), zeros([3])]), { instanceOf: ShapeError, message: /stack/ });
  t.throws(() => concat([]), { instanceOf: ValueError });
});

test('pad adds constant borders, outermost dimension first', (t) => {
  t.deepEqual(tensor([[1, 2]]).pad([
    [1, 0],
    [0, 2],
  ], 9).toArray(), [
    [9, 9, 9, 9],
    [1, 2, 9, 9],
  ]);
  t.deepEqual(pad(tensor([1, 2]), [[2, 1]]).toArray(), [0, 0, 1, 2, 0]);
  t.throws(() => zeros([2, 2]).pad([[1, 1]]), { instanceOf: ShapeError, message: /pad/ });
});

// ---- indexing ---------------------------------------------------------------------------

test('indexSelect takes number[] or tensor indices, with repeats', (t) => {
  const x = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  t.deepEqual(x.indexSelect(1, [2, 0, 2]).toArray(), [
    [3, 1, 3],
    [6, 4, 6],
  ]);
  t.deepEqual(x.indexSelect(0, tensor([1])).toArray(), [[4, 5, 6]]);
  t.deepEqual(x.indexSelect(-1, [1]).toArray(), [[2], [5]]);
  t.throws(() => x.indexSelect(1, [3]), { instanceOf: ValueError, message: /indexSelect/ });
  t.throws(() => x.indexSelect(1, [0.5]), { instanceOf: ValueError });
});

test('gather and scatterAdd follow torch semantics', (t) => {
  const x = tensor([
    [1, 2],
    [3, 4],
  ]);
  t.deepEqual(x.gather(1, tensor([
    [0, 0],
    [1, 0],
  ])).toArray(), [
    [1, 1],
    [4, 3],
  ]);
  t.deepEqual(x.gather(0, tensor([[1, 0]])).toArray(), [[3, 2]]);
  const out = zeros([2, 3]).scatterAdd(1, tensor([
    [0, 0],
    [2, 1],
  ]), tensor([
    [1, 2],
    [3, 4],
  ]));
  t.deepEqual(out.toArray(), [
    [3, 0, 0],
    [0, 4, 3],
  ]);
  t.throws(() => x.gather(1, tensor([
    [2, 0],
    [0, 0],
  ])), { instanceOf: ValueError });
});

test('oneHot encodes labels into a trailing dimension', (t) => {
  t.deepEqual(tensor([0, 2, 1]).oneHot(3).toArray(), [
    [1, 0, 0],
    [0, 0, 1],
    [0, 1, 0],
  ]);
  t.deepEqual(tensor([[0, 1]]).oneHot(2).shape, [1, 2, 2]);
  const err = t.throws(() => tensor([0, 3]).oneHot(3), { instanceOf: ValueError });
  t.true(err instanceof FerrogradError);
  t.is(err!.code, 'ValueError');
  t.regex(err!.message, /oneHot/);
  t.throws(() => tensor([-1]).oneHot(3), { instanceOf: ValueError });
  t.throws(() => tensor([1.5]).oneHot(3), { instanceOf: ValueError });
});

// ---- async forms ------------------------------------------------------------------------

test('async forms give the same values as the sync ones', async (t) => {
  const a = randn([16, 9], 0, 1, { seed: 31 });
  const b = randn([9, 5], 0, 1, { seed: 32 });
  t.deepEqual((await a.matmulAsync(b)).dataSync(), a.matmul(b).dataSync());
  t.deepEqual((await matmulAsync(a, b)).dataSync(), a.matmul(b).dataSync());
  const c = randn([16, 9], 0, 1, { seed: 33 });
  t.deepEqual(await (await a.addAsync(c)).data(), a.add(c).dataSync());
  t.deepEqual((await a.addAsync(2)).dataSync(), a.add(2).dataSync());
  t.deepEqual((await a.sumAsync(1)).dataSync(), a.sum(1).dataSync());
  t.deepEqual((await a.sumAsync()).item(), a.sum().item());
  t.deepEqual((await a.sumAsync(0, { keepDims: true })).shape, [1, 9]);
  t.deepEqual((await a.softmaxAsync()).dataSync(), a.softmax().dataSync());
  t.deepEqual((await a.softmaxAsync(0)).dataSync(), a.softmax(0).dataSync());
  t.deepEqual(await a.data(), a.dataSync());
});

test('async forms reject with typed errors', async (t) => {
  await t.throwsAsync(() => zeros([2, 3]).matmulAsync(zeros([2, 3])), { instanceOf: ShapeError, message: /matmul/ });
  const d = tensor([1]);
  d.dispose();
  await t.throwsAsync(() => d.data(), { instanceOf: DisposedError });
  await t.throwsAsync(() => d.addAsync(1), { instanceOf: DisposedError });
});

// ---- disposal ---------------------------------------------------------------------------

test('a disposed tensor throws DisposedError on use', (t) => {
  const x = tensor([1, 2, 3]);
  t.false(x.isDisposed);
  x.dispose();
  t.true(x.isDisposed);
  t.notThrows(() => x.dispose());
  for (const use of [() => x.shape, () => x.dataSync(), () => x.add(1), () => x.toString(), () => tensor([1]).mul(x)]) {
    const err = t.throws(use, { instanceOf: DisposedError });
    t.true(err instanceof FerrogradError);
    t.is(err!.code, 'DisposedError');
  }
});

test('using declarations dispose at the end of the scope', (t) => {
  let escaped: Tensor;
  let inner: Tensor;
  {
    using x = tensor([1, 2]);
    using y = x.mul(2);
    escaped = x;
    inner = y;
    t.deepEqual(y.toArray(), [2, 4]);
    t.false(x.isDisposed);
  }
  t.true(escaped.isDisposed);
  t.true(inner.isDisposed);
  t.throws(() => escaped.toArray(), { instanceOf: DisposedError });
});

// ---- typed errors -----------------------------------------------------------------------

test('clamp with min > max throws ValueError', (t) => {
  const err = t.throws(() => tensor([1]).clamp(2, 1), { instanceOf: ValueError });
  t.true(err instanceof FerrogradError);
  t.is(err!.code, 'ValueError');
  t.regex(err!.message, /clamp/);
});

test('setNumThreads(0) throws ValueError and keeps the pool', (t) => {
  const before = getNumThreads();
  const err = t.throws(() => setNumThreads(0), { instanceOf: ValueError });
  t.true(err instanceof FerrogradError);
  t.regex(err!.message, /setNumThreads/);
  t.is(getNumThreads(), before);
});

test('backward on a non-scalar without a gradient throws AutogradError', (t) => {
  const x = tensor([5, 2], undefined, { requiresGrad: true });
  const err = t.throws(() => x.mul(2).backward(), { instanceOf: AutogradError });
  t.true(err instanceof FerrogradError);
  t.is(err!.code, 'AutogradError');
  t.regex(err!.message, /backward/);
});

test('backward on a tensor that does not require grad throws AutogradError', (t) => {
  const err = t.throws(() => tensor(5).mul(2).backward(), { instanceOf: AutogradError });
  t.true(err instanceof FerrogradError);
  t.regex(err!.message, /require/);
});

test('negative or oversized sizes are rejected with ValueError instead of wrapping or aborting', (t) => {
  t.throws(() => zeros([-1, 2]), { instanceOf: ValueError, message: /full: every dimension must be a non-negative integer, got -1/ });
  t.throws(() => eye(-1), { instanceOf: ValueError });
  t.throws(() => linspace(0, 1, -1), { instanceOf: ValueError });
  t.throws(() => arange(4).pad([[-1, 0]]), { instanceOf: ValueError });
  t.throws(() => arange(4).slice(0, 0, 4, -1), { instanceOf: ValueError });
  t.throws(() => tensor([0]).oneHot(-1), { instanceOf: ValueError });
  t.throws(() => arange(4).chunk(-1), { instanceOf: ValueError });
  t.throws(() => arange(4).split([-1, 5]), { instanceOf: ValueError });
  t.throws(() => setNumThreads(-1), { instanceOf: ValueError });
  t.throws(() => setNumThreads(1.5), { instanceOf: ValueError });
  t.throws(() => zeros([10_000_000, 10_000_000, 10_000_000]), { instanceOf: ValueError, message: /too many elements/ });
  t.throws(() => zeros([1_000_000, 1_000_000]), { instanceOf: ValueError, message: /cannot allocate/ });
  t.deepEqual(Array.from(arange(5).narrow(0, -2, 2).dataSync()), [3, 4]);
  t.throws(() => tensor(['a' as unknown as number]), { instanceOf: ValueError });
});

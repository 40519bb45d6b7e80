// Streaming input pipelines (ts/dataset): sources, transforms, seeded shuffling, laziness,
// prefetch overlap, error propagation, the fromTensors batch fast path and tensor ownership.
import test from 'ava';

import { Dataset, ShapeError, Tensor, ValueError, arange, tensor } from '../ts/index';

/** Lets `turns` rounds of the event loop run (no wall clock involved). */
async function ticks(turns: number): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** An async source of `0 .. n-1` that records how many elements it was asked for and whether it was closed. */
function countingSource(n: number): { ds: Dataset<number>; log: { requested: number; closed: boolean } } {
  const log = { requested: 0, closed: false };
  const ds = Dataset.fromGenerator(async function* () {
    try {
      for (let i = 0; i < n; i++) {
        log.requested = i + 1;
        await ticks(1); // per-element async work, such as reading a file
        yield i;
      }
    } finally {
      log.closed = true;
    }
  });
  return { ds, log };
}

const values = (t: Tensor): number[] => Array.from(t.dataSync());
const isPermutation = (order: number[], n: number): boolean =>
  order.length === n && [...order].sort((a, b) => a - b).every((v, i) => v === i);

// ---- sources and batching ---------------------------------------------------------------

test('fromTensors(x, y).batch yields rows in order, a short last batch, and none with dropRemainder', async (t) => {
  const x = arange(10).reshape([5, 2]);
  const y = arange(5).mul(10);
  const batches = await Dataset.fromTensors(x, y).batch(2).toArray();
  t.is(batches.length, 3);
  t.deepEqual(batches.map(([xb]) => xb.shape), [[2, 2], [2, 2], [1, 2]]);
  t.deepEqual(batches.map(([xb]) => xb.toArray()), [[[0, 1], [2, 3]], [[4, 5], [6, 7]], [[8, 9]]]);
  t.deepEqual(batches.map(([, yb]) => values(yb)), [[0, 10], [20, 30], [40]]);

  const dropped = await Dataset.fromTensors(x, y).batch(2, { dropRemainder: true }).toArray();
  t.is(dropped.length, 2);
  t.deepEqual(values(dropped[1]![1]), [20, 30]);
  t.is(Dataset.fromTensors(x, y).batch(2).size, 3);
  t.is(Dataset.fromTensors(x, y).batch(2, { dropRemainder: true }).size, 2);
});

test('fromTensors yields per-sample slices of a tensor, a tuple or a record', async (t) => {
  const x = arange(6).reshape([3, 2]);
  const samples = await Dataset.fromTensors(x).toArray();
  t.deepEqual(samples.map((s) => s.shape), [[2], [2], [2]]);
  t.deepEqual(samples.map(values), [[0, 1], [2, 3], [4, 5]]);

  const records = await Dataset.fromTensors({ image: x, label: arange(3) }).toArray();
  t.deepEqual(records.map((r) => [values(r.image), r.label.item()]), [[[0, 1], 0], [[2, 3], 1], [[4, 5], 2]]);
  const tuples = await Dataset.fromTensors([x, arange(3), arange(3).neg()]).toArray();
  t.deepEqual(tuples[2]!.map((s) => s.toArray()), [[4, 5], 2, -2]);

  t.throws(() => Dataset.fromTensors(x, arange(4)), { instanceOf: ShapeError, message: /same first dimension/ });
  t.throws(() => Dataset.fromTensors(tensor(3)), { instanceOf: ShapeError });
});

test('batch stacks numbers into a 1-D tensor and tuples and records field by field', async (t) => {
  const [numbers] = await Dataset.range(3).batch(3).toArray();
  t.deepEqual(numbers!.shape, [3]);
  t.deepEqual(values(numbers!), [0, 1, 2]);

  const rows = Dataset.fromArray([
    { id: 1, pair: [tensor([1, 2]), 5] as [Tensor, number] },
    { id: 2, pair: [tensor([3, 4]), 6] as [Tensor, number] },
  ]);
  const [batch] = await rows.batch(2).toArray();
  t.deepEqual(values(batch!.id), [1, 2]);
  t.deepEqual(batch!.pair[0].toArray(), [[1, 2], [3, 4]]);
  t.deepEqual(values(batch!.pair[1]), [5, 6]);

  await t.throwsAsync(Dataset.fromArray([tensor([1, 2]), tensor([1, 2, 3])]).batch(2).toArray(), {
    instanceOf: ShapeError,
    message: /shape \[3\] in sample 1 but \[2\] in sample 0/,
  });
  await t.throwsAsync(Dataset.fromArray(['a', 'b']).batch(2).toArray(), { instanceOf: ValueError, message: /cannot batch a string/ });
});

test('a dataset restarts from its source on every iteration', async (t) => {
  let factoryCalls = 0;
  const ds = Dataset.fromGenerator(function* () {
    factoryCalls++;
    yield* [1, 2, 3];
  }).map((v) => v * 2);
  t.is(factoryCalls, 0, 'building the pipeline reads nothing');
  t.deepEqual(await ds.toArray(), [2, 4, 6]);
  t.deepEqual(await ds.toArray(), [2, 4, 6]);
  t.is(factoryCalls, 2);
  const fromArray = Dataset.fromIterable([7, 8]);
  t.deepEqual([await fromArray.toArray(), await fromArray.toArray()], [[7, 8], [7, 8]]);
});

test('a one-shot generator source refuses a second iteration with a ValueError', async (t) => {
  function* twoItems(): Generator<number> {
    yield 1;
    yield 2;
  }
  const once = Dataset.fromIterable(twoItems());
  t.deepEqual(await once.toArray(), [1, 2]);
  await t.throwsAsync(once.toArray(), { instanceOf: ValueError, message: /one-shot iterator/ });

  // A factory that hands back the same generator object is caught the same way.
  const shared = twoItems();
  const reused = Dataset.fromGenerator(() => shared);
  t.deepEqual(await reused.toArray(), [1, 2]);
  await t.throwsAsync(reused.toArray(), { instanceOf: ValueError });

  // Breaking off the first run does not let a second run resume the rest silently.
  async function* asyncItems(): AsyncGenerator<number> {
    yield* [1, 2, 3];
  }
  const partial = Dataset.fromIterable(asyncItems());
  t.deepEqual(await partial.take(1).toArray(), [1]);
  await t.throwsAsync(partial.toArray(), { instanceOf: ValueError });
});

// ---- element-wise transforms and slicing ------------------------------------------------

test('map (sync and async), filter, take, skip, repeat and concatenate', async (t) => {
  const ds = Dataset.range(10);
  t.deepEqual(await ds.map((v) => v * v).take(4).toArray(), [0, 1, 4, 9]);
  t.deepEqual(
    await ds.map(async (v) => {
      await ticks(1);
      return `#${v}`;
    }).skip(8).toArray(),
    ['#8', '#9'],
  );
  t.deepEqual(await ds.filter((v) => v % 3 === 0).toArray(), [0, 3, 6, 9]);
  t.deepEqual(await ds.filter(async (v) => v > 6).toArray(), [7, 8, 9]);
  t.deepEqual(await ds.skip(2).take(3).toArray(), [2, 3, 4]);
  t.deepEqual(await ds.take(0).toArray(), []);
  t.deepEqual(await ds.skip(20).toArray(), []);
  t.deepEqual(await Dataset.range(3).repeat(2).toArray(), [0, 1, 2, 0, 1, 2]);
  t.deepEqual(await Dataset.range(3).repeat().take(7).toArray(), [0, 1, 2, 0, 1, 2, 0]);
  t.deepEqual(await Dataset.range(0).repeat().toArray(), [], 'an empty dataset repeated forever ends');
  t.deepEqual(await Dataset.range(2).concatenate(Dataset.fromArray(['a', 'b'])).toArray(), [0, 1, 'a', 'b']);
  t.deepEqual(await Dataset.range(2, 11, 4).toArray(), [2, 6, 10]);
});

test('zip pairs datasets as tuples or records and stops at the shortest', async (t) => {
  const pairs: Array<[number, string]> = await Dataset.zip([Dataset.range(5), Dataset.fromArray(['a', 'b', 'c'])]).toArray();
  t.deepEqual(pairs, [[0, 'a'], [1, 'b'], [2, 'c']]);
  const records = await Dataset.zip({ x: Dataset.range(2), y: Dataset.range(10, 20) }).toArray();
  t.deepEqual(records, [{ x: 0, y: 10 }, { x: 1, y: 11 }]);
  const { ds, log } = countingSource(100);
  t.deepEqual(await Dataset.zip([ds, Dataset.range(2)]).toArray(), [[0, 0], [1, 1]]);
  t.true(log.closed, 'the longer input is closed when the shorter ends');
  t.is(log.requested, 3);
});

test('size is known through transforms whose output count is known', (t) => {
  const ds = Dataset.range(10);
  t.is(ds.size, 10);
  t.is(ds.map((v) => v).shuffle(4).prefetch(2).size, 10);
  t.is(ds.batch(3).size, 4);
  t.is(ds.take(3).size, 3);
  t.is(ds.skip(4).size, 6);
  t.is(ds.repeat(3).size, 30);
  t.is(ds.repeat().size, Infinity);
  t.is(ds.concatenate(Dataset.range(5)).size, 15);
  t.is(Dataset.zip([ds, Dataset.range(4)]).size, 4);
  t.is(ds.filter((v) => v > 2).size, undefined);
  t.is(countingSource(3).ds.size, undefined);
});

test('invalid arguments throw ValueError when the pipeline is built', async (t) => {
  const ds = Dataset.range(4);
  t.throws(() => ds.batch(0), { instanceOf: ValueError, message: /batchSize must be a positive integer, got 0/ });
  t.throws(() => ds.shuffle(1.5), { instanceOf: ValueError });
  t.throws(() => ds.shuffle(4, { seed: 0.5 }), { instanceOf: ValueError });
  t.throws(() => ds.prefetch(0), { instanceOf: ValueError });
  t.throws(() => ds.take(-1), { instanceOf: ValueError });
  t.throws(() => ds.repeat(-2), { instanceOf: ValueError });
  t.throws(() => Dataset.range(0, 5, 0), { instanceOf: ValueError });
  await t.throwsAsync(ds.repeat().toArray(), { instanceOf: ValueError, message: /infinite/ });
});

// ---- shuffling --------------------------------------------------------------------------

test('a seeded shuffle is reproducible, differs across seeds, and reshuffles each epoch', async (t) => {
  const ds = Dataset.range(20).shuffle(20, { seed: 7 });
  const epoch1 = await ds.toArray();
  const epoch2 = await ds.toArray();
  t.true(isPermutation(epoch1, 20) && isPermutation(epoch2, 20));
  t.notDeepEqual(epoch1, Array.from({ length: 20 }, (_, i) => i));
  t.notDeepEqual(epoch1, epoch2, 'a new order every iteration by default');

  const rebuilt = Dataset.range(20).shuffle(20, { seed: 7 });
  t.deepEqual(await rebuilt.toArray(), epoch1, 'same seed, same first epoch');
  t.deepEqual(await rebuilt.toArray(), epoch2, 'and the same second epoch');
  t.notDeepEqual(await Dataset.range(20).shuffle(20, { seed: 8 }).toArray(), epoch1);

  const fixed = Dataset.range(20).shuffle(20, { seed: 7, reshuffleEachIteration: false });
  const first = await fixed.toArray();
  t.deepEqual(await fixed.toArray(), first);

  // repeat() re-iterates the shuffle, so each pass gets its own order.
  const passes = await Dataset.range(8).shuffle(8, { seed: 3 }).repeat(2).toArray();
  t.true(isPermutation(passes.slice(0, 8), 8) && isPermutation(passes.slice(8), 8));
  t.notDeepEqual(passes.slice(0, 8), passes.slice(8));
});

test('a full buffer gives every permutation about equally often', async (t) => {
  const counts = new Map<string, number>();
  for (let seed = 0; seed < 600; seed++) {
    const key = (await Dataset.range(3).shuffle(3, { seed }).toArray()).join('');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  t.is(counts.size, 6, `all 3! orders occur: ${[...counts.keys()].join(' ')}`);
  for (const [order, n] of counts) t.true(n > 65 && n < 135, `${order} came out ${n} times of 600 (expected ~100)`);
});

test('a small shuffle buffer only mixes nearby elements', async (t) => {
  const out = await Dataset.range(50).shuffle(5, { seed: 3 }).toArray();
  t.true(isPermutation(out, 50));
  // Output p is drawn from a buffer holding inputs up to p + 4 at most.
  out.forEach((v, p) => t.true(v <= p + 4, `input ${v} came out at position ${p}`));
  t.deepEqual(await Dataset.range(6).shuffle(1, { seed: 3 }).toArray(), [0, 1, 2, 3, 4, 5]);
});

// ---- laziness, prefetch and errors ------------------------------------------------------

test('a generator source is read only as far as the consumer asks', async (t) => {
  const { ds, log } = countingSource(100);
  const pipeline = ds.map((v) => v + 1).filter((v) => v > 0);
  t.is(log.requested, 0);
  const ahead: number[] = [];
  for await (const v of pipeline) {
    await ticks(10);
    ahead.push(log.requested - v); // v = k + 1 for element k: 0 means nothing beyond k was asked for
    if (v === 3) break;
  }
  t.deepEqual(ahead, [0, 0, 0]);
  t.true(log.closed, 'breaking out closes the generator');

  const counted = countingSource(100);
  t.deepEqual(await counted.ds.take(2).toArray(), [0, 1]);
  t.is(counted.log.requested, 2, 'take(2) reads exactly two elements');
  t.true(counted.log.closed);
});

test('prefetch asks the source for the next elements while the consumer is still busy', async (t) => {
  const { ds, log } = countingSource(6);
  const prefetched = ds.prefetch(2);
  await ticks(10);
  t.is(log.requested, 0, 'nothing is read before iteration starts');
  const ahead: number[] = [];
  const order: number[] = [];
  for await (const k of prefetched) {
    await ticks(10); // the consumer's work on element k
    ahead.push(log.requested - (k + 1)); // elements beyond k already asked for
    order.push(k);
  }
  t.deepEqual(order, [0, 1, 2, 3, 4, 5]);
  // Element k+1 (and k+2) were requested before the consumer finished k; never more than 2 ahead.
  t.deepEqual(ahead, [2, 2, 2, 2, 1, 0]);
});

test('prefetch closes its source when the consumer stops early', async (t) => {
  const { ds, log } = countingSource(100);
  for await (const k of ds.prefetch(3)) if (k === 1) break;
  t.true(log.closed);
  t.true(log.requested <= 5, `read ${log.requested} elements for a consumer that took 2 with depth 3`);
});

test('errors from the source and from map reach the consumer after the good elements', async (t) => {
  const failing = Dataset.fromGenerator(async function* () {
    yield 0;
    yield 1;
    throw new Error('disk on fire');
  });
  const seen: number[] = [];
  await t.throwsAsync(failing.prefetch(3).forEachAsync((v) => void seen.push(v)), { message: 'disk on fire' });
  t.deepEqual(seen, [0, 1]);

  const badSample = Dataset.range(5).map((v) => {
    if (v === 3) throw new RangeError('bad sample 3');
    return v;
  });
  const before: number[] = [];
  await t.throwsAsync(badSample.forEachAsync((v) => void before.push(v)), { instanceOf: RangeError });
  t.deepEqual(before, [0, 1, 2]);

  const asyncFailure = Dataset.range(5)
    .map(async (v) => {
      await ticks(1);
      if (v === 2) throw new TypeError('cannot decode 2');
      return v;
    })
    .batch(2)
    .prefetch(2);
  await t.throwsAsync(asyncFailure.toArray(), { instanceOf: TypeError, message: 'cannot decode 2' });
});

// ---- fromTensors fast path --------------------------------------------------------------

test.serial('shuffled fromTensors batches use one gather per tensor and equal the per-sample path', async (t) => {
  const n = 23;
  const x = arange(n * 3).reshape([n, 3]);
  const y = arange(n).mul(-1);
  const slowSource = Dataset.fromArray(Array.from({ length: n }, (_, i) => [tensor([3 * i, 3 * i + 1, 3 * i + 2]), tensor(-i)] as [Tensor, Tensor]));

  const proto = Tensor.prototype as unknown as Record<'indexSelect' | 'narrow', (...args: unknown[]) => Tensor>;
  const calls = { indexSelect: 0, narrow: 0 };
  const original = { indexSelect: proto.indexSelect, narrow: proto.narrow };
  for (const name of ['indexSelect', 'narrow'] as const) {
    proto[name] = function (this: Tensor, ...args: unknown[]): Tensor {
      calls[name]++;
      return original[name].apply(this, args);
    };
  }
  let fast: Array<[Tensor, Tensor]>;
  try {
    fast = await Dataset.fromTensors(x, y).shuffle(n, { seed: 11 }).batch(5).toArray();
  } finally {
    Object.assign(proto, original);
  }
  t.is(fast.length, 5);
  t.is(calls.indexSelect + calls.narrow, fast.length * 2, 'one op per tensor per batch, no per-sample slicing');

  const slow = await slowSource.shuffle(n, { seed: 11 }).batch(5).toArray();
  t.deepEqual(fast.map(([xb, yb]) => [xb.toArray(), yb.toArray()]), slow.map(([xb, yb]) => [xb.toArray(), yb.toArray()]));
  t.notDeepEqual(values(fast[0]![1]), [0, -1, -2, -3, -4], 'the batches really are shuffled');
});

test('the fast path keeps take, skip, repeat and records equal to the per-sample path', async (t) => {
  const x = arange(12).reshape([6, 2]);
  const y = arange(6);
  const perSample = Dataset.fromTensors({ x, y }).map((s) => s); // map leaves the fast path
  const plans = [
    (d: Dataset<{ readonly x: Tensor; readonly y: Tensor }>) => d.skip(1).take(4).batch(3),
    (d: Dataset<{ readonly x: Tensor; readonly y: Tensor }>) => d.repeat(2).batch(4, { dropRemainder: true }),
    (d: Dataset<{ readonly x: Tensor; readonly y: Tensor }>) => d.shuffle(3, { seed: 5 }).repeat(2).batch(4),
  ];
  for (const plan of plans) {
    const fast = await plan(Dataset.fromTensors({ x, y })).toArray();
    const slow = await plan(perSample).toArray();
    t.deepEqual(
      fast.map((b) => [b.x.toArray(), b.y.toArray()]),
      slow.map((b) => [b.x.toArray(), b.y.toArray()]),
    );
  }
  // Unshuffled batches are views of the source: disposing one leaves the source intact.
  const [head] = await Dataset.fromTensors(x).batch(2).toArray();
  t.deepEqual(head!.toArray(), [[0, 1], [2, 3]]);
  head!.dispose();
  t.deepEqual(values(x), Array.from({ length: 12 }, (_, i) => i));
});

// ---- ownership --------------------------------------------------------------------------

test('samples the pipeline sliced are disposed once consumed; tensors handed in or out are not', async (t) => {
  const x = arange(12).reshape([6, 2]);
  const stacked: Tensor[] = [];
  const batches = await Dataset.fromTensors(x)
    .map((s) => {
      stacked.push(s);
      return s;
    })
    .batch(4)
    .toArray();
  t.is(stacked.length, 6);
  t.true(stacked.every((s) => s.isDisposed), 'samples stacked into a batch are released');
  t.true(batches.every((b) => !b.isDisposed), 'the batches belong to the consumer');
  t.deepEqual(batches[1]!.toArray(), [[8, 9], [10, 11]]);
  t.false(x.isDisposed);

  const mapInputs: Tensor[] = [];
  const doubled = await Dataset.fromTensors(x)
    .map((s) => {
      mapInputs.push(s);
      return s.mul(2);
    })
    .toArray();
  t.true(mapInputs.every((s) => s.isDisposed), 'a map input its result does not contain is released');
  t.deepEqual(doubled.map(values)[5], [20, 22]);

  const buffered: Tensor[] = [];
  const [picked] = await Dataset.fromTensors(x)
    .map((s) => {
      buffered.push(s);
      return s;
    })
    .shuffle(6, { seed: 1 })
    .take(1)
    .toArray();
  t.false(picked!.isDisposed);
  t.is(buffered.filter((s) => s.isDisposed).length, 5, 'what the abandoned shuffle buffer held is released');

  const skipped: Tensor[] = [];
  await Dataset.fromTensors(x)
    .map((s) => {
      skipped.push(s);
      return s;
    })
    .skip(2)
    .take(1)
    .toArray();
  t.deepEqual(skipped.map((s) => s.isDisposed), [true, true, false]);

  const a = tensor([1, 2]);
  const b = tensor([3, 4]);
  const [ab] = await Dataset.fromArray([a, b]).batch(2).toArray();
  t.deepEqual(ab!.toArray(), [[1, 2], [3, 4]]);
  t.false(a.isDisposed || b.isDisposed, "the user's own tensors are never disposed");
});

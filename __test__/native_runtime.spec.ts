// Properties of the native runtime: memory lifetime, typed errors from panics, async work off the
// JS thread, and worker_threads support.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { execFileSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';

import anyTest from 'ava';

import { DisposedError, InternalError, full, randn, tensor, version } from '../ts/index';
import { toFerrogradError } from '../ts/errors';
import * as binding from '../ts/native';

// Serial: the memory tests read process RSS and the timer test counts event-loop ticks; tests
// running concurrently in this process would skew both.
const test = anyTest.serial;
const MiB = 1024 * 1024;

test('the addon loads and reports its version', (t) => {
  t.is(version, '0.1.0');
});

// 100k tensors of 16 KiB = 1.6 GB allocated in total. The JS wrappers are tiny, so only the
// external-memory accounting makes V8 collect them. Node-API runs finalizers from the event loop,
// so the loop yields now and then, as any async training loop does.
test('creating and dropping 100k tensors without dispose keeps RSS bounded', async (t) => {
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  let checksum = 0;
  for (let i = 0; i < 100_000; i++) {
    const x = full([4096], i % 7);
    const y = x.add(1);
    if (i % 1000 === 0) checksum += y.narrow(0, 0, 1).item();
    if (i % 100 === 99) {
      await yieldToEventLoop();
      peak = Math.max(peak, process.memoryUsage().rss);
    }
  }
  const growth = peak - rss0;
  t.log(`peak RSS growth ${(growth / MiB).toFixed(0)} MiB over ${((200_000 * 16) / 1024).toFixed(0)} MiB allocated`);
  t.is(checksum, Array.from({ length: 100 }, (_, k) => ((k * 1000) % 7) + 1).reduce((a, b) => a + b, 0));
  t.true(growth < 512 * MiB, `RSS grew by ${(growth / MiB).toFixed(0)} MiB`);
});

test('dispose() and `using` free memory at once in a synchronous loop', (t) => {
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  for (let i = 0; i < 1000; i++) {
    using x = full([1024, 1024], i); // 4 MiB each, 4 GiB in total
    const y = x.mul(2);
    y.dispose();
    t.true(y.isDisposed);
    if (i % 50 === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  const growth = peak - rss0;
  t.true(growth < 512 * MiB, `RSS grew by ${(growth / MiB).toFixed(0)} MiB`);
  const z = full([2], 1);
  z.dispose();
  t.notThrows(() => z.dispose(), 'dispose is idempotent');
  const err = t.throws(() => z.add(1));
  t.true(err instanceof DisposedError);
  t.regex(err!.message, /the tensor has been disposed/);
});

test('a Rust panic becomes a typed JS error and the addon keeps working', async (t) => {
  const sync = t.throws(() => {
    try {
      binding.debugPanic('boom');
    } catch (e) {
      throw toFerrogradError(e);
    }
  });
  t.true(sync instanceof InternalError);
  t.is(sync!.message, 'debugPanic: internal error (Rust panic): boom');
  const async = await t.throwsAsync(binding.debugPanicAsync('bang').catch((e: unknown) => Promise.reject(toFerrogradError(e))));
  t.true(async instanceof InternalError);
  t.regex(async!.message, /debugPanicAsync: internal error \(Rust panic\): bang/);
  t.is(tensor([1, 2]).sum().item(), 3);
});

test('a large async matmul leaves the event loop free while a sync one blocks it', async (t) => {
  const a = randn([2048, 2048], 0, 1, { seed: 3 });
  const b = randn([2048, 2048], 0, 1, { seed: 4 });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  await yieldToEventLoop();
  const before = ticks;
  const sync = a.matmul(b); // blocks: no timer callback can run during it
  t.is(ticks, before);
  const pending = a.matmulAsync(b);
  const startTicks = ticks;
  let spins = 0;
  let done = false;
  void pending.then(() => (done = true));
  while (!done) {
    await new Promise((r) => setTimeout(r, 5));
    spins++;
  }
  clearInterval(timer);
  const asyncResult = await pending;
  t.true(spins >= 2 && ticks - startTicks >= 2, `JS ran ${spins} timeouts and ${ticks - startTicks} interval ticks during the async matmul`);
  t.deepEqual(asyncResult.shape, [2048, 2048]);
  t.deepEqual(Array.from(asyncResult.narrow(0, 5, 1).dataSync()), Array.from(sync.narrow(0, 5, 1).dataSync()));
});

test('a tensor may be disposed while an async op still reads it', async (t) => {
  const x = full([512, 512], 2);
  const pending = x.matmulAsync(x);
  x.dispose();
  const out = await pending;
  t.is(out.narrow(0, 0, 1).narrow(1, 0, 1).item(), 2 * 2 * 512);
});

type WorkerResult = { id: number; checksum: number; grad: number[]; product: number };

function runWorker(id: number): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    // Workers do not inherit the tsx hooks of `--import tsx`: register them in the worker.
    const entry = path.join(__dirname, 'helpers', 'tensor_worker.ts');
    const worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(entry)});`, { eval: true, workerData: { id } });
    let message: unknown;
    worker.once('message', (m) => (message = m));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code === 0 && message) resolve(message as WorkerResult);
      else reject(new Error(`worker ${id} exited with code ${code}`));
    });
  });
}

test('tensor ops run correctly in two worker threads at once', async (t) => {
  const main = full([8, 8], 1); // the main thread uses the addon at the same time
  const [w1, w2] = await Promise.all([runWorker(1), runWorker(2)]);
  // sum(a @ b) with a = id everywhere and b = arange/4096: id * 64 * sum(b) = id * 64 * 4095/2
  t.is(w1.checksum, 64 * (4095 / 2));
  t.is(w2.checksum, 2 * 64 * (4095 / 2));
  t.deepEqual(w1.grad, [2, 4, 6]); // d/dx sum((id x)^2) = 2 id^2 x
  t.deepEqual(w2.grad, [8, 16, 24]);
  t.is(w1.product, 256);
  t.is(w2.product, 4 * 256);
  t.is(main.matmul(main).sum().item(), 8 * 8 * 8);
});

// The addon is built for baseline x86-64 and picks its SIMD level at run time; forcing lower
// levels (as on a CPU without AVX-512 or AVX2) must give the same results.
test('forced AVX2 and scalar kernels give the same results as the detected level', (t) => {
  const script = `
    const fg = require(${JSON.stringify(path.join(__dirname, '..', 'ts', 'index'))});
    const a = fg.randn([67, 130], 0, 1, { seed: 5 });
    const b = fg.randn([130, 33], 0, 1, { seed: 6 });
    const y = a.matmul(b).tanh().add(a.sum(1, { keepDims: true })).softmax(-1).exp();
    process.stdout.write(JSON.stringify({ level: fg.simdLevel(), data: Array.from(y.dataSync()) }));`;
  const run = (level?: string): { level: string; data: number[] } => {
    const env = { ...process.env };
    if (level === undefined) delete env.FERROGRAD_SIMD;
    else env.FERROGRAD_SIMD = level;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { env, encoding: 'utf8' });
    return JSON.parse(out) as { level: string; data: number[] };
  };
  const native = run();
  for (const level of ['avx2', 'scalar']) {
    const forced = run(level);
    // The request can only lower the level: a CPU without AVX2 runs scalar for both.
    t.true([level === 'avx2' ? 'Avx2Fma' : 'Scalar', 'Scalar'].includes(forced.level), `${level} gave ${forced.level}`);
    t.is(forced.data.length, native.data.length);
    const worst = Math.max(...forced.data.map((v, i) => Math.abs(v - native.data[i]!) / (1e-6 + Math.abs(native.data[i]!))));
    t.true(worst < 1e-4, `${level}: worst relative difference ${worst}`);
  }
});

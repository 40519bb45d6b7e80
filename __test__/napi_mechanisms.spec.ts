// Proves the napi-rs v3 mechanisms the binding relies on, using the
// `NativeBuffer` spike (replaced later by the real Tensor binding).
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';

import anyTest from 'ava';

import { NativeBuffer, addArrays, debugPanic, nativeVersion, scaleInPlace } from '../ts/native';
import { version } from '../ts/index';

// Serial: the memory tests measure process RSS and the timer test measures
// event-loop latency; concurrently running tests would skew both.
const test = anyTest.serial;

const MiB = 1024 * 1024;

test('the addon loads and reports its version', (t) => {
  t.is(nativeVersion(), '0.1.0');
  t.is(version, nativeVersion());
});

// a. native memory lifetime -------------------------------------------------

test('dispose() frees immediately, is idempotent, and later use throws DisposedError', (t) => {
  const buf = new NativeBuffer(new Float32Array([1, 2, 3]));
  t.is(buf.length, 3);
  t.false(buf.disposed);
  buf.dispose();
  t.true(buf.disposed);
  t.notThrows(() => buf.dispose());
  const err = t.throws(() => buf.length);
  t.is((err as NodeJS.ErrnoException).code, 'DisposedError');
  t.regex(err!.message, /NativeBuffer\.length: the buffer has been disposed/);
  t.throws(() => buf.toFloat32Array(), { code: 'DisposedError' });
  t.throws(() => buf.add(buf), { code: 'DisposedError' });
});

test('`using` disposes at the end of the scope', (t) => {
  let escaped: NativeBuffer;
  {
    using buf = NativeBuffer.filled(8, 1);
    escaped = buf;
    t.false(buf.disposed);
  }
  t.true(escaped.disposed);
});

// 2000 buffers x 4 MiB = 8 GiB allocated (and written) in total. The JS
// wrappers are tiny, so only the external-memory accounting makes V8 collect
// them; without it this loop grows RSS by several GiB. Node-API runs wrap
// finalizers from a setImmediate callback, so the loop must yield to the event
// loop now and then, as any async training loop does (a fully synchronous loop
// has to call dispose()).
const N_BUFFERS = 2000;
const BUFFER_ELEMENTS = MiB; // f32 -> 4 MiB
const MAX_RSS_GROWTH = 300 * MiB;

test('GC frees dropped buffers without gc(): RSS stays bounded', async (t) => {
  t.is(typeof (globalThis as { gc?: unknown }).gc, 'undefined');
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  for (let i = 0; i < N_BUFFERS; i++) {
    const buf = NativeBuffer.filled(BUFFER_ELEMENTS, i);
    if (buf.length !== BUFFER_ELEMENTS) t.fail();
    if (i % 16 === 15) await yieldToEventLoop();
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  const growth = peak - rss0;
  t.log(`peak RSS growth ${(growth / MiB).toFixed(0)} MiB over ${(N_BUFFERS * 4) / 1024} GiB allocated`);
  t.true(growth < MAX_RSS_GROWTH, `RSS grew by ${(growth / MiB).toFixed(0)} MiB`);
});

test('dispose() keeps a synchronous loop bounded', (t) => {
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  for (let i = 0; i < N_BUFFERS; i++) {
    const buf = NativeBuffer.filled(BUFFER_ELEMENTS, i);
    buf.dispose();
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  const growth = peak - rss0;
  t.true(growth < MAX_RSS_GROWTH, `RSS grew by ${(growth / MiB).toFixed(0)} MiB`);
});

// b. errors with custom codes -----------------------------------------------

test('shape errors reach JS with code ShapeError and a message naming op and shapes', (t) => {
  const err = t.throws(() => addArrays(new Float32Array(3), new Float32Array(4)));
  t.true(err instanceof Error);
  t.is((err as NodeJS.ErrnoException).code, 'ShapeError');
  t.is(err!.message, 'add: shapes [3] and [4] are not compatible');

  using a = NativeBuffer.filled(2, 1);
  using b = NativeBuffer.filled(5, 1);
  t.throws(() => a.add(b), { code: 'ShapeError', message: /add: shapes \[2\] and \[5\]/ });
});

test('argument conversion errors are JS errors too', (t) => {
  const err = t.throws(() => addArrays([1, 2] as unknown as Float32Array, new Float32Array(2)));
  t.is((err as NodeJS.ErrnoException).code, 'InvalidArg');
});

// c. panics never abort Node -------------------------------------------------

test('a panic in a sync #[napi] function becomes a JS exception', (t) => {
  // Caught by `#[napi(catch_unwind)]` alone: napi-rs throws GenericFailure.
  const bare = t.throws(() => debugPanic('boom', true));
  t.true(bare instanceof Error);
  t.is((bare as NodeJS.ErrnoException).code, 'GenericFailure');
  t.is(bare!.message, 'boom');
  // Body wrapped in `catch_panic`: the binding's own RustPanic code.
  const wrapped = t.throws(() => debugPanic('bang'));
  t.is((wrapped as NodeJS.ErrnoException).code, 'RustPanic');
  t.is(wrapped!.message, 'debugPanic: internal error (Rust panic): bang');
  // The addon is still usable afterwards.
  t.deepEqual(Array.from(addArrays(new Float32Array([1]), new Float32Array([2]))), [3]);
});

test('a panic inside AsyncTask::compute rejects the promise with code RustPanic', async (t) => {
  using buf = NativeBuffer.filled(4, 1);
  const err = await t.throwsAsync(buf.scaleAsync(2, 0, true));
  t.is((err as NodeJS.ErrnoException).code, 'RustPanic');
  t.regex(err!.message, /scaleAsync: internal error \(Rust panic\): scaleAsync: panic requested/);
  t.deepEqual(Array.from(await buf.scaleAsync(2)), [2, 2, 2, 2]);
});

// d. AsyncTask runs off the JS thread ---------------------------------------

test('AsyncTask computes on a worker thread while JS timers keep firing', async (t) => {
  using buf = new NativeBuffer(new Float32Array([1, 2, 3]));
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const started = performance.now();
  const pending = buf.scaleAsync(1.5, 200);
  t.is(ticks, 0);
  const out = await pending;
  const elapsed = performance.now() - started;
  clearInterval(timer);
  t.true(out instanceof Float32Array);
  t.deepEqual(Array.from(out), [1.5, 3, 4.5]);
  t.true(elapsed >= 195, `took ${elapsed} ms`);
  t.true(ticks >= 5, `only ${ticks} interval ticks during ${elapsed.toFixed(0)} ms`);
});

test('the buffer may be disposed while an async task still reads it', async (t) => {
  const buf = NativeBuffer.filled(1000, 3);
  const pending = buf.scaleAsync(2, 50);
  buf.dispose();
  const out = await pending;
  t.is(out.length, 1000);
  t.is(out[999], 6);
});

// e. context awareness: two worker_threads at once -------------------------

type WorkerResult = { id: number; sum: number[]; first: number; length: number };

function runWorker(id: number): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    // Workers do not inherit the tsx hooks of `--import tsx`: register tsx's
    // CommonJS hook in the worker before loading the TypeScript entry.
    const entry = path.join(__dirname, 'helpers', 'native_worker.ts');
    const worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(entry)});`, {
      eval: true,
      workerData: { id },
    });
    let message: unknown;
    worker.once('message', (m) => (message = m));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code === 0 && message) resolve(message as WorkerResult);
      else reject(new Error(`worker ${id} exited with code ${code}`));
    });
  });
}

test('the addon loads and works in two worker threads concurrently', async (t) => {
  const mainBuf = NativeBuffer.filled(16, 1); // the main thread uses it too
  const [w1, w2] = await Promise.all([runWorker(1), runWorker(2)]);
  t.deepEqual(w1, { id: 1, sum: [2, 2], first: 2, length: 1024 });
  t.deepEqual(w2, { id: 2, sum: [3, 3], first: 4, length: 1024 });
  t.is(mainBuf.add(mainBuf).toFloat32Array()[0], 2);
  mainBuf.dispose();
});

// f. zero-copy in/out -----------------------------------------------------------

test('typed arrays cross the boundary without copies', (t) => {
  // In: `&mut [f32]` is the JS array's own memory (subarray views included).
  const data = new Float32Array([1, 2, 3, 4]);
  scaleInPlace(data.subarray(1, 3), 10);
  t.deepEqual(Array.from(data), [1, 20, 30, 4]);

  // In as `&[f32]`, out via Float32Array::new(vec) (an external ArrayBuffer).
  const sum = addArrays(data.subarray(2), new Float32Array([1, 1]));
  t.true(sum instanceof Float32Array);
  t.is(sum.byteOffset, 0);
  t.is(sum.buffer.byteLength, 8);
  t.deepEqual(Array.from(sum), [31, 5]);

  // Rust-owned data copied out once into a JS-owned array that outlives the buffer.
  const buf = new NativeBuffer(data);
  const copy = buf.toFloat32Array();
  buf.dispose();
  t.deepEqual(Array.from(copy), [1, 20, 30, 4]);
});

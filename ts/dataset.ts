/**
 * Streaming input pipelines, in the spirit of `tf.data.Dataset` and `torch.utils.data`: see
 * {@link Dataset}.
 *
 * @module
 */

import { ValueError } from './errors';
import { Tensor } from './tensor';
import { batchElements, disposeConsumed, disposeOwned } from './internal/dataset_elements';
import { gatherRows, rowCount, sliceRow } from './internal/dataset_rows';
import { iterateOnce, prefetchBuffer, shuffleBuffer, zipStreams } from './internal/dataset_streams';
import { deriveSeed, entropySeed, mulberry32 } from './internal/prng';

/** Tensors sliced together along axis 0: one tensor, a tuple, or a record, all with the same first dimension. */
export type TensorSlices = Tensor | readonly Tensor[] | { readonly [key: string]: Tensor };

/**
 * What {@link Dataset.batch} makes of an element type: Tensors and numbers become one Tensor with
 * a new leading batch axis; tuples and records are batched field by field.
 */
export type Batched<T> = T extends Tensor | number
  ? Tensor
  : T extends readonly unknown[]
    ? { -readonly [K in keyof T]: Batched<T[K]> }
    : T extends object
      ? { -readonly [K in keyof T]: Batched<T[K]> }
      : never;

/** The element type of a dataset: `DatasetElement<Dataset<number>>` is `number`. */
export type DatasetElement<D> = D extends Dataset<infer E> ? E : never;

/** Options of {@link Dataset.batch}. */
export interface BatchOptions {
  /** Drop a last batch smaller than the batch size, so every batch has the same shape (default `false`). */
  dropRemainder?: boolean;
}

/** Options of {@link Dataset.shuffle}. */
export interface ShuffleOptions {
  /** Seed of the shuffle order; the same seed gives the same sequence of epochs. Default: a random seed. */
  seed?: number;
  /**
   * Draw a new order at every iteration (epoch), as `tf.data` does by default (default `true`).
   * With `false` every iteration repeats the first order.
   */
  reshuffleEachIteration?: boolean;
}

/** Index-level description of a `fromTensors` pipeline, kept while only reordering stages follow. */
interface RowPlan {
  /** The user's tensors. */
  readonly table: TensorSlices;
  /** Which rows, in which order: `range(n)` under any shuffle / take / skip / repeat. */
  readonly order: Dataset<number>;
}

function checkCount(value: number, op: string, what: string, allowInfinity: boolean): void {
  const ok = (Number.isInteger(value) && value >= 0) || (allowInfinity && value === Infinity);
  if (!ok) throw new ValueError(`Dataset.${op}: ${what} must be a non-negative integer${allowInfinity ? ' or Infinity' : ''}, got ${value}`);
}

function checkPositive(value: number, op: string, what: string): void {
  if (!Number.isInteger(value) || value < 1) throw new ValueError(`Dataset.${op}: ${what} must be a positive integer, got ${value}`);
}

/**
 * A lazily evaluated, re-iterable stream of elements: `for await (const batch of dataset)`.
 *
 * Build one from a source ({@link Dataset.fromTensors}, {@link Dataset.fromArray},
 * {@link Dataset.fromGenerator}, {@link Dataset.fromIterable}, {@link Dataset.range},
 * {@link Dataset.zip}) and chain transforms; each returns a new dataset and leaves this one
 * unchanged. Nothing is read until the dataset is iterated, and every `for await` starts again
 * from the source.
 *
 * **Tensor ownership.**
 * - Tensors that leave the pipeline (yielded by iteration, returned by {@link Dataset.toArray},
 *   passed to {@link Dataset.forEachAsync}) belong to the caller, who may keep or dispose them.
 * - Tensors the pipeline creates itself (sample slices of {@link Dataset.fromTensors}, stacked
 *   batches) are disposed as soon as a later stage consumes them without handing them on: the
 *   samples stacked into a batch, elements dropped by `skip` or `filter`, a `map` input that its
 *   result does not contain, elements still buffered by `shuffle` or `prefetch` when iteration
 *   stops early. So `map` and `filter` callbacks only borrow their argument's tensors for the
 *   duration of the call: return them (or tensors computed from them) rather than storing them.
 * - Tensors you put in (source tensors, array and generator elements, values returned by a `map`
 *   callback) stay yours: the pipeline never disposes them.
 *
 * @example
 * ```ts
 * const { xTrain, yTrain } = trainTestSplit(x, y, { testSize: 0.2, seed: 1 });
 * const train = Dataset.fromTensors(xTrain, yTrain)
 *   .shuffle(xTrain.shape[0]!, { seed: 42 }) // full uniform shuffle, new order each epoch
 *   .batch(64)                               // one indexSelect per tensor per batch
 *   .prefetch(2);
 * for (let epoch = 0; epoch < 10; epoch++) {
 *   for await (const [xb, yb] of train) {
 *     // xb: [64, features], yb: [64]; both are yours to dispose
 *   }
 * }
 * ```
 */
export class Dataset<T> implements AsyncIterable<T> {
  /**
   * Number of elements when it is known without iterating (`Infinity` after an endless
   * {@link Dataset.repeat}), `undefined` otherwise (generators, after `filter`).
   */
  readonly size: number | undefined;

  private readonly open: () => AsyncIterator<T>;
  private readonly rows: RowPlan | undefined;

  private constructor(open: () => AsyncIterator<T>, size: number | undefined, rows?: RowPlan) {
    this.open = open;
    this.size = size;
    this.rows = rows;
  }

  /** Starts a new iteration from the source (called by `for await`). */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.open();
  }

  // ---- sources --------------------------------------------------------------------------

  /**
   * One element per row (axis 0) of a tensor, of several tensors (`fromTensors(x, y)` yields
   * `[x[i], y[i]]`), or of a tuple or record of tensors sharing the first dimension — PyTorch's
   * `TensorDataset`, tf.data's `from_tensor_slices`.
   *
   * Samples are views of the rows. A following `batch` (after any `shuffle`, `take`, `skip` or
   * `repeat`) gathers each batch with one `indexSelect` per tensor instead of stacking samples;
   * in unshuffled order a batch is a `narrow` view sharing memory with the source tensors.
   *
   * @throws ShapeError when the tensors differ in their first dimension or one is 0-d.
   */
  static fromTensors(x: Tensor): Dataset<Tensor>;
  static fromTensors(x: Tensor, y: Tensor): Dataset<[Tensor, Tensor]>;
  static fromTensors<const S extends TensorSlices>(slices: S): Dataset<S>;
  static fromTensors(first: TensorSlices, second?: Tensor): Dataset<unknown> {
    const table: TensorSlices = second === undefined ? first : [first as Tensor, second];
    return Dataset.ofRows(table, Dataset.range(rowCount(table)));
  }

  /** The elements of an array, in order. The array is copied, so later changes to it do not leak in. */
  static fromArray<T>(elements: readonly T[]): Dataset<T> {
    const snapshot = elements.slice();
    return new Dataset<T>(() => iterateOnce(snapshot, 'Dataset.fromArray'), snapshot.length);
  }

  /**
   * A streaming source: `factory` is called at the start of every iteration and its (sync or async)
   * iterable is read one element at a time, only as fast as the pipeline asks. Because a fresh
   * iterable is made per iteration, the dataset can be iterated any number of times.
   *
   * @example
   * ```ts
   * const lines = Dataset.fromGenerator(async function* () {
   *   for await (const line of readline.createInterface({ input: fs.createReadStream(path) })) yield line;
   * });
   * ```
   */
  static fromGenerator<T>(factory: () => Iterable<T> | AsyncIterable<T>): Dataset<T> {
    return new Dataset<T>(() => iterateOnce(factory(), 'Dataset.fromGenerator'), undefined);
  }

  /**
   * The elements of an existing iterable. Re-iterable sources (arrays, Sets, objects whose
   * `[Symbol.iterator]` returns a new iterator each time) can be iterated repeatedly; a one-shot
   * iterator such as a generator object can be iterated once, and a second iteration throws a
   * `ValueError` instead of silently yielding nothing — use {@link Dataset.fromGenerator} for those.
   */
  static fromIterable<T>(source: Iterable<T> | AsyncIterable<T>): Dataset<T> {
    return new Dataset<T>(() => iterateOnce(source, 'Dataset.fromIterable'), Array.isArray(source) ? source.length : undefined);
  }

  /** The numbers `start, start + step, ...` up to (excluding) `end`; with one argument, `0 .. start - 1`. */
  static range(start: number, end?: number, step = 1): Dataset<number> {
    const [from, to] = end === undefined ? [0, start] : [start, end];
    if (!Number.isFinite(step) || step === 0) throw new ValueError(`Dataset.range: step must be a non-zero number, got ${step}`);
    if (!Number.isFinite(from) || !Number.isFinite(to)) throw new ValueError(`Dataset.range: bounds must be finite, got ${from} and ${to}`);
    const count = Math.max(0, Math.ceil((to - from) / step));
    return new Dataset<number>(async function* () {
      for (let k = 0; k < count; k++) yield from + k * step;
    }, count);
  }

  /**
   * Pairs up datasets element by element: `zip([a, b])` yields `[a_i, b_i]`, `zip({ x: a, y: b })`
   * yields `{ x: a_i, y: b_i }`. Ends with the shortest input; the inputs are pulled concurrently.
   */
  static zip<const D extends readonly Dataset<unknown>[]>(datasets: D): Dataset<{ -readonly [K in keyof D]: DatasetElement<D[K]> }>;
  static zip<D extends { readonly [key: string]: Dataset<unknown> }>(datasets: D): Dataset<{ -readonly [K in keyof D]: DatasetElement<D[K]> }>;
  static zip(datasets: readonly Dataset<unknown>[] | { readonly [key: string]: Dataset<unknown> }): Dataset<unknown> {
    const keys = Array.isArray(datasets) ? undefined : Object.keys(datasets);
    const inputs: Array<Dataset<unknown>> = Array.isArray(datasets) ? [...datasets] : Object.values(datasets);
    if (inputs.length === 0) throw new ValueError('Dataset.zip: needs at least one dataset');
    inputs.forEach((d, i) => {
      if (!(d instanceof Dataset)) throw new ValueError(`Dataset.zip: input ${keys?.[i] ?? i} is not a Dataset`);
    });
    const sizes = inputs.map((d) => d.size);
    const size = sizes.every((s): s is number => s !== undefined) ? Math.min(...sizes) : undefined;
    return new Dataset<unknown>(async function* () {
      for await (const values of zipStreams(inputs)) {
        yield keys === undefined ? values : Object.fromEntries(keys.map((key, i) => [key, values[i]]));
      }
    }, size);
  }

  /** A dataset of rows of `table` read in the order `order` yields. */
  private static ofRows<E>(table: TensorSlices, order: Dataset<number>): Dataset<E> {
    return new Dataset<E>(
      async function* () {
        for await (const i of order) yield sliceRow(table, i) as E;
      },
      order.size,
      { table, order },
    );
  }

  // ---- element-wise transforms --------------------------------------------------------

  /**
   * Applies `fn` (sync or async) to every element. The argument's pipeline-created tensors are
   * disposed after `fn` settles unless the result contains them.
   */
  map<U>(fn: (element: T) => U | PromiseLike<U>): Dataset<U> {
    const source = this;
    return new Dataset<U>(async function* () {
      for await (const element of source) {
        const result = await fn(element);
        disposeConsumed(element, result);
        yield result;
      }
    }, this.size);
  }

  /** Keeps the elements for which `predicate` (sync or async) is true. */
  filter<S extends T>(predicate: (element: T) => element is S): Dataset<S>;
  filter(predicate: (element: T) => boolean | PromiseLike<boolean>): Dataset<T>;
  filter(predicate: (element: T) => boolean | PromiseLike<boolean>): Dataset<T> {
    const source = this;
    return new Dataset<T>(async function* () {
      for await (const element of source) {
        if (await predicate(element)) yield element;
        else disposeOwned(element);
      }
    }, this.size === 0 ? 0 : undefined);
  }

  /**
   * Groups consecutive elements into batches of `batchSize`, stacked along a new axis 0 (see
   * {@link Batched}): `Tensor` samples of shape `[...s]` become `[batchSize, ...s]`, numbers a
   * 1-D tensor, tuples and records field by field. The last batch is smaller unless
   * `dropRemainder` is set. The stacked samples' pipeline-created tensors are disposed.
   *
   * @throws ShapeError (while iterating) when samples of one batch differ in shape.
   */
  batch(batchSize: number, options: BatchOptions = {}): Dataset<Batched<T>> {
    checkPositive(batchSize, 'batch', 'batchSize');
    const dropRemainder = options.dropRemainder ?? false;
    const size =
      this.size === undefined || this.size === Infinity
        ? this.size
        : (dropRemainder ? Math.floor : Math.ceil)(this.size / batchSize);
    if (this.rows !== undefined) return Dataset.batchRows<Batched<T>>(this.rows, batchSize, dropRemainder, size);
    const source = this;
    return new Dataset<Batched<T>>(async function* () {
      let pending: T[] = [];
      try {
        for await (const element of source) {
          pending.push(element);
          if (pending.length < batchSize) continue;
          const full = pending;
          pending = [];
          yield batchElements(full) as Batched<T>;
        }
        if (pending.length > 0 && !dropRemainder) {
          const last = pending;
          pending = [];
          yield batchElements(last) as Batched<T>;
        }
      } finally {
        for (const element of pending) disposeOwned(element);
      }
    }, size);
  }

  /** The fast path of `fromTensors(...).batch()`: batches of row indices, each gathered in one op per tensor. */
  private static batchRows<B>(rows: RowPlan, batchSize: number, dropRemainder: boolean, size: number | undefined): Dataset<B> {
    return new Dataset<B>(async function* () {
      let indices: number[] = [];
      for await (const i of rows.order) {
        indices.push(i);
        if (indices.length < batchSize) continue;
        const full = indices;
        indices = [];
        yield gatherRows(rows.table, full) as B;
      }
      if (indices.length > 0 && !dropRemainder) yield gatherRows(rows.table, indices) as B;
    }, size);
  }

  // ---- reordering and slicing ----------------------------------------------------------

  /**
   * Randomly reorders elements through a buffer of `bufferSize` (the `tf.data` algorithm): the
   * output is drawn uniformly from the buffer, which is refilled from the source. A buffer at
   * least as large as the dataset gives a full uniform shuffle; a smaller one only mixes
   * elements that are close together, trading randomness for memory and start-up latency.
   *
   * Reproducible with `seed` (a JS generator, independent of {@link manualSeed}); by default
   * every iteration draws a new order.
   */
  shuffle(bufferSize: number, options: ShuffleOptions = {}): Dataset<T> {
    checkPositive(bufferSize, 'shuffle', 'bufferSize');
    if (options.seed !== undefined && !Number.isInteger(options.seed)) {
      throw new ValueError(`Dataset.shuffle: seed must be an integer, got ${options.seed}`);
    }
    if (this.rows !== undefined) return Dataset.ofRows(this.rows.table, this.rows.order.shuffle(bufferSize, options));
    const seed = options.seed ?? entropySeed();
    const reshuffle = options.reshuffleEachIteration ?? true;
    let epoch = 0;
    return new Dataset<T>(() => {
      const stream = reshuffle ? epoch++ : 0;
      return shuffleBuffer(this, bufferSize, mulberry32(deriveSeed(seed, stream)));
    }, this.size);
  }

  /** The first `count` elements; the source is not read past them. */
  take(count: number): Dataset<T> {
    checkCount(count, 'take', 'count', true);
    if (this.rows !== undefined) return Dataset.ofRows(this.rows.table, this.rows.order.take(count));
    const source = this;
    const size = this.size === undefined ? (count === 0 ? 0 : undefined) : Math.min(count, this.size);
    return new Dataset<T>(async function* () {
      if (count === 0) return;
      let taken = 0;
      for await (const element of source) {
        yield element;
        if (++taken >= count) return;
      }
    }, size);
  }

  /** All but the first `count` elements. */
  skip(count: number): Dataset<T> {
    checkCount(count, 'skip', 'count', true);
    if (this.rows !== undefined) return Dataset.ofRows(this.rows.table, this.rows.order.skip(count));
    const source = this;
    const size = this.size === undefined ? undefined : this.size === Infinity ? Infinity : Math.max(0, this.size - count);
    return new Dataset<T>(async function* () {
      let skipped = 0;
      for await (const element of source) {
        if (skipped < count) {
          skipped++;
          disposeOwned(element);
          continue;
        }
        yield element;
      }
    }, size);
  }

  /**
   * Iterates the dataset `count` times in a row (forever when omitted), restarting from the
   * source each time, so a `shuffle` before `repeat` draws a new order per pass.
   */
  repeat(count = Infinity): Dataset<T> {
    checkCount(count, 'repeat', 'count', true);
    if (this.rows !== undefined) return Dataset.ofRows(this.rows.table, this.rows.order.repeat(count));
    const source = this;
    const size = count === 0 || this.size === 0 ? 0 : this.size === undefined ? undefined : this.size * count;
    return new Dataset<T>(async function* () {
      for (let pass = 0; pass < count; pass++) {
        let produced = false;
        for await (const element of source) {
          produced = true;
          yield element;
        }
        // Repeating an empty dataset forever would spin without ever yielding.
        if (!produced) return;
      }
    }, size);
  }

  /** This dataset's elements followed by `other`'s. */
  concatenate<U>(other: Dataset<U>): Dataset<T | U> {
    if (!(other instanceof Dataset)) throw new ValueError('Dataset.concatenate: the argument is not a Dataset');
    const source = this;
    const size = this.size === undefined || other.size === undefined ? undefined : this.size + other.size;
    return new Dataset<T | U>(async function* () {
      yield* source;
      yield* other;
    }, size);
  }

  // ---- performance ---------------------------------------------------------------------

  /**
   * Reads up to `depth` elements ahead on a background async loop, so the source (decoding,
   * async I/O, an expensive `map`) works while the consumer handles the current element. Errors
   * from the source reach the consumer in order. Put it last: `...batch(64).prefetch(2)`.
   */
  prefetch(depth: number): Dataset<T> {
    checkPositive(depth, 'prefetch', 'depth');
    return new Dataset<T>(() => prefetchBuffer(this, depth), this.size);
  }

  // ---- consuming -----------------------------------------------------------------------

  /** Collects every element (the dataset must be finite). The elements are the caller's. */
  async toArray(): Promise<T[]> {
    if (this.size === Infinity) throw new ValueError('Dataset.toArray: the dataset is infinite (repeat() without a count)');
    const out: T[] = [];
    for await (const element of this) out.push(element);
    return out;
  }

  /** Calls `fn` (awaited if async) on every element in order, with its position. The elements are the caller's. */
  async forEachAsync(fn: (element: T, index: number) => void | PromiseLike<void>): Promise<void> {
    let index = 0;
    for await (const element of this) await fn(element, index++);
  }
}

/**
 * The stateful stages of a dataset pipeline, as async generators over async iterables: source
 * opening (with the one-shot check), the shuffle buffer, the prefetch pump and zip.
 *
 * Every stage forwards early termination: when the consumer stops (`break`, `take`, an error
 * downstream) the stage's `finally` runs, drops what it buffered and closes its source.
 *
 * @internal
 */

import { ValueError } from '../errors';
import { disposeOwned } from './dataset_elements';
import { Uniform, randomIndex } from './prng';

/** Anything `for await` can walk: sync or async iterables. */
export type AnyIterable<T> = Iterable<T> | AsyncIterable<T>;

// Iterators handed out by some source. A generator object returns itself from
// [Symbol.iterator](), so meeting the same iterator twice means a one-shot source is being
// iterated again; it would silently yield nothing (or the rest of a broken-off run).
const openedIterators = new WeakSet<object>();

function isAsyncIterable<T>(value: unknown): value is AsyncIterable<T> {
  return typeof (value as { [Symbol.asyncIterator]?: unknown } | null)?.[Symbol.asyncIterator] === 'function';
}

function isSyncIterable<T>(value: unknown): value is Iterable<T> {
  return typeof (value as { [Symbol.iterator]?: unknown } | null)?.[Symbol.iterator] === 'function';
}

/** Walks `source` once, refusing an iterator that some earlier iteration already consumed. */
export async function* iterateOnce<T>(source: AnyIterable<T>, op: string): AsyncGenerator<T> {
  const iterator = openIterator(source, op);
  if (openedIterators.has(iterator)) {
    throw new ValueError(
      `${op}: this source is a one-shot iterator (such as a generator object) that was already iterated; ` +
        'to iterate more than once, pass a function that makes a fresh one: Dataset.fromGenerator(() => makeGenerator())',
    );
  }
  openedIterators.add(iterator);
  if (isAsyncIterable<T>(source)) {
    yield* { [Symbol.asyncIterator]: () => iterator as AsyncIterator<T> };
  } else {
    // `yield` in an async generator awaits its operand, so a sync source may yield promises.
    for (const element of { [Symbol.iterator]: () => iterator as Iterator<T> }) yield element;
  }
}

function openIterator<T>(source: AnyIterable<T>, op: string): Iterator<T> | AsyncIterator<T> {
  let iterator: unknown;
  if (isAsyncIterable<T>(source)) iterator = source[Symbol.asyncIterator]();
  else if (isSyncIterable<T>(source)) iterator = source[Symbol.iterator]();
  else throw new ValueError(`${op}: expected an Iterable or AsyncIterable, got ${source === null ? 'null' : typeof source}`);
  if (typeof iterator !== 'object' || iterator === null) throw new ValueError(`${op}: the source's iterator is not an object`);
  return iterator as Iterator<T> | AsyncIterator<T>;
}

/**
 * The tf.data shuffle buffer: fill `bufferSize` elements, then emit a uniformly chosen one and put
 * the next arrival in its place; at the end drain the buffer in random order. A buffer at least
 * as large as the data makes this a uniform permutation.
 */
export async function* shuffleBuffer<T>(source: AsyncIterable<T>, bufferSize: number, uniform: Uniform): AsyncGenerator<T> {
  const buffer: T[] = [];
  try {
    for await (const element of source) {
      if (buffer.length < bufferSize) {
        buffer.push(element);
        continue;
      }
      const pick = randomIndex(uniform, bufferSize);
      const chosen = buffer[pick]!;
      buffer[pick] = element;
      yield chosen;
    }
    while (buffer.length > 0) {
      const pick = randomIndex(uniform, buffer.length);
      const chosen = buffer[pick]!;
      buffer[pick] = buffer[buffer.length - 1]!;
      buffer.pop();
      yield chosen;
    }
  } finally {
    for (const element of buffer) disposeOwned(element);
  }
}

type Outcome<T> = { kind: 'value'; value: T } | { kind: 'done' } | { kind: 'error'; error: unknown };

/**
 * Reads ahead of the consumer. A producer loop pulls the source one element at a time (so any
 * iterator is safe, even one that cannot take overlapping `next()` calls) while the consumer
 * works, keeping at most `depth` elements requested but not yet consumed. A source error is
 * queued in order and rethrown to the consumer when it reaches it.
 */
export async function* prefetchBuffer<T>(source: AsyncIterable<T>, depth: number): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const ready: Array<Outcome<T>> = [];
  let stopped = false;
  let sourceFinished = false;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const wake = (waiter: (() => void) | undefined): void => waiter?.();

  const producer = (async () => {
    for (;;) {
      while (ready.length >= depth && !stopped) await new Promise<void>((resolve) => (wakeProducer = resolve));
      if (stopped) return;
      let outcome: Outcome<T>;
      try {
        const step = await iterator.next();
        outcome = step.done ? { kind: 'done' } : { kind: 'value', value: step.value };
      } catch (error) {
        outcome = { kind: 'error', error };
      }
      if (outcome.kind !== 'value') sourceFinished = true;
      if (stopped) {
        if (outcome.kind === 'value') disposeOwned(outcome.value);
        return;
      }
      ready.push(outcome);
      wake(wakeConsumer);
      if (outcome.kind !== 'value') return;
    }
  })();

  try {
    for (;;) {
      while (ready.length === 0) await new Promise<void>((resolve) => (wakeConsumer = resolve));
      const outcome = ready.shift()!;
      wake(wakeProducer);
      if (outcome.kind === 'done') return;
      if (outcome.kind === 'error') throw outcome.error;
      yield outcome.value;
    }
  } finally {
    stopped = true;
    wake(wakeProducer);
    // Let the in-flight pull settle before closing the source: an iterator need not support
    // return() while a next() is pending.
    await producer;
    for (const outcome of ready) if (outcome.kind === 'value') disposeOwned(outcome.value);
    if (!sourceFinished) await iterator.return?.();
  }
}

/** Tuples of the i-th elements of every source, ending with the shortest; sources are pulled concurrently. */
export async function* zipStreams(sources: Array<AsyncIterable<unknown>>): AsyncGenerator<unknown[]> {
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  const finished = new Set<number>();
  try {
    for (;;) {
      const steps = await Promise.allSettled(iterators.map((it) => it.next()));
      const values: unknown[] = [];
      let failure: { error: unknown } | undefined;
      steps.forEach((step, i) => {
        if (step.status === 'rejected') {
          finished.add(i);
          failure ??= { error: step.reason };
        } else if (step.value.done) {
          finished.add(i);
        } else {
          values.push(step.value.value);
        }
      });
      if (failure !== undefined || values.length < iterators.length) {
        // The sources that did produce lose their element: drop what the pipeline made for it.
        for (const value of values) disposeOwned(value);
        if (failure !== undefined) throw failure.error;
        return;
      }
      yield values;
    }
  } finally {
    await Promise.all(iterators.map((it, i) => (finished.has(i) ? undefined : it.return?.())));
  }
}

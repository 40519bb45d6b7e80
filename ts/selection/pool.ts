/**
 * A small promise pool.
 *
 * @internal
 */

/**
 * Runs `fn` on the items of `items` with at most `concurrency` calls in flight and resolves to
 * the results in item order. Items are pulled lazily (a generator is never materialised ahead of
 * the workers). After a failure no new item starts; the calls already running are awaited, then
 * the first error is thrown.
 */
export async function mapPool<T, R>(items: Iterable<T>, concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const iterator = items[Symbol.iterator]();
  const results: R[] = [];
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined) {
      const step = iterator.next();
      if (step.done === true) return;
      const index = next++;
      try {
        results[index] = await fn(step.value, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}

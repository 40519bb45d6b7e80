/** K-fold cross-validation splits (scikit-learn's `KFold`). */

import { permutation } from '../preprocessing';
import { Fold, complement, sampleCount, splitCount } from './fold';

/** Options of {@link kFold} and {@link stratifiedKFold}. */
export interface KFoldOptions {
  /** Number of folds, at least 2 and at most the number of samples (default 5). */
  k?: number;
  /** Shuffle the samples before cutting the folds (default false: folds are consecutive blocks). */
  shuffle?: boolean;
  /** Seed of the shuffle (default 0; ignored without `shuffle`): the same seed gives the same folds. */
  seed?: number;
}

/**
 * Splits `n` samples into `k` folds; each fold is the test part once and the rest is its
 * training part. As scikit-learn's `KFold`, fold sizes differ by at most one: the first
 * `n % k` folds get `floor(n / k) + 1` samples (n = 10, k = 3 gives test sizes 4, 3, 3).
 * Without `shuffle` the test parts are consecutive blocks `0..3`, `4..6`, `7..9`; with it they
 * are cut from the seeded {@link permutation}. Both parts are returned in ascending order.
 *
 * @example
 * ```ts
 * for (const { train, test } of kFold(x.shape[0]!, { k: 5, shuffle: true, seed: 0 })) { ... }
 * ```
 */
export function kFold(n: number, options: KFoldOptions = {}): Fold[] {
  sampleCount('kFold', n);
  const k = splitCount('kFold', options.k ?? 5, n);
  const order = options.shuffle === true ? permutation(n, options.seed ?? 0) : Array.from({ length: n }, (_, i) => i);
  const folds: Fold[] = [];
  let start = 0;
  for (let f = 0; f < k; f++) {
    const size = Math.floor(n / k) + (f < n % k ? 1 : 0);
    const test = order.slice(start, start + size).sort((a, b) => a - b);
    folds.push({ train: complement(n, test), test });
    start += size;
  }
  return folds;
}

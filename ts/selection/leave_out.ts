/** Exhaustive splits: leave-one-out and leave-p-out (scikit-learn's `LeaveOneOut`, `LeavePOut`). */

import { ValueError } from '../errors';
import { Fold, complement, sampleCount } from './fold';

/**
 * `n` folds, each holding out one sample (test `[i]`, train every other index), in order of `i`.
 * The same as `kFold(n, { k: n })`. The folds are materialised (about `n²` indices in all), and
 * every fold trains a model: meant for small data sets.
 */
export function leaveOneOut(n: number): Fold[] {
  sampleCount('leaveOneOut', n);
  if (n < 2) throw new ValueError(`leaveOneOut: needs at least 2 samples, got ${n}`);
  return Array.from({ length: n }, (_, i) => ({ train: complement(n, [i]), test: [i] }));
}

/** Options of {@link leavePOut}. */
export interface LeavePOutOptions {
  /** Refuse more folds than this (default 1,000,000): `C(n, p)` grows very fast. */
  maxFolds?: number;
}

/** `C(n, p)` exactly. */
function binomial(n: number, p: number): bigint {
  let c = 1n;
  for (let i = 1; i <= p; i++) c = (c * BigInt(n - p + i)) / BigInt(i);
  return c;
}

/**
 * Every way of holding out `p` of `n` samples: `C(n, p)` folds, generated lazily in
 * lexicographic order of the test indices (as scikit-learn's `LeavePOut`, which follows
 * `itertools.combinations`). Test parts overlap for `p > 1`, so this is not a partition.
 * The arguments and the fold count are checked when called, not on the first `next()`: more
 * than `maxFolds` folds throw a `ValueError` naming the count.
 *
 * @example
 * ```ts
 * [...leavePOut(5, 2)].length; // 10 = C(5, 2)
 * ```
 */
export function leavePOut(n: number, p: number, options: LeavePOutOptions = {}): Generator<Fold, void, undefined> {
  const op = 'leavePOut';
  sampleCount(op, n);
  if (!Number.isInteger(p) || p < 1 || p >= n) throw new ValueError(`${op}: p must be an integer in [1, n - 1] = [1, ${n - 1}], got ${p}`);
  const maxFolds = options.maxFolds ?? 1_000_000;
  if (!(maxFolds >= 1)) throw new ValueError(`${op}: maxFolds must be at least 1, got ${maxFolds}`);
  const count = binomial(n, p);
  if (Number.isFinite(maxFolds) && count > BigInt(Math.floor(maxFolds))) {
    throw new ValueError(`${op}: C(${n}, ${p}) = ${count} folds is more than maxFolds = ${maxFolds}; use kFold, a smaller p, or raise maxFolds`);
  }
  return combinations(n, p);
}

function* combinations(n: number, p: number): Generator<Fold, void, undefined> {
  const test = Array.from({ length: p }, (_, i) => i);
  for (;;) {
    yield { train: complement(n, test), test: [...test] };
    // Advance the rightmost index that can still move, and reset the ones after it.
    let i = p - 1;
    while (i >= 0 && test[i] === n - p + i) i--;
    if (i < 0) return;
    test[i]! += 1;
    for (let j = i + 1; j < p; j++) test[j] = test[j - 1]! + 1;
  }
}

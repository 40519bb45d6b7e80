/** The fold type shared by every splitter, and the checks on fold indices. */

import { ValueError } from '../errors';

/**
 * One train/test partition of sample indices (rows of the first axis), both ascending for the
 * built-in splitters. {@link crossValidate} fits on `train` and scores on `test`.
 */
export interface Fold {
  /** Indices of the training samples. */
  train: number[];
  /** Indices of the held-out samples. */
  test: number[];
}

/** Checks that `n` is a non-negative integer sample count. @internal */
export function sampleCount(op: string, n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`${op}: the number of samples must be a non-negative integer, got ${n}`);
  return n;
}

/** Checks a number of splits `k` in `[2, n]`, scikit-learn's bounds. @internal */
export function splitCount(op: string, k: number, n: number): number {
  if (!Number.isInteger(k) || k < 2) throw new ValueError(`${op}: k must be an integer >= 2, got ${k}`);
  if (k > n) throw new ValueError(`${op}: cannot have k=${k} folds with only ${n} samples`);
  return k;
}

/** The indices `0..n-1` not in `held` (ascending). @internal */
export function complement(n: number, held: readonly number[]): number[] {
  const out = new Uint8Array(n);
  for (const i of held) out[i] = 1;
  const rest: number[] = [];
  for (let i = 0; i < n; i++) if (out[i] === 0) rest.push(i);
  return rest;
}

/** Checks a fold given by a caller against `n` samples: non-empty parts of in-range integer indices. @internal */
export function checkFold(op: string, fold: Fold, index: number, n: number): void {
  if (fold === null || typeof fold !== 'object' || !Array.isArray(fold.train) || !Array.isArray(fold.test)) {
    throw new ValueError(`${op}: fold ${index} must be { train: number[], test: number[] }`);
  }
  for (const [name, part] of [['train', fold.train], ['test', fold.test]] as const) {
    if (part.length === 0) throw new ValueError(`${op}: fold ${index} has an empty ${name} part`);
    const bad = part.find((i) => !Number.isInteger(i) || i < 0 || i >= n);
    if (bad !== undefined) throw new ValueError(`${op}: fold ${index} ${name} index ${bad} is outside [0, ${n - 1}]`);
  }
}

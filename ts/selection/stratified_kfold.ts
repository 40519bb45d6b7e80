/** Stratified k-fold splits (scikit-learn's `StratifiedKFold`). */

import { ValueError } from '../errors';
import { deriveSeed } from '../internal/prng';
import { permutation } from '../preprocessing';
import { Tensor } from '../tensor';
import { Fold, complement, splitCount } from './fold';
import { KFoldOptions } from './kfold';
import { classLabels, groupByClass } from './labels';

/**
 * K folds that keep the class proportions of `labels` (`[n]` classes, or one-hot / probability
 * rows whose argmax is the class) in every fold.
 *
 * The allocation is scikit-learn's (since 0.22): classes are numbered by first appearance, the
 * samples sorted by class are dealt round-robin to the folds, which fixes how many of each class
 * every test fold holds (per class they differ by at most one between folds); each class then
 * fills the folds in order, in blocks of consecutive samples, so without `shuffle` the folds
 * are identical to scikit-learn's. With `shuffle` each class's samples are assigned in a seeded
 * random order ({@link permutation} with a seed derived from `seed` and the class), which
 * differs from scikit-learn's only in the random generator.
 *
 * Difference: scikit-learn only warns when a class has fewer than `k` members (some test folds
 * then lack the class); this throws a `ValueError` naming the class, since the per-fold
 * proportions the caller asked for cannot hold.
 */
export function stratifiedKFold(labels: Tensor | ArrayLike<number>, options: KFoldOptions = {}): Fold[] {
  const op = 'stratifiedKFold';
  const y = classLabels(op, labels);
  const n = y.length;
  const k = splitCount(op, options.k ?? 5, n);
  const { values, members } = groupByClass(y);
  members.forEach((m, c) => {
    if (m.length < k) throw new ValueError(`${op}: class ${values[c]} has only ${m.length} members, fewer than k=${k} folds`);
  });
  // allocation[f][c]: samples of class c in test fold f, from dealing the class-sorted samples
  // round-robin (scikit-learn's `np.bincount(y_order[f::k])`).
  const allocation = Array.from({ length: k }, () => new Array<number>(values.length).fill(0));
  let position = 0;
  members.forEach((m, c) => {
    for (let j = 0; j < m.length; j++, position++) allocation[position % k]![c]! += 1;
  });
  const testFold = new Array<number>(n);
  members.forEach((m, c) => {
    const foldsForClass: number[] = [];
    for (let f = 0; f < k; f++) for (let j = 0; j < allocation[f]![c]!; j++) foldsForClass.push(f);
    const order = options.shuffle === true ? permutation(m.length, deriveSeed(options.seed ?? 0, c)) : undefined;
    m.forEach((sample, j) => (testFold[sample] = foldsForClass[order === undefined ? j : order[j]!]!));
  });
  return Array.from({ length: k }, (_, f) => {
    const test: number[] = [];
    for (let i = 0; i < n; i++) if (testFold[i] === f) test.push(i);
    return { train: complement(n, test), test };
  });
}

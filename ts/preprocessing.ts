/** Data preparation helpers: train/test splits (optionally stratified) and feature standardisation. */

import { ValueError } from './errors';
import { rand } from './creation';
import { deriveSeed, mulberry32 } from './internal/prng';
import { classLabels, groupByClass } from './selection/labels';
import { Tensor, tensor } from './tensor';

/** A seeded permutation of `0..n-1` (argsort of seeded uniform draws). */
export function permutation(n: number, seed = 0): number[] {
  const keys = rand([n], 0, 1, { seed }).dataSync();
  return Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b);
}

/** Result of {@link trainTestSplit}. */
export interface Split {
  /** Training inputs. */
  xTrain: Tensor;
  /** Test inputs. */
  xTest: Tensor;
  /** Training targets. */
  yTrain: Tensor;
  /** Test targets. */
  yTest: Tensor;
}

/** Options of {@link trainTestSplit}. */
export interface TrainTestSplitOptions {
  /** Held-out share: a fraction in (0, 1) (rounded to the nearest count) or a count (default 0.25). */
  testSize?: number;
  /** Seed of the shuffle (default 0): the same seed gives the same split. */
  seed?: number;
  /**
   * Shuffle before splitting (default true). Without shuffling the last `testSize` samples are
   * held out, as scikit-learn does.
   */
  shuffle?: boolean;
  /**
   * Keep the class proportions of `y` in both parts (default false), like scikit-learn's
   * `stratify=y`. The classes are `y`'s values (one-hot or probability rows: their argmax).
   * Every class needs at least 2 samples, and each part at least one sample per class. Needs
   * shuffling.
   */
  stratify?: boolean;
}

/** A sample count from a fraction in (0, 1) (rounded) or a count in `[1, n - 1]`. @internal */
export function holdoutCount(op: string, name: string, size: number, n: number): number {
  const count = size > 0 && size < 1 ? Math.round(n * size) : size;
  if (!Number.isInteger(count) || count <= 0 || count >= n) {
    throw new ValueError(`${op}: ${name} must be a fraction in (0, 1) or a count in [1, ${n - 1}], got ${size}`);
  }
  return count;
}

/**
 * The index form of {@link trainTestSplit}: which of `n` samples go to each part. With `labels`
 * (one class per sample) the split is stratified. `testCount` is already a count. @internal
 */
export function splitIndices(
  op: string,
  n: number,
  testCount: number,
  options: { seed?: number; shuffle?: boolean; labels?: ArrayLike<number> } = {},
): { train: number[]; test: number[] } {
  const shuffle = options.shuffle ?? true;
  if (options.labels === undefined) {
    if (!shuffle) {
      const order = Array.from({ length: n }, (_, i) => i);
      return { train: order.slice(0, n - testCount), test: order.slice(n - testCount) };
    }
    const order = permutation(n, options.seed ?? 0);
    return { train: order.slice(testCount), test: order.slice(0, testCount) };
  }
  if (!shuffle) throw new ValueError(`${op}: a stratified split needs shuffle (scikit-learn refuses stratify with shuffle=False too)`);
  return stratifiedIndices(op, n, testCount, options.labels, options.seed ?? 0);
}

/**
 * scikit-learn's `StratifiedShuffleSplit` allocation: the training part takes from each class
 * the floor of its proportional share, and the samples still missing go to the classes with the
 * largest remainders (ties broken by a seeded draw); the test part gets the rest of each class.
 * Members come from one seeded permutation, which also orders both parts.
 */
function stratifiedIndices(op: string, n: number, testCount: number, labels: ArrayLike<number>, seed: number): { train: number[]; test: number[] } {
  if (labels.length !== n) throw new ValueError(`${op}: ${labels.length} labels for ${n} samples`);
  const order = permutation(n, seed);
  const rank = new Array<number>(n);
  order.forEach((sample, i) => (rank[sample] = i));
  const { values, members } = groupByClass(order.map((i) => labels[i]!));
  const sparse = values.findIndex((_, c) => members[c]!.length < 2);
  if (sparse >= 0) {
    throw new ValueError(`${op}: class ${values[sparse]} has only ${members[sparse]!.length} sample; stratifying needs at least 2 per class`);
  }
  const trainCount = n - testCount;
  if (testCount < values.length || trainCount < values.length) {
    throw new ValueError(`${op}: ${trainCount} training and ${testCount} test samples cannot each hold all ${values.length} classes; change the split size`);
  }
  const uniform = mulberry32(deriveSeed(seed, 1));
  const take = approximateMode(members.map((m) => m.length), trainCount, uniform);
  const train: number[] = [];
  const test: number[] = [];
  members.forEach((m, c) => {
    // `m` holds positions in `order`; map them back to samples.
    for (let j = 0; j < m.length; j++) (j < take[c]! ? train : test).push(order[m[j]!]!);
  });
  const byRank = (a: number, b: number): number => rank[a]! - rank[b]!;
  return { train: train.sort(byRank), test: test.sort(byRank) };
}

/**
 * Integer draws per class summing to `total`, each the floor or the ceiling of the class's
 * proportional share (scikit-learn's `_approximate_mode`).
 */
function approximateMode(counts: number[], total: number, uniform: () => number): number[] {
  const n = counts.reduce((a, b) => a + b, 0);
  const exact = counts.map((c) => (c / n) * total);
  const out = exact.map(Math.floor);
  let missing = total - out.reduce((a, b) => a + b, 0);
  const tieBreak = counts.map(() => uniform());
  const byRemainder = counts.map((_, c) => c).sort((a, b) => exact[b]! - out[b]! - (exact[a]! - out[a]!) || tieBreak[a]! - tieBreak[b]!);
  for (const c of byRemainder) {
    if (missing <= 0) break;
    out[c]! += 1;
    missing -= 1;
  }
  return out;
}

/**
 * Holds out `testSize` of the samples (first axis), like scikit-learn's `train_test_split`:
 * shuffled with `seed` by default, optionally stratified by the classes of `y`.
 */
export function trainTestSplit(x: Tensor, y: Tensor, options: TrainTestSplitOptions = {}): Split {
  const n = x.shape[0] ?? 0;
  if (y.shape[0] !== n) throw new ValueError(`trainTestSplit: x has ${n} samples but y has ${y.shape[0]}`);
  const nTest = holdoutCount('trainTestSplit', 'testSize', options.testSize ?? 0.25, n);
  const labels = options.stratify === true ? classLabels('trainTestSplit', y) : undefined;
  const { train, test } = splitIndices('trainTestSplit', n, nTest, { seed: options.seed, shuffle: options.shuffle, labels });
  return {
    xTrain: x.indexSelect(0, train),
    xTest: x.indexSelect(0, test),
    yTrain: y.indexSelect(0, train),
    yTest: y.indexSelect(0, test),
  };
}

/** Per-feature mean and standard deviation, fitted on training data and reusable on new data. */
export class StandardScaler {
  /** Feature means (after {@link StandardScaler.fit}). */
  mean: Tensor | undefined;
  /** Feature standard deviations (population, zeros replaced by 1). */
  std: Tensor | undefined;

  /** Learns the statistics over the first axis of `x`. */
  fit(x: Tensor): this {
    this.mean = x.mean(0, { keepDims: true });
    const std = x.std(0, { keepDims: true, correction: 0 });
    // A constant feature would divide by zero: leave it centred but unscaled, as scikit-learn does.
    this.std = std.add(std.eq(0));
    return this;
  }

  /** `(x - mean) / std` with the fitted statistics. */
  transform(x: Tensor): Tensor {
    if (this.mean === undefined || this.std === undefined) throw new ValueError('StandardScaler.transform: call fit() first');
    return x.sub(this.mean).div(this.std);
  }

  /** {@link StandardScaler.fit} then {@link StandardScaler.transform}. */
  fitTransform(x: Tensor): Tensor {
    return this.fit(x).transform(x);
  }

  /** Releases the fitted statistics (the scaler can be fitted again). */
  dispose(): void {
    this.mean?.dispose();
    this.std?.dispose();
    this.mean = undefined;
    this.std = undefined;
  }
}

/** Scales features to `[0, 1]` using the minimum and maximum over the first axis. */
export function minMaxScale(x: Tensor): Tensor {
  const lo = x.min(0, { keepDims: true });
  const range = x.max(0, { keepDims: true }).sub(lo);
  return x.sub(lo).div(range.add(range.eq(0)));
}

/** One-hot encodes integer labels given as a tensor or array. */
export function toCategorical(labels: Tensor | number[], numClasses: number): Tensor {
  const t = labels instanceof Tensor ? labels : tensor(labels);
  return t.oneHot(numClasses);
}

/** Data preparation helpers: train/test splits and feature standardisation. */

import { ValueError } from './errors';
import { rand } from './creation';
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

/**
 * Shuffles samples (first axis) with `seed` and holds out `testSize` of them (a fraction in
 * (0, 1) or a count), like scikit-learn's `train_test_split`.
 */
export function trainTestSplit(x: Tensor, y: Tensor, options: { testSize?: number; seed?: number; shuffle?: boolean } = {}): Split {
  const n = x.shape[0] ?? 0;
  if (y.shape[0] !== n) throw new ValueError(`trainTestSplit: x has ${n} samples but y has ${y.shape[0]}`);
  const testSize = options.testSize ?? 0.25;
  const nTest = testSize > 0 && testSize < 1 ? Math.round(n * testSize) : testSize;
  if (!Number.isInteger(nTest) || nTest <= 0 || nTest >= n) {
    throw new ValueError(`trainTestSplit: testSize must be a fraction in (0, 1) or a count in [1, ${n - 1}], got ${testSize}`);
  }
  const order = options.shuffle === false ? Array.from({ length: n }, (_, i) => i) : permutation(n, options.seed ?? 0);
  const test = order.slice(0, nTest);
  const train = order.slice(nTest);
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

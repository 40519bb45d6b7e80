/** Three-way holdout: train / validation / test (the course notes' split). */

import { deriveSeed } from '../internal/prng';
import { holdoutCount, splitIndices } from '../preprocessing';
import { ValueError } from '../errors';
import { Tensor } from '../tensor';
import { classLabels } from './labels';

/** Options of {@link trainValTestSplit}. */
export interface TrainValTestSplitOptions {
  /** Validation share of all samples: a fraction in (0, 1) or a count (default 0.2). */
  valSize?: number;
  /** Test share of all samples: a fraction in (0, 1) or a count (default 0.2). */
  testSize?: number;
  /** Keep the class proportions of `y` in all three parts (default false); needs shuffling. */
  stratify?: boolean;
  /** Seed of the shuffles (default 0). */
  seed?: number;
  /**
   * Shuffle (default true). Without shuffling the parts are consecutive: training first, then
   * validation, then test (the order for time series).
   */
  shuffle?: boolean;
}

/** Result of {@link trainValTestSplit}. */
export interface TrainValTestSplit {
  /** Training inputs. */
  xTrain: Tensor;
  /** Validation inputs (model selection, early stopping). */
  xVal: Tensor;
  /** Test inputs (the final, untouched estimate). */
  xTest: Tensor;
  /** Training targets. */
  yTrain: Tensor;
  /** Validation targets. */
  yVal: Tensor;
  /** Test targets. */
  yTest: Tensor;
}

/**
 * Splits samples (first axis) into training, validation and test parts. Both sizes are shares of
 * all samples (the defaults give 60 / 20 / 20); counts are rounded as in {@link trainTestSplit}.
 * It is two {@link trainTestSplit} steps: the test part is held out of everything, then the
 * validation part out of the rest (with a seed derived from `seed`), each stratified by `y`'s
 * classes when `stratify` is set.
 */
export function trainValTestSplit(x: Tensor, y: Tensor, options: TrainValTestSplitOptions = {}): TrainValTestSplit {
  const op = 'trainValTestSplit';
  const n = x.shape[0] ?? 0;
  if (y.shape[0] !== n) throw new ValueError(`${op}: x has ${n} samples but y has ${y.shape[0]}`);
  const nTest = holdoutCount(op, 'testSize', options.testSize ?? 0.2, n);
  const nVal = holdoutCount(op, 'valSize', options.valSize ?? 0.2, n);
  if (nTest + nVal >= n) throw new ValueError(`${op}: ${nVal} validation + ${nTest} test samples leave no training samples out of ${n}`);
  const labels = options.stratify === true ? classLabels(op, y) : undefined;
  const seed = options.seed ?? 0;
  const outer = splitIndices(op, n, nTest, { seed, shuffle: options.shuffle, labels });
  const inner = splitIndices(op, outer.train.length, nVal, {
    seed: deriveSeed(seed, 1),
    shuffle: options.shuffle,
    labels: labels === undefined ? undefined : outer.train.map((i) => labels[i]!),
  });
  const train = inner.train.map((i) => outer.train[i]!);
  const val = inner.test.map((i) => outer.train[i]!);
  return {
    xTrain: x.indexSelect(0, train),
    xVal: x.indexSelect(0, val),
    xTest: x.indexSelect(0, outer.test),
    yTrain: y.indexSelect(0, train),
    yVal: y.indexSelect(0, val),
    yTest: y.indexSelect(0, outer.test),
  };
}

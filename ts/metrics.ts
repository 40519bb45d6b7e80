/**
 * Metrics as `Module.fit` reports them: the native definitions and log names of `fit` (one
 * implementation, in Rust), also usable on their own in custom loops.
 */

import { NativeMetric } from './native';
import { ValueError, native } from './errors';
import { Tensor } from './tensor';

/** Metric names accepted by `Module.compile` (Keras names; aliases log under the canonical key). */
export type MetricName =
  | 'accuracy'
  | 'acc'
  | 'binaryAccuracy'
  | 'categoricalAccuracy'
  | 'sparseCategoricalAccuracy'
  | 'topKCategoricalAccuracy'
  | 'mse'
  | 'meanSquaredError'
  | 'mae'
  | 'meanAbsoluteError'
  | 'precision'
  | 'recall'
  | 'f1'
  | 'auc'
  | 'prAuc'
  | 'perplexity'
  | 'specificity'
  | 'rmse'
  | 'r2';

/**
 * Running value of one metric over an epoch: `update` per batch, `value` = sum / count.
 * @internal
 */
export class MetricState {
  private readonly inner: NativeMetric;

  /** `binaryThreshold`: where `accuracy` splits one-output predictions (0 for logits); `logits`: multi-class scores are pre-softmax. */
  constructor(name: string, binaryThreshold = 0.5, logits = false) {
    try {
      this.inner = native(() => NativeMetric.create(name, binaryThreshold, logits));
    } catch (e) {
      if (e instanceof ValueError) throw new ValueError(e.message.replace(/^metrics: /, ''));
      throw e;
    }
  }

  /** Log key (`'accuracy'`, `'mse'`, ...); validation values are logged as `'val_' + key`. */
  get key(): string {
    return this.inner.key;
  }

  /** Adds one batch (host-side; no autograd is recorded). */
  update(pred: Tensor, target: Tensor): void {
    native(() => this.inner.update(pred.native, target.native));
  }

  /** The metric over the batches seen so far (0 before any). */
  get value(): number {
    return this.inner.value;
  }
}

function once(name: MetricName, target: Tensor, pred: Tensor): number {
  const state = new MetricState(name);
  state.update(pred, target);
  return state.value;
}

/**
 * Metrics as plain functions of targets and predictions, in Keras' and scikit-learn's order
 * `(yTrue, yPred)` (the definitions `fit` logs; losses take PyTorch's `(pred, target)`).
 *
 * @example
 * ```ts
 * metrics.accuracy(y, model.call(x)); // 0.97
 * ```
 */
export const metrics = {
  /** Keras' `accuracy`: binary (threshold 0.5) when target and prediction have the same shape with one output, sparse when the target has one axis less (or a trailing 1), categorical otherwise. */
  accuracy: (yTrue: Tensor, yPred: Tensor): number => once('accuracy', yTrue, yPred),
  /** Fraction of elements with `(pred > 0.5) == (target > 0.5)`. */
  binaryAccuracy: (yTrue: Tensor, yPred: Tensor): number => once('binaryAccuracy', yTrue, yPred),
  /** Fraction of rows whose argmax equals the argmax of the one-hot target. */
  categoricalAccuracy: (yTrue: Tensor, yPred: Tensor): number => once('categoricalAccuracy', yTrue, yPred),
  /** Fraction of rows whose argmax equals the integer class target. */
  sparseCategoricalAccuracy: (yTrue: Tensor, yPred: Tensor): number => once('sparseCategoricalAccuracy', yTrue, yPred),
  /** Fraction of rows whose target class is among the 5 highest scores. */
  topKCategoricalAccuracy: (yTrue: Tensor, yPred: Tensor): number => once('topKCategoricalAccuracy', yTrue, yPred),
  /** Mean squared error. */
  mse: (yTrue: Tensor, yPred: Tensor): number => once('mse', yTrue, yPred),
  /** Mean absolute error. */
  mae: (yTrue: Tensor, yPred: Tensor): number => once('mae', yTrue, yPred),
};

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
  | 'meanAbsoluteError';

/**
 * Running value of one metric over an epoch: `update` per batch, `value` = sum / count.
 * @internal
 */
export class MetricState {
  private readonly inner: NativeMetric;

  /** `binaryThreshold`: where `accuracy` splits one-output predictions (0 for logits). */
  constructor(name: string, binaryThreshold = 0.5) {
    try {
      this.inner = native(() => NativeMetric.create(name, binaryThreshold));
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

function once(name: MetricName, pred: Tensor, target: Tensor): number {
  const state = new MetricState(name);
  state.update(pred, target);
  return state.value;
}

/**
 * Metrics as plain functions of predictions and targets (the definitions `fit` logs).
 *
 * @example
 * ```ts
 * metrics.accuracy(model.call(x), y); // 0.97
 * ```
 */
export const metrics = {
  /** Keras' `accuracy`: binary (threshold 0.5) when target and prediction have the same shape with one output, sparse when the target has one axis less (or a trailing 1), categorical otherwise. */
  accuracy: (pred: Tensor, target: Tensor): number => once('accuracy', pred, target),
  /** Fraction of elements with `(pred > 0.5) == (target > 0.5)`. */
  binaryAccuracy: (pred: Tensor, target: Tensor): number => once('binaryAccuracy', pred, target),
  /** Fraction of rows whose argmax equals the argmax of the one-hot target. */
  categoricalAccuracy: (pred: Tensor, target: Tensor): number => once('categoricalAccuracy', pred, target),
  /** Fraction of rows whose argmax equals the integer class target. */
  sparseCategoricalAccuracy: (pred: Tensor, target: Tensor): number => once('sparseCategoricalAccuracy', pred, target),
  /** Fraction of rows whose target class is among the 5 highest scores. */
  topKCategoricalAccuracy: (pred: Tensor, target: Tensor): number => once('topKCategoricalAccuracy', pred, target),
  /** Mean squared error. */
  mse: (pred: Tensor, target: Tensor): number => once('mse', pred, target),
  /** Mean absolute error. */
  mae: (pred: Tensor, target: Tensor): number => once('mae', pred, target),
};

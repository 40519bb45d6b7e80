/**
 * Optimizers and losses for custom training loops:
 *
 * ```ts
 * const opt = optimizer(model.parameters(), { type: 'adam', lr: 1e-3 });
 * const loss = losses.sparseCategoricalCrossentropy(model.forward(x), y, { fromLogits: true });
 * loss.backward();
 * opt.step();
 * opt.zeroGrad();
 * ```
 *
 * The update rules are the same native code `fit` uses.
 */

import { NativeOptimizer, computeLoss } from './native';
import { native } from './errors';
import { LossSpec, OptimizerSpec } from './model';
import { Tensor } from './tensor';

/** Updates a fixed list of parameters in place from their gradients. */
export class Optimizer {
  private readonly inner: NativeOptimizer;

  /** @internal Use {@link optimizer}. */
  constructor(handle: NativeOptimizer) {
    this.inner = handle;
  }

  /** One update from the current `.grad` of every parameter (parameters without one are skipped). */
  step(): void {
    native(() => this.inner.step());
  }

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    native(() => this.inner.zeroGrad());
  }

  /** The learning rate (settable, e.g. from a hand-written schedule). */
  get lr(): number {
    return this.inner.lr;
  }

  set lr(value: number) {
    native(() => this.inner.setLr(value));
  }
}

/** Creates an optimizer (`'adam'`, `{ type: 'sgd', lr: 0.1, momentum: 0.9, clipNorm: 1 }`, ...) over `params`. */
export function optimizer(params: Tensor[], spec: OptimizerSpec): Optimizer {
  return new Optimizer(native(() => NativeOptimizer.create(params.map((p) => p.native), JSON.stringify(spec))));
}

/** Applies a loss spec (as accepted by `compile`) to predictions and targets; the result is a differentiable scalar. */
export function loss(spec: LossSpec, pred: Tensor, target: Tensor): Tensor {
  return new Tensor(native(() => computeLoss(JSON.stringify(spec), pred.native, target.native)));
}

/** Built-in losses as functions (mean reduction), Keras names. */
export const losses = {
  /** Mean squared error. */
  meanSquaredError: (pred: Tensor, target: Tensor): Tensor => loss('mse', pred, target),
  /** Mean absolute error. */
  meanAbsoluteError: (pred: Tensor, target: Tensor): Tensor => loss('mae', pred, target),
  /** Huber loss with threshold `delta` (default 1). */
  huber: (pred: Tensor, target: Tensor, options: { delta?: number } = {}): Tensor =>
    loss({ type: 'huber', delta: options.delta ?? 1 }, pred, target),
  /** Binary cross-entropy on probabilities, or on logits with `fromLogits` (fused, stable). */
  binaryCrossentropy: (pred: Tensor, target: Tensor, options: { fromLogits?: boolean } = {}): Tensor =>
    loss({ type: 'binaryCrossentropy', fromLogits: options.fromLogits ?? false }, pred, target),
  /** Cross-entropy against one-hot or probability targets. */
  categoricalCrossentropy: (pred: Tensor, target: Tensor, options: { fromLogits?: boolean } = {}): Tensor =>
    loss({ type: 'categoricalCrossentropy', fromLogits: options.fromLogits ?? false }, pred, target),
  /** Cross-entropy against integer class labels. */
  sparseCategoricalCrossentropy: (pred: Tensor, target: Tensor, options: { fromLogits?: boolean } = {}): Tensor =>
    loss({ type: 'sparseCategoricalCrossentropy', fromLogits: options.fromLogits ?? false }, pred, target),
};

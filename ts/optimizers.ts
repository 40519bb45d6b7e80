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

import { NativeOptimizer, computeLoss, namedLoss } from './native';
import { native } from './errors';
import { LossSpec, OptimizerSpec } from './model';
import { Tensor } from './tensor';

/** Updates a fixed list of parameters in place from their gradients. */
export class Optimizer {
  /** @internal */
  readonly inner: NativeOptimizer;

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

  /**
   * Sets the learning rate of the first parameter group; the other groups keep their ratio to
   * it (a group created with 10x the base LR stays at 10x), as a schedule expects.
   */
  set lr(value: number) {
    native(() => this.inner.setLr(value));
  }

  /** The current learning rate of every parameter group, in order. */
  get groupLrs(): number[] {
    return native(() => this.inner.groupLrs());
  }
}

/**
 * A parameter group (PyTorch `param_groups`): its tensors and any option of the algorithm that
 * differs from the optimizer spec (`lr`, `weightDecay`, `momentum`, ...).
 */
export interface ParamGroup {
  /** The tensors of the group (each tensor in one group only). */
  params: Tensor[];
  /** Options overriding the spec for this group. */
  [option: string]: unknown;
}

/**
 * Creates an optimizer (`'adam'`, `{ type: 'sgd', lr: 0.1, momentum: 0.9, clipNorm: 1 }`, ...)
 * over `params`, or over parameter groups with their own options:
 *
 * ```ts
 * const opt = optimizer([{ params: backbone, lr: 1e-4 }, { params: head }], { type: 'adamw', lr: 1e-3 });
 * ```
 */
export function optimizer(params: Tensor[] | ParamGroup[], spec: OptimizerSpec): Optimizer {
  const groups: ParamGroup[] = params.length > 0 && params[0] instanceof Tensor ? [{ params: params as Tensor[] }] : (params as ParamGroup[]);
  const handles = groups.map((g) => g.params.map((p) => p.native));
  const options = groups.map(({ params: _params, ...rest }) => JSON.stringify(rest));
  return new Optimizer(native(() => NativeOptimizer.create(handles.length > 0 ? handles : [[]], options.length > 0 ? options : ['{}'], JSON.stringify(spec))));
}

/** Options of {@link loss}. */
export interface LossOptions {
  /** `'mean'` (default), `'sum'`, or `'none'` for the unreduced per-element / per-sample losses. */
  reduction?: 'mean' | 'sum' | 'none';
  /**
   * One weight per sample (`[N]`), multiplied into each sample's loss before reducing; the mean
   * divides by the number of loss elements, as Keras' `sample_weight`.
   */
  sampleWeight?: Tensor;
}

/** Applies a loss spec (as accepted by `compile`) to predictions and targets; the result is differentiable. */
export function loss(spec: LossSpec, pred: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  return new Tensor(native(() => computeLoss(JSON.stringify(spec), pred.native, target.native, options.reduction, options.sampleWeight?.native)));
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
  /** Keras `kld`: `Σ y·log(y/p)` per sample over the last axis (probabilities, clipped to [1e-7, 1]). */
  kullbackLeiblerDivergence: (pred: Tensor, target: Tensor): Tensor => loss('kld', pred, target),
  /** `max(0, 1 - y·p)` with labels in {-1, 1} (0/1 labels are mapped to -1/1). */
  hinge: (pred: Tensor, target: Tensor): Tensor => loss('hinge', pred, target),
  /** `max(0, 1 - y·p)²` with labels in {-1, 1} (0/1 labels are mapped to -1/1). */
  squaredHinge: (pred: Tensor, target: Tensor): Tensor => loss('squaredHinge', pred, target),
  /** Negative cosine similarity of rows (Keras `cosine_similarity`; -1 is best). */
  cosineSimilarity: (pred: Tensor, target: Tensor): Tensor => loss('cosineSimilarity', pred, target),
  /** `log(cosh(p - y))`. */
  logCosh: (pred: Tensor, target: Tensor): Tensor => loss('logCosh', pred, target),
  /** Poisson negative log-likelihood `p - y·log(p)` (rates `p > 0`). */
  poisson: (pred: Tensor, target: Tensor): Tensor => loss('poisson', pred, target),
  /**
   * PyTorch's `kl_div(input, target)`: `input` holds log-probabilities; `target` probabilities
   * (or log-probabilities with `logTarget`). Reduction `'mean'` (default), `'batchmean'` (the true
   * KL per sample), `'sum'` or `'none'`.
   */
  klDiv: (logProbs: Tensor, target: Tensor, options: { reduction?: 'mean' | 'batchmean' | 'sum' | 'none'; logTarget?: boolean } = {}): Tensor =>
    namedLossOf('klDiv', options, [logProbs, target]),
  /**
   * Cosine embedding loss on pairs `[N, D]` with labels `y` in {-1, 1}: `1 - cos` for similar
   * pairs, `max(0, cos - margin)` for dissimilar ones (PyTorch `cosine_embedding_loss`).
   */
  cosineEmbedding: (x1: Tensor, x2: Tensor, y: Tensor, options: { margin?: number; reduction?: 'mean' | 'sum' | 'none' } = {}): Tensor =>
    namedLossOf('cosineEmbedding', options, [x1, x2, y]),
  /** Contrastive loss on pairs with labels `y` in {0, 1} (1 = similar): `y·d² + (1-y)·max(0, margin - d)²`. */
  contrastive: (x1: Tensor, x2: Tensor, y: Tensor, options: { margin?: number; reduction?: 'mean' | 'sum' | 'none' } = {}): Tensor =>
    namedLossOf('contrastive', options, [x1, x2, y]),
  /** Triplet margin loss `max(0, margin + d(a, p) - d(a, n))` (PyTorch `triplet_margin_loss`). */
  tripletMargin: (
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    options: { margin?: number; p?: number; eps?: number; swap?: boolean; reduction?: 'mean' | 'sum' | 'none' } = {},
  ): Tensor => namedLossOf('tripletMargin', options, [anchor, positive, negative]),
};

function namedLossOf(name: string, options: object, tensors: Tensor[]): Tensor {
  return new Tensor(native(() => namedLoss(name, JSON.stringify(options), tensors.map((t) => t.native))));
}

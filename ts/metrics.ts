/**
 * Metrics computed with tensor ops, as `Module.fit` reports them (the same definitions and log
 * names as the native `Sequential.fit`): each is also usable on its own in custom loops.
 */

import { ShapeError, ValueError } from './errors';
import { noGrad } from './autograd';
import { scoped } from './internal/scope';
import { Tensor } from './tensor';

/** Metric names accepted by `Module.compile` (Keras names; aliases log under the canonical key). */
export type MetricName =
  | 'accuracy'
  | 'acc'
  | 'binaryAccuracy'
  | 'categoricalAccuracy'
  | 'sparseCategoricalAccuracy'
  | 'mse'
  | 'meanSquaredError'
  | 'mae'
  | 'meanAbsoluteError';

/** A batch's contribution to a streaming metric: the metric is `sum / count` over all batches. */
interface Counted {
  sum: number;
  count: number;
}

type Kind = 'binary_accuracy' | 'categorical_accuracy' | 'sparse_categorical_accuracy' | 'mse' | 'mae';

const NOTHING: ReadonlySet<Tensor> = new Set();

const shapeOf = (t: Tensor): string => `[${t.shape.join(', ')}]`;

const sumOf = (t: Tensor): number => t.sum().item();

function sameShape(kind: Kind, pred: Tensor, target: Tensor): void {
  if (shapeOf(pred) !== shapeOf(target)) {
    throw new ShapeError(`metric ${kind}: needs targets of the prediction's shape ${shapeOf(pred)}, got ${shapeOf(target)}`);
  }
}

/** Positions where two 0/1 (or class-index) tensors agree. */
const agreements = (a: Tensor, b: Tensor): number => sumOf(a.eq(b));

/** Keras' `"accuracy"` inference: binary, sparse or categorical from the shapes. */
function resolveAccuracy(pred: Tensor, target: Tensor): Kind {
  const p = pred.shape;
  const t = target.shape;
  if (p.join(',') === t.join(',') && (p.length === 1 || p.at(-1) === 1)) return 'binary_accuracy';
  const sparse = t.length + 1 === p.length || (t.length === p.length && t.at(-1) === 1 && (p.at(-1) ?? 0) > 1);
  return sparse ? 'sparse_categorical_accuracy' : 'categorical_accuracy';
}

function batch(kind: Kind, pred: Tensor, target: Tensor): Counted {
  switch (kind) {
    case 'binary_accuracy':
      if (pred.size !== target.size) {
        throw new ShapeError(`metric binary_accuracy: needs targets of the prediction's size, got ${shapeOf(pred)} and ${shapeOf(target)}`);
      }
      return { sum: agreements(pred.gt(0.5), target.reshape(pred.shape).gt(0.5)), count: pred.size };
    case 'sparse_categorical_accuracy': {
      const classes = pred.argmax(-1);
      if (target.size !== classes.size) {
        throw new ShapeError(`metric sparse_categorical_accuracy: targets must hold one class per row of ${shapeOf(pred)}, got ${shapeOf(target)}`);
      }
      return { sum: agreements(classes, target.reshape(classes.shape)), count: classes.size };
    }
    case 'categorical_accuracy': {
      sameShape(kind, pred, target);
      const classes = pred.argmax(-1);
      return { sum: agreements(classes, target.argmax(-1)), count: classes.size };
    }
    case 'mse':
    case 'mae': {
      sameShape(kind, pred, target);
      const diff = pred.sub(target);
      return { sum: sumOf(kind === 'mse' ? diff.square() : diff.abs()), count: pred.size };
    }
  }
}

const KINDS: Record<MetricName, Kind | 'accuracy'> = {
  accuracy: 'accuracy',
  acc: 'accuracy',
  binaryAccuracy: 'binary_accuracy',
  categoricalAccuracy: 'categorical_accuracy',
  sparseCategoricalAccuracy: 'sparse_categorical_accuracy',
  mse: 'mse',
  meanSquaredError: 'mse',
  mae: 'mae',
  meanAbsoluteError: 'mae',
};

/**
 * Running value of one metric over an epoch: `update` per batch, `value` = sum / count.
 * @internal
 */
export class MetricState {
  /** Log key (`'accuracy'`, `'mse'`, ...); validation values are logged as `'val_' + key`. */
  readonly key: string;
  private readonly kind: Kind | 'accuracy';
  private sum = 0;
  private count = 0;

  constructor(name: string) {
    const kind = Object.hasOwn(KINDS, name) ? KINDS[name as MetricName] : undefined;
    if (kind === undefined) {
      throw new ValueError(
        `unknown metric '${name}' (accepted: accuracy, binaryAccuracy, categoricalAccuracy, sparseCategoricalAccuracy, mse, mae)`,
      );
    }
    this.kind = kind;
    this.key = kind;
  }

  /** Adds one batch (no autograd is recorded). */
  update(pred: Tensor, target: Tensor): void {
    const kind = this.kind === 'accuracy' ? resolveAccuracy(pred, target) : this.kind;
    // Every tensor made here is an intermediate: the scope disposes them all at once.
    const c = scoped(() => noGrad(() => batch(kind, pred, target)), () => NOTHING);
    this.sum += c.sum;
    this.count += c.count;
  }

  /** The metric over the batches seen so far (0 before any). */
  get value(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }
}

function once(name: MetricName, pred: Tensor, target: Tensor): number {
  const state = new MetricState(name);
  state.update(pred, target);
  return state.value;
}

/**
 * Metrics as plain functions of predictions and targets (the definitions `Module.fit` logs).
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
  /** Mean squared error. */
  mse: (pred: Tensor, target: Tensor): number => once('mse', pred, target),
  /** Mean absolute error. */
  mae: (pred: Tensor, target: Tensor): number => once('mae', pred, target),
};

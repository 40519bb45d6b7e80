/**
 * Adversarial examples and adversarial training, on the eager forward pass of a {@link Model}
 * (`sequential`, `model`) or a custom {@link Module}:
 *
 * - {@link fgsm}: the fast gradient sign method, `x + ε·sign(∇ₓ J(θ, x, y))` (Goodfellow et al., 2015);
 * - {@link pgd}: its iterated form, projected gradient descent in the L∞ ball of radius `ε` around
 *   `x` (Madry et al., 2018);
 * - {@link adversarialAccuracy}: accuracy on attacked batches;
 * - {@link adversarialBatches}: clean plus attacked examples of one batch, for adversarial
 *   training with `trainOnBatch` or a streaming `fit` over a {@link Dataset}.
 *
 * The gradient is taken with respect to the input only ({@link grad} returns it instead of
 * accumulating into `.grad`), so parameter gradients are left untouched. Attacks run in eval
 * mode (dropout off, batch-norm running statistics) and release every tensor they create except
 * the result.
 *
 * @example
 * ```ts
 * const attack: Attack = (m, x, y) => fgsm(m, x, y, { epsilon: 0.1, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true }, clipMin: 0, clipMax: 1 });
 * const robust = await adversarialAccuracy(net, xTest, yTest, attack, { batchSize: 256 });
 * ```
 *
 * @module
 */

import { grad, noGrad } from './autograd';
import { rand } from './creation';
import { ShapeError, ValueError } from './errors';
import { scoped } from './internal/scope';
import { LossSpec, Model, Tensors } from './model';
import { Module } from './module';
import { concat } from './ops';
import { setGradEnabled } from './native';
import { loss as lossOf } from './optimizers';
import { Tensor } from './tensor';

/** What can be attacked: a native model with one output, or a custom module. */
export type Attackable = Model<Tensors> | Module;

/**
 * The loss whose gradient drives an attack: a loss spec as accepted by `compile`
 * (`{ type: 'sparseCategoricalCrossentropy', fromLogits: true }`), or a function of predictions
 * and targets (a non-scalar result is summed).
 */
export type AttackLoss = LossSpec | ((pred: Tensor, target: Tensor) => Tensor);

/** Options of {@link fgsm}. */
export interface FgsmOptions {
  /** L∞ size of the perturbation (finite, `>= 0`; in input units, e.g. 0.1 for pixels in [0, 1]). */
  epsilon: number;
  /** Loss to increase (or, with `targeted`, to decrease). */
  loss: AttackLoss;
  /** Lower bound of valid inputs (e.g. 0 for pixels); none by default. */
  clipMin?: number;
  /** Upper bound of valid inputs (e.g. 1 for pixels); none by default. */
  clipMax?: number;
  /**
   * Targeted attack: `y` holds the classes to reach and the step *descends* the loss,
   * `x - ε·sign(∇ₓ J(x, y))` (default `false`: ascend the loss of the true labels).
   */
  targeted?: boolean;
}

/** Options of {@link pgd}. */
export interface PgdOptions extends FgsmOptions {
  /** L∞ size of each sign step (finite, `> 0`; commonly `2.5 · epsilon / steps`). */
  stepSize: number;
  /** Number of sign steps (a positive integer). */
  steps: number;
  /** Start from a uniform random point of the ε-ball instead of `x` (default `false`). */
  randomStart?: boolean;
  /** Seed of the random start (default: the global generator, see `manualSeed`). */
  seed?: number;
}

/**
 * An attack as used by {@link adversarialAccuracy} and {@link adversarialBatches}: returns a new
 * tensor of adversarial inputs for the batch `(x, y)`, e.g.
 * `(m, x, y) => pgd(m, x, y, { epsilon: 0.1, stepSize: 0.01, steps: 20, loss })`.
 */
export type Attack = (model: Attackable, x: Tensor, y: Tensor) => Tensor;

/** Options of {@link adversarialAccuracy}. */
export interface AdversarialAccuracyOptions {
  /** Samples attacked and classified at a time (default 128). */
  batchSize?: number;
}

/** Options of {@link adversarialBatches}. */
export interface AdversarialBatchesOptions {
  /** How the adversarial examples are made. */
  attack: Attack;
  /**
   * Fraction of the batch that also gets an adversarial copy, in `[0, 1]` (default 1: the batch
   * doubles, half clean, half adversarial, as in Goodfellow et al.). The first
   * `round(ratio · n)` samples are attacked, so shuffle the data.
   */
  ratio?: number;
}

// ---- validation --------------------------------------------------------------------------

function checkFinite(op: string, name: string, value: unknown, min: number, inclusive: boolean): void {
  const ok = typeof value === 'number' && Number.isFinite(value) && (inclusive ? value >= min : value > min);
  if (!ok) throw new ValueError(`${op}: ${name} must be a finite number ${inclusive ? '>=' : '>'} ${min}, got ${String(value)}`);
}

function checkClip(op: string, clipMin: number | undefined, clipMax: number | undefined): void {
  for (const [name, v] of [['clipMin', clipMin], ['clipMax', clipMax]] as const) {
    if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v))) throw new ValueError(`${op}: ${name} must be a number, got ${String(v)}`);
  }
  if (clipMin !== undefined && clipMax !== undefined && clipMin > clipMax) {
    throw new ValueError(`${op}: clipMin (${clipMin}) must not exceed clipMax (${clipMax})`);
  }
}

function checkBatch(op: string, model: unknown, x: unknown, y: unknown): asserts x is Tensor {
  if (!(model instanceof Model) && !(model instanceof Module)) throw new ValueError(`${op}: model must be a Model (sequential, model) or a Module`);
  if (!(x instanceof Tensor) || !(y instanceof Tensor)) throw new ValueError(`${op}: x and y must be Tensors`);
  if (x.rank < 1 || y.rank < 1) throw new ShapeError(`${op}: x and y need a batch dimension, got shapes [${x.shape.join(', ')}] and [${y.shape.join(', ')}]`);
  if (x.shape[0] !== y.shape[0]) {
    throw new ShapeError(`${op}: x and y must hold the same number of samples, got shapes [${x.shape.join(', ')}] and [${y.shape.join(', ')}]`);
  }
}

// ---- shared steps --------------------------------------------------------------------------

/** Runs `fn` with `model` in eval mode, then puts its previous mode back. */
function inEvalMode<T>(model: Attackable, fn: () => T): T {
  const was = model.training;
  model.eval();
  try {
    return fn();
  } finally {
    if (was) model.train();
  }
}

function forwardOne(op: string, model: Attackable, x: Tensor): Tensor {
  const out: Tensors = model.forward(x);
  if (!(out instanceof Tensor)) throw new ValueError(`${op}: the model must have one output, got ${out.length}`);
  return out;
}

/** Runs `fn` in a tensor scope, disposing everything it creates except the returned tensor. */
function keepOnly(fn: () => Tensor): Tensor {
  let result: Tensor | undefined;
  return scoped(
    () => (result = fn()),
    () => new Set(result === undefined ? [] : [result]),
  );
}

/**
 * `sign(∇ₓ J)` at `x` (negated for targeted attacks): the direction of one L∞ step. The model
 * must already be in eval mode.
 */
function stepDirection(op: string, model: Attackable, x: Tensor, y: Tensor, loss: AttackLoss, targeted: boolean): Tensor {
  // Record the forward even when the caller is inside `noGrad` (evaluation code often is).
  const wasEnabled = setGradEnabled(true);
  try {
    return keepOnly(() => directionOf(op, model, x, y, loss, targeted));
  } finally {
    setGradEnabled(wasEnabled);
  }
}

function directionOf(op: string, model: Attackable, x: Tensor, y: Tensor, loss: AttackLoss, targeted: boolean): Tensor {
  // A fresh leaf, cut from any graph `x` belongs to, so the gradient is w.r.t. this input only.
  const leaf = x.detach().requiresGrad_();
  const pred = forwardOne(op, model, leaf);
  let j = typeof loss === 'function' ? loss(pred, y) : lossOf(loss, pred, y);
  if (!(j instanceof Tensor)) throw new ValueError(`${op}: the loss function must return a Tensor`);
  if (j.size !== 1) j = j.sum();
  const [g] = grad(j, [leaf]);
  if (g === null || g === undefined) throw new ValueError(`${op}: the loss does not depend on the input x`);
  return noGrad(() => (targeted ? g.sign().neg() : g.sign()));
}

function clip(x: Tensor, clipMin: number | undefined, clipMax: number | undefined): Tensor {
  return clipMin === undefined && clipMax === undefined ? x : x.clamp(clipMin, clipMax);
}

// ---- attacks ------------------------------------------------------------------------------

/**
 * Fast gradient sign method: `clip(x + ε·sign(∇ₓ J(θ, x, y)))`, one step that maximises the
 * linearised loss under an L∞ budget `ε` (targeted: `x - ε·sign(∇ₓ J(θ, x, target))`).
 *
 * Runs the model's eager forward in eval mode (a {@link Module} gets its previous mode back; a
 * native {@link Model} is left in eval mode, see the module notes), takes the gradient with
 * respect to a copy of `x` only, and disposes every intermediate.
 *
 * @param model - a single-output `Model` or a `Module` returning one tensor.
 * @param x - input batch `[N, ...]` (not modified).
 * @param y - targets `[N, ...]` in the form `loss` expects (integer labels for sparse losses).
 * @returns a new tensor shaped like `x`, not requiring grad; yours to dispose.
 * @throws ValueError for a bad `epsilon` or clip range; ShapeError when `x` and `y` disagree on `N`.
 *
 * @example
 * ```ts
 * const xAdv = fgsm(net, x, y, { epsilon: 0.1, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true }, clipMin: 0, clipMax: 1 });
 * ```
 */
export function fgsm(model: Attackable, x: Tensor, y: Tensor, options: FgsmOptions): Tensor {
  const op = 'fgsm';
  checkBatch(op, model, x, y);
  checkFinite(op, 'epsilon', options.epsilon, 0, true);
  checkClip(op, options.clipMin, options.clipMax);
  const { epsilon, loss, clipMin, clipMax, targeted = false } = options;
  return inEvalMode(model, () =>
    keepOnly(() => {
      const direction = stepDirection(op, model, x, y, loss, targeted);
      return noGrad(() => clip(x.add(direction.mul(epsilon)), clipMin, clipMax));
    }),
  );
}

/**
 * Projected gradient descent in the L∞ ball: from `x` (or a uniform random point of the ball
 * with `randomStart`), `steps` times `x' ← Π(x' + stepSize·sign(∇ J(x')))`, where `Π` clamps into
 * `[x - ε, x + ε] ∩ [clipMin, clipMax]`. A stronger attack than {@link fgsm} (one step of size
 * `ε` without a random start is FGSM). Targeted attacks descend the loss of `y` instead.
 *
 * Eval mode, input-only gradients and disposal as in {@link fgsm}; each step's tensors are
 * released before the next.
 *
 * @returns a new tensor shaped like `x`, with `|x' - x| <= ε` elementwise; yours to dispose.
 * @throws ValueError for a bad `epsilon`, `stepSize`, `steps` or clip range; ShapeError when `x` and `y` disagree on `N`.
 *
 * @example
 * ```ts
 * const xAdv = pgd(net, x, y, { epsilon: 0.1, stepSize: 0.01, steps: 20, randomStart: true, seed: 1, loss, clipMin: 0, clipMax: 1 });
 * ```
 */
export function pgd(model: Attackable, x: Tensor, y: Tensor, options: PgdOptions): Tensor {
  const op = 'pgd';
  checkBatch(op, model, x, y);
  checkFinite(op, 'epsilon', options.epsilon, 0, true);
  checkFinite(op, 'stepSize', options.stepSize, 0, false);
  if (!Number.isInteger(options.steps) || options.steps < 1) throw new ValueError(`pgd: steps must be a positive integer, got ${String(options.steps)}`);
  checkClip(op, options.clipMin, options.clipMax);
  const { epsilon, stepSize, steps, loss, clipMin, clipMax, targeted = false, randomStart = false, seed } = options;
  return inEvalMode(model, () => {
    // The projection set [x - ε, x + ε] ∩ [clipMin, clipMax], computed once.
    const lower = keepOnly(() => noGrad(() => (clipMin === undefined ? x.sub(epsilon) : x.sub(epsilon).maximum(clipMin))));
    const upper = keepOnly(() => noGrad(() => (clipMax === undefined ? x.add(epsilon) : x.add(epsilon).minimum(clipMax))));
    const project = (t: Tensor): Tensor => t.maximum(lower).minimum(upper);
    try {
      let current = keepOnly(() => noGrad(() => (randomStart ? project(x.add(rand(x.shape, -epsilon, epsilon, { seed }))) : project(x))));
      for (let s = 0; s < steps; s++) {
        const previous = current;
        current = keepOnly(() => {
          const direction = stepDirection(op, model, previous, y, loss, targeted);
          return noGrad(() => project(previous.add(direction.mul(stepSize))));
        });
        previous.dispose();
      }
      return current;
    } finally {
      lower.dispose();
      upper.dispose();
    }
  });
}

// ---- evaluation and training helpers ----------------------------------------------------------

/**
 * Classification accuracy on adversarial inputs: each batch of `batchSize` samples is attacked
 * with `attack`, classified in eval mode without autograd (argmax over the last axis), and
 * released. `y` holds integer labels `[N]` or one-hot rows `[N, C]`. The identity attack
 * `(m, x) => x` gives the clean accuracy. Yields to the event loop between batches.
 *
 * @returns the fraction of samples classified correctly after the attack.
 * @throws ValueError for a bad `batchSize` or an empty `x`; ShapeError when `x` and `y` disagree on `N`.
 *
 * @example
 * ```ts
 * const acc = await adversarialAccuracy(net, xTest, yTest, (m, x, y) => fgsm(m, x, y, { epsilon: 0.1, loss, clipMin: 0, clipMax: 1 }), { batchSize: 256 });
 * ```
 */
export async function adversarialAccuracy(model: Attackable, x: Tensor, y: Tensor, attack: Attack, options: AdversarialAccuracyOptions = {}): Promise<number> {
  const op = 'adversarialAccuracy';
  checkBatch(op, model, x, y);
  if (typeof attack !== 'function') throw new ValueError(`${op}: attack must be a function (model, x, y) => adversarial x`);
  const batchSize = options.batchSize ?? 128;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ValueError(`${op}: batchSize must be a positive integer, got ${String(batchSize)}`);
  const n = x.shape[0]!;
  if (n === 0) throw new ValueError(`${op}: x holds no samples`);
  let correct = 0;
  for (let start = 0; start < n; start += batchSize) {
    const len = Math.min(batchSize, n - start);
    scoped(
      () => {
        const xb = x.narrow(0, start, len);
        const yb = y.narrow(0, start, len);
        const adv = attack(model, xb, yb);
        if (!(adv instanceof Tensor)) throw new ValueError(`${op}: the attack must return a Tensor`);
        const predicted = inEvalMode(model, () => noGrad(() => forwardOne(op, model, adv).argmax(-1)));
        const labels = yb.rank > 1 ? yb.argmax(-1) : yb;
        if (predicted.shape[0] !== len || labels.rank !== 1) throw new ShapeError(`${op}: expected ${len} predictions and labels [N] or [N, C], got labels [${yb.shape.join(', ')}]`);
        correct += predicted.eq(labels).sum().item();
      },
      () => new Set(),
    );
    if (start + batchSize < n) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return correct / n;
}

/**
 * Adversarial training data from one batch: the clean samples followed by adversarial copies of
 * the first `round(ratio · n)` of them, with their labels, as `[inputs, targets]` (new tensors;
 * `batch` is not modified). Use it in a hand-written loop,
 *
 * ```ts
 * for await (const [xb, yb] of train) {
 *   const [xm, ym] = adversarialBatches(net, [xb, yb], { attack });
 *   await net.trainOnBatch(xm, ym);
 *   for (const t of [xb, yb, xm, ym]) t.dispose();
 * }
 * ```
 *
 * or as a {@link Dataset} stage for a streaming `fit` (the pipeline releases the clean batch):
 *
 * ```ts
 * await net.fit(Dataset.fromTensors(x, y).shuffle(n, { seed: 1 }).batch(64).map((b) => adversarialBatches(net, b, { attack })), { epochs: 2 });
 * ```
 *
 * The attack runs on the model being trained, with its current weights: put no `prefetch` after
 * this stage, so that batches are attacked between training steps rather than during them.
 *
 * @throws ValueError for a bad `ratio` or attack; ShapeError when inputs and targets disagree on `N`.
 */
export function adversarialBatches(model: Attackable, batch: readonly [Tensor, Tensor] | readonly [Tensor, Tensor, ...unknown[]], options: AdversarialBatchesOptions): [Tensor, Tensor] {
  const op = 'adversarialBatches';
  if (!Array.isArray(batch) || batch.length < 2) throw new ValueError(`${op}: batch must be [inputs, targets]`);
  const [x, y] = batch;
  checkBatch(op, model, x, y);
  const { attack, ratio = 1 } = options;
  if (typeof attack !== 'function') throw new ValueError(`${op}: attack must be a function (model, x, y) => adversarial x`);
  if (typeof ratio !== 'number' || !(ratio >= 0 && ratio <= 1)) throw new ValueError(`${op}: ratio must be in [0, 1], got ${String(ratio)}`);
  const count = Math.round(ratio * x.shape[0]!);
  let xs: Tensor | undefined;
  let ys: Tensor | undefined;
  scoped(
    () => {
      if (count === 0) {
        xs = noGrad(() => x.add(0));
        ys = noGrad(() => y.add(0));
        return;
      }
      const xa = x.narrow(0, 0, count);
      const ya = y.narrow(0, 0, count);
      const adv = attack(model, xa, ya);
      if (!(adv instanceof Tensor)) throw new ValueError(`${op}: the attack must return a Tensor`);
      xs = noGrad(() => concat([x, adv], 0));
      ys = noGrad(() => concat([y, ya], 0));
    },
    () => new Set([xs, ys].filter((t): t is Tensor => t !== undefined)),
  );
  return [xs!, ys!];
}

/** K-fold (or any folds) cross-validation of a model factory. */

import { ValueError } from '../errors';
import { deriveSeed } from '../internal/prng';
import type { FitArgs, Tensors } from '../model';
import { Tensor, tensor } from '../tensor';
import { Fold, checkFold } from './fold';
import { kFold } from './kfold';
import { classLabels } from './labels';
import { mapPool } from './pool';
import { stratifiedKFold } from './stratified_kfold';

/**
 * What cross-validation needs from a model: {@link Model} (from `sequential` / `model`) and a
 * compiled {@link Module} both fit. `fit` receives the `fit` options unchanged (a `Module`
 * accepts the subset it documents).
 */
export interface Trainable {
  /** Trains on `(x, y)`. */
  fit(x: Tensors, y: Tensors, args?: FitArgs): Promise<unknown>;
  /** Loss and metrics on `(x, y)`. */
  evaluate(x: Tensors, y: Tensors): Promise<Record<string, number>>;
  /** Releases the model; called once its fold is scored. */
  dispose(): void;
}

/** Where a factory call happens, passed as the second argument of every {@link ModelFactory}. */
export interface TrialContext {
  /** Zero-based fold index, or `'refit'` for the final model of a search. */
  fold: number | 'refit';
  /**
   * A seed derived from the `seed` option and the fold (the same for every candidate of a
   * search). Call `manualSeed(context.seed)` in the factory to make the initial weights of
   * each fold independent of the order in which folds run (see `concurrency`).
   */
  seed: number;
}

/**
 * Builds and compiles a fresh model for one fold (or the final refit of a search) from the trial
 * parameters. May be async.
 */
export type ModelFactory<P, M extends Trainable> = (params: P, context: TrialContext) => M | Promise<M>;

/**
 * A preprocessing step learned on the training part of each fold and applied to both parts,
 * such as {@link StandardScaler} (`preprocess: () => new StandardScaler()`). Fitting it on the
 * training rows only keeps test statistics out of training.
 */
export interface Transformer<X extends Tensors = Tensor> {
  /** Learns the statistics from the training inputs. */
  fit(x: X): unknown;
  /** Applies them (returns new tensors). */
  transform(x: X): X;
  /** Releases the learned statistics, when it holds tensors. */
  dispose?(): void;
}

/** Options of {@link crossValidate}. */
export interface CrossValidateOptions<M extends Trainable, X extends Tensors = Tensor, Y extends Tensors = Tensor, P = undefined> {
  /** Number of folds for {@link kFold} / {@link stratifiedKFold} (default 5), or the folds themselves (any iterable, e.g. {@link leavePOut}). */
  cv?: number | Iterable<Fold>;
  /** With a number `cv`: stratified folds by the classes of `y` (the first `y` tensor of a list) (default false). */
  stratify?: boolean;
  /** With a number `cv`: shuffle before cutting the folds (default false, as scikit-learn). */
  shuffle?: boolean;
  /** Seed of the fold shuffle and of {@link TrialContext.seed} (default 0). */
  seed?: number;
  /** Parameters passed to the factory. */
  params?: P;
  /** Options of every `fit` (or a function of the parameters); `verbose` defaults to 0 here. */
  fit?: FitArgs | ((params: P) => FitArgs);
  /** A fresh preprocessing step per fold, fitted on that fold's training inputs (see {@link Transformer}). */
  preprocess?: () => Transformer<X>;
  /**
   * Scores of a trained fold model on the held-out part, replacing `model.evaluate` (call it
   * inside to keep its loss and metrics as well).
   */
  metrics?: (model: M, xTest: X, yTest: Y) => Promise<Record<string, number>>;
  /**
   * Folds trained at the same time (default 1). Every `fit` runs on a libuv worker thread and all
   * native math shares the engine's one fixed-size thread pool, so parallel folds share the
   * cores instead of oversubscribing them; it pays off when single fits leave cores idle (small
   * models and batches). libuv runs 4 tasks at once unless `UV_THREADPOOL_SIZE` says otherwise.
   */
  concurrency?: number;
}

/** Scores of one fold. */
export interface FoldResult {
  /** Zero-based fold index. */
  fold: number;
  /** Training samples. */
  trainSize: number;
  /** Held-out samples. */
  testSize: number;
  /** Held-out loss and metrics (or what `metrics` returned). */
  scores: Record<string, number>;
  /** Wall time of the fold (gather, preprocess, build, fit, score), in seconds. */
  seconds: number;
}

/** Result of {@link crossValidate}. */
export interface CrossValidateResult {
  /** One entry per fold, in fold order. */
  folds: FoldResult[];
  /** Mean of each score over the folds. */
  mean: Record<string, number>;
  /** Population standard deviation of each score over the folds (`np.std`, ddof 0, what scikit-learn users report). */
  std: Record<string, number>;
  /** Wall time of the whole run, in seconds. */
  seconds: number;
}

const asList = (x: Tensors): Tensor[] => (Array.isArray(x) ? x : [x]);

/** The number of samples shared by every tensor of `x` and `y`. @internal */
export function sampleRows(op: string, x: Tensors, y: Tensors): number {
  const tensors = [...asList(x), ...asList(y)];
  const n = tensors[0]?.shape[0];
  if (n === undefined || n === 0) throw new ValueError(`${op}: x and y must be non-empty batches`);
  const other = tensors.find((t) => t.shape[0] !== n);
  if (other !== undefined) throw new ValueError(`${op}: every x and y tensor needs ${n} samples (first axis), got [${other.shape.join(', ')}]`);
  return n;
}

/** The folds a `cv` option stands for. @internal */
export function resolveFolds(op: string, cv: number | Iterable<Fold>, n: number, y: Tensors, options: { stratify?: boolean; shuffle?: boolean; seed?: number }): Iterable<Fold> {
  if (typeof cv !== 'number') {
    if (cv === null || typeof (cv as Partial<Iterable<Fold>>)[Symbol.iterator] !== 'function') throw new ValueError(`${op}: cv must be a number of folds or an iterable of folds`);
    return cv;
  }
  const split = { k: cv, shuffle: options.shuffle, seed: options.seed };
  return options.stratify === true ? stratifiedKFold(classLabels(op, asList(y)[0]!), split) : kFold(n, split);
}

/** Means and population standard deviations of each key over `rows`. @internal */
export function summarize(rows: Array<Record<string, number>>): { mean: Record<string, number>; std: Record<string, number> } {
  const mean: Record<string, number> = {};
  const std: Record<string, number> = {};
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  for (const key of keys) {
    const values = rows.map((r) => r[key]).filter((v): v is number => v !== undefined);
    const m = values.reduce((a, b) => a + b, 0) / values.length;
    mean[key] = m;
    std[key] = Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / values.length);
  }
  return { mean, std };
}

function gather<X extends Tensors>(x: X, index: Tensor): X {
  return (Array.isArray(x) ? x.map((t) => t.indexSelect(0, index)) : (x as Tensor).indexSelect(0, index)) as X;
}

/** The `fit` options for `params` (verbose off unless asked). @internal */
export function fitArgsFor<P>(fit: FitArgs | ((params: P) => FitArgs) | undefined, params: P): FitArgs {
  return { verbose: 0, ...(typeof fit === 'function' ? fit(params) : fit) };
}

/**
 * Cross-validates the models built by `factory`: for every fold it gathers the fold's rows (one
 * `indexSelect` per tensor and part), fits the optional `preprocess` step on the training part
 * only and applies it to both, builds a fresh model with `factory(params, context)`, trains it
 * with `fit`, scores the held-out part with `evaluate` (or `metrics`), then disposes the model,
 * the step and the fold's tensors. Resolves to per-fold scores with their mean and population
 * standard deviation.
 *
 * `cv` is a number of folds ({@link kFold}, or {@link stratifiedKFold} with `stratify`) or any
 * iterable of {@link Fold}s ({@link leaveOneOut}, {@link leavePOut}, your own). With
 * `concurrency > 1` folds train in parallel; per-fold scores equal the sequential ones when the
 * factory seeds its initial weights from `context.seed` (or the model draws no random numbers
 * after being built, e.g. has no dropout).
 *
 * @example
 * ```ts
 * const cv = await crossValidate(
 *   (_, { seed }) => {
 *     manualSeed(seed);
 *     const m = sequential([layers.dense({ units: 1 })], { inputShape: [30] });
 *     m.compile({ optimizer: 'adam', loss: { type: 'binaryCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
 *     return m;
 *   },
 *   x, y, { cv: 5, stratify: true, shuffle: true, preprocess: () => new StandardScaler(), fit: { epochs: 50 } },
 * );
 * console.log(cv.mean.accuracy, cv.std.accuracy);
 * ```
 */
export async function crossValidate<M extends Trainable, X extends Tensors = Tensor, Y extends Tensors = Tensor, P = undefined>(
  factory: ModelFactory<P, M>,
  x: X,
  y: Y,
  options: CrossValidateOptions<M, X, Y, P> = {},
): Promise<CrossValidateResult> {
  const op = 'crossValidate';
  const started = performance.now();
  const n = sampleRows(op, x, y);
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new ValueError(`${op}: concurrency must be a positive integer, got ${concurrency}`);
  const folds = resolveFolds(op, options.cv ?? 5, n, y, options);
  const params = options.params as P;
  const fitArgs = fitArgsFor(options.fit, params);
  const seed = options.seed ?? 0;

  const runFold = async (fold: Fold, index: number): Promise<FoldResult> => {
    const t0 = performance.now();
    checkFold(op, fold, index, n);
    const owned: Tensor[] = [];
    const own = <T extends Tensors>(t: T): T => {
      owned.push(...asList(t));
      return t;
    };
    let model: M | undefined;
    let step: Transformer<X> | undefined;
    try {
      const trainIndex = own(tensor(Float32Array.from(fold.train), [fold.train.length]));
      const testIndex = own(tensor(Float32Array.from(fold.test), [fold.test.length]));
      let xTrain = own(gather(x, trainIndex));
      let xTest = own(gather(x, testIndex));
      const yTrain = own(gather(y, trainIndex));
      const yTest = own(gather(y, testIndex));
      if (options.preprocess !== undefined) {
        step = options.preprocess();
        step.fit(xTrain);
        xTrain = own(step.transform(xTrain));
        xTest = own(step.transform(xTest));
      }
      model = await factory(params, { fold: index, seed: deriveSeed(seed, index) });
      await model.fit(xTrain, yTrain, fitArgs);
      const scores = options.metrics !== undefined ? await options.metrics(model, xTest, yTest) : await model.evaluate(xTest, yTest);
      return { fold: index, trainSize: fold.train.length, testSize: fold.test.length, scores, seconds: (performance.now() - t0) / 1000 };
    } finally {
      model?.dispose();
      step?.dispose?.();
      for (const t of owned) t.dispose();
    }
  };

  const results = await mapPool(folds, concurrency, runFold);
  if (results.length === 0) throw new ValueError(`${op}: cv gave no folds`);
  return { folds: results, ...summarize(results.map((r) => r.scores)), seconds: (performance.now() - started) / 1000 };
}

/** Hyper-parameter search: grid and random search scored by cross-validation, then a refit. */

import { ValueError } from '../errors';
import { deriveSeed } from '../internal/prng';
import type { Tensors } from '../model';
import { holdoutCount, splitIndices } from '../preprocessing';
import { Tensor } from '../tensor';
import { CrossValidateOptions, FoldResult, ModelFactory, Trainable, Transformer, crossValidate, fitArgsFor, resolveFolds, sampleRows } from './cross_validate';
import { Fold } from './fold';
import { classLabels } from './labels';
import { GridParams, ParamGrid, SampledParams, SearchSpace, parameterGrid, sampleParameters } from './param_space';

/** Options of {@link gridSearch} (and {@link randomSearch}). */
export interface SearchOptions<M extends Trainable, X extends Tensors = Tensor, Y extends Tensors = Tensor, P = unknown> extends Omit<CrossValidateOptions<M, X, Y, P>, 'cv' | 'params'> {
  /**
   * How each candidate is scored: a number of folds (default 5), the folds themselves (the same
   * folds for every candidate), or `'holdout'`: one training / validation split of
   * `validationSize` (shuffled, and stratified with `stratify`).
   */
  cv?: number | Iterable<Fold> | 'holdout';
  /** Validation share for `cv: 'holdout'`: a fraction in (0, 1) or a count (default 0.2). */
  validationSize?: number;
  /**
   * The mean score that ranks candidates (default `'accuracy'` when the model reports it, else
   * `'loss'`).
   */
  scoring?: string;
  /**
   * Whether a higher or a lower `scoring` is better. Default: `'min'` for losses and errors (keys
   * containing `loss`, `error`, `mse` or `mae`), `'max'` otherwise.
   */
  mode?: 'max' | 'min';
  /** Called after each candidate is scored (progress). */
  onCandidate?: (result: CandidateResult<P>, index: number, total: number) => void;
}

/** Options of {@link randomSearch}. */
export interface RandomSearchOptions<M extends Trainable, X extends Tensors = Tensor, Y extends Tensors = Tensor, P = unknown> extends SearchOptions<M, X, Y, P> {
  /** Parameter sets to draw (default 10). */
  nIter?: number;
}

/** The cross-validated scores of one parameter set. */
export interface CandidateResult<P> {
  /** The parameters. */
  params: P;
  /** The candidate's `scoring` value (its mean over the folds). */
  score: number;
  /** 1 for the best candidate, 2 for the next, ... (ties share the better rank, as scikit-learn's `rank_test_score`). */
  rank: number;
  /** Mean of each score over the folds. */
  mean: Record<string, number>;
  /** Population standard deviation of each score over the folds. */
  std: Record<string, number>;
  /** Per-fold scores. */
  folds: FoldResult[];
  /** Wall time of the candidate's cross-validation, in seconds. */
  seconds: number;
}

/** Result of {@link gridSearch} and {@link randomSearch}. */
export interface SearchResult<P, M extends Trainable, X extends Tensors = Tensor> {
  /** The winning parameters, their score and their index in `results` (the first of tied candidates wins). */
  best: { params: P; score: number; index: number };
  /** Every candidate, in the order tried. */
  results: Array<CandidateResult<P>>;
  /** The key that ranked the candidates. */
  scoring: string;
  /** Whether higher (`'max'`) or lower (`'min'`) was better. */
  mode: 'max' | 'min';
  /**
   * A fresh model with the best parameters trained on all of `(x, y)` (training plus validation
   * data), with the same `fit` options. The caller owns it (dispose it when done).
   */
  model: M;
  /** With `preprocess`: the step fitted on all of `x`; apply its `transform` to new inputs before `model.predict`. */
  preprocessor: Transformer<X> | undefined;
}

function defaultMode(scoring: string): 'max' | 'min' {
  return /loss|error|mse|mae/i.test(scoring) ? 'min' : 'max';
}

/** Scores `candidates` on shared folds, ranks them and refits the best on all data. */
async function search<P, M extends Trainable, X extends Tensors, Y extends Tensors>(
  op: string,
  factory: ModelFactory<P, M>,
  candidates: P[],
  x: X,
  y: Y,
  options: SearchOptions<M, X, Y, P>,
): Promise<SearchResult<P, M, X>> {
  const n = sampleRows(op, x, y);
  if (candidates.length === 0) throw new ValueError(`${op}: no parameter combinations to try`);
  const seed = options.seed ?? 0;
  const cv = options.cv ?? 5;
  let folds: Fold[];
  if (cv === 'holdout') {
    const nVal = holdoutCount(op, 'validationSize', options.validationSize ?? 0.2, n);
    const labels = options.stratify === true ? classLabels(op, Array.isArray(y) ? y[0]! : y) : undefined;
    const { train, test } = splitIndices(op, n, nVal, { seed, shuffle: options.shuffle ?? true, labels });
    folds = [{ train, test }];
  } else {
    // Materialised once, so every candidate is scored on the same folds.
    folds = Array.from(resolveFolds(op, cv, n, y, options));
  }
  // What crossValidate does not take: the search's own options.
  const { scoring: _scoring, mode: _mode, onCandidate, validationSize: _validationSize, ...cvOptions } = options;
  const results: Array<CandidateResult<P>> = [];
  let scoring = options.scoring;
  for (const [index, params] of candidates.entries()) {
    const run = await crossValidate(factory, x, y, { ...cvOptions, cv: folds, params });
    scoring ??= 'accuracy' in run.mean ? 'accuracy' : 'loss';
    const score = run.mean[scoring];
    if (score === undefined) throw new ValueError(`${op}: scoring '${scoring}' is not among the scores [${Object.keys(run.mean).join(', ')}]`);
    const result: CandidateResult<P> = { params, score, rank: 0, mean: run.mean, std: run.std, folds: run.folds, seconds: run.seconds };
    results.push(result);
    onCandidate?.(result, index, candidates.length);
  }
  const key = scoring!;
  const mode = options.mode ?? defaultMode(key);
  // NaN scores rank last.
  const better = (a: number, b: number): boolean => !Number.isNaN(a) && (Number.isNaN(b) || (mode === 'max' ? a > b : a < b));
  for (const r of results) r.rank = 1 + results.filter((o) => better(o.score, r.score)).length;
  const bestIndex = results.findIndex((r) => r.rank === 1);
  const best = results[bestIndex]!;

  // Refit on everything with the winning parameters.
  const preprocessor = options.preprocess?.();
  let xAll = x;
  if (preprocessor !== undefined) {
    preprocessor.fit(x);
    xAll = preprocessor.transform(x);
  }
  const model = await factory(best.params, { fold: 'refit', seed: deriveSeed(seed, folds.length) });
  try {
    await model.fit(xAll, y, fitArgsFor(options.fit, best.params));
  } catch (err) {
    model.dispose();
    preprocessor?.dispose?.();
    throw err;
  } finally {
    if (xAll !== x) for (const t of Array.isArray(xAll) ? xAll : [xAll as Tensor]) t.dispose();
  }
  return { best: { params: best.params, score: best.score, index: bestIndex }, results, scoring: key, mode, model, preprocessor };
}

/**
 * Exhaustive search over `paramGrid` (every combination, see {@link parameterGrid}): each
 * candidate is cross-validated on the same folds ({@link crossValidate}, or one holdout split
 * with `cv: 'holdout'`), the best mean `scoring` wins, and a fresh model with the winning
 * parameters is trained on all of `(x, y)` and returned with every candidate's results.
 *
 * @example
 * ```ts
 * const { best, model } = await gridSearch(
 *   (p: { units: number; l2: number }) => build(p),
 *   { units: [8, 32], l2: [0, 1e-3, 1e-2] },
 *   x, y, { cv: 5, stratify: true, fit: { epochs: 30 } },
 * );
 * ```
 */
export async function gridSearch<G extends ParamGrid, M extends Trainable, X extends Tensors = Tensor, Y extends Tensors = Tensor>(
  factory: ModelFactory<GridParams<G>, M>,
  paramGrid: G | readonly G[],
  x: X,
  y: Y,
  options: SearchOptions<M, X, Y, GridParams<G>> = {},
): Promise<SearchResult<GridParams<G>, M, X>> {
  return search('gridSearch', factory, parameterGrid(paramGrid), x, y, options);
}

/**
 * Random search: `nIter` parameter sets drawn from `distributions` with `seed` (see
 * {@link sampleParameters}; `{ min, max, log: true }` for learning rates), each scored and
 * ranked as in {@link gridSearch}, then the best refitted on all of `(x, y)`. The same seed
 * gives the same candidates and folds.
 */
export async function randomSearch<S extends SearchSpace, M extends Trainable, X extends Tensors = Tensor, Y extends Tensors = Tensor>(
  factory: ModelFactory<SampledParams<S>, M>,
  distributions: S,
  x: X,
  y: Y,
  options: RandomSearchOptions<M, X, Y, SampledParams<S>> = {},
): Promise<SearchResult<SampledParams<S>, M, X>> {
  const { nIter = 10, ...rest } = options;
  return search('randomSearch', factory, sampleParameters(distributions, nIter, options.seed ?? 0), x, y, rest);
}

/**
 * Classification metrics with scikit-learn's definitions and argument order `(yTrue, yPred)`:
 * confusion matrix, accuracy, precision, recall (sensitivity, TPR), specificity (TNR), F1 and
 * F-beta with binary / micro / macro / weighted averaging, Matthews correlation, Cohen's kappa
 * and log-loss. Computed natively on the host.
 */

import { ValueError, native } from '../errors';
import { classificationScores, logLossScore } from '../native';
import { Values, classCount, flat, toLabels } from './labels';

/** How per-class scores are combined (scikit-learn's `average`); `null` returns per-class values. */
export type AverageMode = 'binary' | 'micro' | 'macro' | 'weighted';

/** Options shared by the classification scores. */
export interface ClassificationOptions {
  /**
   * `'binary'` (the positive class only; the default for two classes), `'macro'` (the default
   * otherwise), `'micro'` or `'weighted'` (by support).
   */
  average?: AverageMode;
  /** The positive class of `'binary'` (default 1). */
  posLabel?: number;
  /** Number of classes (default: largest label + 1). */
  numClasses?: number;
  /** Classes to score and average over (default: those in `yTrue` or `yPred`). */
  labels?: number[];
}

/** Everything a confusion matrix yields, per class and averaged. */
export interface ClassificationScores {
  /** `confusion[t][p]`: samples of true class `t` predicted as `p`. */
  confusion: number[][];
  /** Fraction correct. */
  accuracy: number;
  /** Averaged precision `TP / (TP + FP)`. */
  precision: number;
  /** Averaged recall `TP / (TP + FN)`. */
  recall: number;
  /** Averaged F-beta. */
  fscore: number;
  /** Averaged specificity `TN / (TN + FP)`. */
  specificity: number;
  /** Matthews correlation coefficient. */
  mcc: number;
  /** Cohen's kappa (`NaN` when chance agreement is 1). */
  kappa: number;
  /** Per-class values, for the classes in `labels`. */
  perClass: { labels: number[]; precision: number[]; recall: number[]; fscore: number[]; support: number[]; specificity: number[] };
}

interface Raw extends Omit<ClassificationScores, 'confusion' | 'kappa'> {
  confusion: number[];
  kappa: number | null;
  classes: number;
}

/** Computes every classification score at once (`beta` for F-beta, default 1). */
export function classificationScoresOf(yTrue: Values, yPred: Values, options: ClassificationOptions & { beta?: number } = {}): ClassificationScores {
  const op = 'classification metrics';
  const t = toLabels(op, yTrue, 'yTrue');
  const p = toLabels(op, yPred, 'yPred');
  if (t.length !== p.length) throw new ValueError(`${op}: yTrue has ${t.length} labels but yPred ${p.length}`);
  const n = classCount(op, options.numClasses, t, p);
  const average = options.average ?? (n === 2 ? 'binary' : 'macro');
  const raw = JSON.parse(native(() => classificationScores(t, p, n, average, options.beta ?? 1, options.posLabel ?? 1, options.labels))) as Raw;
  const confusion: number[][] = [];
  for (let r = 0; r < n; r++) confusion.push(raw.confusion.slice(r * n, (r + 1) * n));
  return { ...raw, confusion, kappa: raw.kappa ?? Number.NaN };
}

/** The confusion matrix: `m[t][p]` counts samples of true class `t` predicted as `p`. */
export function confusionMatrix(yTrue: Values, yPred: Values, options: { numClasses?: number } = {}): number[][] {
  return classificationScoresOf(yTrue, yPred, { ...options, average: 'macro' }).confusion;
}

/** Fraction of correct predictions. */
export function accuracyScore(yTrue: Values, yPred: Values): number {
  return classificationScoresOf(yTrue, yPred, { average: 'micro' }).accuracy;
}

/** Precision `TP / (TP + FP)`, averaged as `options.average`. */
export function precisionScore(yTrue: Values, yPred: Values, options: ClassificationOptions = {}): number {
  return classificationScoresOf(yTrue, yPred, options).precision;
}

/** Recall (sensitivity, true-positive rate) `TP / (TP + FN)`. */
export function recallScore(yTrue: Values, yPred: Values, options: ClassificationOptions = {}): number {
  return classificationScoresOf(yTrue, yPred, options).recall;
}

/** Specificity (selectivity, true-negative rate) `TN / (TN + FP)`. */
export function specificityScore(yTrue: Values, yPred: Values, options: ClassificationOptions = {}): number {
  return classificationScoresOf(yTrue, yPred, options).specificity;
}

/** F1, the harmonic mean of precision and recall. */
export function f1Score(yTrue: Values, yPred: Values, options: ClassificationOptions = {}): number {
  return classificationScoresOf(yTrue, yPred, options).fscore;
}

/** F-beta: recall weighted `beta` times as much as precision. */
export function fbetaScore(yTrue: Values, yPred: Values, beta: number, options: ClassificationOptions = {}): number {
  return classificationScoresOf(yTrue, yPred, { ...options, beta }).fscore;
}

/** Matthews correlation coefficient (multi-class form; 0 when undefined). */
export function matthewsCorrcoef(yTrue: Values, yPred: Values): number {
  return classificationScoresOf(yTrue, yPred, { average: 'micro' }).mcc;
}

/** Cohen's kappa: agreement beyond chance. */
export function cohenKappaScore(yTrue: Values, yPred: Values): number {
  return classificationScoresOf(yTrue, yPred, { average: 'micro' }).kappa;
}

/**
 * Mean negative log-likelihood of labels under predicted probabilities: `[N, C]` rows, or `[N]`
 * probabilities of class 1 for binary problems (clipped to `[eps, 1 - eps]`, default 1e-15, and
 * renormalised per row, as scikit-learn).
 */
export function logLoss(yTrue: Values, probabilities: Values, options: { eps?: number; numClasses?: number } = {}): number {
  const op = 'logLoss';
  const t = toLabels(op, yTrue, 'yTrue');
  const { data, width } = flat(op, probabilities, 'probabilities');
  const probs = width === 1 ? data.flatMap((p) => [1 - p, p]) : data;
  const classes = width === 1 ? 2 : width;
  if (options.numClasses !== undefined && options.numClasses !== classes) throw new ValueError(`${op}: ${classes} probability columns but numClasses ${options.numClasses}`);
  return native(() => logLossScore(t, probs, classes, options.eps ?? 1e-15));
}

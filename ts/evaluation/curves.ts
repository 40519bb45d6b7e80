/**
 * ROC and precision-recall curves of scores, and their areas, as scikit-learn 1.2 computes
 * them (`roc_curve` drops collinear points; its first threshold is `max(score) + 1`).
 */

import { ValueError, native } from '../errors';
import { curveScores, rocAucMulticlass } from '../native';
import { Values, flat, toLabels } from './labels';

/** A ROC curve: false-positive rate against true-positive rate per threshold. */
export interface RocCurve {
  /** False-positive rates, from 0 to 1. */
  fpr: number[];
  /** True-positive rates, from 0 to 1. */
  tpr: number[];
  /** Scores `>=` each threshold count as positive. */
  thresholds: number[];
  /** Area under the curve. */
  auc: number;
}

/** A precision-recall curve. */
export interface PrecisionRecallCurve {
  /** Precision per point (ending at 1). */
  precision: number[];
  /** Recall per point (decreasing to 0). */
  recall: number[];
  /** Increasing thresholds (one fewer than points). */
  thresholds: number[];
  /** Average precision (the step-wise area). */
  averagePrecision: number;
}

function binary(op: string, yTrue: Values, scores: Values, posLabel: number): [number[], number[]] {
  const t = toLabels(op, yTrue, 'yTrue').map((l) => (l === posLabel ? 1 : 0));
  const { data, width } = flat(op, scores, 'scores');
  if (width !== 1) throw new ValueError(`${op}: scores must be one per sample for a binary curve (use rocAucScore for [N, C] scores)`);
  if (data.length !== t.length) throw new ValueError(`${op}: ${t.length} labels but ${data.length} scores`);
  return [t, data];
}

/** The ROC curve of binary `scores` (probabilities, logits or any ranking) against `yTrue`. */
export function rocCurve(yTrue: Values, scores: Values, options: { posLabel?: number } = {}): RocCurve {
  const [t, s] = binary('rocCurve', yTrue, scores, options.posLabel ?? 1);
  const c = JSON.parse(native(() => curveScores('roc', t, s))) as { x: number[]; y: number[]; thresholds: number[]; area: number };
  return { fpr: c.x, tpr: c.y, thresholds: c.thresholds, auc: c.area };
}

/** The precision-recall curve of binary `scores` against `yTrue`. */
export function precisionRecallCurve(yTrue: Values, scores: Values, options: { posLabel?: number } = {}): PrecisionRecallCurve {
  const [t, s] = binary('precisionRecallCurve', yTrue, scores, options.posLabel ?? 1);
  const c = JSON.parse(native(() => curveScores('pr', t, s))) as { x: number[]; y: number[]; thresholds: number[]; area: number };
  return { precision: c.y, recall: c.x, thresholds: c.thresholds, averagePrecision: c.area };
}

/**
 * Area under the ROC curve: binary scores `[N]`, or `[N, C]` class probabilities scored one
 * class against the rest and averaged (`'macro'`, default, or `'weighted'` by prevalence).
 */
export function rocAucScore(yTrue: Values, scores: Values, options: { average?: 'macro' | 'weighted'; posLabel?: number } = {}): number {
  const { data, width } = flat('rocAucScore', scores, 'scores');
  if (width === 1) return rocCurve(yTrue, scores, options).auc;
  const t = toLabels('rocAucScore', yTrue, 'yTrue');
  return native(() => rocAucMulticlass(t, data, width, options.average === 'weighted'));
}

/** Average precision: `Σ (R_n - R_{n-1}) P_n` over the precision-recall curve. */
export function averagePrecisionScore(yTrue: Values, scores: Values, options: { posLabel?: number } = {}): number {
  return precisionRecallCurve(yTrue, scores, options).averagePrecision;
}

/** Text reports: scikit-learn's `classification_report` table and a confusion-matrix printout. */

import { ClassificationOptions, classificationScoresOf } from './classification';
import { Values } from './labels';

/** Options of {@link classificationReport}. */
export interface ReportOptions {
  /** Class names, indexed by label (default: the labels). */
  targetNames?: string[];
  /** Digits after the decimal point (default 2). */
  digits?: number;
  /** Number of classes (default: largest label + 1). */
  numClasses?: number;
}

/**
 * Per-class precision, recall, F1 and support, then accuracy and the macro and weighted
 * averages, laid out like scikit-learn's `classification_report`.
 */
export function classificationReport(yTrue: Values, yPred: Values, options: ReportOptions = {}): string {
  const digits = options.digits ?? 2;
  const base: ClassificationOptions = { numClasses: options.numClasses };
  const macro = classificationScoresOf(yTrue, yPred, { ...base, average: 'macro' });
  const weighted = classificationScoresOf(yTrue, yPred, { ...base, average: 'weighted' });
  const pc = macro.perClass;
  const name = (label: number): string => options.targetNames?.[label] ?? String(label);
  const names = pc.labels.map(name);
  // scikit-learn's layout: a name column, then 9-wide columns each preceded by a space.
  const width = Math.max('weighted avg'.length, ...names.map((n) => n.length), digits);
  const cell = (v: string): string => ' ' + v.padStart(9);
  const num = (v: number): string => cell(v.toFixed(digits));
  const line = (label: string, cells: string[]): string => label.padStart(width) + ' ' + cells.join('') + '\n';
  const total = pc.support.reduce((a, b) => a + b, 0);
  let text = line('', ['precision', 'recall', 'f1-score', 'support'].map(cell)) + '\n';
  names.forEach((n, i) => (text += line(n, [num(pc.precision[i]!), num(pc.recall[i]!), num(pc.fscore[i]!), cell(String(pc.support[i]))])));
  text += '\n';
  text += line('accuracy', [cell(''), cell(''), num(macro.accuracy), cell(String(total))]);
  for (const [label, s] of [['macro avg', macro], ['weighted avg', weighted]] as const) {
    text += line(label, [num(s.precision), num(s.recall), num(s.fscore), cell(String(total))]);
  }
  return text;
}

/** The confusion matrix as an aligned table with `true \ predicted` headers. */
export function confusionMatrixText(matrix: number[][], options: { labels?: string[] } = {}): string {
  const n = matrix.length;
  const labels = options.labels ?? matrix.map((_, i) => String(i));
  const corner = 'true \\ pred';
  const width = Math.max(corner.length, ...labels.map((l) => l.length));
  const cell = Math.max(...labels.map((l) => l.length), ...matrix.flat().map((v) => String(v).length)) + 2;
  const header = corner.padEnd(width) + labels.slice(0, n).map((l) => l.padStart(cell)).join('');
  const rows = matrix.map((row, i) => (labels[i] ?? String(i)).padEnd(width) + row.map((v) => String(v).padStart(cell)).join(''));
  return [header, ...rows].join('\n') + '\n';
}

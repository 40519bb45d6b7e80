/**
 * Evaluation plots as standalone SVG strings: ROC and precision-recall curves, a
 * confusion-matrix heatmap and training curves, plus {@link saveSvg} to write any of them
 * atomically. No dependencies: everything is drawn by the small writer in `svg/`.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import { IOError, ValueError } from './errors';
import type { History } from './model';
import { BLUES, interpolateColor, readableTextColor } from './svg/color';
import { type ChartSeries, type StepMode, drawLineChart, lineChartSvg } from './svg/charts';
import { type LegendCorner, type Point, SvgDocument, estimateTextWidth, formatNumber, formatTick, linearScale, niceTicks } from './svg/writer';

export type { LegendCorner } from './svg/writer';

/** One ROC curve to draw: {@link rocCurve}'s result fits, plus an optional legend label. */
export interface RocCurvePlot {
  /** False-positive rates (x), each in [0, 1]. */
  fpr: ArrayLike<number>;
  /** True-positive rates (y), each in [0, 1]; as many as `fpr`. */
  tpr: ArrayLike<number>;
  /** Legend label; default `model` (`model 1`, `model 2`, ... for several curves). */
  label?: string | undefined;
  /** Area under the curve, shown in the legend as `label (AUC 0.973)`. */
  auc?: number | undefined;
}

/** One precision-recall curve to draw: {@link precisionRecallCurve}'s result fits, plus an optional label. */
export interface PrecisionRecallCurvePlot {
  /** Precision of each point (y), each in [0, 1]. */
  precision: ArrayLike<number>;
  /** Recall of each point (x), each in [0, 1], sorted (either direction); as many as `precision`. */
  recall: ArrayLike<number>;
  /** Legend label; default `model` (`model 1`, `model 2`, ... for several curves). */
  label?: string | undefined;
  /** Average precision, shown in the legend as `label (AP 0.912)`. */
  averagePrecision?: number | undefined;
}

/** Options of {@link rocCurveSvg} and {@link precisionRecallCurveSvg}. */
export interface CurvePlotOptions {
  /** Title above the plot. */
  title?: string | undefined;
  /** Width in pixels (default 480). */
  width?: number | undefined;
  /** Height in pixels (default 440). */
  height?: number | undefined;
  /** Legend corner or `'none'` (default lower-right for ROC, lower-left for precision-recall). */
  legend?: LegendCorner | 'none' | undefined;
}

/** Options of {@link rocCurveSvg}. */
export interface RocCurveOptions extends CurvePlotOptions {
  /** Draw the dashed chance diagonal (a random classifier) with a `chance` legend entry. Default true. */
  chanceLine?: boolean | undefined;
}

/**
 * How {@link confusionMatrixSvg} and {@link normalizeConfusionMatrix} normalise counts, as in
 * scikit-learn: `'true'` divides each row by its sum (rows are recall per true class), `'pred'`
 * each column (columns are precision per predicted class), `'all'` everything by the total.
 */
export type ConfusionNormalize = 'true' | 'pred' | 'all';

/** Options of {@link confusionMatrixSvg}. */
export interface ConfusionMatrixOptions {
  /** Class names, one per row/column; default `0`, `1`, ... */
  labels?: readonly string[] | undefined;
  /** Show normalised values instead of counts (see {@link ConfusionNormalize}). */
  normalize?: ConfusionNormalize | undefined;
  /** Title above the heatmap. */
  title?: string | undefined;
  /** Side of one cell in pixels (default 64 for up to 5 classes, smaller for more, at least 28). */
  cellSize?: number | undefined;
  /** Decimals of normalised values (default 2). */
  digits?: number | undefined;
  /** Draw a colour bar mapping colours to values. Default true. */
  colorbar?: boolean | undefined;
}

/** Options of {@link trainingCurvesSvg}. */
export interface TrainingCurvesOptions {
  /** History keys to plot (default all); `val_x` shares a panel with `x`. */
  keys?: string[] | undefined;
  /** Width in pixels (default 640). */
  width?: number | undefined;
  /** Height of one panel in pixels (default 240). */
  height?: number | undefined;
}

type Curves<T> = T | readonly T[];

function curveList<T>(op: string, curves: Curves<T>): readonly T[] {
  const list = Array.isArray(curves) ? (curves as readonly T[]) : [curves as T];
  if (list.length === 0) throw new ValueError(`${op}: needs at least one curve, got an empty array`);
  list.forEach((c, i) => {
    if (typeof c !== 'object' || c === null) throw new ValueError(`${op}: curve ${i + 1} must be an object, got ${String(c)}`);
  });
  return list;
}

/** Copies `values` to a plain array, checking that every entry is finite and, with `unit`, in [0, 1]. */
function checkValues(op: string, what: string, values: ArrayLike<number> | undefined, unit: boolean): number[] {
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
    throw new ValueError(`${op}: ${what} must be an array of numbers, got ${String(values)}`);
  }
  const out = Array.from(values);
  out.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValueError(`${op}: ${what}[${i}] is ${String(v)}; values must be finite numbers`);
    if (unit && (v < 0 || v > 1)) throw new ValueError(`${op}: ${what}[${i}] = ${v} is outside [0, 1]`);
  });
  return out;
}

function checkScore(op: string, what: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new ValueError(`${op}: ${what} must be a number in [0, 1], got ${String(value)}`);
  }
  return value;
}

function curveLabel(op: string, label: string | undefined, index: number, count: number): string {
  if (label === undefined) return count === 1 ? 'model' : `model ${index + 1}`;
  if (typeof label !== 'string') throw new ValueError(`${op}: curve ${index + 1} label must be a string, got ${String(label)}`);
  return label;
}

function pairPoints(op: string, name: string, xName: string, x: number[], yName: string, y: number[]): Point[] {
  if (x.length !== y.length) {
    throw new ValueError(`${op}: ${name} has ${x.length} ${xName} values but ${y.length} ${yName} values; they must pair up`);
  }
  if (x.length === 0) throw new ValueError(`${op}: ${name} has no points`);
  return x.map((v, i): Point => [v, y[i]!]);
}

const UNIT: readonly [number, number] = [0, 1];

/**
 * ROC curve(s) in the unit square: false-positive rate on x, true-positive rate on y, the
 * dashed chance diagonal, and a legend entry per curve such as `model (AUC 0.973)`.
 *
 * Throws {@link ValueError} for no curves, `fpr`/`tpr` of different lengths, empty curves,
 * non-finite values, values outside [0, 1] or an AUC outside [0, 1].
 *
 * @example
 * ```ts
 * saveSvg('roc.svg', rocCurveSvg({ fpr: [0, 0.1, 1], tpr: [0, 0.8, 1], auc: 0.85 }));
 * ```
 */
export function rocCurveSvg(curves: RocCurvePlot | readonly RocCurvePlot[], options: RocCurveOptions = {}): string {
  const op = 'rocCurveSvg';
  const list = curveList(op, curves);
  const series: ChartSeries[] = list.map((c, i) => {
    const label = curveLabel(op, c.label, i, list.length);
    const name = `curve ${i + 1} (${JSON.stringify(label)})`;
    const points = pairPoints(op, name, 'fpr', checkValues(op, `${name} fpr`, c.fpr, true), 'tpr', checkValues(op, `${name} tpr`, c.tpr, true));
    const auc = checkScore(op, `${name} auc`, c.auc);
    return { name: auc === undefined ? label : `${label} (AUC ${auc.toFixed(3)})`, points };
  });
  const chance = options.chanceLine ?? true;
  return lineChartSvg(series, {
    width: options.width ?? 480,
    height: options.height ?? 440,
    title: options.title,
    xLabel: 'False positive rate',
    yLabel: 'True positive rate',
    xRange: UNIT,
    yRange: UNIT,
    diagonal: chance,
    diagonalLabel: chance ? 'chance' : undefined,
    legend: options.legend ?? 'lower-right',
  });
}

/**
 * Precision-recall curve(s): recall on x, precision on y, drawn as step functions (the curve
 * is only defined at its thresholds; between two of them the precision of the higher-recall
 * point holds, so the area under the drawn steps is the average precision
 * `Σ (R_n − R_{n−1}) P_n`). Legend entries read `model (AP 0.912)`.
 *
 * Points may come in either recall order (scikit-learn's decreasing order works as is).
 * Throws {@link ValueError} for no curves, mismatched lengths, empty curves, non-finite
 * values, values outside [0, 1], unsorted recall or an average precision outside [0, 1].
 */
export function precisionRecallCurveSvg(curves: PrecisionRecallCurvePlot | readonly PrecisionRecallCurvePlot[], options: CurvePlotOptions = {}): string {
  const op = 'precisionRecallCurveSvg';
  const list = curveList(op, curves);
  const series: ChartSeries[] = list.map((c, i) => {
    const label = curveLabel(op, c.label, i, list.length);
    const name = `curve ${i + 1} (${JSON.stringify(label)})`;
    const recall = checkValues(op, `${name} recall`, c.recall, true);
    const points = pairPoints(op, name, 'recall', recall, 'precision', checkValues(op, `${name} precision`, c.precision, true));
    const ap = checkScore(op, `${name} averagePrecision`, c.averagePrecision);
    return { name: ap === undefined ? label : `${label} (AP ${ap.toFixed(3)})`, points, step: recallStep(op, name, recall) };
  });
  return lineChartSvg(series, {
    width: options.width ?? 480,
    height: options.height ?? 440,
    title: options.title,
    xLabel: 'Recall',
    yLabel: 'Precision',
    xRange: UNIT,
    yRange: UNIT,
    legend: options.legend ?? 'lower-left',
  });
}

/**
 * The step mode that holds the higher-recall point's precision over each recall interval:
 * for increasing recall the y value changes first (`pre`), for decreasing recall it changes
 * last (`post`).
 */
function recallStep(op: string, name: string, recall: number[]): StepMode {
  let up = true;
  let down = true;
  for (let i = 1; i < recall.length; i++) {
    if (recall[i]! < recall[i - 1]!) up = false;
    if (recall[i]! > recall[i - 1]!) down = false;
  }
  if (!up && !down) throw new ValueError(`${op}: ${name} recall must be sorted (increasing or decreasing), as a precision-recall curve returns it`);
  return up ? 'pre' : 'post';
}

function checkMatrix(op: string, matrix: readonly (readonly number[])[]): number[][] {
  if (!Array.isArray(matrix) || matrix.length === 0) {
    throw new ValueError(`${op}: needs a non-empty square matrix (an array of rows of counts), got ${Array.isArray(matrix) ? 'an empty array' : String(matrix)}`);
  }
  const n = matrix.length;
  return matrix.map((row, i) => {
    if (!Array.isArray(row)) throw new ValueError(`${op}: row ${i} is not an array`);
    if (row.length !== n) throw new ValueError(`${op}: the matrix must be square, but it has ${n} rows and row ${i} has ${row.length} entries`);
    return row.map((v, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new ValueError(`${op}: matrix[${i}][${j}] is ${String(v)}; entries must be finite counts >= 0`);
      }
      return v;
    });
  });
}

function normalizeChecked(op: string, m: number[][], normalize: ConfusionNormalize | undefined): number[][] {
  // An empty row/column (a class never seen or never predicted) divides 0 by 0; like
  // scikit-learn, show 0 rather than NaN.
  const safe = (v: number, total: number): number => (total === 0 ? 0 : v / total);
  switch (normalize) {
    case undefined:
      return m.map((row) => row.slice());
    case 'true':
      return m.map((row) => {
        const total = row.reduce((a, b) => a + b, 0);
        return row.map((v) => safe(v, total));
      });
    case 'pred': {
      const totals = m[0]!.map((_, j) => m.reduce((a, row) => a + row[j]!, 0));
      return m.map((row) => row.map((v, j) => safe(v, totals[j]!)));
    }
    case 'all': {
      const total = m.reduce((a, row) => a + row.reduce((b, c) => b + c, 0), 0);
      return m.map((row) => row.map((v) => safe(v, total)));
    }
    default:
      throw new ValueError(`${op}: normalize must be 'true', 'pred', 'all' or undefined, got ${JSON.stringify(normalize)}`);
  }
}

/**
 * A confusion matrix (rows: true class, columns: predicted class) divided by row sums
 * (`'true'`), column sums (`'pred'`) or the total (`'all'`); an all-zero row or column gives
 * zeros. Without `normalize`, a validated copy. Throws {@link ValueError} for an empty or
 * non-square matrix, negative or non-finite entries, or an unknown mode.
 */
export function normalizeConfusionMatrix(matrix: readonly (readonly number[])[], normalize: ConfusionNormalize | undefined): number[][] {
  const op = 'normalizeConfusionMatrix';
  return normalizeChecked(op, checkMatrix(op, matrix), normalize);
}

function formatCount(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(3)));
}

/**
 * A confusion-matrix heatmap: one cell per (true, predicted) pair coloured on a white-to-blue
 * scale from 0 to the largest value, the count (or normalised value) written in each cell in
 * black or white, whichever reads better on the fill; class labels on both axes, axis titles
 * `Predicted` (columns) and `True` (rows), and a colour bar.
 *
 * Throws {@link ValueError} for an empty or non-square matrix, negative or non-finite entries,
 * a `labels` array whose length is not the number of classes, or an unknown `normalize`.
 *
 * @example
 * ```ts
 * saveSvg('cm.svg', confusionMatrixSvg([[50, 2], [5, 43]], { labels: ['cat', 'dog'], normalize: 'true' }));
 * ```
 */
export function confusionMatrixSvg(matrix: readonly (readonly number[])[], options: ConfusionMatrixOptions = {}): string {
  const op = 'confusionMatrixSvg';
  const counts = checkMatrix(op, matrix);
  const n = counts.length;
  const values = normalizeChecked(op, counts, options.normalize);
  const labels = options.labels ?? counts.map((_, i) => String(i));
  if (!Array.isArray(labels) || labels.length !== n) {
    throw new ValueError(`${op}: labels must name each of the ${n} classes, got ${Array.isArray(labels) ? `${labels.length} labels` : String(labels)}`);
  }
  labels.forEach((l, i) => {
    if (typeof l !== 'string') throw new ValueError(`${op}: labels[${i}] must be a string, got ${String(l)}`);
  });
  const digits = options.digits ?? 2;
  if (!Number.isInteger(digits) || digits < 0 || digits > 10) throw new ValueError(`${op}: digits must be an integer in [0, 10], got ${digits}`);
  const cell = options.cellSize ?? Math.max(28, Math.min(64, Math.round(320 / n)));
  if (!Number.isFinite(cell) || cell < 8) throw new ValueError(`${op}: cellSize must be a number >= 8, got ${cell}`);
  const text = (v: number): string => (options.normalize === undefined ? formatCount(v) : v.toFixed(digits));

  const labelFont = 11;
  const titleFont = 12;
  const labelWidth = Math.max(...labels.map((l) => estimateTextWidth(l, labelFont)));
  // Column labels wider than a cell would overlap: slant them at 45 degrees instead.
  const slant = labelWidth > cell - 6;
  const colLabelSpace = slant ? labelWidth * Math.SQRT1_2 + 18 : 20;
  const gridLeft = Math.ceil(12 + titleFont + 10 + labelWidth + 8);
  const gridTop = options.title === undefined ? 12 : 38;
  const size = n * cell;

  const vmax = Math.max(...values.flat());
  const scaleMax = vmax > 0 ? vmax : 1;
  const barTicks = niceTicks(0, scaleMax, { maxTicks: 5, extend: false, integer: options.normalize === undefined && scaleMax >= 1 });
  const barLabelWidth = Math.max(...barTicks.values.map((v) => estimateTextWidth(formatTick(v, barTicks.step), 10)));
  const colorbar = options.colorbar ?? true;
  const barLeft = gridLeft + size + 16;
  const contentRight = colorbar ? barLeft + 14 + 6 + barLabelWidth : gridLeft + size;
  const titleRight = options.title === undefined ? 0 : gridLeft + estimateTextWidth(options.title, 13);
  const width = Math.ceil(Math.max(contentRight, titleRight) + 12);
  const height = Math.ceil(gridTop + size + colLabelSpace + titleFont + 14);

  const doc = new SvgDocument(width, height, { title: options.title });
  if (options.title !== undefined) {
    doc.text(gridLeft, 24, options.title, { class: 'chart-title', 'font-size': 13, 'font-weight': 'bold' });
  }
  doc.group({ class: 'cells' }, () => {
    values.forEach((row, i) =>
      row.forEach((v, j) => {
        const fill = interpolateColor(BLUES, v / scaleMax);
        const x = gridLeft + j * cell;
        const y = gridTop + i * cell;
        doc.rect(x, y, cell, cell, { class: 'cell', 'data-row': i, 'data-col': j, fill, stroke: '#fff' });
        const label = text(v);
        const font = Math.min(14, cell * 0.3, ((cell - 6) / Math.max(1, label.length)) / 0.58);
        doc.text(x + cell / 2, y + cell / 2 + font * 0.35, label, { class: 'cell-value', 'font-size': font, 'text-anchor': 'middle', fill: readableTextColor(fill) });
      }),
    );
  });
  doc.rect(gridLeft, gridTop, size, size, { fill: 'none', stroke: '#444' });
  doc.group({ class: 'labels', 'font-size': labelFont }, () => {
    labels.forEach((l, i) => doc.text(gridLeft - 6, gridTop + i * cell + cell / 2 + 4, l, { class: 'row-label', 'text-anchor': 'end' }));
    labels.forEach((l, j) => {
      const cx = gridLeft + j * cell + cell / 2;
      const y = gridTop + size + (slant ? 10 : 15);
      const slanted = slant ? { 'text-anchor': 'end', transform: `rotate(-45 ${formatNumber(cx)} ${formatNumber(y)})` } : { 'text-anchor': 'middle' };
      doc.text(cx, y, l, { class: 'col-label', ...slanted });
    });
  });
  const predictedY = gridTop + size + colLabelSpace + titleFont;
  doc.text(gridLeft + size / 2, predictedY, 'Predicted', { class: 'axis-label', 'font-size': titleFont, 'text-anchor': 'middle' });
  const trueX = 12 + titleFont;
  const trueY = gridTop + size / 2;
  doc.text(trueX, trueY, 'True', { class: 'axis-label', 'font-size': titleFont, 'text-anchor': 'middle', transform: `rotate(-90 ${formatNumber(trueX)} ${formatNumber(trueY)})` });

  if (colorbar) {
    doc.linearGradient('ferrograd-blues', BLUES.map((color, k) => ({ offset: k / (BLUES.length - 1), color })), { x1: 0, y1: 1, x2: 0, y2: 0 });
    const y = linearScale([0, scaleMax], [gridTop + size, gridTop]);
    doc.group({ class: 'colorbar' }, () => {
      doc.rect(barLeft, gridTop, 14, size, { fill: 'url(#ferrograd-blues)', stroke: '#444' });
      for (const v of barTicks.values) {
        doc.line(barLeft + 14, y(v), barLeft + 17, y(v));
        doc.text(barLeft + 20, y(v) + 3.5, formatTick(v, barTicks.step), { 'font-size': 10 });
      }
    });
  }
  return doc.toString();
}

/**
 * The curves of a `fit` History as a standalone SVG: one stacked panel per metric family
 * (`loss` with `val_loss`, `accuracy` with `val_accuracy`, ...), epochs (from 1) on x. A NaN
 * or infinite value (a diverged epoch) is left out of its line rather than failing the plot.
 *
 * Throws {@link ValueError} when `history` is not a History, a requested key is not in it,
 * or no epoch was recorded.
 */
export function trainingCurvesSvg(history: History, options: TrainingCurvesOptions = {}): string {
  const op = 'trainingCurvesSvg';
  const logged = (history as History | undefined)?.history;
  if (typeof logged !== 'object' || logged === null) throw new ValueError(`${op}: expects the History returned by fit(), got ${String(history)}`);
  const keys = options.keys ?? Object.keys(logged);
  if (keys.length === 0) throw new ValueError(`${op}: the history logs no metrics; did fit() run any epoch?`);
  for (const k of keys) {
    if (!Array.isArray(logged[k])) {
      throw new ValueError(`${op}: no ${JSON.stringify(k)} in the history; logged keys: ${Object.keys(logged).join(', ') || 'none'}`);
    }
  }
  const epochs = Math.max(...keys.map((k) => logged[k]!.length));
  if (epochs === 0) throw new ValueError(`${op}: the history has no epochs to plot`);
  const families = new Map<string, string[]>();
  for (const k of keys) {
    const base = k.replace(/^val_/, '');
    families.set(base, [...(families.get(base) ?? []), k]);
  }
  const width = options.width ?? 640;
  const panelHeight = options.height ?? 240;
  const doc = new SvgDocument(width, families.size * panelHeight);
  [...families.entries()].forEach(([family, members], p) => {
    const series: ChartSeries[] = members.map((k) => ({
      name: k,
      points: logged[k]!.flatMap((v, i): Point[] => (Number.isFinite(v) ? [[i + 1, v]] : [])),
    }));
    drawLineChart(doc, { left: 0, top: p * panelHeight, width, height: panelHeight }, series, {
      title: family,
      xLabel: 'epoch',
      xRange: [1, Math.max(epochs, 2)],
      integerX: true,
      legend: legendCorner(series),
    });
  });
  return doc.toString();
}

/** Puts the legend where the curves are not: low when they end in the upper half (accuracy), high otherwise (loss). */
function legendCorner(series: readonly ChartSeries[]): LegendCorner {
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const ends = series.flatMap((s) => s.points.slice(-1).map((p) => p[1]));
  if (ends.length === 0) return 'upper-right';
  const mid = (Math.min(...ys) + Math.max(...ys)) / 2;
  return ends.reduce((a, b) => a + b, 0) / ends.length > mid ? 'lower-right' : 'upper-right';
}

/**
 * Writes `svg` to `file` atomically: the text goes to `file + '.tmp-<pid>'`, is flushed to
 * disk, then renamed over `file`, so readers never see half a file. Parent directories are
 * created. Throws {@link ValueError} for an empty path or text that is not an SVG document,
 * {@link IOError} when writing fails (the temporary file is removed).
 */
export function saveSvg(file: string, svg: string): void {
  if (typeof file !== 'string' || file === '') throw new ValueError(`saveSvg: path must be a non-empty string, got ${String(file)}`);
  if (typeof svg !== 'string' || !/^\s*(<\?xml[^>]*\?>\s*)?<svg[\s>]/.test(svg)) {
    throw new ValueError(`saveSvg: expected SVG text starting with <svg, got ${typeof svg === 'string' ? JSON.stringify(svg.slice(0, 40)) : String(svg)}`);
  }
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeFileSync(fd, svg);
      // Flush before the rename so a crash cannot leave a renamed but empty file.
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new IOError(`saveSvg: cannot write ${file}: ${(err as Error).message}`);
  }
}

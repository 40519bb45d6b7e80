/**
 * A generic line chart on top of the SVG writer: named series of (x, y) points, axes with nice
 * ticks and titles, optional fixed ranges, an optional dashed y = x reference line and
 * step-style series. Used by the ROC, precision-recall and training-curve plots.
 */

import { ValueError } from '../errors';
import { seriesColor } from './color';
import {
  type Box,
  type LegendCorner,
  type LegendEntry,
  type Point,
  SvgDocument,
  drawAxes,
  drawLegend,
  linearScale,
  niceTicks,
  xAxisMargin,
  yAxisMargin,
} from './writer';

/**
 * How a step series moves between points: `'post'` holds each y until the next x (horizontal
 * then vertical), `'pre'` jumps to the next y first (vertical then horizontal), as matplotlib's
 * `drawstyle='steps-post'` / `'steps-pre'`.
 */
export type StepMode = 'pre' | 'post';

/** One line of a chart. */
export interface ChartSeries {
  /** Legend label. */
  name: string;
  /** Points in drawing order, all finite. */
  points: readonly Point[];
  /** Stroke colour; default the palette colour of the series' index. */
  color?: string | undefined;
  /** SVG `stroke-dasharray`, e.g. `'6 4'`. */
  dash?: string | undefined;
  /** Draw as a step function instead of straight segments (overrides the chart's `step`). */
  step?: StepMode | undefined;
}

/** Options of {@link lineChartSvg} and {@link drawLineChart}. */
export interface LineChartOptions {
  /** Document width in pixels (default 560; {@link lineChartSvg} only). */
  width?: number | undefined;
  /** Document height in pixels (default 400; {@link lineChartSvg} only). */
  height?: number | undefined;
  /** Title above the plot area. */
  title?: string | undefined;
  /** x-axis title. */
  xLabel?: string | undefined;
  /** y-axis title. */
  yLabel?: string | undefined;
  /** Fixed x domain; default the data range widened to nice ticks. Points outside are not clipped. */
  xRange?: readonly [number, number] | undefined;
  /** Fixed y domain; default the data range widened to nice ticks. */
  yRange?: readonly [number, number] | undefined;
  /** Keep x ticks on whole numbers (epochs, counts). */
  integerX?: boolean | undefined;
  /** Draw the dashed y = x reference line across the plot. */
  diagonal?: boolean | undefined;
  /** Legend label of the reference line (no legend entry when left out). */
  diagonalLabel?: string | undefined;
  /** Draw every series as a step function. */
  step?: StepMode | undefined;
  /** Legend corner, or `'none'`. Default `'upper-right'`. */
  legend?: LegendCorner | 'none' | undefined;
}

/** The plot area and scales that {@link drawLineChart} used, for drawing on top of a chart. */
export interface ChartFrame {
  /** The plot area inside the axes. */
  area: Box;
  /** Data x to pixel x. */
  x: (value: number) => number;
  /** Data y to pixel y. */
  y: (value: number) => number;
}

const DIAGONAL_DASH = '6 4';

/** The vertices of a step function through `points` (see {@link StepMode}). */
export function stepPoints(points: readonly Point[], mode: StepMode): Point[] {
  const out: Point[] = points.slice(0, 1);
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1]!;
    const [x1, y1] = points[i]!;
    const corner: Point = mode === 'post' ? [x1, y0] : [x0, y1];
    // A corner equal to either end adds nothing (flat or vertical moves).
    if (!(corner[0] === x0 && corner[1] === y0) && !(corner[0] === x1 && corner[1] === y1)) out.push(corner);
    out.push(points[i]!);
  }
  return out;
}

function checkRange(range: readonly [number, number] | undefined, name: string): void {
  if (range === undefined) return;
  const [lo, hi] = range;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
    throw new ValueError(`lineChart: ${name} must be two finite numbers [lo, hi] with lo < hi, got [${lo}, ${hi}]`);
  }
}

function dataRange(values: number[], fixed: readonly [number, number] | undefined): [number, number] {
  if (fixed !== undefined) return [fixed[0], fixed[1]];
  if (values.length === 0) return [0, 1];
  return [Math.min(...values), Math.max(...values)];
}

/**
 * Draws a line chart into `box` of an existing document (several charts can share one
 * document, as the stacked panels of a training history do) and returns its frame.
 */
export function drawLineChart(doc: SvgDocument, box: Box, series: readonly ChartSeries[], options: LineChartOptions = {}): ChartFrame {
  for (const s of series) {
    s.points.forEach(([px, py], i) => {
      if (!Number.isFinite(px) || !Number.isFinite(py)) {
        throw new ValueError(`lineChart: series ${JSON.stringify(s.name)} point ${i} is (${px}, ${py}); coordinates must be finite`);
      }
    });
  }
  checkRange(options.xRange, 'xRange');
  checkRange(options.yRange, 'yRange');
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const [x0, x1] = dataRange(xs, options.xRange);
  const [y0, y1] = dataRange(ys, options.yRange);
  const xTicks = niceTicks(x0, x1, { maxTicks: 6, extend: options.xRange === undefined, integer: options.integerX === true });
  const yTicks = niceTicks(y0, y1, { maxTicks: 5, extend: options.yRange === undefined });

  const top = box.top + (options.title === undefined ? 12 : 30);
  const left = box.left + yAxisMargin({ ticks: yTicks, label: options.yLabel });
  const area: Box = {
    left,
    top,
    width: box.left + box.width - 16 - left,
    height: box.top + box.height - xAxisMargin({ label: options.xLabel }) - top,
  };
  if (area.width < 10 || area.height < 10) {
    throw new ValueError(`lineChart: a ${box.width}x${box.height} panel leaves no room for the plot; make it larger`);
  }
  const x = linearScale([xTicks.lo, xTicks.hi], [area.left, area.left + area.width]);
  const y = linearScale([yTicks.lo, yTicks.hi], [area.top + area.height, area.top]);

  if (options.title !== undefined) {
    doc.text(area.left, box.top + 19, options.title, { class: 'chart-title', 'font-size': 13, 'font-weight': 'bold' });
  }
  drawAxes(doc, area, { scale: x, ticks: xTicks, label: options.xLabel }, { scale: y, ticks: yTicks, label: options.yLabel });

  const legend: LegendEntry[] = [];
  const reference: LegendEntry[] = [];
  if (options.diagonal === true) {
    // y = x clipped to the part of the diagonal that lies inside both domains.
    const lo = Math.max(xTicks.lo, yTicks.lo);
    const hi = Math.min(xTicks.hi, yTicks.hi);
    if (lo < hi) doc.line(x(lo), y(lo), x(hi), y(hi), { class: 'diagonal', stroke: '#888', 'stroke-dasharray': DIAGONAL_DASH });
    if (options.diagonalLabel !== undefined) reference.push({ label: options.diagonalLabel, color: '#888', dash: DIAGONAL_DASH });
  }
  series.forEach((s, i) => {
    const color = s.color ?? seriesColor(i);
    const step = s.step ?? options.step;
    const points = step === undefined ? s.points : stepPoints(s.points, step);
    const pixels = points.map(([px, py]): Point => [x(px), y(py)]);
    doc.polyline(pixels, { class: 'series', stroke: color, 'stroke-width': 2, 'stroke-dasharray': s.dash, 'stroke-linejoin': 'round' });
    // A single point draws no visible line; mark it so a one-epoch history still shows something.
    if (pixels.length === 1) doc.circle(pixels[0]![0], pixels[0]![1], 3, { fill: color });
    legend.push({ label: s.name, color, dash: s.dash });
  });
  legend.push(...reference);
  if (options.legend !== 'none') drawLegend(doc, area, legend, options.legend ?? 'upper-right');
  return { area, x, y };
}

/** A standalone SVG line chart of `series` (see {@link LineChartOptions}). */
export function lineChartSvg(series: readonly ChartSeries[], options: LineChartOptions = {}): string {
  const width = options.width ?? 560;
  const height = options.height ?? 400;
  const doc = new SvgDocument(width, height, { title: options.title });
  drawLineChart(doc, { left: 0, top: 0, width, height }, series, options);
  return doc.toString();
}

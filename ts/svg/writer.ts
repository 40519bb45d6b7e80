/**
 * A small, dependency-free SVG writer shared by every plot: an element builder that escapes
 * all text and attribute values, linear scales, "nice" axis ticks (1, 2 or 5 × 10^k), axes
 * with tick labels and titles, and legends. Output is one standalone `<svg xmlns=...>` string.
 */

import { ValueError } from '../errors';

/** The SVG namespace written on the root element. */
export const SVG_NS = 'http://www.w3.org/2000/svg';

/** An attribute value; `undefined` leaves the attribute out. Numbers go through {@link formatNumber}. */
export type AttrValue = string | number | undefined;

/** Attributes of one element, written in insertion order. */
export type Attrs = Readonly<Record<string, AttrValue>>;

/** A point in pixel (or data) coordinates. */
export type Point = readonly [number, number];

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes the five XML special characters, so any string is safe as text or attribute value. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

/**
 * A coordinate or size as short text: at most `maxDecimals` decimals, trailing zeros dropped,
 * `-0` written as `0`. Throws {@link ValueError} for NaN or infinity, which would otherwise
 * produce an SVG that silently draws nothing.
 */
export function formatNumber(value: number, maxDecimals = 2): string {
  if (!Number.isFinite(value)) throw new ValueError(`svg: coordinate ${value} is not finite`);
  const rounded = Number(value.toFixed(maxDecimals));
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

function attrString(attributes: Attrs): string {
  let out = '';
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    out += ` ${name}="${typeof value === 'number' ? formatNumber(value) : escapeXml(value)}"`;
  }
  return out;
}

/** Options of {@link SvgDocument}. */
export interface SvgDocumentOptions {
  /** Fill of a full-size background rectangle; `null` for transparent. Default white. */
  background?: string | null;
  /** Root `font-family`. Default `sans-serif`. */
  fontFamily?: string;
  /** Root `font-size` in pixels. Default 12. */
  fontSize?: number;
  /** Written as the document's `<title>` (shown as a tooltip, read by screen readers). */
  title?: string | undefined;
}

/** Builds one SVG document element by element; {@link SvgDocument.toString} returns the file text. */
export class SvgDocument {
  /** Width in pixels (also the viewBox width). */
  readonly width: number;
  /** Height in pixels (also the viewBox height). */
  readonly height: number;
  private readonly options: SvgDocumentOptions;
  private readonly defs: string[] = [];
  private readonly body: string[] = [];
  private depth = 1;

  /** @param width - pixels, > 0. @param height - pixels, > 0. @param options - background, font. */
  constructor(width: number, height: number, options: SvgDocumentOptions = {}) {
    for (const [name, v] of [['width', width], ['height', height]] as const) {
      if (!Number.isFinite(v) || v <= 0) throw new ValueError(`SvgDocument: ${name} must be a positive number, got ${v}`);
    }
    this.width = width;
    this.height = height;
    this.options = options;
  }

  /** Appends `<name attrs/>`, or `<name attrs>text</name>` when `text` is given (escaped here). */
  element(name: string, attributes: Attrs = {}, text?: string): this {
    const open = `<${name}${attrString(attributes)}`;
    this.body.push('  '.repeat(this.depth) + (text === undefined ? `${open}/>` : `${open}>${escapeXml(text)}</${name}>`));
    return this;
  }

  /** Text anchored at (x, y) (the baseline; see `text-anchor` for the horizontal anchor). */
  text(x: number, y: number, content: string, attributes: Attrs = {}): this {
    return this.element('text', { x, y, ...attributes }, content);
  }

  /** A straight line from (x1, y1) to (x2, y2); default stroke dark grey. */
  line(x1: number, y1: number, x2: number, y2: number, attributes: Attrs = {}): this {
    return this.element('line', { x1, y1, x2, y2, stroke: '#444', ...attributes });
  }

  /** An open polyline through `points` (no fill by default). */
  polyline(points: readonly Point[], attributes: Attrs = {}): this {
    const coords = points.map(([x, y]) => `${formatNumber(x)},${formatNumber(y)}`).join(' ');
    return this.element('polyline', { fill: 'none', ...attributes, points: coords });
  }

  /** A rectangle with its top-left corner at (x, y). */
  rect(x: number, y: number, width: number, height: number, attributes: Attrs = {}): this {
    return this.element('rect', { x, y, width, height, ...attributes });
  }

  /** A circle of radius `r` centred on (cx, cy). */
  circle(cx: number, cy: number, r: number, attributes: Attrs = {}): this {
    return this.element('circle', { cx, cy, r, ...attributes });
  }

  /** A `<linearGradient id>` in `<defs>` (offsets in [0, 1]); fill with `url(#id)`. */
  linearGradient(id: string, stops: readonly { offset: number; color: string }[], attributes: Attrs = {}): this {
    const inner = stops.map((s) => `<stop${attrString({ offset: s.offset, 'stop-color': s.color })}/>`).join('');
    this.defs.push(`    <linearGradient${attrString({ id, ...attributes })}>${inner}</linearGradient>`);
    return this;
  }

  /** Wraps whatever `draw` appends in a `<g attrs>` group. */
  group(attributes: Attrs, draw: () => void): this {
    this.body.push(`${'  '.repeat(this.depth)}<g${attrString(attributes)}>`);
    this.depth++;
    try {
      draw();
    } finally {
      this.depth--;
    }
    this.body.push(`${'  '.repeat(this.depth)}</g>`);
    return this;
  }

  /** The standalone SVG file text (root element with `xmlns`, `width`, `height` and `viewBox`). */
  toString(): string {
    const { width, height } = this;
    const root = attrString({
      xmlns: SVG_NS,
      width,
      height,
      viewBox: `0 0 ${formatNumber(width)} ${formatNumber(height)}`,
      'font-family': this.options.fontFamily ?? 'sans-serif',
      'font-size': this.options.fontSize ?? 12,
    });
    const lines = [`<svg${root}>`];
    if (this.options.title !== undefined) lines.push(`  <title>${escapeXml(this.options.title)}</title>`);
    if (this.defs.length > 0) lines.push('  <defs>', ...this.defs, '  </defs>');
    const background = this.options.background === undefined ? 'white' : this.options.background;
    if (background !== null) lines.push(`  <rect${attrString({ width: '100%', height: '100%', fill: background })}/>`);
    lines.push(...this.body, '</svg>', '');
    return lines.join('\n');
  }
}

/** Maps `domain` linearly onto `range` (either may be reversed, as for a y axis growing upwards). */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): (value: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (value) => r0 + (value - d0) * k;
}

/** Tick positions of one axis and the domain they cover. */
export interface Ticks {
  /** Domain start (extended to a tick when the range was automatic). */
  lo: number;
  /** Domain end. */
  hi: number;
  /** Distance between ticks: 1, 2 or 5 × 10^k. */
  step: number;
  /** Tick values inside [lo, hi], ascending. */
  values: number[];
}

// Slack for quotients such as 0.3 / 0.1 = 2.9999999999999996 that are meant to be whole.
const EPS = 1e-9;

/** The smallest step of the form 1, 2 or 5 × 10^k that cuts `span` into at most `maxTicks` intervals. */
export function niceStep(span: number, maxTicks: number): number {
  const raw = span / Math.max(1, maxTicks);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const r = raw / magnitude;
  const m = r <= 1 + EPS ? 1 : r <= 2 + EPS ? 2 : r <= 5 + EPS ? 5 : 10;
  return m * magnitude;
}

function decimalsOf(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + EPS));
}

/**
 * Nice ticks for data in [lo, hi]. With `extend` (automatic ranges) the domain grows outwards
 * to the nearest ticks; without it (fixed ranges) the domain stays and only ticks inside it
 * are kept. `integer` keeps the step at least 1 (epochs, counts). An empty range (lo == hi) is
 * widened around its value.
 */
export function niceTicks(lo: number, hi: number, options: { maxTicks?: number; extend?: boolean; integer?: boolean } = {}): Ticks {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) {
    throw new ValueError(`niceTicks: needs a finite range with lo <= hi, got [${lo}, ${hi}]`);
  }
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const extend = options.extend ?? true;
  let step = niceStep(hi - lo, options.maxTicks ?? 5);
  if (options.integer === true) step = Math.max(1, step);
  const decimals = decimalsOf(step);
  // Round away the float noise of i * step (0.1 * 3 = 0.30000000000000004) so labels stay short.
  const clean = (v: number): number => {
    const r = Number(v.toFixed(Math.min(20, decimals)));
    return Object.is(r, -0) ? 0 : r;
  };
  const first = clean((extend ? Math.floor(lo / step + EPS) : Math.ceil(lo / step - EPS)) * step);
  const last = clean((extend ? Math.ceil(hi / step - EPS) : Math.floor(hi / step + EPS)) * step);
  const count = Math.round((last - first) / step);
  const values = Array.from({ length: count + 1 }, (_, i) => clean(first + i * step));
  return extend ? { lo: first, hi: last, step, values } : { lo, hi, step, values };
}

/** A tick label with exactly as many decimals as the step needs (0.2 → `0.4`, 5 → `15`). */
export function formatTick(value: number, step: number): string {
  const abs = Math.abs(value);
  if (value !== 0 && (abs >= 1e6 || abs < 1e-4)) return Number(value.toPrecision(4)).toExponential();
  const s = value.toFixed(Math.min(20, decimalsOf(step)));
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** Rough rendered width of `text` in a sans-serif font (about 0.58 em per character). */
export function estimateTextWidth(text: string, fontSize: number): number {
  return text.length * fontSize * 0.58;
}

/** A rectangle of the drawing, in pixels: the plot area inside the axes, or a panel. */
export interface Box {
  /** Left edge. */
  left: number;
  /** Top edge. */
  top: number;
  /** Width. */
  width: number;
  /** Height. */
  height: number;
}

/** One axis for {@link drawAxes}: its data-to-pixel scale, ticks and title. */
export interface AxisSpec {
  /** Data value to pixel coordinate. */
  scale: (value: number) => number;
  /** Tick positions, from {@link niceTicks}. */
  ticks: Ticks;
  /** Axis title. */
  label?: string | undefined;
}

const TICK_FONT = 10;
const LABEL_FONT = 12;

/** Pixels left of the plot area that {@link drawAxes} needs for y tick labels and the y title. */
export function yAxisMargin(y: Pick<AxisSpec, 'ticks' | 'label'>): number {
  const widest = Math.max(0, ...y.ticks.values.map((v) => estimateTextWidth(formatTick(v, y.ticks.step), TICK_FONT)));
  return 8 + widest + (y.label === undefined ? 6 : 8 + LABEL_FONT + 4);
}

/** Pixels below the plot area that {@link drawAxes} needs for x tick labels and the x title. */
export function xAxisMargin(x: Pick<AxisSpec, 'label'>): number {
  return x.label === undefined ? 22 : 40;
}

/**
 * Light grid lines, the plot frame (`class="plot-area"`, its x/y/width/height are the plot
 * area), tick marks, tick labels and axis titles around `area`.
 */
export function drawAxes(doc: SvgDocument, area: Box, x: AxisSpec, y: AxisSpec, options: { grid?: boolean } = {}): void {
  const right = area.left + area.width;
  const bottom = area.top + area.height;
  doc.group({ class: 'axes' }, () => {
    if (options.grid ?? true) {
      for (const v of x.ticks.values) doc.line(x.scale(v), area.top, x.scale(v), bottom, { class: 'grid', stroke: '#e8e8e8' });
      for (const v of y.ticks.values) doc.line(area.left, y.scale(v), right, y.scale(v), { class: 'grid', stroke: '#e8e8e8' });
    }
    doc.rect(area.left, area.top, area.width, area.height, { class: 'plot-area', fill: 'none', stroke: '#444' });
    for (const v of x.ticks.values) {
      const px = x.scale(v);
      doc.line(px, bottom, px, bottom + 4);
      doc.text(px, bottom + 15, formatTick(v, x.ticks.step), { 'font-size': TICK_FONT, 'text-anchor': 'middle' });
    }
    for (const v of y.ticks.values) {
      const py = y.scale(v);
      doc.line(area.left - 4, py, area.left, py);
      doc.text(area.left - 7, py + 3.5, formatTick(v, y.ticks.step), { 'font-size': TICK_FONT, 'text-anchor': 'end' });
    }
    if (x.label !== undefined) {
      doc.text(area.left + area.width / 2, bottom + 33, x.label, { class: 'axis-label', 'font-size': LABEL_FONT, 'text-anchor': 'middle' });
    }
    if (y.label !== undefined) {
      const lx = area.left - yAxisMargin(y) + LABEL_FONT;
      const ly = area.top + area.height / 2;
      doc.text(lx, ly, y.label, { class: 'axis-label', 'font-size': LABEL_FONT, 'text-anchor': 'middle', transform: `rotate(-90 ${formatNumber(lx)} ${formatNumber(ly)})` });
    }
  });
}

/** One legend row: a line swatch in `color` (dashed with `dash`) and a label. */
export interface LegendEntry {
  /** Label text (escaped when written). */
  label: string;
  /** Swatch colour. */
  color: string;
  /** SVG `stroke-dasharray` of the swatch, e.g. `'6 4'`. */
  dash?: string | undefined;
}

/** Where a legend sits inside the plot area. */
export type LegendCorner = 'upper-left' | 'upper-right' | 'lower-left' | 'lower-right';

/** A boxed legend (`class="legend"`) in one corner of `area`. */
export function drawLegend(doc: SvgDocument, area: Box, entries: readonly LegendEntry[], corner: LegendCorner = 'upper-right'): void {
  if (entries.length === 0) return;
  const font = 11;
  const row = 16;
  const pad = 6;
  const swatch = 20;
  const width = pad + swatch + 6 + Math.max(...entries.map((e) => estimateTextWidth(e.label, font))) + pad;
  const height = 2 * pad + entries.length * row - 4;
  const inset = 8;
  const left = corner.endsWith('left') ? area.left + inset : area.left + area.width - inset - width;
  const top = corner.startsWith('upper') ? area.top + inset : area.top + area.height - inset - height;
  doc.group({ class: 'legend' }, () => {
    doc.rect(left, top, width, height, { fill: 'white', 'fill-opacity': 0.85, stroke: '#bbb', rx: 3 });
    entries.forEach((e, i) => {
      const cy = top + pad + 6 + i * row;
      doc.line(left + pad, cy, left + pad + swatch, cy, { stroke: e.color, 'stroke-width': 2, 'stroke-dasharray': e.dash });
      doc.text(left + pad + swatch + 6, cy + 4, e.label, { 'font-size': font });
    });
  });
}

/**
 * Colours for the SVG plots: a categorical palette for series, a sequential white-to-blue scale
 * for heatmaps, and the WCAG contrast rule that picks a readable text colour on a fill.
 */

import { ValueError } from '../errors';

/** Ten distinguishable series colours (matplotlib's `tab10`), used in order. */
export const PALETTE: readonly string[] = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

/** The `i`-th series colour, cycling through {@link PALETTE}. */
export function seriesColor(i: number): string {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length]!;
}

/**
 * White to dark blue (stops from matplotlib's `Blues`, starting at pure white). Every channel
 * is non-increasing from stop to stop, so interpolating gets strictly darker as `t` grows: a
 * larger count never looks lighter than a smaller one.
 */
export const BLUES: readonly string[] = ['#ffffff', '#deebf7', '#9ecae1', '#4292c6', '#08519c', '#08306b'];

/** An sRGB colour as three 0..255 channels. */
export type Rgb = readonly [number, number, number];

/** Parses `#rrggbb` (or `#rgb`). */
export function parseHexColor(hex: string): Rgb {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(hex);
  if (m === null) throw new ValueError(`parseHexColor: expected #rrggbb, got ${JSON.stringify(hex)}`);
  const h = m[1]!.length === 3 ? [...m[1]!].map((c) => c + c).join('') : m[1]!;
  return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
}

/** Formats three 0..255 channels (rounded and clamped) as `#rrggbb`. */
export function toHexColor(rgb: Rgb): string {
  return '#' + rgb.map((c) => Math.round(Math.min(255, Math.max(0, c))).toString(16).padStart(2, '0')).join('');
}

/** The colour at `t` in [0, 1] (clamped) along evenly spaced `stops`, interpolated in sRGB. */
export function interpolateColor(stops: readonly string[], t: number): string {
  if (stops.length === 0) throw new ValueError('interpolateColor: needs at least one stop');
  if (stops.length === 1 || !(t > 0)) return toHexColor(parseHexColor(stops[0]!));
  const pos = Math.min(1, t) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(pos));
  const a = parseHexColor(stops[i]!);
  const b = parseHexColor(stops[i + 1]!);
  const f = pos - i;
  return toHexColor([a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f]);
}

/** WCAG 2 relative luminance of `#rrggbb`: 0 for black, 1 for white. */
export function relativeLuminance(hex: string): number {
  const [r, g, b] = parseHexColor(hex).map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio between two colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** Whichever of `dark` and `light` contrasts more with `background`. */
export function readableTextColor(background: string, dark = '#1a1a1a', light = '#ffffff'): string {
  return contrastRatio(background, dark) >= contrastRatio(background, light) ? dark : light;
}

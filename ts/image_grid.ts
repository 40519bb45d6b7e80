/**
 * Grayscale image grids as standalone SVG (autoencoder reconstructions, GAN and VAE samples,
 * first-layer weights): one square per pixel, each image scaled to its own or a shared range.
 */

import { ValueError } from './errors';
import { SvgDocument } from './svg/writer';
import { Tensor } from './tensor';

/** Options of {@link imageGridSvg}. */
export interface ImageGridOptions {
  /** Images per row (default: up to 8). */
  columns?: number;
  /** Image height and width (default: square images, `√pixels`). */
  shape?: [number, number];
  /** Pixel size in SVG units (default 3). */
  pixel?: number;
  /** `'fixed'` maps 0 → white, 1 → black (default, for [0, 1] images); `'each'` stretches each image's own range (weights). */
  scale?: 'fixed' | 'each';
}

/** Renders `[N, H·W]`, `[N, H, W]` or `[N, 1, H, W]` images (row-major) as a grid. */
export function imageGridSvg(images: Tensor | number[][], options: ImageGridOptions = {}): string {
  const rows: number[][] = images instanceof Tensor ? (images.reshape([images.shape[0] ?? 0, -1]).toArray() as number[][]) : images.map((r) => Array.from(r));
  if (rows.length === 0) throw new ValueError('imageGridSvg: no images');
  const pixels = rows[0]!.length;
  const side = Math.round(Math.sqrt(pixels));
  const [h, w] = options.shape ?? [side, side];
  if (h * w !== pixels || rows.some((r) => r.length !== pixels)) throw new ValueError(`imageGridSvg: images of ${pixels} pixels do not fit shape [${h}, ${w}]`);
  const cols = options.columns ?? Math.min(8, rows.length);
  const px = options.pixel ?? 3;
  const gap = 2 * px;
  const gridRows = Math.ceil(rows.length / cols);
  const doc = new SvgDocument(cols * (w * px + gap) + gap, gridRows * (h * px + gap) + gap);
  rows.forEach((img, k) => {
    const [lo, hi] = options.scale === 'each' ? [Math.min(...img), Math.max(...img)] : [0, 1];
    const x0 = gap + (k % cols) * (w * px + gap);
    const y0 = gap + Math.floor(k / cols) * (h * px + gap);
    img.forEach((v, i) => {
      if (!Number.isFinite(v)) throw new ValueError(`imageGridSvg: image ${k} has a non-finite pixel`);
      const t = hi > lo ? Math.min(1, Math.max(0, (v - lo) / (hi - lo))) : 0;
      const g = Math.round(255 * (1 - t));
      doc.rect(x0 + (i % w) * px, y0 + Math.floor(i / w) * px, px, px, { fill: `rgb(${g},${g},${g})` });
    });
  });
  return doc.toString();
}

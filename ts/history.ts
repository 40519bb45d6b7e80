/** Helpers around `fit`'s History: a CSV/JSON-lines epoch logger and an SVG plot. */

import * as fs from 'node:fs';
import * as path from 'node:path';

import type { EpochLogs, History } from './model';

/**
 * An `onEpochEnd` callback appending one row per epoch to `file`: CSV (header from the first
 * epoch's keys) or, when the name ends in `.jsonl`, one JSON object per line.
 */
export function epochLogger(file: string): (logs: EpochLogs) => void {
  let header: string[] | undefined;
  return (e: EpochLogs) => {
    const row: Record<string, number> = { epoch: e.epoch, ...e.logs, lr: e.lr, seconds: e.seconds };
    if (file.endsWith('.jsonl')) {
      fs.appendFileSync(file, JSON.stringify(row) + '\n');
      return;
    }
    if (header === undefined) {
      header = Object.keys(row);
      fs.writeFileSync(file, header.join(',') + '\n');
    }
    fs.appendFileSync(file, header.map((k) => (row[k] === undefined ? '' : String(row[k]))).join(',') + '\n');
  };
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

/**
 * Renders the curves of a History (default: every logged key) as a standalone SVG line chart,
 * one panel per key family (`loss`/`val_loss` together, `accuracy`/`val_accuracy` together).
 */
export function historyToSvg(history: History, options: { keys?: string[]; width?: number; height?: number } = {}): string {
  const keys = options.keys ?? Object.keys(history.history);
  const families = new Map<string, string[]>();
  for (const k of keys) {
    const base = k.replace(/^val_/, '');
    families.set(base, [...(families.get(base) ?? []), k]);
  }
  const width = options.width ?? 640;
  const panelHeight = options.height ?? 240;
  const margin = { left: 56, right: 16, top: 28, bottom: 32 };
  const panels = [...families.entries()];
  const parts: string[] = [];
  panels.forEach(([family, members], p) => {
    const top = p * panelHeight;
    const series = members.map((k) => history.history[k] ?? []);
    const values = series.flat().filter(Number.isFinite);
    const lo = values.length ? Math.min(...values) : 0;
    const hi = values.length ? Math.max(...values) : 1;
    const span = hi - lo || 1;
    const n = Math.max(...series.map((s) => s.length), 2);
    const x = (i: number): number => margin.left + ((width - margin.left - margin.right) * i) / (n - 1);
    const y = (v: number): number => top + margin.top + (panelHeight - margin.top - margin.bottom) * (1 - (v - lo) / span);
    parts.push(`<text x="${margin.left}" y="${top + 18}" font-size="13" font-weight="bold">${escapeXml(family)}</text>`);
    parts.push(
      `<line x1="${margin.left}" y1="${y(lo)}" x2="${width - margin.right}" y2="${y(lo)}" stroke="#999"/>` +
        `<line x1="${margin.left}" y1="${y(hi)}" x2="${margin.left}" y2="${y(lo)}" stroke="#999"/>`,
    );
    parts.push(`<text x="4" y="${y(hi) + 4}" font-size="10">${hi.toPrecision(4)}</text>`);
    parts.push(`<text x="4" y="${y(lo) + 4}" font-size="10">${lo.toPrecision(4)}</text>`);
    parts.push(`<text x="${width - margin.right}" y="${y(lo) + 14}" font-size="10" text-anchor="end">epoch ${n}</text>`);
    series.forEach((s, j) => {
      const points = s.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      const color = COLORS[j % COLORS.length]!;
      parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points}"/>`);
      parts.push(`<text x="${width - margin.right - 90}" y="${top + 18 + 12 * j}" font-size="11" fill="${color}">${escapeXml(members[j]!)}</text>`);
    });
  });
  const height = Math.max(1, panels.length) * panelHeight;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`;
}

/** Writes {@link historyToSvg} to `file` (temp file + rename, so a crash never leaves half a file). */
export async function saveHistorySvg(history: History, file: string, options: { keys?: string[] } = {}): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  await fs.promises.writeFile(tmp, historyToSvg(history, options));
  await fs.promises.rename(tmp, file);
}

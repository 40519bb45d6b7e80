/** Helpers around `fit`'s History: a CSV/JSON-lines epoch logger and an SVG plot (drawn by `plots.ts`). */

import * as fs from 'node:fs';

import type { EpochLogs, History } from './model';
import { saveSvg, trainingCurvesSvg } from './plots';

/** @internal A History from the JSON the native fit returns (adds Keras' `history.history` columns). */
export function toHistory(json: string): History {
  const raw = JSON.parse(json) as Omit<History, 'history'>;
  const history: Record<string, number[]> = {};
  for (const e of raw.epochs) for (const [k, v] of Object.entries(e.logs)) (history[k] ??= []).push(v);
  return { ...raw, history };
}

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

/**
 * Renders the curves of a History (default: every logged key) as a standalone SVG line chart,
 * one panel per key family (`loss`/`val_loss` together, `accuracy`/`val_accuracy` together).
 * The same chart as {@link trainingCurvesSvg}.
 */
export function historyToSvg(history: History, options: { keys?: string[]; width?: number; height?: number } = {}): string {
  return trainingCurvesSvg(history, options);
}

/** Writes {@link historyToSvg} to `file` atomically (see {@link saveSvg}). */
export async function saveHistorySvg(history: History, file: string, options: { keys?: string[] } = {}): Promise<void> {
  saveSvg(file, historyToSvg(history, options));
}

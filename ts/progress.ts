/** The progress printer shared by every `fit` (native `Sequential.fit` and `Module.fit`). */

import type { BatchProgress, EpochLogs } from './model';

function formatLogs(logs: Record<string, number>): string {
  return Object.entries(logs)
    .map(([k, v]) => `${k} ${v.toFixed(4)}`)
    .join('  ');
}

/**
 * Renders `fit` progress as `verbose: 1` does: a redrawn bar on a TTY (epoch, step/total, ETA,
 * samples/s, running loss and metrics), one line per epoch otherwise. Usable from hand-written
 * training loops too.
 *
 * @example
 * ```ts
 * const printer = new ProgressPrinter(epochs, batchSize);
 * printer.batch({ epoch: 0, batch: 3, batches: 10, logs: { loss: 0.5 }, seconds: 0.2 });
 * printer.epoch({ epoch: 0, logs: { loss: 0.4 }, lr: 1e-3, seconds: 0.7, samplesPerSec: 900 });
 * ```
 */
export class ProgressPrinter {
  private readonly tty = process.stdout.isTTY === true;
  private barShown = false;

  /** @param epochs - total epochs, shown as `epoch i/epochs`. @param batchSize - samples per batch, for the samples/s estimate. */
  constructor(
    private readonly epochs: number,
    private readonly batchSize: number,
  ) {}

  /** Redraws the bar for a batch (TTY only; plain output prints epochs alone). */
  batch(p: BatchProgress): void {
    if (!this.tty) return;
    const width = 24;
    const done = Math.round((width * p.batch) / p.batches);
    const bar = '='.repeat(Math.max(0, done - 1)) + '>' + '.'.repeat(width - done);
    const rate = p.seconds > 0 ? p.batch / p.seconds : 0;
    const eta = rate > 0 ? (p.batches - p.batch) / rate : 0;
    const samples = Math.round(rate * this.batchSize);
    const line = `epoch ${p.epoch + 1}/${this.epochs} [${bar}] ${p.batch}/${p.batches}  ETA ${eta.toFixed(0)}s  ${samples} samples/s  ${formatLogs(p.logs)}`;
    process.stdout.write(`\r${line.slice(0, (process.stdout.columns ?? 120) - 1)}\x1b[K`);
    this.barShown = true;
  }

  /** Prints the line of a finished epoch (clearing the bar first). */
  epoch(e: EpochLogs): void {
    const line = `epoch ${e.epoch + 1}/${this.epochs}  ${formatLogs(e.logs)}  (${e.seconds.toFixed(1)} s, ${Math.round(e.samplesPerSec)} samples/s)`;
    if (this.tty && this.barShown) process.stdout.write('\r\x1b[K');
    this.barShown = false;
    console.log(line);
  }
}

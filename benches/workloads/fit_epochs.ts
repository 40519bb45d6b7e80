import { monitorEventLoopDelay } from 'node:perf_hooks';
import { measure } from '../lib/stats';
import type { CaseResult, EventLoopDelay } from '../lib/types';
import { errorResult } from './common';

/** `monitorEventLoopDelay` resolution (ms); the histogram includes it, so it is subtracted. */
export const ELD_RESOLUTION_MS = 10;

/** One engine's training setup for a fit workload: one call = one epoch. */
export type FitEngine = {
  /** One epoch over the data (resolves when done). */
  epoch(seed: number): Promise<void>;
  dispose(): void;
  note?: string;
};

/**
 * Times whole epochs of `impl` (the first, warm-up epoch untimed) and the event-loop delay during
 * the timed ones; always disposes `impl`. Shared by the fit workloads (MLP, CNN).
 */
export async function measureFitEpochs(impl: FitEngine, name: string, items: number, quick: boolean, maxRepeats: number): Promise<CaseResult> {
  // Histogram enabled only around the timed epochs (the warm-up epoch is excluded too).
  const h = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  let calls = 0;
  let timed = false;
  try {
    const samples = await measure(
      async () => {
        const seed = calls++;
        if (timed) h.enable();
        await impl.epoch(seed);
        if (timed) h.disable();
        timed = true;
      },
      { quick, budgetMs: 5000, minRepeats: 2, maxRepeats },
    );
    const ms = (ns: number): number => Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS);
    const eventLoopDelayMs: EventLoopDelay | undefined =
      h.count > 0 ? { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), count: h.count } : undefined;
    return { case: name, status: 'ok', samples, items, note: impl.note, eventLoopDelayMs };
  } catch (err) {
    return errorResult(name, err);
  } finally {
    impl.dispose();
  }
}

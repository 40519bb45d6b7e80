/** Summary statistics and the timing loop shared by every engine child process. */

export interface Stats {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function summarize(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const mid = Math.floor(n / 2);
  const median = n % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[n - 1]!, n };
}

export interface MeasureOptions {
  quick: boolean;
  /** Target wall-clock spent on timed repeats of one case (ms, full mode). */
  budgetMs?: number;
  minRepeats?: number;
  maxRepeats?: number;
}

function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * Warm-up + repeats of `fn`; returns the wall-clock of each timed repeat in ms.
 * Quick mode: one warm-up and two repeats (proves the code path, no timing claims).
 * Full mode: the first warm-up run sizes the repeat count to the budget; runs longer than
 * 10 s get no further warm-up and a single repeat per round (the harness runs several rounds).
 */
export async function measure(fn: () => unknown, opts: MeasureOptions): Promise<number[]> {
  const t0 = nowMs();
  await fn();
  const first = nowMs() - t0;
  let warmups = 0;
  let repeats: number;
  if (opts.quick) {
    repeats = 2;
  } else if (first > 10_000) {
    repeats = 1;
  } else {
    warmups = first > 1000 ? 0 : 2;
    const budget = opts.budgetMs ?? 3000;
    repeats = Math.max(opts.minRepeats ?? 3, Math.min(opts.maxRepeats ?? 25, Math.floor(budget / Math.max(first, 1e-3))));
  }
  for (let i = 0; i < warmups; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = nowMs();
    await fn();
    samples.push(nowMs() - t);
  }
  return samples;
}

import { measure, summarize } from '../lib/stats';
import { seededUniform } from '../lib/data';
import type { CaseResult } from '../lib/types';
import { errorResult, unavailable, type NodeWorkload } from './common';

export const GEMM_SIZES_FULL = [1024, 4096];
export const GEMM_SIZES_QUICK = [256, 512];
/** A size whose estimated single run (from the previous size, O(n³)) exceeds this is skipped. */
export const GEMM_MAX_RUN_MS = 60_000;

export const gemmCase = (n: number): string => `matmul ${n}x${n}x${n}`;

export const gemm: NodeWorkload = {
  id: 'gemm',
  description: 'square f32 matmul C = A·B (1024³ and 4096³); GFLOP/s = 2n³ / median time, and % of the FMA peak measured by ferrograd in the same run',
  async run(engine, backend, quick) {
    const sizes = quick ? GEMM_SIZES_QUICK : GEMM_SIZES_FULL;
    if (backend === null) return { results: unavailable(sizes.map(gemmCase), `${engine} has no matrix API`) };
    const results: CaseResult[] = [];
    const info: Record<string, string | number | boolean> = {};
    // Loaded only in the ferrograd child: peer children never load the native addon.
    const fg = engine === 'ferrograd' ? (require('../../ts/index') as typeof import('../../ts/index')) : undefined;
    if (fg) {
      info.peakGflops = await fg.measurePeakGflops();
      info.peakGflops1Thread = await fg.measurePeakGflops(1);
    }
    let prevMs = 0;
    let prevN = 0;
    for (const n of sizes) {
      const flops = 2 * n * n * n;
      const name = gemmCase(n);
      const estimate = prevMs * (n / Math.max(prevN, 1)) ** 3;
      if (prevN > 0 && estimate > GEMM_MAX_RUN_MS) {
        results.push({ case: name, status: 'skipped', flops, note: `too slow: est. ${(estimate / 1000).toFixed(0)} s per run (limit ${GEMM_MAX_RUN_MS / 1000} s)` });
        continue;
      }
      const a = backend.fromData(seededUniform(n * n, 1), [n, n]);
      const b = backend.fromData(seededUniform(n * n, 2), [n, n]);
      try {
        const samples = await measure(() => {
          const c = backend.matmul(a, b);
          backend.sync(c);
          backend.dispose(c);
        }, { quick });
        results.push({ case: name, status: 'ok', samples, flops });
        prevMs = summarize(samples).median;
        prevN = n;
        if (fg) {
          if (a instanceof fg.Tensor && b instanceof fg.Tensor) {
            const asyncSamples = await measure(async () => {
              const c = await a.matmulAsync(b);
              c.dispose();
            }, { quick });
            results.push({ case: `${name} (matmulAsync)`, status: 'ok', samples: asyncSamples, flops, note: 'ferrograd only: off-JS-thread variant' });
          }
        }
      } catch (err) {
        results.push(errorResult(name, err));
      } finally {
        backend.dispose([a, b]);
      }
    }
    return { results, info };
  },
};

import * as binding from './native';
import { ValueError, native, nativeAsync } from './errors';

/**
 * Sets the number of threads of the engine's single thread pool (default: all cores).
 * All kernels share this pool; nothing else spawns compute threads.
 */
export function setNumThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new ValueError(`setNumThreads: needs a positive integer, got ${threads}`);
  }
  native(() => binding.setNumThreads(threads));
}

/** The current size of the thread pool. */
export function getNumThreads(): number {
  return binding.getNumThreads();
}

/** Reseeds the global random generator (like `torch.manual_seed`). Draws are identical for any thread count. */
export function manualSeed(seed: number): void {
  native(() => binding.manualSeed(seed));
}

/** The SIMD instruction set the kernels selected at run time (`'Avx512'`, `'Avx2Fma'`, `'Neon'` or `'Scalar'`). */
export function simdLevel(): string {
  return binding.simdLevel();
}

/** Measures this machine's FP32 FMA peak (GFLOP/s) on `threads` threads, off the JS thread. */
export function measurePeakGflops(threads = getNumThreads()): Promise<number> {
  return nativeAsync(() => binding.measurePeakGflops(threads));
}

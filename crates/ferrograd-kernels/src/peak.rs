//! A tiny peak-FLOP/s probe: the reference for "how close is GEMM to the
//! hardware limit".
//!
//! Each thread runs a loop of independent FMAs whose accumulators stay in
//! registers (no memory traffic). 24 independent chains (12 without
//! AVX-512's 32 registers) cover the FMA latency (4 cycles) times the number
//! of FMA pipes (2) with margin; with fewer chains the probe measures
//! latency, not throughput (a short-chain loop reports about half the real
//! peak on Zen 5, e.g. 138 instead of ~255 GFLOP/s on one core).

use std::hint::black_box;
use std::sync::Barrier;
use std::time::Instant;

use crate::cpu::{simd_level, SimdLevel};
use crate::simd::{dispatch, Kernel, Simd};

struct FmaLoop {
    iters: usize,
    seed: f32,
}

impl Kernel for FmaLoop {
    type Output = (f32, usize);
    #[inline(always)]
    fn run<S: Simd>(self, s: S) -> (f32, usize) {
        // As many chains as fit in the register file next to the constants:
        // 32 zmm with AVX-512, 16 ymm/xmm otherwise (spilling would turn the
        // probe into a load/store benchmark).
        match S::LANES {
            16 => fma_loop::<S, 24>(s, self.iters, self.seed),
            _ => fma_loop::<S, 12>(s, self.iters, self.seed),
        }
    }
}

#[inline(always)]
fn fma_loop<S: Simd, const CHAINS: usize>(s: S, iters: usize, seed: f32) -> (f32, usize) {
    // acc = acc * a + b converges to b / (1 - a): values stay normal.
    let a = s.splat(black_box(0.999_999));
    let b = s.splat(black_box(1e-6));
    let mut acc = [s.splat(0.0); CHAINS];
    for (i, v) in acc.iter_mut().enumerate() {
        *v = s.splat(seed + i as f32);
    }
    for _ in 0..iters {
        for v in acc.iter_mut() {
            *v = s.fma(*v, a, b);
        }
    }
    let mut total = s.splat(0.0);
    for v in acc {
        total = s.add(total, v);
    }
    (s.reduce_add(total), CHAINS * S::LANES * 2 * iters)
}

/// Measures the peak FP32 FMA throughput in GFLOP/s (2 flops per FMA lane)
/// with `threads` threads (at least 1) running the register-resident loop
/// concurrently (median of 5 runs). Uses the same SIMD level as the kernels.
/// Takes ~0.2–0.3 s.
pub fn measure_peak_gflops(threads: usize) -> f64 {
    measure_peak_with(simd_level(), threads)
}

pub(crate) fn measure_peak_with(level: SimdLevel, threads: usize) -> f64 {
    let threads = threads.max(1);
    let iters = match level {
        SimdLevel::Scalar => 2_000_000,
        _ => 10_000_000,
    };
    // Warm-up: lets the core reach its AVX-512 clock before timing.
    black_box(dispatch(
        level,
        FmaLoop {
            iters: iters / 4,
            seed: 1.0,
        },
    ));
    let mut rates = Vec::with_capacity(5);
    for _ in 0..5 {
        let barrier = Barrier::new(threads);
        // Each worker times itself: the spawning thread may not even be
        // scheduled while all cores are busy, so it cannot hold the clock.
        let runs: Vec<(Instant, Instant, usize)> = std::thread::scope(|sc| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let barrier = &barrier;
                    sc.spawn(move || {
                        barrier.wait();
                        let t0 = Instant::now();
                        let (v, f) = dispatch(
                            level,
                            FmaLoop {
                                iters,
                                seed: t as f32,
                            },
                        );
                        black_box(v);
                        (t0, Instant::now(), f)
                    })
                })
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        });
        let start = runs.iter().map(|r| r.0).min();
        let end = runs.iter().map(|r| r.1).max();
        let flops: usize = runs.iter().map(|r| r.2).sum();
        if let (Some(s), Some(e)) = (start, end) {
            let secs = e.duration_since(s).as_secs_f64();
            if secs > 0.0 && runs.len() == threads {
                rates.push(flops as f64 / secs / 1e9);
            }
        }
    }
    // Median: robust against a run disturbed by other processes or, on VMs,
    // by vCPUs briefly landing on different physical cores.
    rates.sort_by(f64::total_cmp);
    rates.get(rates.len() / 2).copied().unwrap_or(0.0)
}

//! GEMM throughput vs the machine's measured FP32 FMA peak.
//!
//! Run: `cargo run --release -p ferrograd-kernels --example gemm_bench [sizes...]`
//! Prints, for each size and thread count, the median GFLOP/s over several
//! repeats after warm-up, the register-loop peak and the ratio.

use std::time::Instant;

use ferrograd_kernels::{measure_peak_gflops, set_num_threads, sgemm, simd_level, KernelError};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median GFLOP/s of `C = A·B` for an `m×n×k` problem (`trans_a`: A stored column-major).
fn bench(m: usize, n: usize, k: usize, trans_a: bool) -> Result<f64, KernelError> {
    let a: Vec<f32> = (0..m * k)
        .map(|i| ((i * 7) % 13) as f32 * 0.1 - 0.6)
        .collect();
    let b: Vec<f32> = (0..k * n)
        .map(|i| ((i * 5) % 11) as f32 * 0.1 - 0.5)
        .collect();
    let mut c = vec![0.0f32; m * n];
    let (a_rs, a_cs) = if trans_a { (1, m) } else { (k, 1) };
    let flops = 2.0 * (m * n * k) as f64;
    // ~0.3 s of work per measurement point, at least 5 repeats.
    let reps = ((6e10 / flops) as usize).clamp(5, 2000);
    for _ in 0..2 {
        sgemm(m, n, k, &a, a_rs, a_cs, &b, n, 1, &mut c, n, false)?;
    }
    let mut rates = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t0 = Instant::now();
        sgemm(m, n, k, &a, a_rs, a_cs, &b, n, 1, &mut c, n, false)?;
        rates.push(flops / t0.elapsed().as_secs_f64() / 1e9);
    }
    Ok(median(rates))
}

fn main() -> Result<(), KernelError> {
    // Arguments: sizes (e.g. `1024 2048`), optionally `t1` / `t2` to run only
    // one thread count, and `-q` to skip the odd shapes.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sizes: Vec<usize> = args.iter().filter_map(|s| s.parse().ok()).collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    let thread_counts: Vec<usize> = match (has("t1"), has("t2")) {
        (true, false) => vec![1],
        (false, true) => vec![2],
        _ => vec![1, 2],
    };
    let quick = has("-q");
    let sizes = if sizes.is_empty() {
        vec![256, 512, 1024, 2048]
    } else {
        sizes
    };
    println!("SIMD level: {:?}", simd_level());
    for &threads in &thread_counts {
        set_num_threads(threads)?;
        let peak = measure_peak_gflops(threads);
        println!("threads={threads}: peak {peak:.1} GFLOP/s");
        for &s in &sizes {
            let g = bench(s, s, s, false)?;
            println!(
                "  {s:>5}^3          {g:7.1} GFLOP/s  {:5.1}% of peak",
                100.0 * g / peak
            );
        }
        if quick {
            continue;
        }
        for &(m, n, k, t) in &[
            (64, 64, 64, false),
            (128, 784, 256, false),
            (1, 1024, 1024, false),
            (1024, 1, 1024, false),
            (512, 512, 512, true),
        ] {
            let g = bench(m, n, k, t)?;
            let tag = if t { " Aᵀ" } else { "" };
            println!(
                "  {m}x{n}x{k}{tag:<4} {g:7.1} GFLOP/s  {:5.1}% of peak",
                100.0 * g / peak
            );
        }
    }
    Ok(())
}

//! GEMM throughput vs the machine's measured FP32 FMA peak.
//!
//! Run: `cargo run --release -p ferrograd-kernels --example gemm_bench [sizes...] [t1|t2] [-q]`
//!
//! For each size and thread count it alternates peak probes and GEMM
//! measurements (the probe is re-run every round, so a shared/noisy machine
//! affects both sides of the ratio alike), and prints the median GEMM
//! GFLOP/s, the median peak and the median per-round ratio GEMM/peak.

use std::time::Instant;

use ferrograd_kernels::{measure_peak_gflops, set_num_threads, sgemm, simd_level, KernelError};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

struct Problem {
    m: usize,
    n: usize,
    k: usize,
    /// A stored column-major (a transposed view).
    trans_a: bool,
}

/// Median GFLOP/s of `C = A·B` over a few repeats (after warm-up).
fn gemm_rate(p: &Problem, a: &[f32], b: &[f32], c: &mut [f32]) -> Result<f64, KernelError> {
    let (a_rs, a_cs) = if p.trans_a { (1, p.m) } else { (p.k, 1) };
    let flops = 2.0 * (p.m * p.n * p.k) as f64;
    // ~0.1 s of work per round, at least 3 repeats.
    let reps = ((2e10 / flops) as usize).clamp(3, 5000);
    sgemm(p.m, p.n, p.k, a, a_rs, a_cs, b, p.n, 1, c, p.n, false)?;
    let mut rates = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t0 = Instant::now();
        sgemm(p.m, p.n, p.k, a, a_rs, a_cs, b, p.n, 1, c, p.n, false)?;
        rates.push(flops / t0.elapsed().as_secs_f64() / 1e9);
    }
    Ok(median(rates))
}

fn report(p: &Problem, threads: usize, rounds: usize) -> Result<(), KernelError> {
    let a: Vec<f32> = (0..p.m * p.k)
        .map(|i| ((i * 7) % 13) as f32 * 0.1 - 0.6)
        .collect();
    let b: Vec<f32> = (0..p.k * p.n)
        .map(|i| ((i * 5) % 11) as f32 * 0.1 - 0.5)
        .collect();
    let mut c = vec![0.0f32; p.m * p.n];
    let (mut g, mut pk, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let peak = measure_peak_gflops(threads);
        let rate = gemm_rate(p, &a, &b, &mut c)?;
        g.push(rate);
        pk.push(peak);
        ratio.push(rate / peak);
    }
    let name = format!(
        "{}x{}x{}{}",
        p.m,
        p.n,
        p.k,
        if p.trans_a { " (Aᵀ view)" } else { "" }
    );
    println!(
        "  {name:<22} {:7.1} GFLOP/s   peak {:6.1}   ratio {:5.1}%",
        median(g),
        median(pk),
        100.0 * median(ratio)
    );
    Ok(())
}

fn main() -> Result<(), KernelError> {
    // Arguments: sizes (e.g. `1024 2048`), optionally `t1` / `t2` to run only
    // one thread count, and `-q` to skip the odd shapes.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sizes: Vec<usize> = args.iter().filter_map(|s| s.parse().ok()).collect();
    let sizes = if sizes.is_empty() {
        vec![256, 512, 1024, 2048]
    } else {
        sizes
    };
    let has = |flag: &str| args.iter().any(|a| a == flag);
    let thread_counts: Vec<usize> = match (has("t1"), has("t2")) {
        (true, false) => vec![1],
        (false, true) => vec![2],
        _ => vec![1, 2],
    };
    println!("SIMD level: {:?}", simd_level());
    for &threads in &thread_counts {
        set_num_threads(threads)?;
        println!("threads={threads}:");
        for &s in &sizes {
            let p = Problem {
                m: s,
                n: s,
                k: s,
                trans_a: false,
            };
            report(&p, threads, 5)?;
        }
        if has("-q") {
            continue;
        }
        for &(m, n, k, trans_a) in &[
            (64, 64, 64, false),
            (128, 784, 256, false),
            (1, 1024, 1024, false),
            (1024, 1, 1024, false),
            (512, 512, 512, true),
        ] {
            report(&Problem { m, n, k, trans_a }, threads, 3)?;
        }
    }
    Ok(())
}

//! Measures where splitting elementwise work across threads starts to pay:
//! time per call of `add` and `exp` for growing sizes, 1 vs 2 threads.
//!
//! Run: `cargo run --release -p ferrograd-kernels --example par_threshold`

use std::time::Instant;

use ferrograd_kernels::{
    binary_contiguous, set_num_threads, unary, BinaryOp, KernelError, UnaryOp,
};

fn per_call(mut f: impl FnMut() -> Result<(), KernelError>) -> Result<f64, KernelError> {
    let mut best = f64::MAX;
    for _ in 0..7 {
        let t0 = Instant::now();
        for _ in 0..50 {
            f()?;
        }
        best = best.min(t0.elapsed().as_secs_f64() / 50.0);
    }
    Ok(best * 1e6)
}

fn main() -> Result<(), KernelError> {
    println!(
        "{:>9} {:>12} {:>12} {:>12} {:>12}",
        "n", "add 1T µs", "add 2T µs", "exp 1T µs", "exp 2T µs"
    );
    for n in [
        4096usize,
        8192,
        16384,
        32768,
        65536,
        131072,
        262144,
        1 << 20,
    ] {
        let x = vec![0.5f32; n];
        let y = vec![1.5f32; n];
        let mut out = vec![0.0f32; n];
        let mut row = Vec::new();
        for op in [0, 1] {
            for t in [1, 2] {
                set_num_threads(t)?;
                // Force the split regardless of the built-in threshold by
                // timing whole calls at sizes straddling it.
                let us = per_call(|| {
                    if op == 0 {
                        binary_contiguous(BinaryOp::Add, &x, &y, &mut out)
                    } else {
                        unary(UnaryOp::Exp, &x, &mut out)
                    }
                })?;
                row.push(us);
            }
        }
        println!(
            "{n:>9} {:>12.2} {:>12.2} {:>12.2} {:>12.2}",
            row[0], row[1], row[2], row[3]
        );
    }
    Ok(())
}

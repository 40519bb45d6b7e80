//! Throughput of elementwise kernels, reductions and softmax.
//!
//! Run: `cargo run --release -p ferrograd-kernels --example elementwise_bench`
//! (set `FERROGRAD_SIMD=scalar|avx2` to measure the fallbacks). Prints
//! Gelem/s for 1 and 2 threads next to a plain `iter().map(f32::exp)` loop.

use std::hint::black_box;
use std::time::Instant;

use ferrograd_kernels::{
    binary_contiguous, copy_strided, reduce, set_num_threads, simd_level, softmax, unary, BinaryOp,
    KernelError, ReduceOp, UnaryOp,
};

/// Median seconds of `f` over a few runs.
fn time(mut f: impl FnMut() -> Result<(), KernelError>) -> Result<f64, KernelError> {
    f()?;
    let mut t = Vec::new();
    for _ in 0..15 {
        let t0 = Instant::now();
        f()?;
        t.push(t0.elapsed().as_secs_f64());
    }
    t.sort_by(f64::total_cmp);
    Ok(t[t.len() / 2])
}

fn main() -> Result<(), KernelError> {
    println!("SIMD level: {:?}", simd_level());
    let n = 1 << 20;
    let x: Vec<f32> = (0..n)
        .map(|i| ((i * 37) % 1000) as f32 * 0.01 - 5.0)
        .collect();
    let y: Vec<f32> = (0..n)
        .map(|i| ((i * 11) % 997) as f32 * 0.01 + 0.5)
        .collect();
    let mut out = vec![0.0f32; n];
    let g = |secs: f64| n as f64 / secs / 1e9;

    let base = time(|| {
        for (o, v) in out.iter_mut().zip(&x) {
            *o = v.exp();
        }
        black_box(&out);
        Ok(())
    })?;
    println!(
        "n = {n}; baseline scalar std exp loop: {:.2} Gelem/s",
        g(base)
    );
    for threads in [1, 2] {
        set_num_threads(threads)?;
        println!("threads={threads}");
        for op in [
            UnaryOp::Relu,
            UnaryOp::Exp,
            UnaryOp::Log,
            UnaryOp::Tanh,
            UnaryOp::Sigmoid,
            UnaryOp::Erf,
            UnaryOp::Sin,
            UnaryOp::Softplus,
        ] {
            let t = time(|| unary(op, &x, &mut out))?;
            println!("  unary {:<10} {:6.2} Gelem/s", format!("{op:?}"), g(t));
        }
        for op in [BinaryOp::Add, BinaryOp::Mul, BinaryOp::Maximum] {
            let t = time(|| binary_contiguous(op, &x, &y, &mut out))?;
            println!("  binary {:<9} {:6.2} Gelem/s", format!("{op:?}"), g(t));
        }
        let mut r = vec![0.0f32; 1024];
        for op in [ReduceOp::Sum, ReduceOp::Max, ReduceOp::LogSumExp] {
            let t = time(|| reduce(op, &x, 1024, 1024, 1, &mut r))?;
            println!(
                "  reduce rows {:<9} {:6.2} Gelem/s",
                format!("{op:?}"),
                g(t)
            );
            let t = time(|| reduce(op, &x, 1, 1024, 1024, &mut r))?;
            println!(
                "  reduce cols {:<9} {:6.2} Gelem/s",
                format!("{op:?}"),
                g(t)
            );
        }
        let t = time(|| reduce(ReduceOp::Sum, &x, 1, n, 1, &mut r[..1]))?;
        println!("  reduce full Sum     {:6.2} Gelem/s", g(t));
        let t = time(|| softmax(&x, 1024, 1024, 1, &mut out, false))?;
        println!("  softmax rows        {:6.2} Gelem/s", g(t));
        let t = time(|| softmax(&x, 1, 1024, 1024, &mut out, true))?;
        println!("  log_softmax cols    {:6.2} Gelem/s", g(t));
        let t = time(|| copy_strided(&[1024, 1024], &x, 0, &[1, 1024], &mut out))?;
        println!("  transpose 1024²     {:6.2} Gelem/s", g(t));
        let m = 1000 * 1000;
        let t = time(|| copy_strided(&[1000, 1000], &x[..m], 0, &[1, 1000], &mut out[..m]))?;
        println!("  transpose 1000²     {:6.2} Gelem/s", m as f64 / t / 1e9);
    }
    Ok(())
}

//! Per-call overhead of the kernels on tiny inputs (should be well under 1 µs: a slow
//! `num_threads()` once cost 24 µs per call). Run: `cargo run --release -p ferrograd-kernels --example tiny_overhead`.
use std::time::Instant;
fn main() {
    let a = [1.0f32];
    let mut out = [0.0f32];
    let reps = 100_000;
    let t = Instant::now();
    for _ in 0..reps {
        ferrograd_kernels::binary_contiguous(ferrograd_kernels::BinaryOp::Add, &a, &a, &mut out)
            .ok();
    }
    println!(
        "binary_contiguous 1 elem {:.2} us",
        t.elapsed().as_secs_f64() * 1e6 / reps as f64
    );
    let t = Instant::now();
    for _ in 0..reps {
        ferrograd_kernels::binary_strided(
            ferrograd_kernels::BinaryOp::Add,
            &[1],
            &a,
            0,
            &[1],
            &a,
            0,
            &[1],
            &mut out,
        )
        .ok();
    }
    println!(
        "binary_strided 1 elem {:.2} us",
        t.elapsed().as_secs_f64() * 1e6 / reps as f64
    );
    let t = Instant::now();
    for _ in 0..reps {
        ferrograd_kernels::unary(ferrograd_kernels::UnaryOp::Relu, &a, &mut out).ok();
    }
    println!(
        "unary 1 elem {:.2} us",
        t.elapsed().as_secs_f64() * 1e6 / reps as f64
    );
    let t = Instant::now();
    for _ in 0..reps {
        std::hint::black_box(ferrograd_kernels::num_threads());
    }
    println!(
        "num_threads {:.3} us",
        t.elapsed().as_secs_f64() * 1e6 / reps as f64
    );
}

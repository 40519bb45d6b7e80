//! Times eager ops on 1M elements end to end (allocation + kernel), to separate engine overhead
//! from binding overhead. Run: `cargo run --release -p ferrograd-core --example op_overhead`.

use std::time::Instant;

use ferrograd_core::{Result, Tensor};

fn time(name: &str, f: impl Fn() -> Result<Tensor>) -> Result<()> {
    f()?;
    let reps = 50;
    let start = Instant::now();
    for _ in 0..reps {
        std::hint::black_box(f()?);
    }
    println!(
        "{name:<12} {:>8.3} ms",
        start.elapsed().as_secs_f64() * 1e3 / reps as f64
    );
    Ok(())
}

fn main() -> Result<()> {
    let a = Tensor::randn(&[1024, 1024], 0.0, 1.0, Some(1))?;
    let b = Tensor::randn(&[1024, 1024], 0.0, 1.0, Some(2))?;
    time("add", || a.add(&b))?;
    time("exp", || a.exp())?;
    time("add_scalar", || a.add_scalar(1.0))?;
    time("softmax", || a.softmax(-1))?;
    time("sum(0)", || a.sum(Some(&[0]), false))?;
    // Per-op overhead on tiny tensors (µs matter for small models).
    let s = Tensor::randn(&[1], 0.0, 1.0, Some(3))?;
    time("add 1 elem", || s.add(&s))?;
    time("relu 1 elem", || s.relu())?;
    Ok(())
}

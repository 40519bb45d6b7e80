//! Peak memory of one fused attention forward+backward: B=1, H=8, head dim 64 (d_model 512).
//!
//! `cargo run --release -p ferrograd-core --example attention_memory -- 4096`
//!
//! Prints the process's peak resident set (VmHWM) before and after, and the size of q, k, v.
//! A materialised `L × L` attention matrix for 8 heads would need `8·L²·4` bytes
//! (512 MiB at L = 4096) for the weights alone, and as much again for their gradient.

use ferrograd_core::{AttentionOptions, Tensor};

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn main() -> ferrograd_core::Result<()> {
    let len: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1024);
    let causal = std::env::args().any(|a| a == "--causal");
    let (b, h, d) = (1, 8, 64);
    let before = status_kib("VmHWM:") * 1024;
    let qkv: Vec<Tensor> = (0..3)
        .map(|i| {
            let t = Tensor::randn(&[b, h, len, d], 0.0, 1.0, Some(i))?;
            t.set_requires_grad(true)?;
            Ok(t)
        })
        .collect::<ferrograd_core::Result<_>>()?;
    let opts = AttentionOptions {
        causal,
        ..Default::default()
    };
    let start = std::time::Instant::now();
    let out = Tensor::scaled_dot_product_attention(&qkv[0], &qkv[1], &qkv[2], &opts)?;
    let fwd = start.elapsed();
    out.sum(None, false)?.backward()?;
    let total = start.elapsed();
    let peak = status_kib("VmHWM:") * 1024;
    let one = (b * h * len * d * 4) as u64;
    println!(
        "L={len} B={b} H={h} D={d} causal={causal}: q,k,v {:.1} MiB each ({:.1} MiB together); \
         peak RSS {:.1} MiB (before inputs {:.1} MiB, growth {:.1} MiB); \
         a materialised attention matrix would be {:.1} MiB; forward {:.0} ms, forward+backward {:.0} ms",
        mib(one),
        mib(3 * one),
        mib(peak),
        mib(before),
        mib(peak.saturating_sub(before)),
        mib((b * h * len * len * 4) as u64),
        fwd.as_secs_f64() * 1e3,
        total.as_secs_f64() * 1e3,
    );
    Ok(())
}

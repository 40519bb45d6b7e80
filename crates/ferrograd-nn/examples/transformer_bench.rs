//! One training step of the transformer benchmark workload, timed.
//!
//! `cargo run --release -p ferrograd-nn --example transformer_bench -- [steps] [threads]`
//!
//! Workload (same as `scripts/bench_torch_transformer.py`): input `[32, 128, 128]` (batch, seq,
//! d_model) → 2 post-norm encoder layers (4 heads, FF 512, ReLU, no dropout) → mean over the
//! sequence → dense 10 → softmax cross-entropy; Adam (lr 1e-3). Prints the median ms/step over
//! `steps` steps after 3 warm-up steps, and samples/s.

use ferrograd_core::{set_num_threads, Tensor};
use ferrograd_nn::layers::{TorchLinear, TransformerEncoder, TransformerLayerConfig};
use ferrograd_nn::loss::{sparse_cross_entropy, SparseCrossEntropyOptions};
use ferrograd_nn::module::{named_parameters, Module};
use ferrograd_nn::optim::{AdamConfig, Optimizer};

/// User + system CPU seconds of this process (from /proc, 10 ms ticks): on a shared machine the
/// CPU time per step is steadier than the wall time.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit(')').next()?.to_owned();
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
            Some(ticks as f64 / 100.0)
        })
        .unwrap_or(0.0)
}

fn main() -> ferrograd_core::Result<()> {
    let mut args = std::env::args().skip(1);
    let steps: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    if let Some(t) = args.next().and_then(|a| a.parse().ok()) {
        set_num_threads(t)?;
    }
    let (batch, seq, d, heads, ff, classes) = (32, 128, 128, 4, 512, 10);
    let mut c = TransformerLayerConfig::new(d, heads);
    c.dim_feedforward = ff;
    c.dropout = 0.0;
    let encoder = TransformerEncoder::new(&c, 2, false, Some(1))?;
    let head = TorchLinear::new(d, classes, true, Some(2))?;
    let mut params: Vec<Tensor> = named_parameters(&encoder)
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    params.extend(named_parameters(&head).into_iter().map(|(_, t)| t));
    let mut opt = Optimizer::new(params, AdamConfig::default())?;
    let x = Tensor::randn(&[batch, seq, d], 0.0, 1.0, Some(3))?;
    let y = Tensor::from_vec((0..batch).map(|i| (i % classes) as f32).collect(), &[batch])?;
    let mut times = Vec::new();
    let mut last_loss = 0.0;
    let mut cpu0 = 0.0;
    for step in 0..steps + 3 {
        if step == 3 {
            cpu0 = cpu_seconds();
        }
        let t0 = std::time::Instant::now();
        opt.zero_grad();
        let h = encoder.forward(&x)?.mean(Some(&[1]), false)?;
        let loss = sparse_cross_entropy(
            &head.forward(&h)?,
            &y,
            &SparseCrossEntropyOptions::default(),
        )?;
        loss.backward()?;
        opt.step()?;
        last_loss = loss.item()?;
        if step >= 3 {
            times.push(t0.elapsed().as_secs_f64() * 1e3);
        }
    }
    let cpu_ms = (cpu_seconds() - cpu0) * 1e3 / steps as f64;
    times.sort_by(|a, b| a.total_cmp(b));
    let ms = times[times.len() / 2];
    println!(
        "ferrograd threads={} : {ms:.2} ms/step, {:.0} samples/s (median of {steps}; CPU {cpu_ms:.1} ms/step; final loss {last_loss:.4})",
        ferrograd_core::num_threads(),
        batch as f64 * 1e3 / ms
    );
    Ok(())
}

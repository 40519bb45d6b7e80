//! Training-step throughput of an LSTM classifier: input 64, hidden 256, 64 steps, batch 32,
//! classify from the last step with Linear(256 → 10) + softmax cross-entropy, Adam.
//! Compare with `scripts/bench_torch_lstm.py` (same model and sizes).
//!
//! ```text
//! cargo run -p ferrograd-nn --release --example lstm_bench [threads...]   # default: 1 2
//! ```

use std::time::Instant;

use ferrograd_core::{set_num_threads, Tensor};
use ferrograd_nn::layers::{LinearConfig, Recurrent, RecurrentConfig};
use ferrograd_nn::loss::{sparse_cross_entropy, SparseCrossEntropyOptions};
use ferrograd_nn::module::{named_parameters, Module};
use ferrograd_nn::optim::{AdamConfig, Optimizer};

const B: usize = 32;
const T: usize = 64;
const I: usize = 64;
const H: usize = 256;
const CLASSES: usize = 10;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let threads: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let threads = if threads.is_empty() {
        vec![1, 2]
    } else {
        threads
    };
    let mut cfg = RecurrentConfig::lstm(I, H);
    cfg.return_sequences = false;
    cfg.seed = Some(1);
    let lstm = Recurrent::new(cfg)?;
    let head = LinearConfig::new(H, CLASSES).init(Some(2))?;
    let mut params: Vec<Tensor> = named_parameters(&lstm)
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    params.extend(named_parameters(&head).into_iter().map(|(_, t)| t));
    let mut opt = Optimizer::new(params, AdamConfig::default())?;
    let x = Tensor::randn(&[B, T, I], 0.0, 1.0, Some(3))?;
    let labels: Vec<f32> = (0..B).map(|k| (k % CLASSES) as f32).collect();
    let y = Tensor::from_vec(labels, &[B])?;
    let opts = SparseCrossEntropyOptions::default();
    let mut step = |phases: &mut [f64; 3]| -> Result<f32, Box<dyn std::error::Error>> {
        let t0 = Instant::now();
        opt.zero_grad();
        let logits = head.forward(&lstm.forward(&x)?)?;
        let loss = sparse_cross_entropy(&logits, &y, &opts)?;
        let t1 = Instant::now();
        loss.backward()?;
        let t2 = Instant::now();
        opt.step()?;
        let t3 = Instant::now();
        phases[0] += (t1 - t0).as_secs_f64();
        phases[1] += (t2 - t1).as_secs_f64();
        phases[2] += (t3 - t2).as_secs_f64();
        Ok(loss.item()?)
    };
    for &n in &threads {
        set_num_threads(n)?;
        let mut phases = [0.0; 3];
        for _ in 0..5 {
            step(&mut phases)?;
        }
        // The median step is reported: the box is shared, and a concurrent build inflates the
        // mean of a few steps.
        let steps = 40;
        let mut phases = [0.0; 3];
        let mut times = Vec::with_capacity(steps);
        let mut loss = 0.0;
        for _ in 0..steps {
            let start = Instant::now();
            loss = step(&mut phases)?;
            times.push(start.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        let per = times[steps / 2];
        println!(
            "ferrograd LSTM threads={n}: median {:.2} ms/step (min {:.2}), {:.0} samples/s (mean forward {:.2} ms, backward {:.2} ms, adam {:.2} ms; loss {loss:.4})",
            per * 1e3,
            times[0] * 1e3,
            B as f64 / per,
            phases[0] / steps as f64 * 1e3,
            phases[1] / steps as f64 * 1e3,
            phases[2] / steps as f64 * 1e3,
        );
    }
    Ok(())
}

//! Forward + backward timings of the benchmark CNN's feature extractor, on 1 and 2 threads:
//! input `[64, 1, 28, 28]` → conv 5×5×32 'same' + relu + maxpool 2 → conv 5×5×64 'same' + relu +
//! maxpool 2. Compare with `scripts/bench_torch_conv.py` (same shapes in PyTorch).
//!
//! Run: `cargo run --release -p ferrograd-core --example conv_bench [reps]`
//!
//! Rows (median milliseconds over `reps` runs after a warm-up):
//! * `conv1 fwd+bwd`: conv2d(x, w1, b1) and its backward (weight and bias gradients only: the
//!   network input needs no gradient), likewise `conv2`, whose input gradient is also computed.
//! * `relu+pool1/2`: relu + max_pool2d and backward on the conv outputs.
//! * `network`: the whole chain, one loss, one backward.
//! * kernel rows: the three conv kernels alone (forward, input gradient, weight gradient).

use std::time::Instant;

use ferrograd_core::{
    set_num_threads, BackwardOptions, Conv2dOptions, Pool2dOptions, Result, Tensor,
};
use ferrograd_kernels::{
    conv2d_backward_input, conv2d_backward_weight, conv2d_forward, Conv2dGeometry,
};

fn median_ms(reps: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    f()?;
    let mut t = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t0 = Instant::now();
        f()?;
        t.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    t.sort_by(f64::total_cmp);
    Ok(t[t.len() / 2])
}

fn leaf(shape: &[usize], seed: u64, scale: f32) -> Result<Tensor> {
    let t = Tensor::randn(shape, 0.0, scale, Some(seed))?;
    t.set_requires_grad(true)?;
    Ok(t)
}

/// Forward + backward of `f` with a fixed upstream gradient.
fn fwd_bwd(f: &dyn Fn() -> Result<Tensor>, grad: &Tensor) -> Result<()> {
    let y = f()?;
    y.backward_with(BackwardOptions {
        gradient: Some(grad.clone()),
        create_graph: false,
    })
}

fn geometry(c: usize, o: usize, hw: usize) -> Conv2dGeometry {
    Conv2dGeometry {
        batch: 64,
        in_channels: c,
        in_h: hw,
        in_w: hw,
        out_channels: o,
        out_h: hw,
        out_w: hw,
        kernel: (5, 5),
        stride: (1, 1),
        pad: (2, 2),
        dilation: (1, 1),
        groups: 1,
    }
}

fn kernel_rows(reps: usize, name: &str, g: &Conv2dGeometry) -> Result<()> {
    let x = vec![0.5f32; g.batch * g.in_channels * g.in_h * g.in_w];
    let w = vec![0.1f32; g.out_channels * g.in_channels * 25];
    let dy = vec![0.2f32; g.batch * g.out_channels * g.out_h * g.out_w];
    let (mut y, mut dx, mut dw) = (vec![0.0; dy.len()], vec![0.0; x.len()], vec![0.0; w.len()]);
    let macs = (g.batch * g.out_channels * g.out_h * g.out_w * g.in_channels * 25) as f64;
    let k = |r: std::result::Result<(), ferrograd_kernels::KernelError>| r.map_err(Into::into);
    let fwd = median_ms(reps, || k(conv2d_forward(g, &x, &w, None, &mut y)))?;
    let bin = median_ms(reps, || k(conv2d_backward_input(g, &dy, &w, &mut dx)))?;
    let bw = median_ms(reps, || k(conv2d_backward_weight(g, &x, &dy, &mut dw)))?;
    let gf = |ms: f64| 2.0 * macs / ms / 1e6;
    println!(
        "  {name} kernels: forward {fwd:6.2} ms ({:5.1} GFLOP/s), input grad {bin:6.2} ms ({:5.1}), weight grad {bw:6.2} ms ({:5.1})",
        gf(fwd),
        gf(bin),
        gf(bw)
    );
    Ok(())
}

fn main() -> Result<()> {
    let reps: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let x = Tensor::randn(&[64, 1, 28, 28], 0.0, 1.0, Some(1))?;
    let (w1, b1) = (leaf(&[32, 1, 5, 5], 2, 0.2)?, leaf(&[32], 3, 0.1)?);
    let (w2, b2) = (leaf(&[64, 32, 5, 5], 4, 0.035)?, leaf(&[64], 5, 0.1)?);
    let same28 = Conv2dOptions::default().with_same_padding((28, 28), (5, 5));
    let same14 = Conv2dOptions::default().with_same_padding((14, 14), (5, 5));
    let pool = Pool2dOptions::new((2, 2));
    // Activations of the first block, as inputs of the later rows.
    let a1 = x.conv2d(&w1, Some(&b1), &same28)?.detach();
    let p1 = a1.relu()?.max_pool2d(&pool)?.detach();
    p1.set_requires_grad(true)?;
    let a2 = p1.conv2d(&w2, Some(&b2), &same14)?.detach();
    a1.set_requires_grad(true)?;
    a2.set_requires_grad(true)?;
    let g1 = Tensor::randn(&[64, 32, 28, 28], 0.0, 1.0, Some(6))?;
    let gp1 = Tensor::randn(&[64, 32, 14, 14], 0.0, 1.0, Some(7))?;
    let g2 = Tensor::randn(&[64, 64, 14, 14], 0.0, 1.0, Some(8))?;
    let gp2 = Tensor::randn(&[64, 64, 7, 7], 0.0, 1.0, Some(9))?;

    for threads in [1, 2] {
        set_num_threads(threads)?;
        println!("threads = {threads} (median of {reps})");
        let conv1 = median_ms(reps, || fwd_bwd(&|| x.conv2d(&w1, Some(&b1), &same28), &g1))?;
        let pool1 = median_ms(reps, || fwd_bwd(&|| a1.relu()?.max_pool2d(&pool), &gp1))?;
        let conv2 = median_ms(reps, || {
            fwd_bwd(&|| p1.conv2d(&w2, Some(&b2), &same14), &g2)
        })?;
        let pool2 = median_ms(reps, || fwd_bwd(&|| a2.relu()?.max_pool2d(&pool), &gp2))?;
        let net = median_ms(reps, || {
            let h = x
                .conv2d(&w1, Some(&b1), &same28)?
                .relu()?
                .max_pool2d(&pool)?;
            let y = h
                .conv2d(&w2, Some(&b2), &same14)?
                .relu()?
                .max_pool2d(&pool)?;
            fwd_bwd(&|| Ok(y.clone()), &gp2)
        })?;
        let fwd_only = median_ms(reps, || {
            ferrograd_core::no_grad(|| {
                let h = x
                    .conv2d(&w1, Some(&b1), &same28)?
                    .relu()?
                    .max_pool2d(&pool)?;
                h.conv2d(&w2, Some(&b2), &same14)?
                    .relu()?
                    .max_pool2d(&pool)?;
                Ok(())
            })
        })?;
        println!("  conv1 fwd+bwd     {conv1:7.2} ms");
        println!("  relu+pool1 fwd+bwd{pool1:7.2} ms");
        println!("  conv2 fwd+bwd     {conv2:7.2} ms");
        println!("  relu+pool2 fwd+bwd{pool2:7.2} ms");
        println!("  network fwd+bwd   {net:7.2} ms   (forward only, no grad: {fwd_only:.2} ms)");
        kernel_rows(reps, "conv1", &geometry(1, 32, 28))?;
        kernel_rows(reps, "conv2", &geometry(32, 64, 14))?;
    }
    Ok(())
}

//! The NCHW-or-NHWC measurement behind the engine's layout choice: the forward convolution of
//! the benchmark CNN's two conv layers (batch 64, 5×5 'same') computed both ways on the shared
//! pool, median milliseconds.
//!
//! * NCHW: the engine's kernel (`conv2d_forward`: per-image im2col, shifted planes for stride 1,
//!   and the packed GEMM `W[O×K] · col[K×HW]`, which writes NCHW output directly).
//! * NHWC: im2col gathers one contiguous run of `C` channels per tap (`col[(N·HW)×K]`, built in
//!   parallel over images), then one GEMM `col · W[K×O]` writes NHWC output directly.
//!
//! Run: `cargo run --release -p ferrograd-kernels --example layout_bench [reps]`
//!
//! Measured 2026-11-22 on the 2-vCPU dev VM (medians of 21, another job running): conv1
//! (C = 1) NCHW 0.64 / 0.61 ms vs NHWC 3.76 / 2.06 ms on 1 / 2 threads; conv2 (C = 32) NCHW
//! 9.09 / 4.65 ms vs NHWC 9.37 / 4.91 ms. NHWC's im2col copies `C` floats per tap, which is
//! slow for few channels, and is never faster here; NCHW also matches PyTorch's weights and
//! fixtures, so the engine is NCHW.

use std::time::Instant;

use ferrograd_kernels::{conv2d_forward, install, set_num_threads, sgemm, Conv2dGeometry};
use rayon::prelude::*;

fn median_ms(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

/// NHWC im2col for a stride-1, `k×k`, 'same' convolution: row `(n, y, x)` holds the `k·k·C`
/// taps in (ky, kx, c) order; rows are filled in parallel on the shared pool.
fn im2col_nhwc(x: &[f32], col: &mut [f32], hw: usize, c: usize, k: usize) {
    let pad = k / 2;
    let row = k * k * c;
    install(|| {
        col.par_chunks_mut(row).enumerate().for_each(|(r, dst)| {
            let (img, y, xo) = (r / (hw * hw), (r / hw) % hw, r % hw);
            for ky in 0..k {
                for kx in 0..k {
                    let (iy, ix) = (y + ky, xo + kx);
                    let d = &mut dst[(ky * k + kx) * c..(ky * k + kx + 1) * c];
                    if iy < pad || ix < pad || iy - pad >= hw || ix - pad >= hw {
                        d.fill(0.0);
                    } else {
                        let s = ((img * hw + iy - pad) * hw + ix - pad) * c;
                        d.copy_from_slice(&x[s..s + c]);
                    }
                }
            }
        });
    });
}

fn main() {
    let reps: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let (n, k) = (64usize, 5usize);
    for threads in [1, 2] {
        if set_num_threads(threads).is_err() {
            return;
        }
        for (name, c, o, hw) in [
            ("conv1 1→32 @28", 1usize, 32usize, 28usize),
            ("conv2 32→64 @14", 32, 64, 14),
        ] {
            let x = vec![0.5f32; n * c * hw * hw];
            let w = vec![0.1f32; o * c * k * k];
            let mut out = vec![0.0f32; n * o * hw * hw];
            let g = Conv2dGeometry {
                batch: n,
                in_channels: c,
                in_h: hw,
                in_w: hw,
                out_channels: o,
                out_h: hw,
                out_w: hw,
                kernel: (k, k),
                stride: (1, 1),
                pad: (k / 2, k / 2),
                dilation: (1, 1),
                groups: 1,
            };
            let nchw = median_ms(reps, || {
                let _ = conv2d_forward(&g, &x, &w, None, &mut out);
            });
            let kk = k * k * c;
            let mut col = vec![0.0f32; n * hw * hw * kk];
            let nhwc = median_ms(reps, || {
                im2col_nhwc(&x, &mut col, hw, c, k);
                let _ = sgemm(
                    n * hw * hw,
                    o,
                    kk,
                    &col,
                    kk,
                    1,
                    &w,
                    o,
                    1,
                    &mut out,
                    o,
                    false,
                );
            });
            println!("{threads} thread(s)  {name}: NCHW {nchw:.2} ms   NHWC {nhwc:.2} ms   (NHWC/NCHW {:.2})", nhwc / nchw);
        }
    }
}

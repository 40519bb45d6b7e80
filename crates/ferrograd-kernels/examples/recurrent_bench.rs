//! Kernel-only timing of one LSTM layer over a sequence (forward, and forward + backward):
//! B=32, T=64, I=64, H=256 as in `ferrograd-nn`'s `lstm_bench`. Prints the minimum over
//! repetitions, which is what survives a shared, noisy machine.
//!
//! ```text
//! cargo run -p ferrograd-kernels --release --example recurrent_bench [threads]
//! ```

use std::time::Instant;

use ferrograd_kernels::{
    recurrent_backward, recurrent_forward, set_num_threads, RecurrentCell, RecurrentConfig,
    RecurrentDims, RecurrentParams, RecurrentUpstream,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let threads: usize = std::env::args().nth(1).map_or(Ok(1), |a| a.parse())?;
    set_num_threads(threads)?;
    let (b, t, i, h) = (32, 64, 64, 256);
    let cell = RecurrentCell::Lstm {
        peephole: false,
        coupled: false,
    };
    let gh = 4 * h;
    let fill = |n: usize, k: f32| -> Vec<f32> {
        (0..n)
            .map(|j| ((j * 7919 % 1000) as f32 / 1000.0 - 0.5) * k)
            .collect()
    };
    let (x, w_ih, w_hh, bias) = (
        fill(b * t * i, 2.0),
        fill(gh * i, 0.1),
        fill(gh * h, 0.1),
        fill(gh, 0.1),
    );
    let dh = fill(b * h, 1.0);
    let cfg = RecurrentConfig {
        cell,
        dims: RecurrentDims {
            batch: b,
            steps: t,
            input: i,
            hidden: h,
        },
        reverse: false,
        valid: None,
        recurrent_mask: None,
    };
    let p = RecurrentParams {
        w_ih: &w_ih,
        w_hh: &w_hh,
        b_ih: Some(&bias),
        b_hh: Some(&bias),
        peephole: None,
    };
    let (mut fwd, mut both) = (f64::MAX, f64::MAX);
    for _ in 0..30 {
        let s = Instant::now();
        let tape = recurrent_forward(&cfg, &p, &x, None, None)?;
        let f = s.elapsed().as_secs_f64();
        let up = RecurrentUpstream {
            h_n: Some(&dh),
            ..Default::default()
        };
        let g = recurrent_backward(&cfg, &p, &x, &tape, &up)?;
        let a = s.elapsed().as_secs_f64();
        drop(g);
        fwd = fwd.min(f);
        both = both.min(a);
    }
    println!(
        "LSTM kernel threads={threads}: forward {:.2} ms, forward+backward {:.2} ms (min of 30)",
        fwd * 1e3,
        both * 1e3
    );
    Ok(())
}

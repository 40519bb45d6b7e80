//! Recurrent kernels: the pre-packed GEMM against `sgemm`, and the row-block split of the time
//! loops (two pool threads) against running every batch row on its own.

use crate::gemm::{sgemm_prepacked, PackedB};
use crate::testutil::{data, THREAD_LOCK};
use crate::{
    recurrent_backward, recurrent_forward, sgemm, RecurrentCell, RecurrentConfig, RecurrentDims,
    RecurrentParams, RecurrentUpstream,
};

#[test]
fn prepacked_gemm_matches_sgemm_across_blocks() {
    // k and n cross the KC = 512 and NC = 1024 block edges; B both row-major and transposed.
    for &(m, n, k) in &[(5, 1100, 600), (1, 37, 3), (16, 1024, 256), (14, 256, 1024)] {
        let a = data(m * k, 1, -1.0, 1.0);
        let b = data(k * n, 2, -1.0, 1.0);
        for (rs, cs) in [(n, 1), (1, k)] {
            let mut want = data(m * n, 3, -1.0, 1.0);
            let mut got = want.clone();
            sgemm(m, n, k, &a, k, 1, &b, rs, cs, &mut want, n, true).unwrap();
            let pb = PackedB::new("test", k, n, (&b, 0, rs, cs)).unwrap();
            sgemm_prepacked("test", m, (&a, 0, k, 1), &pb, &mut got, n, true).unwrap();
            // m = 1 takes sgemm's GEMV path (another summation order), so compare with a tolerance.
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    (g - w).abs() <= 1e-5 * (1.0 + w.abs()),
                    "{m}x{n}x{k} ({rs}, {cs}): {g} vs {w}"
                );
            }
        }
    }
}

struct Run {
    out: Vec<f32>,
    h_n: Vec<f32>,
    grads: Vec<Vec<f32>>,
}

fn run(cell: RecurrentCell, dims: RecurrentDims, seed: u64, rows: std::ops::Range<usize>) -> Run {
    let full = RecurrentDims { batch: 12, ..dims };
    let (t, i, h) = (dims.steps, dims.input, dims.hidden);
    let gh = cell.gates() * h;
    let x = data(full.batch * t * i, seed, -1.0, 1.0);
    let w_ih = data(gh * i, seed + 1, -0.2, 0.2);
    let w_hh = data(gh * h, seed + 2, -0.2, 0.2);
    let b_ih = data(gh, seed + 3, -0.2, 0.2);
    let dy = data(full.batch * t * h, seed + 4, -1.0, 1.0);
    let valid: Vec<u8> = (0..full.batch * t).map(|k| u8::from(k % 7 != 3)).collect();
    let b = rows.len();
    let sub = |v: &[f32], per: usize| v[rows.start * per..rows.end * per].to_vec();
    let valid = valid[rows.start * t..rows.end * t].to_vec();
    let (x, dy) = (sub(&x, t * i), sub(&dy, t * h));
    let cfg = RecurrentConfig {
        cell,
        dims: RecurrentDims { batch: b, ..dims },
        reverse: seed % 2 == 1,
        valid: Some(&valid),
        recurrent_mask: None,
    };
    let p = RecurrentParams {
        w_ih: &w_ih,
        w_hh: &w_hh,
        b_ih: Some(&b_ih),
        b_hh: None,
        peephole: None,
    };
    let tape = recurrent_forward(&cfg, &p, &x, None, None).unwrap();
    let up = RecurrentUpstream {
        output: Some(&dy),
        need_input: true,
        ..Default::default()
    };
    let mut g = recurrent_backward(&cfg, &p, &x, &tape, &up).unwrap();
    let take = |v: &mut Vec<f32>| std::mem::take(v);
    Run {
        out: tape.output.clone(),
        h_n: tape.h_n.clone(),
        grads: vec![
            take(&mut g.x),
            take(&mut g.w_ih),
            take(&mut g.w_hh),
            take(&mut g.b_ih),
            take(&mut g.h0),
            take(&mut g.c0),
        ],
    }
}

#[test]
fn row_blocks_match_single_rows() {
    let _g = THREAD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    crate::set_num_threads(2).unwrap();
    // 12·16·(G·64)·64 multiply-adds per sequence: above the split threshold for every cell.
    let dims = RecurrentDims {
        batch: 12,
        steps: 16,
        input: 8,
        hidden: 64,
    };
    let cells = [
        RecurrentCell::Tanh,
        RecurrentCell::Lstm {
            peephole: false,
            coupled: false,
        },
        RecurrentCell::Gru,
        RecurrentCell::Ugrnn,
    ];
    for (k, cell) in cells.into_iter().enumerate() {
        let seed = 10 * k as u64 + 1 + k as u64 % 2;
        let whole = run(cell, dims, seed, 0..12);
        let (t, h) = (dims.steps, dims.hidden);
        let mut w_sum = vec![0.0f32; whole.grads[1].len()];
        for r in 0..12 {
            let one = run(cell, dims, seed, r..r + 1);
            let close = |a: &[f32], b: &[f32], what: &str| {
                for (x, y) in a.iter().zip(b) {
                    assert!(
                        (x - y).abs() <= 1e-5 * (1.0 + y.abs()),
                        "{cell:?} row {r} {what}: {x} vs {y}"
                    );
                }
            };
            close(&whole.out[r * t * h..(r + 1) * t * h], &one.out, "output");
            close(&whole.h_n[r * h..(r + 1) * h], &one.h_n, "h_n");
            close(&whole.grads[4][r * h..(r + 1) * h], &one.grads[4], "dh0");
            for (s, v) in w_sum.iter_mut().zip(&one.grads[1]) {
                *s += v;
            }
        }
        for (x, y) in whole.grads[1].iter().zip(&w_sum) {
            assert!(
                (x - y).abs() <= 1e-3 * (1.0 + y.abs()),
                "{cell:?} dW_ih: {x} vs {y}"
            );
        }
    }
}

#[test]
fn column_sums_split_across_threads() {
    let _g = THREAD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    crate::set_num_threads(2).unwrap();
    for &(rows, cols) in &[(3, 5), (700, 1000), (300, 1030)] {
        let m = data(rows * cols, 9, -1.0, 1.0);
        let mut got = vec![1.0f32; cols];
        crate::recurrent::col_sums(&m, cols, &mut got);
        for (j, g) in got.iter().enumerate() {
            let want: f64 = 1.0 + (0..rows).map(|r| m[r * cols + j] as f64).sum::<f64>();
            assert!(
                (*g as f64 - want).abs() < 1e-3,
                "{rows}x{cols} column {j}: {g} vs {want}"
            );
        }
    }
}

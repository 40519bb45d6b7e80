//! Forward values of the cells PyTorch lacks (peephole LSTM, coupled-gate LSTM, UGRNN) against
//! a plain scalar implementation of their equations, over a few steps with a padded step and
//! the reverse direction.

#![allow(clippy::too_many_arguments, clippy::needless_range_loop)]

use ferrograd_core::{RnnCell, RnnOptions, RnnWeights, Tensor};

fn sig(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// `W x + U h + b` for gate block `k` of width `h`.
fn pre(
    w: &[f32],
    u: &[f32],
    b: &[f32],
    x: &[f64],
    hp: &[f64],
    k: usize,
    j: usize,
    h: usize,
) -> f64 {
    let row = k * h + j;
    let i = x.len();
    let mut s = b[row] as f64;
    for (p, &xv) in x.iter().enumerate() {
        s += w[row * i + p] as f64 * xv;
    }
    for (p, &hv) in hp.iter().enumerate() {
        s += u[row * h + p] as f64 * hv;
    }
    s
}

/// One step of `cell` for one batch row: returns `(h', c')`.
fn step(
    cell: RnnCell,
    w: &[f32],
    u: &[f32],
    b: &[f32],
    p: &[f32],
    x: &[f64],
    hp: &[f64],
    cp: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let h = hp.len();
    let mut hn = vec![0.0; h];
    let mut cn = vec![0.0; h];
    for j in 0..h {
        let g = |k: usize| pre(w, u, b, x, hp, k, j, h);
        match cell {
            RnnCell::Lstm { peephole, coupled } => {
                let pw = |k: usize| if peephole { p[k * h + j] as f64 } else { 0.0 };
                let (fi, gi, oi) = if coupled { (0, 1, 2) } else { (1, 2, 3) };
                let f = sig(g(fi) + pw(1) * cp[j]);
                let i = if coupled {
                    1.0 - f
                } else {
                    sig(g(0) + pw(0) * cp[j])
                };
                let c = f * cp[j] + i * g(gi).tanh();
                let o = sig(g(oi) + pw(2) * c);
                cn[j] = c;
                hn[j] = o * c.tanh();
            }
            RnnCell::Ugrnn => {
                let c = g(0).tanh();
                let gate = sig(g(1));
                hn[j] = gate * hp[j] + (1.0 - gate) * c;
            }
            _ => unreachable!(),
        }
    }
    (hn, cn)
}

#[test]
fn extension_cells_match_their_equations() {
    let (b, t, i, h) = (2, 4, 3, 5);
    let cells = [
        RnnCell::Lstm {
            peephole: true,
            coupled: false,
        },
        RnnCell::Lstm {
            peephole: false,
            coupled: true,
        },
        RnnCell::Lstm {
            peephole: true,
            coupled: true,
        },
        RnnCell::Ugrnn,
    ];
    let valid: Vec<u8> = vec![1, 1, 0, 1, 1, 1, 1, 0];
    for cell in cells {
        for reverse in [false, true] {
            let gh = cell.gates() * h;
            let r =
                |shape: &[usize], seed: u64| Tensor::randn(shape, 0.0, 0.5, Some(seed)).unwrap();
            let (x, w, u, bi, bh, pp, h0, c0) = (
                r(&[b, t, i], 1),
                r(&[gh, i], 2),
                r(&[gh, h], 3),
                r(&[gh], 4),
                r(&[gh], 5),
                r(&[3, h], 6),
                r(&[b, h], 7),
                r(&[b, h], 8),
            );
            let wts = RnnWeights {
                w_ih: &w,
                w_hh: &u,
                b_ih: Some(&bi),
                b_hh: Some(&bh),
                peephole: cell.has_peephole().then_some(&pp),
            };
            let mut o = RnnOptions::new(cell);
            o.h0 = Some(&h0);
            o.c0 = cell.has_cell_state().then_some(&c0);
            o.valid = Some(&valid);
            o.reverse = reverse;
            let out = x.rnn_sequence(&wts, &o).unwrap();
            let (y, hn) = (out.output.to_vec(), out.h_n.to_vec());
            let bias: Vec<f32> = bi
                .to_vec()
                .iter()
                .zip(bh.to_vec())
                .map(|(a, c)| a + c)
                .collect();
            let (wv, uv, pv, xv) = (w.to_vec(), u.to_vec(), pp.to_vec(), x.to_vec());
            for row in 0..b {
                let mut hs: Vec<f64> = h0.to_vec()[row * h..(row + 1) * h]
                    .iter()
                    .map(|&v| v as f64)
                    .collect();
                let mut cs: Vec<f64> = c0.to_vec()[row * h..(row + 1) * h]
                    .iter()
                    .map(|&v| v as f64)
                    .collect();
                let order: Vec<usize> = if reverse {
                    (0..t).rev().collect()
                } else {
                    (0..t).collect()
                };
                for s in order {
                    let at = row * t + s;
                    if valid[at] == 0 {
                        assert!(y[at * h..(at + 1) * h].iter().all(|&v| v == 0.0));
                        continue;
                    }
                    let xs: Vec<f64> = xv[at * i..(at + 1) * i].iter().map(|&v| v as f64).collect();
                    let (nh, nc) = step(cell, &wv, &uv, &bias, &pv, &xs, &hs, &cs);
                    hs = nh;
                    if cell.has_cell_state() {
                        cs = nc;
                    }
                    for j in 0..h {
                        let got = y[at * h + j] as f64;
                        assert!(
                            (got - hs[j]).abs() < 1e-5,
                            "{cell:?} reverse={reverse} row {row} step {s}: {got} vs {}",
                            hs[j]
                        );
                    }
                }
                for j in 0..h {
                    assert!(
                        (hn[row * h + j] as f64 - hs[j]).abs() < 1e-5,
                        "{cell:?} h_n"
                    );
                }
                if let Some(c) = &out.c_n {
                    for j in 0..h {
                        assert!(
                            (c.to_vec()[row * h + j] as f64 - cs[j]).abs() < 1e-5,
                            "{cell:?} c_n"
                        );
                    }
                }
            }
        }
    }
}

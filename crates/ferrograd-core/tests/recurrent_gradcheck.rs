//! Finite-difference gradient checks of the fused recurrent op for every cell and option:
//! Elman (tanh, relu), LSTM (plain, peephole, coupled, both), GRU, UGRNN; initial states,
//! lengths, arbitrary validity masks, reverse direction, recurrent-dropout masks, no biases, and
//! hidden sizes that use both the SIMD body and the scalar tail of the gate pass.

use ferrograd_core::grad_check::check_gradients;
use ferrograd_core::{Result, RnnCell, RnnOptions, RnnWeights, Tensor};

const EPS: f32 = 1e-3;
const ATOL: f32 = 1e-2;
const RTOL: f32 = 1e-2;

#[derive(Clone)]
struct Case {
    cell: RnnCell,
    b: usize,
    t: usize,
    i: usize,
    h: usize,
    bias: bool,
    h0: bool,
    c0: bool,
    lengths: Option<Vec<usize>>,
    valid: Option<Vec<u8>>,
    reverse: bool,
    rmask: bool,
}

impl Case {
    fn new(cell: RnnCell) -> Self {
        Case {
            cell,
            b: 3,
            t: 4,
            i: 3,
            h: 5,
            bias: true,
            h0: false,
            c0: false,
            lengths: None,
            valid: None,
            reverse: false,
            rmask: false,
        }
    }
}

fn randn(shape: &[usize], scale: f32, seed: u64) -> Tensor {
    Tensor::randn(shape, 0.0, scale, Some(seed)).unwrap()
}

fn run(name: &str, c: Case) {
    let gh = c.cell.gates() * c.h;
    let mut inputs = vec![
        randn(&[c.b, c.t, c.i], 1.0, 1),
        randn(&[gh, c.i], 0.5, 2),
        randn(&[gh, c.h], 0.5, 3),
    ];
    if c.bias {
        inputs.push(randn(&[gh], 0.5, 4));
        inputs.push(randn(&[gh], 0.5, 5));
    }
    let peep = c.cell.has_peephole();
    if peep {
        inputs.push(randn(&[3, c.h], 0.5, 6));
    }
    if c.h0 {
        inputs.push(randn(&[c.b, c.h], 0.5, 7));
    }
    if c.c0 {
        inputs.push(randn(&[c.b, c.h], 0.5, 8));
    }
    // A fixed dropout-like mask: zeros and 1/(1-p) scalings.
    let mask = c.rmask.then(|| {
        let v = (0..c.b * c.h)
            .map(|k| if k % 3 == 0 { 0.0 } else { 1.5 })
            .collect();
        Tensor::from_vec(v, &[c.b, c.h]).unwrap()
    });
    let f = |xs: &[Tensor]| -> Result<Tensor> {
        let mut k = 3;
        let mut next = |on: bool| {
            on.then(|| {
                k += 1;
                &xs[k - 1]
            })
        };
        let b_ih = next(c.bias);
        let b_hh = next(c.bias);
        let peephole = next(peep);
        let h0 = next(c.h0);
        let c0 = next(c.c0);
        let w = RnnWeights {
            w_ih: &xs[1],
            w_hh: &xs[2],
            b_ih,
            b_hh,
            peephole,
        };
        let mut o = RnnOptions::new(c.cell);
        o.h0 = h0;
        o.c0 = c0;
        o.lengths = c.lengths.as_deref();
        o.valid = c.valid.as_deref();
        o.reverse = c.reverse;
        o.recurrent_mask = mask.as_ref();
        let out = xs[0].rnn_sequence(&w, &o)?;
        let mut parts = vec![out.output.reshape(&[-1])?, out.h_n.reshape(&[-1])?];
        if let Some(cn) = out.c_n {
            parts.push(cn.reshape(&[-1])?);
        }
        Tensor::concat(&parts, 0)
    };
    if let Err(e) = check_gradients(f, &inputs, EPS, ATOL, RTOL) {
        panic!("{name}: {e}");
    }
}

fn lstm(peephole: bool, coupled: bool) -> RnnCell {
    RnnCell::Lstm { peephole, coupled }
}

fn all_cells() -> Vec<(&'static str, RnnCell)> {
    vec![
        ("tanh", RnnCell::Tanh),
        ("relu", RnnCell::Relu),
        ("lstm", lstm(false, false)),
        ("lstm_peephole", lstm(true, false)),
        ("lstm_coupled", lstm(false, true)),
        ("lstm_peephole_coupled", lstm(true, true)),
        ("gru", RnnCell::Gru),
        ("ugrnn", RnnCell::Ugrnn),
    ]
}

#[test]
fn plain() {
    for (name, cell) in all_cells() {
        run(name, Case::new(cell));
    }
}

#[test]
fn initial_states() {
    for (name, cell) in all_cells() {
        let mut c = Case::new(cell);
        c.h0 = true;
        c.c0 = cell.has_cell_state();
        run(name, c);
    }
}

#[test]
fn reverse() {
    for (name, cell) in all_cells() {
        let mut c = Case::new(cell);
        c.reverse = true;
        c.h0 = true;
        run(name, c);
    }
}

#[test]
fn lengths_both_directions() {
    for (name, cell) in all_cells() {
        for reverse in [false, true] {
            let mut c = Case::new(cell);
            c.lengths = Some(vec![4, 1, 3]);
            c.reverse = reverse;
            c.h0 = true;
            c.c0 = cell.has_cell_state();
            run(name, c);
        }
    }
}

#[test]
fn validity_mask_with_holes() {
    for (name, cell) in all_cells() {
        let mut c = Case::new(cell);
        c.valid = Some(vec![1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1]);
        run(name, c);
    }
}

#[test]
fn recurrent_mask() {
    for (name, cell) in all_cells() {
        let mut c = Case::new(cell);
        c.rmask = true;
        c.h0 = true;
        run(name, c);
    }
}

#[test]
fn no_bias() {
    for (name, cell) in all_cells() {
        let mut c = Case::new(cell);
        c.bias = false;
        run(name, c);
    }
}

#[test]
fn simd_width_hidden_and_row_blocks() {
    // 18 hidden units: one full AVX-512 vector (two AVX2 ones) plus a scalar tail.
    for (name, cell) in all_cells() {
        let mut c = Case::new(cell);
        c.h = 18;
        c.b = 2;
        c.t = 3;
        c.h0 = true;
        c.lengths = Some(vec![3, 2]);
        run(name, c);
    }
}

#[test]
fn single_step_cell_matches_sequence() {
    let (b, i, h) = (2, 3, 4);
    for (name, cell) in all_cells() {
        let gh = cell.gates() * h;
        let x = randn(&[b, i], 1.0, 11);
        let w_ih = randn(&[gh, i], 0.5, 12);
        let w_hh = randn(&[gh, h], 0.5, 13);
        let p = randn(&[3, h], 0.5, 14);
        let h0 = randn(&[b, h], 0.5, 15);
        let c0 = randn(&[b, h], 0.5, 16);
        let w = RnnWeights {
            w_ih: &w_ih,
            w_hh: &w_hh,
            b_ih: None,
            b_hh: None,
            peephole: cell.has_peephole().then_some(&p),
        };
        let c_in = cell.has_cell_state().then_some(&c0);
        let (h1, c1) = x.rnn_cell(&w, cell, Some(&h0), c_in).unwrap();
        let mut o = RnnOptions::new(cell);
        o.h0 = Some(&h0);
        o.c0 = c_in;
        let seq = x.unsqueeze(1).unwrap().rnn_sequence(&w, &o).unwrap();
        assert_eq!(h1.to_vec(), seq.h_n.to_vec(), "{name}");
        assert_eq!(
            c1.map(|t| t.to_vec()),
            seq.c_n.map(|t| t.to_vec()),
            "{name}"
        );
    }
}

//! The fused per-step pass: gate nonlinearities and state update for every live row of one step,
//! instantiated per SIMD level (full vectors, then a scalar tail with the same code).

use super::rows::{BwdRow, FwdRow};
use super::{gru, lstm, rnn, RecurrentCell};
use crate::cpu::simd_level;
use crate::simd::portable::Scalar1;
use crate::simd::{dispatch, Kernel, Simd};

/// Forward gate pass over `rows` (whose pointers the driver built from validated buffers).
pub(super) struct FwdStep<'a> {
    pub cell: RecurrentCell,
    pub rows: &'a [FwdRow],
}

#[inline(always)]
unsafe fn fwd_vec<S: Simd>(s: S, cell: RecurrentCell, r: &FwdRow, j: usize) {
    // SAFETY: forwarded contract (j + LANES <= H, pointers cover their rows).
    unsafe {
        match cell {
            RecurrentCell::Tanh => rnn::elman_forward(s, r, j, false),
            RecurrentCell::Relu => rnn::elman_forward(s, r, j, true),
            RecurrentCell::Lstm { coupled, .. } => lstm::forward(s, r, j, coupled),
            RecurrentCell::Gru => gru::forward(s, r, j),
            RecurrentCell::Ugrnn => rnn::ugrnn_forward(s, r, j),
        }
    }
}

impl Kernel for FwdStep<'_> {
    type Output = ();
    #[inline(always)]
    fn run<S: Simd>(self, s: S) {
        for r in self.rows {
            let mut j = 0;
            // SAFETY: the driver built every row from buffers validated for `hidden` units.
            unsafe {
                while j + S::LANES <= r.hidden {
                    fwd_vec(s, self.cell, r, j);
                    j += S::LANES;
                }
                while j < r.hidden {
                    fwd_vec(Scalar1, self.cell, r, j);
                    j += 1;
                }
            }
        }
    }
}

/// Backward gate pass over `rows`.
pub(super) struct BwdStep<'a> {
    pub cell: RecurrentCell,
    pub rows: &'a [BwdRow],
}

#[inline(always)]
unsafe fn bwd_vec<S: Simd>(s: S, cell: RecurrentCell, r: &BwdRow, j: usize) {
    // SAFETY: forwarded contract.
    unsafe {
        match cell {
            RecurrentCell::Tanh => rnn::elman_backward(s, r, j, false),
            RecurrentCell::Relu => rnn::elman_backward(s, r, j, true),
            RecurrentCell::Lstm { coupled, .. } => lstm::backward(s, r, j, coupled),
            RecurrentCell::Gru => gru::backward(s, r, j),
            RecurrentCell::Ugrnn => rnn::ugrnn_backward(s, r, j),
        }
    }
}

impl Kernel for BwdStep<'_> {
    type Output = ();
    #[inline(always)]
    fn run<S: Simd>(self, s: S) {
        for r in self.rows {
            let mut j = 0;
            // SAFETY: as in `FwdStep::run`.
            unsafe {
                while j + S::LANES <= r.hidden {
                    bwd_vec(s, self.cell, r, j);
                    j += S::LANES;
                }
                while j < r.hidden {
                    bwd_vec(Scalar1, self.cell, r, j);
                    j += 1;
                }
            }
        }
    }
}

/// Runs the forward pass for `rows` at the best SIMD level.
pub(super) fn forward_rows(cell: RecurrentCell, rows: &[FwdRow]) {
    dispatch(simd_level(), FwdStep { cell, rows });
}

/// Runs the backward pass for `rows` at the best SIMD level.
pub(super) fn backward_rows(cell: RecurrentCell, rows: &[BwdRow]) {
    dispatch(simd_level(), BwdStep { cell, rows });
}

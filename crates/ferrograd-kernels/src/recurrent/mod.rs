//! Whole-sequence recurrent kernels (Elman RNN, LSTM, GRU, UGRNN): forward and backward through
//! time for one layer in one direction.
//!
//! Layout follows PyTorch so weights load unchanged: `w_ih` is `[G·H, I]`, `w_hh` `[G·H, H]`,
//! biases `[G·H]`, gate blocks stacked along the first axis in the cell's gate order (see
//! [`RecurrentCell`]). Input and output are batch-first: `x [B, T, I]`, `y [B, T, H]`.
//!
//! # Work split
//! * The input projection of every step is one GEMM (`[B·T, I] × [I, G·H]`, biases folded in).
//! * Per step, one GEMM adds `h_{t-1} · W_hhᵀ` and one fused SIMD pass applies the gate
//!   nonlinearities and the state update.
//! * Backward runs the per-step pass in reverse (gate gradients, then `dh_{t-1} = dgates · W_hh`
//!   per step); `dx`, `dW_ih`, `dW_hh` and the bias gradients are GEMMs / column sums over all
//!   steps at the end.
//! * Batch rows never interact, so the time loops of large problems run on disjoint blocks of
//!   rows, one block per pool thread (one fork per sequence, no per-step synchronisation); the
//!   GEMMs inside a block stay single-threaded so the pool is never oversubscribed.
//!
//! # Masking
//! `valid[b·T + t] == 0` marks padding: the state is carried through unchanged, the output is
//! zero and nothing (including the output's upstream gradient) flows through that step. With
//! trailing padding this is exactly PyTorch's packed-sequence semantics in both directions.

mod backward;
mod forward;
mod gru;
mod lstm;
mod rnn;
mod rows;
mod step;
mod workspace;

pub use backward::{recurrent_backward, RecurrentGrads, RecurrentUpstream};
pub use forward::{recurrent_forward, RecurrentTape};

use crate::error::KernelError;

const K: &str = "recurrent";

/// Cell type and its options. Gate orders: LSTM `i, f, g, o` (coupled: `f, g, o`), GRU `r, z, n`,
/// UGRNN `c, g` (candidate, update gate), Elman a single block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecurrentCell {
    /// `h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`
    Tanh,
    /// `h' = relu(W_ih x + b_ih + W_hh h + b_hh)`
    Relu,
    /// Long short-term memory; `peephole` needs `[3, H]` extra weights, `coupled` sets `i = 1 - f`.
    Lstm {
        /// Gates see the cell state through diagonal peephole weights.
        peephole: bool,
        /// Input gate tied to the forget gate (`i = 1 - f`): three gate blocks instead of four.
        coupled: bool,
    },
    /// Gated recurrent unit (PyTorch formulation).
    Gru,
    /// Update-gate RNN (Collins et al. 2017).
    Ugrnn,
}

impl RecurrentCell {
    /// Number of stacked gate blocks `G` in the weights.
    pub fn gates(self) -> usize {
        match self {
            RecurrentCell::Tanh | RecurrentCell::Relu => 1,
            RecurrentCell::Lstm { coupled: true, .. } => 3,
            RecurrentCell::Lstm { .. } => 4,
            RecurrentCell::Gru => 3,
            RecurrentCell::Ugrnn => 2,
        }
    }

    /// Whether the cell carries a cell state `c` besides `h`.
    pub fn has_cell_state(self) -> bool {
        matches!(self, RecurrentCell::Lstm { .. })
    }

    /// Whether the cell takes peephole weights.
    pub fn has_peephole(self) -> bool {
        matches!(self, RecurrentCell::Lstm { peephole: true, .. })
    }
}

/// Sizes of one layer run: batch `B`, steps `T`, input features `I`, hidden units `H`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecurrentDims {
    /// `B`
    pub batch: usize,
    /// `T`
    pub steps: usize,
    /// `I`
    pub input: usize,
    /// `H`
    pub hidden: usize,
}

/// Weights of one layer and direction (PyTorch layout, see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct RecurrentParams<'a> {
    /// `[G·H, I]`
    pub w_ih: &'a [f32],
    /// `[G·H, H]`
    pub w_hh: &'a [f32],
    /// `[G·H]`, or none for a layer without biases.
    pub b_ih: Option<&'a [f32]>,
    /// `[G·H]`
    pub b_hh: Option<&'a [f32]>,
    /// `[3, H]` peephole weights (`i, f, o`), required exactly when the cell has peepholes.
    pub peephole: Option<&'a [f32]>,
}

/// Everything about one run except the weights and the data.
#[derive(Debug, Clone, Copy)]
pub struct RecurrentConfig<'a> {
    /// Cell type.
    pub cell: RecurrentCell,
    /// Sizes.
    pub dims: RecurrentDims,
    /// Walk `t = T-1 … 0` instead of `0 … T-1`.
    pub reverse: bool,
    /// `[B, T]`, nonzero = a real step (see the module docs); none = every step is real.
    pub valid: Option<&'a [u8]>,
    /// `[B, H]` recurrent-dropout mask multiplied into `h_{t-1}` before the recurrent projection,
    /// the same at every step (Keras semantics; already scaled by `1/(1-p)`).
    pub recurrent_mask: Option<&'a [f32]>,
}

fn check_len(what: usize, got: usize) -> Result<(), KernelError> {
    if what != got {
        return Err(KernelError::BadLength {
            kernel: K,
            expected: what,
            got,
        });
    }
    Ok(())
}

fn mul(a: usize, b: usize) -> Result<usize, KernelError> {
    a.checked_mul(b).ok_or(KernelError::Overflow { kernel: K })
}

use workspace::{any, recycle, zeros};

/// Validated sizes shared by forward and backward.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    b: usize,
    t: usize,
    i: usize,
    h: usize,
    /// `G·H`
    gh: usize,
}

fn validate(
    cfg: &RecurrentConfig<'_>,
    p: &RecurrentParams<'_>,
    x: &[f32],
) -> Result<Sizes, KernelError> {
    let d = cfg.dims;
    let gh = mul(cfg.cell.gates(), d.hidden)?;
    check_len(mul(mul(d.batch, d.steps)?, d.input)?, x.len())?;
    check_len(mul(gh, d.input)?, p.w_ih.len())?;
    check_len(mul(gh, d.hidden)?, p.w_hh.len())?;
    for b in [p.b_ih, p.b_hh].into_iter().flatten() {
        check_len(gh, b.len())?;
    }
    match (cfg.cell.has_peephole(), p.peephole) {
        (true, Some(w)) => check_len(mul(3, d.hidden)?, w.len())?,
        (false, None) => {}
        (true, None) => check_len(mul(3, d.hidden)?, 0)?,
        (false, Some(w)) => check_len(0, w.len())?,
    }
    if let Some(v) = cfg.valid {
        check_len(mul(d.batch, d.steps)?, v.len())?;
    }
    if let Some(m) = cfg.recurrent_mask {
        check_len(mul(d.batch, d.hidden)?, m.len())?;
    }
    // Every buffer below is at most B·T·G·H (or B·T·I) long; checking the largest products once
    // lets the drivers index without overflow checks.
    mul(mul(mul(d.batch, d.steps)?, gh)?, 2)?;
    Ok(Sizes {
        b: d.batch,
        t: d.steps,
        i: d.input,
        h: d.hidden,
        gh,
    })
}

/// Number of row blocks the time loops are split into: one per thread once the per-sequence
/// recurrent work (`B·T·G·H·H` multiply-adds) dwarfs a fork/join, never more than `B`.
fn row_blocks(s: &Sizes) -> usize {
    const MIN_WORK: usize = 1 << 22;
    let work =
        s.b.saturating_mul(s.t)
            .saturating_mul(s.gh)
            .saturating_mul(s.h);
    if work < MIN_WORK {
        return 1;
    }
    crate::pool::num_threads().min(s.b / 4).max(1)
}

/// Splits `total` rows into `blocks` near-equal consecutive ranges `(start, len)`.
fn split_rows(total: usize, blocks: usize) -> Vec<(usize, usize)> {
    let blocks = blocks.clamp(1, total.max(1));
    let base = total / blocks;
    let extra = total % blocks;
    let mut out = Vec::with_capacity(blocks);
    let mut start = 0;
    for k in 0..blocks {
        let len = base + usize::from(k < extra);
        out.push((start, len));
        start += len;
    }
    out
}

/// Takes the next `n` elements off the front of `buf` (row blocks of a batch-first buffer).
fn take<'a, T>(buf: &mut &'a mut [T], n: usize) -> &'a mut [T] {
    let whole = std::mem::take(buf);
    let n = n.min(whole.len());
    let (head, tail) = whole.split_at_mut(n);
    *buf = tail;
    head
}

/// Shared-reference version of [`take`].
fn take_ref<'a, T>(buf: &mut &'a [T], n: usize) -> &'a [T] {
    let whole = *buf;
    let n = n.min(whole.len());
    let (head, tail) = whole.split_at(n);
    *buf = tail;
    head
}

/// Column sums of a row-major `[rows, cols]` matrix, added into `out`. Large ones split the
/// columns across the pool (each task streams its part of every row).
pub(crate) fn col_sums(m: &[f32], cols: usize, out: &mut [f32]) {
    if cols == 0 || out.len() != cols {
        return;
    }
    let sum_into = |start: usize, chunk: &mut [f32]| {
        for row in m.chunks_exact(cols) {
            let part = &row[start..start + chunk.len()];
            for (o, v) in chunk.iter_mut().zip(part) {
                *o += v;
            }
        }
    };
    if m.len() < 1 << 18 {
        sum_into(0, out);
    } else {
        crate::pool::parallel_chunks_mut(out, 64, sum_into);
    }
}

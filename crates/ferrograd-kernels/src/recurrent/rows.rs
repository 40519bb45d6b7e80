//! Raw row views handed to the per-cell gate math.
//!
//! The sequence drivers (`forward.rs`, `backward.rs`) validate every buffer length up front and
//! then build these views for one batch row at one step; the cell code reads and writes
//! `hidden`-wide vectors through them with unchecked SIMD loads.

/// One batch row at one step of the forward pass.
///
/// `g` holds the input side of the gate pre-activations (with the biases) on entry and the
/// activations on exit (`G·H` floats); `hh` is the recurrent projection `W_hh h` of this step
/// (`G·H`, plus `b_hh` for the GRU, whose `hn` receives the `n` part for the backward; `hn` is null
/// for other cells). `h` / `c` hold the previous state on entry and the new
/// state on exit (`c` is null unless the cell is an LSTM). `peep` is `[3, H]` or null.
#[derive(Clone, Copy)]
pub(super) struct FwdRow {
    pub g: *mut f32,
    pub hh: *const f32,
    pub hn: *mut f32,
    pub h: *mut f32,
    pub c: *mut f32,
    pub peep: *const f32,
    pub hidden: usize,
}

/// One batch row at one step of the backward pass.
///
/// `g` / `hn` are what the forward saved for this step; `h_prev` / `c_prev` / `c_new` the states
/// around it. `dh` holds the gradient of the new hidden state on entry and receives the part of
/// the previous state's gradient that does not flow through `W_hh` (the recurrent GEMM adds the
/// rest); `dc` carries the cell-state gradient backwards in place. `dgx` / `dgh` receive the
/// pre-activation gradients seen by the input and the recurrent projections (they differ only for
/// the GRU's `n` gate; `dgh` equals `dgx` otherwise). `dpeep` accumulates peephole gradients.
#[derive(Clone, Copy)]
pub(super) struct BwdRow {
    pub g: *const f32,
    pub hn: *const f32,
    pub h_prev: *const f32,
    pub c_prev: *const f32,
    pub c_new: *const f32,
    pub peep: *const f32,
    pub dh: *mut f32,
    pub dc: *mut f32,
    pub dgx: *mut f32,
    pub dgh: *mut f32,
    pub dpeep: *mut f32,
    pub hidden: usize,
}

//! Gate math of the single-gate cells: the Elman RNN (`h' = tanh(pre)` or `relu(pre)`) and the
//! update-gate RNN (UGRNN, Collins et al. 2017) with gate order `c, g`:
//! `c = tanh(W_c x + U_c h + b_c)`, `g = sigmoid(W_g x + U_g h + b_g)`, `h' = g ⊙ h + (1 - g) ⊙ c`.

use super::rows::{BwdRow, FwdRow};
use crate::simd::{math, Simd};

/// Elman step; the activation is saved in place of the pre-activation (its derivative needs
/// only the output).
///
/// # Safety
/// The row's pointers must be valid for the widths documented on [`FwdRow`], `j + LANES <= H`.
#[inline(always)]
pub(super) unsafe fn elman_forward<S: Simd>(s: S, r: &FwdRow, j: usize, relu: bool) {
    // SAFETY: j + LANES <= H (contract).
    unsafe {
        let v = s.add(s.load(r.g.add(j)), s.load(r.hh.add(j)));
        // `max(0, v)` keeps a NaN pre-activation NaN, as torch.relu does.
        let y = if relu {
            s.max(s.splat(0.0), v)
        } else {
            math::tanh(s, v)
        };
        s.store(r.g.add(j), y);
        s.store(r.h.add(j), y);
    }
}

/// # Safety
/// As [`elman_forward`], for the pointers of [`BwdRow`].
#[inline(always)]
pub(super) unsafe fn elman_backward<S: Simd>(s: S, r: &BwdRow, j: usize, relu: bool) {
    // SAFETY: j + LANES <= H (contract).
    unsafe {
        let dh = s.load(r.dh.add(j));
        let y = s.load(r.g.add(j));
        let zero = s.splat(0.0);
        let d = if relu {
            s.select(s.gt(y, zero), dh, zero)
        } else {
            s.mul(dh, s.sub(s.splat(1.0), s.mul(y, y)))
        };
        s.store(r.dgx.add(j), d);
        s.store(r.dh.add(j), zero);
    }
}

/// # Safety
/// The row's pointers must be valid for the widths documented on [`FwdRow`], `j + LANES <= H`.
#[inline(always)]
pub(super) unsafe fn ugrnn_forward<S: Simd>(s: S, r: &FwdRow, j: usize) {
    let h = r.hidden;
    // SAFETY: offsets stay below 2H and j + LANES <= H (contract).
    unsafe {
        let c = math::tanh(s, s.add(s.load(r.g.add(j)), s.load(r.hh.add(j))));
        let g = math::sigmoid(s, s.add(s.load(r.g.add(h + j)), s.load(r.hh.add(h + j))));
        let hp = s.load(r.h.add(j));
        s.store(r.g.add(j), c);
        s.store(r.g.add(h + j), g);
        s.store(r.h.add(j), s.fma(g, s.sub(hp, c), c));
    }
}

/// # Safety
/// As [`ugrnn_forward`], for the pointers of [`BwdRow`].
#[inline(always)]
pub(super) unsafe fn ugrnn_backward<S: Simd>(s: S, r: &BwdRow, j: usize) {
    let h = r.hidden;
    let one = s.splat(1.0);
    // SAFETY: as in `ugrnn_forward`.
    unsafe {
        let dh = s.load(r.dh.add(j));
        let c = s.load(r.g.add(j));
        let g = s.load(r.g.add(h + j));
        let hp = s.load(r.h_prev.add(j));
        let dpc = s.mul(s.mul(dh, s.sub(one, g)), s.sub(one, s.mul(c, c)));
        let dpg = s.mul(s.mul(dh, s.sub(hp, c)), s.mul(g, s.sub(one, g)));
        s.store(r.dgx.add(j), dpc);
        s.store(r.dgx.add(h + j), dpg);
        s.store(r.dh.add(j), s.mul(dh, g));
    }
}

//! GRU gate math, PyTorch formulation and gate order `r, z, n`:
//! `n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))`, `h' = (1 - z) ⊙ n + z ⊙ h`.
//!
//! Because `r` multiplies the recurrent projection of `n` only, the driver keeps that projection
//! (with `b_hh`) apart from the input projection, and the `n` gradient seen by `W_hh` is the input
//! side's times `r`.

use super::rows::{BwdRow, FwdRow};
use crate::simd::{math, Simd};

/// # Safety
/// The row's pointers must be valid for the widths documented on [`FwdRow`], `j + LANES <= H`.
#[inline(always)]
pub(super) unsafe fn forward<S: Simd>(s: S, r: &FwdRow, j: usize) {
    let h = r.hidden;
    // SAFETY: offsets stay below 3H and j + LANES <= H (contract).
    unsafe {
        let hp = s.load(r.h.add(j));
        let rg = math::sigmoid(s, s.add(s.load(r.g.add(j)), s.load(r.hh.add(j))));
        let z = math::sigmoid(s, s.add(s.load(r.g.add(h + j)), s.load(r.hh.add(h + j))));
        let hn = s.load(r.hh.add(2 * h + j));
        let n = math::tanh(s, s.fma(rg, hn, s.load(r.g.add(2 * h + j))));
        s.store(r.g.add(j), rg);
        s.store(r.g.add(h + j), z);
        s.store(r.g.add(2 * h + j), n);
        s.store(r.hn.add(j), hn);
        s.store(r.h.add(j), s.fma(z, s.sub(hp, n), n));
    }
}

/// # Safety
/// As [`forward`], for the pointers of [`BwdRow`].
#[inline(always)]
pub(super) unsafe fn backward<S: Simd>(s: S, r: &BwdRow, j: usize) {
    let h = r.hidden;
    let one = s.splat(1.0);
    // SAFETY: as in `forward`.
    unsafe {
        let dh = s.load(r.dh.add(j));
        let rg = s.load(r.g.add(j));
        let z = s.load(r.g.add(h + j));
        let n = s.load(r.g.add(2 * h + j));
        let hn = s.load(r.hn.add(j));
        let hp = s.load(r.h_prev.add(j));
        let dpn = s.mul(s.mul(dh, s.sub(one, z)), s.sub(one, s.mul(n, n)));
        let dpz = s.mul(s.mul(dh, s.sub(hp, n)), s.mul(z, s.sub(one, z)));
        let dpr = s.mul(s.mul(dpn, hn), s.mul(rg, s.sub(one, rg)));
        s.store(r.dgx.add(j), dpr);
        s.store(r.dgx.add(h + j), dpz);
        s.store(r.dgx.add(2 * h + j), dpn);
        s.store(r.dgh.add(j), dpr);
        s.store(r.dgh.add(h + j), dpz);
        s.store(r.dgh.add(2 * h + j), s.mul(dpn, rg));
        s.store(r.dh.add(j), s.mul(dh, z));
    }
}

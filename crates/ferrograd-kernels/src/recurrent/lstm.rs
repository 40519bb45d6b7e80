//! LSTM gate math (PyTorch gate order `i, f, g, o`; `f, g, o` when the input gate is coupled).
//!
//! `c' = f ⊙ c + i ⊙ g`, `h' = o ⊙ tanh(c')`. With peepholes (Gers & Schmidhuber 2000) the
//! pre-activations of `i` and `f` also see `p_i ⊙ c`, `p_f ⊙ c`, and `o` sees `p_o ⊙ c'`
//! (`p` is `[3, H]` in the order `i, f, o`). A coupled cell sets `i = 1 - f` and has no `i` rows.

use super::rows::{BwdRow, FwdRow};
use crate::simd::{math, Simd};

/// Offsets of the `i` (unused when coupled), `f`, `g`, `o` blocks in a gate row.
#[inline(always)]
fn offsets(h: usize, coupled: bool) -> (usize, usize, usize, usize) {
    if coupled {
        (0, 0, h, 2 * h)
    } else {
        (0, h, 2 * h, 3 * h)
    }
}

/// One vector of hidden units `j..j + S::LANES` of one row.
///
/// # Safety
/// The row's pointers must be valid for the widths documented on [`FwdRow`], `j + LANES <= H`.
#[inline(always)]
pub(super) unsafe fn forward<S: Simd>(s: S, r: &FwdRow, j: usize, coupled: bool) {
    let h = r.hidden;
    let (oi, of, og, oo) = offsets(h, coupled);
    let one = s.splat(1.0);
    let peep = !r.peep.is_null();
    // SAFETY: offsets stay below G·H and j + LANES <= H (contract).
    unsafe {
        let c_prev = s.load(r.c.add(j));
        let pre = |o: usize| s.add(s.load(r.g.add(o + j)), s.load(r.hh.add(o + j)));
        let mut pf = pre(of);
        if peep {
            pf = s.fma(s.load(r.peep.add(h + j)), c_prev, pf);
        }
        let f = math::sigmoid(s, pf);
        let i = if coupled {
            s.sub(one, f)
        } else {
            let mut pi = pre(oi);
            if peep {
                pi = s.fma(s.load(r.peep.add(j)), c_prev, pi);
            }
            math::sigmoid(s, pi)
        };
        let g = math::tanh(s, pre(og));
        let c = s.fma(f, c_prev, s.mul(i, g));
        let mut po = pre(oo);
        if peep {
            po = s.fma(s.load(r.peep.add(2 * h + j)), c, po);
        }
        let o = math::sigmoid(s, po);
        if !coupled {
            s.store(r.g.add(oi + j), i);
        }
        s.store(r.g.add(of + j), f);
        s.store(r.g.add(og + j), g);
        s.store(r.g.add(oo + j), o);
        s.store(r.c.add(j), c);
        s.store(r.h.add(j), s.mul(o, math::tanh(s, c)));
    }
}

/// Backward of [`forward`] for one vector of hidden units.
///
/// # Safety
/// As [`forward`], for the pointers of [`BwdRow`].
#[inline(always)]
pub(super) unsafe fn backward<S: Simd>(s: S, r: &BwdRow, j: usize, coupled: bool) {
    let h = r.hidden;
    let (oi, of, og, oo) = offsets(h, coupled);
    let one = s.splat(1.0);
    let peep = !r.peep.is_null();
    // SAFETY: as in `forward`.
    unsafe {
        let dh = s.load(r.dh.add(j));
        let c = s.load(r.c_new.add(j));
        let cp = s.load(r.c_prev.add(j));
        let f = s.load(r.g.add(of + j));
        let i = if coupled {
            s.sub(one, f)
        } else {
            s.load(r.g.add(oi + j))
        };
        let g = s.load(r.g.add(og + j));
        let o = s.load(r.g.add(oo + j));
        let tc = math::tanh(s, c);
        let dpo = s.mul(s.mul(dh, tc), s.mul(o, s.sub(one, o)));
        let mut dc = s.fma(s.mul(dh, o), s.sub(one, s.mul(tc, tc)), s.load(r.dc.add(j)));
        if peep {
            dc = s.fma(dpo, s.load(r.peep.add(2 * h + j)), dc);
        }
        let di = s.mul(dc, g);
        let dpg = s.mul(s.mul(dc, i), s.sub(one, s.mul(g, g)));
        let mut df = s.mul(dc, cp);
        let mut dcp = s.mul(dc, f);
        if coupled {
            df = s.sub(df, di);
        } else {
            let dpi = s.mul(di, s.mul(i, s.sub(one, i)));
            s.store(r.dgx.add(oi + j), dpi);
            if peep {
                dcp = s.fma(dpi, s.load(r.peep.add(j)), dcp);
                let d = r.dpeep.add(j);
                s.store(d, s.fma(dpi, cp, s.load(d)));
            }
        }
        let dpf = s.mul(df, s.mul(f, s.sub(one, f)));
        if peep {
            dcp = s.fma(dpf, s.load(r.peep.add(h + j)), dcp);
            let d = r.dpeep.add(h + j);
            s.store(d, s.fma(dpf, cp, s.load(d)));
            let d = r.dpeep.add(2 * h + j);
            s.store(d, s.fma(dpo, c, s.load(d)));
        }
        s.store(r.dgx.add(of + j), dpf);
        s.store(r.dgx.add(og + j), dpg);
        s.store(r.dgx.add(oo + j), dpo);
        s.store(r.dc.add(j), dcp);
        s.store(r.dh.add(j), s.splat(0.0));
    }
}

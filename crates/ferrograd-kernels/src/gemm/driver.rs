//! Cache-blocked GEMM driver (Goto/BLIS loop nest) for one thread.
//!
//! Loop order: columns in `NC` blocks → k in `KC` blocks (pack B block) →
//! rows in `MC` blocks (pack A block) → `NR`-column micro-panels → `MR`-row
//! micro-panels → micro-kernel. A packed B micro-panel (`KC × NR`) is reused
//! by every row panel of the A block, so it stays in L1; the A block
//! (`MC × KC`) stays in L2; the B block (`KC × NC`) in L2/L3.
//!
//! Every element of C receives exactly the same sequence of FMAs whatever
//! tile, edge or thread partition it falls in (edges use the same kernel on
//! zero-padded panels), so results are bit-identical for any thread count.

use super::kernel::micro;
use super::pack::{pack_a, pack_b, MatRef};
use crate::simd::{Kernel, Simd};

/// Depth of a k block. Fewer, deeper blocks mean fewer C tile reloads; the
/// 64 KiB B micro-panel (`KC × 32`) then streams from L2, which the hardware
/// prefetcher keeps up with. Measured 1024³ on 2 threads (same session):
/// KC=192 77–79%, 256 82–87%, 320 85%, 512 85–90%, 768 84–90% of peak.
pub(crate) const KC: usize = 512;
/// Rows per A block: `MC × KC` floats = 336 KiB, inside the 2 MiB L2.
pub(crate) const MC: usize = 168;
/// Columns per B block: `KC × NC` floats = 2 MiB (L2/L3; NC 512–2048 measured
/// within noise of each other).
pub(crate) const NC: usize = 1024;
/// Upper bounds on the tile sizes of any level (for buffer sizing).
pub(crate) const MR_MAX: usize = 16;
pub(crate) const NR_MAX: usize = 64;

/// Register tile `(MR, NR)` used for a SIMD width of `lanes` floats.
pub(crate) fn tile_dims(lanes: usize) -> (usize, usize) {
    match lanes {
        16 => (14, 32),
        8 => (6, 16),
        4 => (6, 16),
        _ => (4, 4),
    }
}

/// One GEMM sub-problem: `C[m×n] (+)= A[m×k] · B[k×n]`, C at a raw pointer
/// (sub-problems of one call write disjoint parts of the same C).
///
/// Invariant (upheld by `gemm.rs`, which validates all shapes first): `c` is
/// valid for writes of `c[i*c_rs + j]` for `i < m`, `j < n`, no other live
/// reference aliases those elements, and `a`/`b` cover `m×k` / `k×n`.
pub(crate) struct GemmArgs<'a> {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub a: MatRef<'a>,
    pub b: MatRef<'a>,
    pub c: *mut f32,
    pub c_rs: usize,
    pub accumulate: bool,
    /// B already packed by [`super::PackedB`] for this tile width (then `b` is unused).
    pub packed_b: Option<&'a [f32]>,
}

/// Runs one sub-problem on the calling thread with the packing buffers given.
pub(crate) struct GemmSerial<'a, 'b> {
    pub g: GemmArgs<'a>,
    pub abuf: &'b mut [f32],
    pub bbuf: &'b mut [f32],
}

impl Kernel for GemmSerial<'_, '_> {
    type Output = ();
    #[inline(always)]
    fn run<S: Simd>(self, s: S) {
        // SAFETY: the caller (gemm.rs) validated that C covers m×n with row
        // stride c_rs, and sized the buffers from MC/NC/KC and the MAX tiles.
        unsafe {
            // Row-major A is packed as rows (plain copies); other layouts
            // k-major (a copy for column-major A, a gather otherwise).
            let g = &self.g;
            let (a, b) = (self.abuf, self.bbuf);
            match (S::LANES, g.a.cs == 1) {
                // 15–16 rows (a recurrent step's block of batch rows) as two 8-row tiles: a
                // 14-row tile plus a 1–2-row one leaves the short tile latency-bound (too few
                // independent accumulators).
                (16, true) if g.m > 14 && g.m <= 16 => driver::<S, 8, 2, true>(s, g, a, b),
                (16, false) if g.m > 14 && g.m <= 16 => driver::<S, 8, 2, false>(s, g, a, b),
                (16, true) => driver::<S, 14, 2, true>(s, g, a, b),
                (16, false) => driver::<S, 14, 2, false>(s, g, a, b),
                (8, true) => driver::<S, 6, 2, true>(s, g, a, b),
                (8, false) => driver::<S, 6, 2, false>(s, g, a, b),
                (4, true) => driver::<S, 6, 4, true>(s, g, a, b),
                (4, false) => driver::<S, 6, 4, false>(s, g, a, b),
                (_, true) => driver::<S, 4, 4, true>(s, g, a, b),
                (_, false) => driver::<S, 4, 4, false>(s, g, a, b),
            }
        }
    }
}

/// Calls the micro-kernel for a tile of `rows <= MR` rows, picking the
/// instantiation with exactly `rows` rows so short edges waste no FMAs.
///
/// # Safety
/// As [`micro`], with `rows` rows of C writable.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn micro_rows<S: Simd, const MR: usize, const NV: usize, const ROWS: bool>(
    s: S,
    rows: usize,
    kc: usize,
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    c_rs: usize,
    overwrite: bool,
) {
    macro_rules! go {
        ($($r:literal)*) => {
            match rows {
                $($r if $r <= MR => unsafe { micro::<S, $r, NV, ROWS>(s, kc, a, MR, b, c, c_rs, overwrite) },)*
                _ => unsafe { micro::<S, MR, NV, ROWS>(s, kc, a, MR, b, c, c_rs, overwrite) },
            }
        };
    }
    go!(1 2 3 4 5 6 7 8 9 10 11 12 13)
}

/// # Safety
/// `g.c` must be valid for writes of `C[i*c_rs + j]`, `i < m`, `j < n`;
/// `abuf` must hold `(MC + MR_MAX) * KC` and `bbuf` `(NC + NR_MAX) * KC` floats.
#[inline(always)]
unsafe fn driver<S: Simd, const MR: usize, const NV: usize, const ROWS: bool>(
    s: S,
    g: &GemmArgs<'_>,
    abuf: &mut [f32],
    bbuf: &mut [f32],
) {
    let nr = NV * S::LANES;
    // Scratch tile for ragged right edges (MR*NR <= 16*64).
    let mut tile = [0.0f32; MR_MAX * NR_MAX];
    let mut boff = 0;
    for jc in (0..g.n).step_by(NC) {
        let nc = NC.min(g.n - jc);
        for pc in (0..g.k).step_by(KC) {
            let kc = KC.min(g.k - pc);
            let bblock: &[f32] = match g.packed_b {
                // `PackedB` stores the blocks in this loop order with this size formula.
                Some(p) => &p[boff..],
                None => {
                    pack_b(g.b, pc, kc, jc, nc, nr, bbuf);
                    bbuf
                }
            };
            boff += nc.div_ceil(nr) * nr * kc;
            let overwrite = !g.accumulate && pc == 0;
            for ic in (0..g.m).step_by(MC) {
                let mc = MC.min(g.m - ic);
                pack_a::<MR, ROWS>(g.a, ic, mc, pc, kc, abuf);
                // Row-layout panels always span KC columns (fixed row stride).
                let panel_a = if ROWS { MR * KC } else { MR * kc };
                for jr in (0..nc).step_by(nr) {
                    let cols = nr.min(nc - jr);
                    let bp = bblock[(jr / nr) * kc * nr..].as_ptr();
                    for ir in (0..mc).step_by(MR) {
                        let rows = MR.min(mc - ir);
                        let ap = abuf[(ir / MR) * panel_a..].as_ptr();
                        // SAFETY: rows/cols are inside C (contract), panels
                        // hold kc*MR / kc*nr floats.
                        unsafe {
                            let cp = g.c.add((ic + ir) * g.c_rs + jc + jr);
                            if cols == nr {
                                micro_rows::<S, MR, NV, ROWS>(
                                    s, rows, kc, ap, bp, cp, g.c_rs, overwrite,
                                );
                            } else {
                                micro::<S, MR, NV, ROWS>(
                                    s,
                                    kc,
                                    ap,
                                    MR,
                                    bp,
                                    tile.as_mut_ptr(),
                                    nr,
                                    true,
                                );
                                for i in 0..rows {
                                    let crow = cp.add(i * g.c_rs);
                                    for (j, &t) in tile[i * nr..i * nr + cols].iter().enumerate() {
                                        let d = crow.add(j);
                                        *d = if overwrite { t } else { *d + t };
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

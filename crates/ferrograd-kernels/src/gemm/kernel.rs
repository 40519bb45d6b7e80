//! The register-blocked micro-kernel: `C[MR × NV·LANES] (+)= Apanel · Bpanel`.
//!
//! Per step of k it loads `NV` vectors of B, broadcasts `MR` scalars of A
//! (folded into the FMA as a memory-broadcast operand on AVX-512) and issues
//! `MR·NV` independent FMAs into accumulators that never leave registers.
//! With AVX-512, MR=14 and NV=2 use 28 of the 32 zmm registers for C, giving
//! 28 FMAs per 2 vector loads + 14 broadcasts: enough independent work to
//! keep both FMA pipes busy through the 4-cycle latency.
//!
//! Two A panel layouts are supported (see `pack.rs`): k-major (`ROWS =
//! false`: the MR values of one k step are adjacent) and row-major (`ROWS =
//! true`: each of the MR rows is a contiguous run with a fixed stride of `KC`
//! floats, so the 14 broadcasts use constant address displacements).

use super::driver::KC;
use crate::simd::Simd;

/// Computes one tile over `kc` steps.
///
/// `overwrite`: store `acc` (first k-block of `C = A·B`); otherwise `C += acc`.
///
/// A element `(i, p)` is at `a[p*a_step + i]` (k-major; `a_step` is the
/// panel's row count, larger than `MR` when a short edge tile reuses a taller
/// panel) or, with `ROWS`, at `a[i*KC + p]`.
///
/// # Safety
/// `a` must be readable at every A element position above for `i < MR`,
/// `p < kc`; `b` for `kc*NV*LANES` floats; `c + i*c_rs + j` writable for
/// `i < MR`, `j < NV*LANES`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn micro<S: Simd, const MR: usize, const NV: usize, const ROWS: bool>(
    s: S,
    kc: usize,
    a: *const f32,
    a_step: usize,
    b: *const f32,
    c: *mut f32,
    c_rs: usize,
    overwrite: bool,
) {
    let l = S::LANES;
    let mut acc = [[s.splat(0.0); NV]; MR];
    let (ai, ap) = if ROWS { (KC, 1) } else { (1, a_step) };
    let mut pa = a;
    let mut pb = b;
    for _ in 0..kc {
        // SAFETY: p < kc, so pa/pb stay inside the panels (see contract).
        unsafe {
            let bv: [S::V; NV] = crate::simd::arr!(s, NV, |j| s.load(pb.add(j * l)));
            for (i, row) in acc.iter_mut().enumerate() {
                let av = s.splat(*pa.add(i * ai));
                for (j, cv) in row.iter_mut().enumerate() {
                    *cv = s.fma(av, bv[j], *cv);
                }
            }
            pa = pa.add(ap);
            pb = pb.add(NV * l);
        }
    }
    for (i, row) in acc.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            // SAFETY: i < MR, j*l + l <= NV*LANES: inside the tile (contract).
            unsafe {
                let p = c.add(i * c_rs + j * l);
                let out = if overwrite { v } else { s.add(s.load(p), v) };
                s.store(p, out);
            }
        }
    }
}

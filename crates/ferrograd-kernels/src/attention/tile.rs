//! Per-tile pieces shared by the forward and backward passes: scores, exponentials, dropout.

use super::{AttentionDims, AttentionParams, BK};
use crate::cpu::simd_level;
use crate::error::KernelError;
use crate::gemm::sgemm_in;
use crate::pool::parallel_chunks_mut;
use crate::rng::philox;
use crate::simd::{dispatch, math, Kernel, Simd};

const K: &str = "attention";

/// A query tile × key tile of one head.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TileAt {
    pub b: usize,
    pub h: usize,
    pub q0: usize,
    pub nq: usize,
    pub j0: usize,
    pub nk: usize,
}

impl TileAt {
    /// Whether causal masking hides the whole tile (every key is after every query).
    pub(crate) fn fully_causal_masked(&self, causal: bool) -> bool {
        causal && self.j0 > self.q0 + self.nq - 1
    }
}

/// `s[i·BK + j] = scale·q_i·k_j + Σ masks` for the tile, `-inf` where causal masking applies.
pub(crate) fn scores(
    g: &AttentionDims,
    p: &AttentionParams<'_>,
    q: &[f32],
    k: &[f32],
    t: TileAt,
    s: &mut [f32],
) -> Result<(), KernelError> {
    let head = t.b * g.h + t.h;
    let qo = (head * g.lq + t.q0) * g.d;
    let ko = (head * g.lk + t.j0) * g.d;
    sgemm_in(
        K,
        t.nq,
        t.nk,
        g.d,
        (q, qo, g.d, 1),
        (k, ko, 1, g.d),
        s,
        BK,
        false,
        false,
    )?;
    dispatch(
        simd_level(),
        ScaleRows {
            s: &mut s[..t.nq * BK],
            nk: t.nk,
            scale: p.scale,
        },
    );
    for i in 0..t.nq {
        let row = &mut s[i * BK..i * BK + t.nk];
        let qi = t.q0 + i;
        for m in p.masks {
            let mo = t.b * m.sb + t.h * m.sh + qi * m.si + t.j0;
            if let Some(mrow) = m.data.get(mo..mo + t.nk) {
                for (x, &a) in row.iter_mut().zip(mrow) {
                    *x += a;
                }
            }
        }
        if p.causal && t.j0 + t.nk > qi + 1 {
            let first = (qi + 1).saturating_sub(t.j0);
            for x in row.iter_mut().skip(first) {
                *x = f32::NEG_INFINITY;
            }
        }
    }
    Ok(())
}

/// Multiplies the first `nk` entries of every `BK`-long row by `scale`.
struct ScaleRows<'a> {
    s: &'a mut [f32],
    nk: usize,
    scale: f32,
}

impl Kernel for ScaleRows<'_> {
    type Output = ();
    #[inline(always)]
    fn run<S: Simd>(self, s: S) {
        let l = S::LANES;
        let sc = s.splat(self.scale);
        for row in self.s.chunks_mut(BK) {
            let n = self.nk.min(row.len());
            let mut i = 0;
            while i + l <= n {
                // SAFETY: i + LANES <= n <= row.len().
                unsafe {
                    let p = row.as_mut_ptr().add(i);
                    s.store(p, s.mul(s.load(p), sc));
                }
                i += l;
            }
            for x in &mut row[i..n] {
                *x *= self.scale;
            }
        }
    }
}

struct RowMax<'a> {
    row: &'a [f32],
}

impl Kernel for RowMax<'_> {
    type Output = f32;
    #[inline(always)]
    fn run<S: Simd>(self, s: S) -> f32 {
        let l = S::LANES;
        let n = self.row.len();
        let mut acc = s.splat(f32::NEG_INFINITY);
        let mut i = 0;
        while i + l <= n {
            // SAFETY: i + LANES <= n.
            acc = s.max(unsafe { s.load(self.row.as_ptr().add(i)) }, acc);
            i += l;
        }
        self.row[i..]
            .iter()
            .fold(s.reduce_max(acc), |m, &v| if v > m { v } else { m })
    }
}

/// Largest entry of `row` (NaNs are skipped; they still reach the output through the exponentials).
pub(crate) fn row_max(row: &[f32]) -> f32 {
    dispatch(simd_level(), RowMax { row })
}

/// `dp[i][j] = p[i][j] · (dp[i][j] − d[i]) · scale` over `BK`-long rows, first `nk` entries.
struct SoftmaxGrad<'a> {
    dp: &'a mut [f32],
    p: &'a [f32],
    d: &'a [f32],
    nk: usize,
    scale: f32,
}

impl Kernel for SoftmaxGrad<'_> {
    type Output = ();
    #[inline(always)]
    fn run<S: Simd>(self, s: S) {
        let l = S::LANES;
        let sc = s.splat(self.scale);
        for ((dr, pr), &di) in self.dp.chunks_mut(BK).zip(self.p.chunks(BK)).zip(self.d) {
            let n = self.nk.min(dr.len()).min(pr.len());
            let dv = s.splat(di);
            let mut j = 0;
            while j + l <= n {
                // SAFETY: j + LANES <= n, within both rows.
                unsafe {
                    let dptr = dr.as_mut_ptr().add(j);
                    let pv = s.load(pr.as_ptr().add(j));
                    s.store(dptr, s.mul(s.mul(pv, s.sub(s.load(dptr), dv)), sc));
                }
                j += l;
            }
            for (x, &pij) in dr[j..n].iter_mut().zip(&pr[j..n]) {
                *x = pij * (*x - di) * self.scale;
            }
        }
    }
}

/// The softmax backward of a tile: `dp ← p ⊙ (dp − d) · scale` (row `i` uses `d[i]`).
pub(crate) fn softmax_grad(dp: &mut [f32], p: &[f32], d: &[f32], nk: usize, scale: f32) {
    dispatch(
        simd_level(),
        SoftmaxGrad {
            dp,
            p,
            d,
            nk,
            scale,
        },
    );
}

struct ExpShift<'a> {
    row: &'a mut [f32],
    shift: f32,
}

impl Kernel for ExpShift<'_> {
    type Output = f32;
    #[inline(always)]
    fn run<S: Simd>(self, s: S) -> f32 {
        let l = S::LANES;
        let n = self.row.len();
        let sh = s.splat(self.shift);
        let mut acc = s.splat(0.0);
        let mut i = 0;
        while i + l <= n {
            // SAFETY: i + LANES <= n.
            unsafe {
                let p = self.row.as_mut_ptr().add(i);
                let e = math::exp(s, s.sub(s.load(p), sh));
                s.store(p, e);
                acc = s.add(acc, e);
            }
            i += l;
        }
        let mut sum = s.reduce_add(acc);
        for x in &mut self.row[i..] {
            *x = (*x - self.shift).exp();
            sum += *x;
        }
        sum
    }
}

/// Replaces `row` by `exp(row - shift)` and returns its sum. `shift` must be finite.
pub(crate) fn exp_shift(row: &mut [f32], shift: f32) -> f32 {
    dispatch(simd_level(), ExpShift { row, shift })
}

/// Element counter of weight `(b, h, i, j)` in the dropout stream.
pub(crate) fn dropout_counter(g: &AttentionDims, b: usize, h: usize, i: usize, j: usize) -> u64 {
    (((b as u64 * g.h as u64 + h as u64) * g.lq as u64 + i as u64) * g.lk as u64) + j as u64
}

/// Multiplies `row` (weights of keys `first..`) by the dropout factor: 0 for dropped weights,
/// `1/(1-p)` for kept ones. Element `e` of the stream uses word `e % 4` of Philox block `e / 4`.
pub(crate) fn apply_dropout(row: &mut [f32], seed: u64, first: u64, p: f32) {
    let threshold = (p * 16_777_216.0) as u32;
    let keep = 1.0 / (1.0 - p);
    let mut cached = u64::MAX;
    let mut block = [0u32; 4];
    for (k, x) in row.iter_mut().enumerate() {
        let e = first.wrapping_add(k as u64);
        let blk = e / 4;
        if blk != cached {
            block = philox(seed, blk);
            cached = blk;
        }
        // Top 24 bits as in `fill_uniform`: u = bits / 2^24, dropped when u < p.
        let bits = block[(e % 4) as usize] >> 8;
        *x = if bits < threshold { 0.0 } else { *x * keep };
    }
}

/// The dropout factors of every attention weight, `[b, h, lq, lk]`: 0 or `1/(1-p)`. The fused
/// kernels draw exactly these; the materialised path multiplies by them.
pub fn dropout_keep(
    g: &AttentionDims,
    dropout_p: f32,
    seed: u64,
    out: &mut [f32],
) -> Result<(), KernelError> {
    let n = super::len_of("dropout_keep", &[g.b, g.h, g.lq, g.lk])?;
    super::check_len("dropout_keep", n, out.len())?;
    if !(0.0..1.0).contains(&dropout_p) {
        return Err(KernelError::InvalidGeometry {
            kernel: "dropout_keep",
            reason: "dropout probability must be in [0, 1)",
        });
    }
    parallel_chunks_mut(out, 16 * 1024, |start, chunk| {
        chunk.fill(1.0);
        apply_dropout(chunk, seed, start as u64, dropout_p);
    });
    Ok(())
}

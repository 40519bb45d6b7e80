//! Tiled forward with an online softmax, and the materialised probabilities for `need_weights`.

use rayon::prelude::*;

use super::tile::{apply_dropout, dropout_counter, exp_shift, row_max, scores, TileAt};
use super::{validate, AttentionDims, AttentionParams, BK, BQ};
use crate::error::KernelError;
use crate::gemm::sgemm_in;
use crate::pool::{install, num_threads};

const K: &str = "attention_forward";

/// Below this many multiply-adds a call runs on the caller's thread: a fork/join costs ~20 µs.
const PAR_WORK: usize = 1 << 18;

/// Runs `f` over `tasks`, in the pool when the call is big enough to pay for the fork.
pub(crate) fn run_tasks<T: Send>(
    tasks: Vec<T>,
    work: usize,
    f: impl Fn(T) -> Result<(), KernelError> + Sync + Send,
) -> Result<(), KernelError> {
    if num_threads() <= 1 || tasks.len() <= 1 || work < PAR_WORK {
        return tasks.into_iter().try_for_each(f);
    }
    install(|| tasks.into_par_iter().try_for_each(f))
}

/// Output `[b, h, lq, dv]` and per-row log-sum-exp `[b, h, lq]` (natural log of the softmax
/// denominator including the max shift; `-inf` for a fully masked row, whose output is zero).
#[allow(clippy::too_many_arguments)]
pub fn attention_forward(
    g: &AttentionDims,
    p: &AttentionParams<'_>,
    q: &[f32],
    k: &[f32],
    v: &[f32],
    out: &mut [f32],
    lse: &mut [f32],
) -> Result<(), KernelError> {
    let lens = validate(K, g, p, q, k, v)?;
    super::check_len(K, lens[3], out.len())?;
    super::check_len(K, super::len_of(K, &[g.b, g.h, g.lq])?, lse.len())?;
    if out.is_empty() || g.lq == 0 {
        return Ok(());
    }
    if g.lk == 0 {
        out.fill(0.0);
        lse.fill(f32::NEG_INFINITY);
        return Ok(());
    }
    let mut tasks = Vec::new();
    for (head, (o_head, l_head)) in out
        .chunks_mut(g.lq * g.dv)
        .zip(lse.chunks_mut(g.lq))
        .enumerate()
    {
        for (t, (o, l)) in o_head
            .chunks_mut(BQ * g.dv)
            .zip(l_head.chunks_mut(BQ))
            .enumerate()
        {
            tasks.push((head / g.h, head % g.h, t * BQ, o, l));
        }
    }
    let work = g.b * g.h * g.lq * g.lk * (g.d + g.dv);
    run_tasks(tasks, work, |(b, h, q0, o, l)| {
        forward_tile(g, p, q, k, v, b, h, q0, o, l)
    })
}

#[allow(clippy::too_many_arguments)]
fn forward_tile(
    g: &AttentionDims,
    p: &AttentionParams<'_>,
    q: &[f32],
    k: &[f32],
    v: &[f32],
    b: usize,
    h: usize,
    q0: usize,
    o: &mut [f32],
    lse: &mut [f32],
) -> Result<(), KernelError> {
    let nq = lse.len();
    let dv = g.dv;
    let mut s = vec![0.0f32; BQ * BK];
    let mut m = vec![f32::NEG_INFINITY; nq];
    let mut l = vec![0.0f32; nq];
    o.fill(0.0);
    let head = b * g.h + h;
    for j0 in (0..g.lk).step_by(BK) {
        let t = TileAt {
            b,
            h,
            q0,
            nq,
            j0,
            nk: BK.min(g.lk - j0),
        };
        if t.fully_causal_masked(p.causal) {
            break;
        }
        scores(g, p, q, k, t, &mut s)?;
        for i in 0..nq {
            let row = &mut s[i * BK..i * BK + t.nk];
            let mnew = m[i].max(row_max(row));
            if mnew == f32::NEG_INFINITY {
                row.fill(0.0);
                continue;
            }
            // Earlier tiles left this row's accumulator at zero when its max is still -inf.
            let first = m[i] == f32::NEG_INFINITY;
            let alpha = if first { 0.0 } else { (m[i] - mnew).exp() };
            let sum = exp_shift(row, mnew);
            l[i] = l[i] * alpha + sum;
            m[i] = mnew;
            if !first && alpha != 1.0 {
                for x in &mut o[i * dv..(i + 1) * dv] {
                    *x *= alpha;
                }
            }
            if p.dropout_p > 0.0 {
                apply_dropout(
                    row,
                    p.seed,
                    dropout_counter(g, b, h, q0 + i, j0),
                    p.dropout_p,
                );
            }
        }
        sgemm_in(
            K,
            nq,
            dv,
            t.nk,
            (&s, 0, BK, 1),
            (v, (head * g.lk + j0) * dv, dv, 1),
            o,
            dv,
            true,
            false,
        )?;
    }
    for i in 0..nq {
        let row = &mut o[i * dv..(i + 1) * dv];
        if l[i] > 0.0 {
            let inv = 1.0 / l[i];
            for x in row.iter_mut() {
                *x *= inv;
            }
            lse[i] = m[i] + l[i].ln();
        } else {
            row.fill(0.0);
            lse[i] = f32::NEG_INFINITY;
        }
    }
    Ok(())
}

/// The attention weights `softmax(scale·Q·Kᵀ + masks)` as a full `[b, h, lq, lk]` array (before
/// dropout; rows whose keys are all masked are zero). This is the simple `O(L²)` path.
pub fn attention_probs(
    g: &AttentionDims,
    p: &AttentionParams<'_>,
    q: &[f32],
    k: &[f32],
    probs: &mut [f32],
) -> Result<(), KernelError> {
    const KP: &str = "attention_probs";
    let g0 = AttentionDims { dv: 0, ..*g };
    validate(KP, &g0, p, q, k, &[])?;
    super::check_len(KP, super::len_of(KP, &[g.b, g.h, g.lq, g.lk])?, probs.len())?;
    if probs.is_empty() {
        return Ok(());
    }
    let mut tasks = Vec::new();
    for (head, ph) in probs.chunks_mut(g.lq * g.lk).enumerate() {
        for (t, pt) in ph.chunks_mut(BQ * g.lk).enumerate() {
            tasks.push((head / g.h, head % g.h, t * BQ, pt));
        }
    }
    let work = g.b * g.h * g.lq * g.lk * g.d;
    run_tasks(tasks, work, |(b, h, q0, pt)| {
        let nq = pt.len() / g.lk;
        let mut s = vec![0.0f32; BQ * BK];
        for j0 in (0..g.lk).step_by(BK) {
            let t = TileAt {
                b,
                h,
                q0,
                nq,
                j0,
                nk: BK.min(g.lk - j0),
            };
            scores(g, p, q, k, t, &mut s)?;
            for i in 0..nq {
                pt[i * g.lk + j0..i * g.lk + j0 + t.nk].copy_from_slice(&s[i * BK..i * BK + t.nk]);
            }
        }
        for row in pt.chunks_mut(g.lk) {
            let mx = row_max(row);
            if mx == f32::NEG_INFINITY {
                row.fill(0.0);
                continue;
            }
            let inv = 1.0 / exp_shift(row, mx);
            for x in row.iter_mut() {
                *x *= inv;
            }
        }
        Ok(())
    })
}

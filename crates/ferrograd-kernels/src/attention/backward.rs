//! Backward of the tiled attention: probabilities recomputed per tile from the saved
//! log-sum-exp, `dS = P ⊙ (dP − D)` with `D_i = Σ dO_i ⊙ O_i`.

use super::forward::run_tasks;
use super::tile::{apply_dropout, dropout_counter, exp_shift, scores, softmax_grad, TileAt};
use super::{check_len, len_of, validate, AttentionDims, AttentionParams, BK, BQ};
use crate::error::KernelError;
use crate::gemm::sgemm_in;

const K: &str = "attention_backward";

/// The forward's tensors that the backward reads.
#[derive(Debug, Clone, Copy)]
pub struct AttentionSaved<'a> {
    /// Queries `[b, h, lq, d]`.
    pub q: &'a [f32],
    /// Keys `[b, h, lk, d]`.
    pub k: &'a [f32],
    /// Values `[b, h, lk, dv]`.
    pub v: &'a [f32],
    /// Forward output `[b, h, lq, dv]`.
    pub out: &'a [f32],
    /// Forward log-sum-exp `[b, h, lq]`.
    pub lse: &'a [f32],
}

/// Gradients of q, k, v (overwritten) given the upstream gradient `dout` `[b, h, lq, dv]`.
#[allow(clippy::too_many_arguments)]
pub fn attention_backward(
    g: &AttentionDims,
    p: &AttentionParams<'_>,
    saved: &AttentionSaved<'_>,
    dout: &[f32],
    dq: &mut [f32],
    dk: &mut [f32],
    dv: &mut [f32],
) -> Result<(), KernelError> {
    let lens = validate(K, g, p, saved.q, saved.k, saved.v)?;
    check_len(K, lens[3], saved.out.len())?;
    check_len(K, lens[3], dout.len())?;
    check_len(K, len_of(K, &[g.b, g.h, g.lq])?, saved.lse.len())?;
    check_len(K, lens[0], dq.len())?;
    check_len(K, lens[1], dk.len())?;
    check_len(K, lens[2], dv.len())?;
    dq.fill(0.0);
    dk.fill(0.0);
    dv.fill(0.0);
    // An empty value dimension means an empty output: every gradient is zero.
    if g.b == 0 || g.h == 0 || g.lq == 0 || g.lk == 0 || g.dv == 0 {
        return Ok(());
    }
    let tasks: Vec<_> = dq
        .chunks_mut(g.lq * g.d)
        .zip(dk.chunks_mut(g.lk * g.d))
        .zip(dv.chunks_mut(g.lk * g.dv))
        .enumerate()
        .map(|(head, ((a, b), c))| (head, a, b, c))
        .collect();
    let work = g.b * g.h * g.lq * g.lk * (2 * g.d + 2 * g.dv);
    run_tasks(tasks, work, |(head, dqh, dkh, dvh)| {
        backward_head(g, p, saved, dout, head, dqh, dkh, dvh)
    })
}

#[allow(clippy::too_many_arguments)]
fn backward_head(
    g: &AttentionDims,
    p: &AttentionParams<'_>,
    sv: &AttentionSaved<'_>,
    dout: &[f32],
    head: usize,
    dq: &mut [f32],
    dk: &mut [f32],
    dvh: &mut [f32],
) -> Result<(), KernelError> {
    let (b, h) = (head / g.h, head % g.h);
    let (d, dv) = (g.d, g.dv);
    let o_off = head * g.lq * dv;
    let lse = &sv.lse[head * g.lq..(head + 1) * g.lq];
    let drow: Vec<f32> = (0..g.lq)
        .map(|i| {
            let r = o_off + i * dv..o_off + (i + 1) * dv;
            dout[r.clone()]
                .iter()
                .zip(&sv.out[r])
                .map(|(a, b)| a * b)
                .sum()
        })
        .collect();
    let mut s = vec![0.0f32; BQ * BK];
    let mut dp = vec![0.0f32; BQ * BK];
    let mut pd = if p.dropout_p > 0.0 {
        vec![0.0f32; BQ * BK]
    } else {
        Vec::new()
    };
    for j0 in (0..g.lk).step_by(BK) {
        let nk = BK.min(g.lk - j0);
        for q0 in (0..g.lq).step_by(BQ) {
            let t = TileAt {
                b,
                h,
                q0,
                nq: BQ.min(g.lq - q0),
                j0,
                nk,
            };
            if t.fully_causal_masked(p.causal) {
                continue;
            }
            let nq = t.nq;
            scores(g, p, sv.q, sv.k, t, &mut s)?;
            for i in 0..nq {
                let row = &mut s[i * BK..i * BK + nk];
                let l = lse[q0 + i];
                if l == f32::NEG_INFINITY {
                    row.fill(0.0);
                } else {
                    exp_shift(row, l);
                }
            }
            let pv: &[f32] = if p.dropout_p > 0.0 {
                pd.copy_from_slice(&s);
                for i in 0..nq {
                    apply_dropout(
                        &mut pd[i * BK..i * BK + nk],
                        p.seed,
                        dropout_counter(g, b, h, q0 + i, j0),
                        p.dropout_p,
                    );
                }
                &pd
            } else {
                &s
            };
            let qo = (head * g.lq + q0) * d;
            let ko = (head * g.lk + j0) * d;
            let doo = o_off + q0 * dv;
            // dV_t += Pdᵀ · dO_t
            sgemm_in(
                K,
                nk,
                dv,
                nq,
                (pv, 0, 1, BK),
                (dout, doo, dv, 1),
                &mut dvh[j0 * dv..],
                dv,
                true,
                false,
            )?;
            // dPd = dO_t · V_tᵀ
            sgemm_in(
                K,
                nq,
                nk,
                dv,
                (dout, doo, dv, 1),
                (sv.v, (head * g.lk + j0) * dv, 1, dv),
                &mut dp,
                BK,
                false,
                false,
            )?;
            if p.dropout_p > 0.0 {
                for i in 0..nq {
                    apply_dropout(
                        &mut dp[i * BK..i * BK + nk],
                        p.seed,
                        dropout_counter(g, b, h, q0 + i, j0),
                        p.dropout_p,
                    );
                }
            }
            softmax_grad(
                &mut dp[..nq * BK],
                &s[..nq * BK],
                &drow[q0..q0 + nq],
                nk,
                p.scale,
            );
            // dQ_t += dS · K_t
            sgemm_in(
                K,
                nq,
                d,
                nk,
                (&dp, 0, BK, 1),
                (sv.k, ko, d, 1),
                &mut dq[q0 * d..],
                d,
                true,
                false,
            )?;
            // dK_t += dSᵀ · Q_t
            sgemm_in(
                K,
                nk,
                d,
                nq,
                (&dp, 0, 1, BK),
                (sv.q, qo, d, 1),
                &mut dk[j0 * d..],
                d,
                true,
                false,
            )?;
        }
    }
    Ok(())
}

//! Backward through time for one layer and direction.

use rayon::prelude::*;

use super::forward::RecurrentTape;
use super::rows::BwdRow;
use super::step::backward_rows;
use super::{
    any, check_len, col_sums, mul, recycle, row_blocks, split_rows, take, take_ref, validate,
    zeros, RecurrentCell, RecurrentConfig, RecurrentParams, Sizes, K,
};
use crate::error::KernelError;
use crate::gemm::{sgemm_in, sgemm_prepacked, PackedB};
use crate::pool::install;

/// Upstream gradients of the three results of [`recurrent_forward`](super::recurrent_forward);
/// `None` means zero.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecurrentUpstream<'a> {
    /// `[B, T, H]`
    pub output: Option<&'a [f32]>,
    /// `[B, H]`
    pub h_n: Option<&'a [f32]>,
    /// `[B, H]` (LSTM only)
    pub c_n: Option<&'a [f32]>,
    /// Whether to compute the input gradient (skipped for a first layer fed by data).
    pub need_input: bool,
}

/// Gradients of every input of the forward, in the same layouts.
#[derive(Debug, Clone, Default)]
pub struct RecurrentGrads {
    /// `[B, T, I]`, empty when not requested.
    pub x: Vec<f32>,
    /// `[G·H, I]`
    pub w_ih: Vec<f32>,
    /// `[G·H, H]`
    pub w_hh: Vec<f32>,
    /// `[G·H]`
    pub b_ih: Vec<f32>,
    /// `[G·H]`
    pub b_hh: Vec<f32>,
    /// `[B, H]`
    pub h0: Vec<f32>,
    /// `[B, H]` (LSTM), empty otherwise.
    pub c0: Vec<f32>,
    /// `[3, H]` (peephole LSTM), empty otherwise.
    pub peephole: Vec<f32>,
}

impl Drop for RecurrentGrads {
    fn drop(&mut self) {
        for buf in [
            &mut self.x,
            &mut self.w_ih,
            &mut self.w_hh,
            &mut self.b_ih,
            &mut self.b_hh,
            &mut self.h0,
            &mut self.c0,
            &mut self.peephole,
        ] {
            recycle(std::mem::take(buf));
        }
    }
}

struct Block<'a> {
    rows: usize,
    g: &'a [f32],
    hn: &'a [f32],
    h_prev: &'a [f32],
    c_prev: &'a [f32],
    c_new: &'a [f32],
    valid: Option<&'a [u8]>,
    mask: Option<&'a [f32]>,
    dy: Option<&'a [f32]>,
    dh: &'a mut [f32],
    dc: &'a mut [f32],
    dgx: &'a mut [f32],
    dgh: &'a mut [f32],
}

struct Ctx<'a> {
    s: Sizes,
    cell: RecurrentCell,
    reverse: bool,
    /// `W_hh` (`[G·H, H]`) packed for the per-step GEMM.
    w_hh: &'a PackedB,
    peep: Option<&'a [f32]>,
}

/// Backpropagates through a sequence run by [`recurrent_forward`](super::recurrent_forward) with
/// the same `cfg`, `p` and `x`.
pub fn recurrent_backward(
    cfg: &RecurrentConfig<'_>,
    p: &RecurrentParams<'_>,
    x: &[f32],
    tape: &RecurrentTape,
    up: &RecurrentUpstream<'_>,
) -> Result<RecurrentGrads, KernelError> {
    let s = validate(cfg, p, x)?;
    let (b, t, i, h, gh) = (s.b, s.t, s.i, s.h, s.gh);
    let (bt, bh) = (b * t, mul(b, h)?);
    let has_c = cfg.cell.has_cell_state();
    let is_gru = cfg.cell == RecurrentCell::Gru;
    check_len(bt * gh, tape.gates.len())?;
    check_len(bt * h, tape.h_prev.len())?;
    check_len(if is_gru { bt * h } else { 0 }, tape.hn.len())?;
    for v in [&tape.c_prev, &tape.c_new] {
        check_len(if has_c { bt * h } else { 0 }, v.len())?;
    }
    if let Some(d) = up.output {
        check_len(bt * h, d.len())?;
    }
    if let Some(d) = up.h_n {
        check_len(bh, d.len())?;
    }
    if let (Some(d), true) = (up.c_n, has_c) {
        check_len(bh, d.len())?;
    }
    let mut dh = match up.h_n {
        Some(d) => d.to_vec(),
        None => zeros(bh)?,
    };
    let mut dc = match (has_c, up.c_n) {
        (true, Some(d)) => d.to_vec(),
        (true, None) => zeros(bh)?,
        _ => Vec::new(),
    };
    // Every row of every step is written by the time loop (zeros at padded steps).
    let mut dgx = any(bt * gh)?;
    let mut dgh = any(if is_gru { bt * gh } else { 0 })?;
    let w_hh = PackedB::new(K, gh, h, (p.w_hh, 0, h, 1))?;
    let ctx = Ctx {
        s,
        cell: cfg.cell,
        reverse: cfg.reverse,
        w_hh: &w_hh,
        peep: p.peephole,
    };
    let ranges = split_rows(b, row_blocks(&s));
    let mut blocks = Vec::with_capacity(ranges.len());
    {
        let (mut g, mut hn, mut hp) = (&tape.gates[..], &tape.hn[..], &tape.h_prev[..]);
        let (mut cp, mut cn) = (&tape.c_prev[..], &tape.c_new[..]);
        let (mut valid, mut mask) = (cfg.valid.unwrap_or(&[]), cfg.recurrent_mask.unwrap_or(&[]));
        let mut dy = up.output.unwrap_or(&[]);
        let (mut dhs, mut dcs) = (&mut dh[..], &mut dc[..]);
        let (mut dgxs, mut dghs) = (&mut dgx[..], &mut dgh[..]);
        for &(_, rows) in &ranges {
            let (rt, rh) = (rows * t, rows * h);
            let ch = if has_c { rt * h } else { 0 };
            blocks.push(Block {
                rows,
                g: take_ref(&mut g, rt * gh),
                hn: take_ref(&mut hn, if is_gru { rt * h } else { 0 }),
                h_prev: take_ref(&mut hp, rt * h),
                c_prev: take_ref(&mut cp, ch),
                c_new: take_ref(&mut cn, ch),
                valid: cfg.valid.map(|_| take_ref(&mut valid, rt)),
                mask: cfg.recurrent_mask.map(|_| take_ref(&mut mask, rh)),
                dy: up.output.map(|_| take_ref(&mut dy, rt * h)),
                dh: take(&mut dhs, rh),
                dc: take(&mut dcs, if has_c { rh } else { 0 }),
                dgx: take(&mut dgxs, rt * gh),
                dgh: take(&mut dghs, if is_gru { rt * gh } else { 0 }),
            });
        }
    }
    let results: Vec<Result<Vec<f32>, KernelError>> = if blocks.len() > 1 {
        install(|| {
            blocks
                .into_par_iter()
                .map(|bl| run_block(&ctx, bl))
                .collect()
        })
    } else {
        blocks.into_iter().map(|bl| run_block(&ctx, bl)).collect()
    };
    let mut dpeep = zeros(if cfg.cell.has_peephole() { 3 * h } else { 0 })?;
    for r in results {
        for (a, v) in dpeep.iter_mut().zip(r?) {
            *a += v;
        }
    }

    let dgh_all: &[f32] = if is_gru { &dgh } else { &dgx };
    let mut grads = RecurrentGrads {
        x: Vec::new(),
        w_ih: zeros(gh * i)?,
        w_hh: zeros(gh * h)?,
        b_ih: zeros(gh)?,
        b_hh: zeros(gh)?,
        h0: dh,
        c0: dc,
        peephole: dpeep,
    };
    if up.need_input {
        grads.x = zeros(bt * i)?;
        sgemm_in(
            K,
            bt,
            i,
            gh,
            (&dgx, 0, gh, 1),
            (p.w_ih, 0, i, 1),
            &mut grads.x,
            i,
            false,
            true,
        )?;
    }
    sgemm_in(
        K,
        gh,
        i,
        bt,
        (&dgx, 0, 1, gh),
        (x, 0, i, 1),
        &mut grads.w_ih,
        i,
        false,
        true,
    )?;
    let masked;
    let h_src: &[f32] = match cfg.recurrent_mask {
        Some(m) => {
            let mut v = tape.h_prev.clone();
            for (r, row) in v.chunks_exact_mut(h.max(1)).enumerate() {
                let mrow = &m[(r / t.max(1)) * h..][..h];
                for (a, k) in row.iter_mut().zip(mrow) {
                    *a *= k;
                }
            }
            masked = v;
            &masked
        }
        None => &tape.h_prev,
    };
    sgemm_in(
        K,
        gh,
        h,
        bt,
        (dgh_all, 0, 1, gh),
        (h_src, 0, h, 1),
        &mut grads.w_hh,
        h,
        false,
        true,
    )?;
    col_sums(&dgx, gh, &mut grads.b_ih);
    if is_gru {
        col_sums(dgh_all, gh, &mut grads.b_hh);
    } else {
        // Both biases enter the same pre-activation.
        grads.b_hh.copy_from_slice(&grads.b_ih);
    }
    recycle(dgx);
    recycle(dgh);
    Ok(grads)
}

/// The reverse time loop for one block of rows; returns the block's peephole gradient.
fn run_block(cx: &Ctx<'_>, bl: Block<'_>) -> Result<Vec<f32>, KernelError> {
    let Sizes {
        t: steps, h, gh, ..
    } = cx.s;
    let rows = bl.rows;
    let has_c = cx.cell.has_cell_state();
    let is_gru = cx.cell == RecurrentCell::Gru;
    let mut dpeep = zeros(if cx.peep.is_some() { 3 * h } else { 0 })?;
    let mut tmp = zeros(if bl.mask.is_some() { rows * h } else { 0 })?;
    let mut live: Vec<BwdRow> = Vec::with_capacity(rows);
    let peep = cx.peep.map_or(std::ptr::null(), <[f32]>::as_ptr);
    let null = std::ptr::null::<f32>();
    for step in (0..steps).rev() {
        let t = if cx.reverse { steps - 1 - step } else { step };
        live.clear();
        if let Some(dy) = bl.dy {
            for r in 0..rows {
                let at = r * steps + t;
                if bl.valid.is_some_and(|v| v[at] == 0) {
                    continue;
                }
                for (a, v) in bl.dh[r * h..(r + 1) * h]
                    .iter_mut()
                    .zip(&dy[at * h..(at + 1) * h])
                {
                    *a += v;
                }
            }
        }
        if let Some(v) = bl.valid {
            for r in (0..rows).filter(|&r| v[r * steps + t] == 0) {
                let at = r * steps + t;
                bl.dgx[at * gh..(at + 1) * gh].fill(0.0);
                if is_gru {
                    bl.dgh[at * gh..(at + 1) * gh].fill(0.0);
                }
            }
        }
        let (dhp, dcp, dgxp, dghp) = (
            bl.dh.as_mut_ptr(),
            bl.dc.as_mut_ptr(),
            bl.dgx.as_mut_ptr(),
            bl.dgh.as_mut_ptr(),
        );
        let dpp = dpeep.as_mut_ptr();
        for r in 0..rows {
            let at = r * steps + t;
            if bl.valid.is_some_and(|v| v[at] == 0) {
                continue;
            }
            let dgx_row = dgxp.wrapping_add(at * gh);
            live.push(BwdRow {
                g: bl.g.as_ptr().wrapping_add(at * gh),
                hn: if is_gru {
                    bl.hn.as_ptr().wrapping_add(at * h)
                } else {
                    null
                },
                h_prev: bl.h_prev.as_ptr().wrapping_add(at * h),
                c_prev: if has_c {
                    bl.c_prev.as_ptr().wrapping_add(at * h)
                } else {
                    null
                },
                c_new: if has_c {
                    bl.c_new.as_ptr().wrapping_add(at * h)
                } else {
                    null
                },
                peep,
                dh: dhp.wrapping_add(r * h),
                dc: if has_c {
                    dcp.wrapping_add(r * h)
                } else {
                    std::ptr::null_mut()
                },
                dgx: dgx_row,
                dgh: if is_gru {
                    dghp.wrapping_add(at * gh)
                } else {
                    dgx_row
                },
                dpeep: dpp,
                hidden: h,
            });
        }
        backward_rows(cx.cell, &live);
        let src: &[f32] = if is_gru { bl.dgh } else { bl.dgx };
        let a = (src, t * gh, steps * gh, 1);
        match bl.mask {
            Some(m) => {
                sgemm_prepacked(K, rows, a, cx.w_hh, &mut tmp, h, false)?;
                for ((d, &v), &k) in bl.dh.iter_mut().zip(&tmp).zip(m) {
                    *d += v * k;
                }
            }
            None => sgemm_prepacked(K, rows, a, cx.w_hh, bl.dh, h, true)?,
        }
    }
    Ok(dpeep)
}

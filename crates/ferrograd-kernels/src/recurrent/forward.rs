//! Forward through time for one layer and direction.

use rayon::prelude::*;

use super::rows::FwdRow;
use super::step::forward_rows;
use super::{
    any, mul, recycle, row_blocks, split_rows, take, take_ref, validate, zeros, RecurrentCell,
    RecurrentConfig, RecurrentParams, Sizes, K,
};
use crate::error::KernelError;
use crate::gemm::{sgemm_in, sgemm_prepacked, PackedB};
use crate::pool::install;

/// Results of [`recurrent_forward`] plus what the backward needs.
#[derive(Debug, Clone, Default)]
pub struct RecurrentTape {
    /// `[B, T, H]`, zero at padded steps.
    pub output: Vec<f32>,
    /// `[B, H]`: the state after the last real step (in walking order) of each row.
    pub h_n: Vec<f32>,
    /// `[B, H]` final cell state (LSTM), empty otherwise.
    pub c_n: Vec<f32>,
    /// `[B, T, G·H]` gate activations.
    pub(super) gates: Vec<f32>,
    /// `[B, T, H]` GRU recurrent `n` projection (with `b_hn`), empty otherwise.
    pub(super) hn: Vec<f32>,
    /// `[B, T, H]` hidden state entering each step (before the recurrent mask).
    pub(super) h_prev: Vec<f32>,
    /// `[B, T, H]` cell state entering / leaving each step (LSTM), empty otherwise.
    pub(super) c_prev: Vec<f32>,
    pub(super) c_new: Vec<f32>,
}

impl Drop for RecurrentTape {
    fn drop(&mut self) {
        for buf in [
            &mut self.output,
            &mut self.h_n,
            &mut self.c_n,
            &mut self.gates,
            &mut self.hn,
            &mut self.h_prev,
            &mut self.c_prev,
            &mut self.c_new,
        ] {
            recycle(std::mem::take(buf));
        }
    }
}

/// One block of batch rows with its slices of every batch-first buffer.
struct Block<'a> {
    rows: usize,
    g: &'a mut [f32],
    hn: &'a mut [f32],
    out: &'a mut [f32],
    h_prev: &'a mut [f32],
    c_prev: &'a mut [f32],
    c_new: &'a mut [f32],
    h: &'a mut [f32],
    c: &'a mut [f32],
    valid: Option<&'a [u8]>,
    mask: Option<&'a [f32]>,
}

/// Shared read-only state of one run.
struct Ctx<'a> {
    s: Sizes,
    cell: RecurrentCell,
    reverse: bool,
    /// `W_hhᵀ` (`[H, G·H]`) packed for the GEMM.
    w_hh_t: &'a PackedB,
    /// Added to each step's recurrent projection (see `recurrent_forward`).
    step_bias: Option<&'a [f32]>,
    peep: Option<&'a [f32]>,
}

/// Runs a whole sequence: `x [B, T, I]`, optional initial states `h0`, `c0` (`[B, H]`, zero when
/// absent). See the module docs for layouts and masking.
pub fn recurrent_forward(
    cfg: &RecurrentConfig<'_>,
    p: &RecurrentParams<'_>,
    x: &[f32],
    h0: Option<&[f32]>,
    c0: Option<&[f32]>,
) -> Result<RecurrentTape, KernelError> {
    let s = validate(cfg, p, x)?;
    let (b, t, i, h, gh) = (s.b, s.t, s.i, s.h, s.gh);
    let bh = mul(b, h)?;
    let has_c = cfg.cell.has_cell_state();
    let is_gru = cfg.cell == RecurrentCell::Gru;
    for st in [h0, if has_c { c0 } else { None }].into_iter().flatten() {
        super::check_len(bh, st.len())?;
    }
    let bt = b * t;
    let mut gates = any(bt * gh)?;
    // The input projection of all steps. The GRU's b_ih is folded in here (r scales the recurrent
    // n projection including b_hh but not b_ih); the other cells add both biases to each step's
    // recurrent projection instead, which saves a serial pass over this whole buffer.
    if is_gru && bt > 0 && gh > 0 {
        for row in gates.chunks_exact_mut(gh) {
            match p.b_ih {
                Some(bi) => row.copy_from_slice(bi),
                None => row.fill(0.0),
            }
        }
    }
    sgemm_in(
        K,
        bt,
        gh,
        i,
        (x, 0, i, 1),
        (p.w_ih, 0, 1, i),
        &mut gates,
        gh,
        is_gru,
        true,
    )?;
    // Bias added to every step's recurrent projection: b_hh for the GRU, b_ih + b_hh otherwise.
    let step_bias: Option<Vec<f32>> = match (is_gru, p.b_ih, p.b_hh) {
        (true, _, bh) => bh.map(<[f32]>::to_vec),
        (false, Some(bi), Some(bh)) => Some(bi.iter().zip(bh).map(|(a, b)| a + b).collect()),
        (false, bi, bh) => bi.or(bh).map(<[f32]>::to_vec),
    };
    // `W_hhᵀ` is packed once per sequence instead of by every step's GEMM.
    let w_hh_t = PackedB::new(K, h, gh, (p.w_hh, 0, 1, h))?;
    let mut tape = RecurrentTape {
        output: any(bt * h)?,
        h_n: match h0 {
            Some(v) => v.to_vec(),
            None => zeros(bh)?,
        },
        c_n: match (has_c, c0) {
            (true, Some(v)) => v.to_vec(),
            (true, None) => zeros(bh)?,
            _ => Vec::new(),
        },
        gates,
        // Written (and read back) only where the backward needs them: h_prev / c_prev at every
        // step of every row, hn / c_new at real steps.
        hn: any(if is_gru { bt * h } else { 0 })?,
        h_prev: any(bt * h)?,
        c_prev: any(if has_c { bt * h } else { 0 })?,
        c_new: any(if has_c { bt * h } else { 0 })?,
    };
    let ctx = Ctx {
        s,
        cell: cfg.cell,
        reverse: cfg.reverse,
        w_hh_t: &w_hh_t,
        step_bias: step_bias.as_deref(),
        peep: p.peephole,
    };
    let ranges = split_rows(b, row_blocks(&s));
    let mut blocks = Vec::with_capacity(ranges.len());
    {
        let RecurrentTape {
            output,
            h_n,
            c_n,
            gates,
            hn,
            h_prev,
            c_prev,
            c_new,
        } = &mut tape;
        let (mut g, mut hn, mut out) = (&mut gates[..], &mut hn[..], &mut output[..]);
        let (mut hp, mut cp, mut cn) = (&mut h_prev[..], &mut c_prev[..], &mut c_new[..]);
        let (mut hs, mut cs) = (&mut h_n[..], &mut c_n[..]);
        let (mut valid, mut mask) = (cfg.valid.unwrap_or(&[]), cfg.recurrent_mask.unwrap_or(&[]));
        for &(_, rows) in &ranges {
            let (rt, rh) = (rows * t, rows * h);
            blocks.push(Block {
                rows,
                g: take(&mut g, rt * gh),
                hn: take(&mut hn, if is_gru { rt * h } else { 0 }),
                out: take(&mut out, rt * h),
                h_prev: take(&mut hp, rt * h),
                c_prev: take(&mut cp, if has_c { rt * h } else { 0 }),
                c_new: take(&mut cn, if has_c { rt * h } else { 0 }),
                h: take(&mut hs, rh),
                c: take(&mut cs, if has_c { rh } else { 0 }),
                valid: cfg.valid.map(|_| take_ref(&mut valid, rt)),
                mask: cfg.recurrent_mask.map(|_| take_ref(&mut mask, rh)),
            });
        }
    }
    let results: Vec<Result<(), KernelError>> = if blocks.len() > 1 {
        install(|| {
            blocks
                .into_par_iter()
                .map(|bl| run_block(&ctx, bl))
                .collect()
        })
    } else {
        blocks.into_iter().map(|bl| run_block(&ctx, bl)).collect()
    };
    results.into_iter().collect::<Result<(), _>>()?;
    Ok(tape)
}

/// The time loop for one block of rows, on the calling thread.
fn run_block(cx: &Ctx<'_>, bl: Block<'_>) -> Result<(), KernelError> {
    let Sizes {
        t: steps, h, gh, ..
    } = cx.s;
    let rows = bl.rows;
    let has_c = cx.cell.has_cell_state();
    let is_gru = cx.cell == RecurrentCell::Gru;
    let mut hm = zeros(if bl.mask.is_some() { rows * h } else { 0 })?;
    let mut hh = zeros(rows * gh)?;
    let mut live: Vec<FwdRow> = Vec::with_capacity(rows);
    let peep = cx.peep.map_or(std::ptr::null(), <[f32]>::as_ptr);
    let null = std::ptr::null_mut::<f32>();
    for step in 0..steps {
        let t = if cx.reverse { steps - 1 - step } else { step };
        for r in 0..rows {
            let at = (r * steps + t) * h;
            bl.h_prev[at..at + h].copy_from_slice(&bl.h[r * h..(r + 1) * h]);
            if has_c {
                bl.c_prev[at..at + h].copy_from_slice(&bl.c[r * h..(r + 1) * h]);
            }
        }
        let a: &[f32] = match bl.mask {
            Some(m) => {
                for ((d, &v), &k) in hm.iter_mut().zip(bl.h.iter()).zip(m) {
                    *d = v * k;
                }
                &hm
            }
            None => bl.h,
        };
        // The recurrent projection goes to a contiguous scratch block rather than into the gate
        // tape in place: the tape's rows for one step lie `T·G·H` floats apart, a power of two in
        // common configurations, so in-place tiles of C alias to the same cache sets.
        if let Some(bias) = cx.step_bias {
            for row in hh.chunks_exact_mut(gh) {
                row.copy_from_slice(bias);
            }
        }
        let acc = cx.step_bias.is_some();
        sgemm_prepacked(K, rows, (a, 0, h, 1), cx.w_hh_t, &mut hh, gh, acc)?;
        live.clear();
        // Raw row pointers come from one base pointer per buffer, taken after the GEMM is done
        // with them, so no reference to these buffers is live while the rows are written.
        let (gp, hnp, hp, cp) = (
            bl.g.as_mut_ptr(),
            bl.hn.as_mut_ptr(),
            bl.h.as_mut_ptr(),
            bl.c.as_mut_ptr(),
        );
        for r in 0..rows {
            if bl.valid.is_some_and(|v| v[r * steps + t] == 0) {
                continue;
            }
            let at = r * steps + t;
            live.push(FwdRow {
                g: gp.wrapping_add(at * gh),
                hh: hh.as_ptr().wrapping_add(r * gh),
                hn: if is_gru {
                    hnp.wrapping_add(at * h)
                } else {
                    null
                },
                h: hp.wrapping_add(r * h),
                c: if has_c { cp.wrapping_add(r * h) } else { null },
                peep,
                hidden: h,
            });
        }
        forward_rows(cx.cell, &live);
        for r in 0..rows {
            let at = r * steps + t;
            if bl.valid.is_some_and(|v| v[at] == 0) {
                bl.out[at * h..(at + 1) * h].fill(0.0);
                continue;
            }
            bl.out[at * h..(at + 1) * h].copy_from_slice(&bl.h[r * h..(r + 1) * h]);
            if has_c {
                bl.c_new[at * h..(at + 1) * h].copy_from_slice(&bl.c[r * h..(r + 1) * h]);
            }
        }
    }
    Ok(())
}

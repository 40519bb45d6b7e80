//! Fused recurrent layers: a whole sequence of an Elman RNN, LSTM, GRU or UGRNN (one layer, one
//! direction) as one op with a native backward through time (see `ferrograd_kernels::recurrent`
//! for the kernels, gate orders and masking rules).
//!
//! The three results (`output`, `h_n`, `c_n`) are packed into one flat tensor recorded through
//! [`Tensor::fused`] and handed out as views, so gradients arriving at any of them reach the one
//! backward.

use std::sync::Arc;

use ferrograd_kernels::{
    recurrent_backward, recurrent_forward, RecurrentConfig, RecurrentDims, RecurrentParams,
    RecurrentTape, RecurrentUpstream,
};

use crate::error::{Error, Result};
use crate::fused::FusedBackward;
use crate::tensor::Tensor;

pub use ferrograd_kernels::RecurrentCell as RnnCell;

const OP: &str = "rnnSequence";

/// Weights of one layer and direction in PyTorch's layout: `w_ih [G·H, I]`, `w_hh [G·H, H]`,
/// biases `[G·H]` (gate blocks stacked in the cell's gate order), `peephole [3, H]` for a
/// peephole LSTM (`i, f, o`).
#[derive(Debug, Clone, Copy)]
pub struct RnnWeights<'a> {
    pub w_ih: &'a Tensor,
    pub w_hh: &'a Tensor,
    pub b_ih: Option<&'a Tensor>,
    pub b_hh: Option<&'a Tensor>,
    pub peephole: Option<&'a Tensor>,
}

/// Options of [`Tensor::rnn_sequence`]. [`RnnOptions::new`] gives a forward run from zero states
/// with every step real.
#[derive(Debug, Clone, Copy)]
pub struct RnnOptions<'a> {
    pub cell: RnnCell,
    /// `[B, H]` initial hidden state (zero when absent).
    pub h0: Option<&'a Tensor>,
    /// `[B, H]` initial cell state, LSTM only (zero when absent).
    pub c0: Option<&'a Tensor>,
    /// Real length of each sequence (`1..=T`, steps past it are padding); PyTorch's packed
    /// sequences with `lengths`.
    pub lengths: Option<&'a [usize]>,
    /// `[B, T]` validity mask (nonzero = real step), e.g. from Keras-style masking. Padding may
    /// sit anywhere; with trailing padding it equals `lengths`. Exclusive with `lengths`.
    pub valid: Option<&'a [u8]>,
    /// Walk the sequence from the last step to the first (the backward half of a bidirectional
    /// layer).
    pub reverse: bool,
    /// `[B, H]` recurrent-dropout mask (already scaled) multiplied into the previous hidden state
    /// before the recurrent projection; receives no gradient.
    pub recurrent_mask: Option<&'a Tensor>,
}

impl<'a> RnnOptions<'a> {
    /// Forward direction, zero initial states, no padding, no recurrent dropout.
    pub fn new(cell: RnnCell) -> Self {
        RnnOptions {
            cell,
            h0: None,
            c0: None,
            lengths: None,
            valid: None,
            reverse: false,
            recurrent_mask: None,
        }
    }
}

/// Results of [`Tensor::rnn_sequence`].
#[derive(Debug, Clone)]
pub struct RnnOutput {
    /// `[B, T, H]` hidden state after every step (zero at padded steps).
    pub output: Tensor,
    /// `[B, H]` state after each sequence's last real step (in walking order).
    pub h_n: Tensor,
    /// `[B, H]` final cell state (LSTM only).
    pub c_n: Option<Tensor>,
}

/// Which of the optional inputs were passed to [`Tensor::fused`], in order after `x, w_ih, w_hh`.
#[derive(Debug, Clone, Copy)]
struct Present {
    b_ih: bool,
    b_hh: bool,
    peephole: bool,
    h0: bool,
    c0: bool,
}

struct RnnBackward {
    cell: RnnCell,
    dims: RecurrentDims,
    reverse: bool,
    valid: Option<Vec<u8>>,
    recurrent_mask: Option<Vec<f32>>,
    present: Present,
    tape: RecurrentTape,
}

fn expect_dims(what: &str, t: &Tensor, want: &[usize]) -> Result<()> {
    if t.dims() != want {
        return Err(Error::shape(
            OP,
            format!("{what} must have shape {want:?}, got {:?}", t.dims()),
        ));
    }
    Ok(())
}

impl Tensor {
    /// Runs one recurrent layer in one direction over a batch-first sequence `self [B, T, I]`.
    /// Every tensor input (x, weights, initial states) receives gradients.
    pub fn rnn_sequence(&self, w: &RnnWeights<'_>, o: &RnnOptions<'_>) -> Result<RnnOutput> {
        let cell = o.cell;
        let gates = cell.gates();
        let [b, t, i] = match *self.dims() {
            [b, t, i] => [b, t, i],
            _ => {
                return Err(Error::shape(
                    OP,
                    format!(
                        "input must be [batch, steps, features], got shape {:?}",
                        self.dims()
                    ),
                ))
            }
        };
        if t == 0 {
            return Err(Error::shape(OP, "input has zero time steps"));
        }
        let h = match *w.w_hh.dims() {
            [rows, h] if rows == gates * h => h,
            _ => {
                return Err(Error::shape(
                    OP,
                    format!(
                        "weight_hh must be [{gates}·hidden, hidden] for {cell:?}, got {:?}",
                        w.w_hh.dims()
                    ),
                ))
            }
        };
        if w.w_ih.dims() != [gates * h, i] {
            return Err(Error::shape(
                OP,
                format!(
                    "weight_ih must be [{}, {i}] (gates·hidden, input features), got {:?}",
                    gates * h,
                    w.w_ih.dims()
                ),
            ));
        }
        for (name, bias) in [("bias_ih", w.b_ih), ("bias_hh", w.b_hh)] {
            if let Some(bias) = bias {
                expect_dims(name, bias, &[gates * h])?;
            }
        }
        match (cell.has_peephole(), w.peephole) {
            (true, Some(p)) => expect_dims("peephole weight", p, &[3, h])?,
            (true, None) => {
                return Err(Error::invalid(
                    OP,
                    "a peephole LSTM needs peephole weights [3, hidden]",
                ))
            }
            (false, Some(_)) => {
                return Err(Error::invalid(
                    OP,
                    format!("peephole weights given but {cell:?} has no peepholes"),
                ))
            }
            (false, None) => {}
        }
        if let Some(h0) = o.h0 {
            expect_dims("h0", h0, &[b, h])?;
        }
        match (cell.has_cell_state(), o.c0) {
            (true, Some(c0)) => expect_dims("c0", c0, &[b, h])?,
            (false, Some(_)) => {
                return Err(Error::invalid(
                    OP,
                    format!("c0 given but {cell:?} has no cell state"),
                ))
            }
            _ => {}
        }
        if let Some(m) = o.recurrent_mask {
            expect_dims("recurrent mask", m, &[b, h])?;
        }
        let valid = valid_mask(o, b, t)?;
        let (b_ih, b_hh) = (w.b_ih.map(Tensor::to_vec), w.b_hh.map(Tensor::to_vec));
        let peep = w.peephole.map(Tensor::to_vec);
        let h0 = o.h0.map(Tensor::to_vec);
        let c0 = o.c0.map(Tensor::to_vec);
        let mask = o.recurrent_mask.map(Tensor::to_vec);
        let dims = RecurrentDims {
            batch: b,
            steps: t,
            input: i,
            hidden: h,
        };
        let cfg = RecurrentConfig {
            cell,
            dims,
            reverse: o.reverse,
            valid: valid.as_deref(),
            recurrent_mask: mask.as_deref(),
        };
        // The large operands are read in place (no copies); the small ones above are copied.
        let tape = self.with_contiguous(|x| {
            w.w_ih.with_contiguous(|w_ih| {
                w.w_hh.with_contiguous(|w_hh| {
                    let params = RecurrentParams {
                        w_ih,
                        w_hh,
                        b_ih: b_ih.as_deref(),
                        b_hh: b_hh.as_deref(),
                        peephole: peep.as_deref(),
                    };
                    recurrent_forward(&cfg, &params, x, h0.as_deref(), c0.as_deref())
                })
            })
        });
        let tape = tape.map_err(|e| Error::from_kernel(OP, e))?;
        let (bth, bh) = (b * t * h, b * h);
        let has_c = cell.has_cell_state();
        let len = bth + bh * if has_c { 2 } else { 1 };
        // From the tensor buffer pool (a fresh multi-MB buffer costs a page fault per 4 KiB).
        let mut packed = crate::alloc::filled(OP, len, 0.0)?;
        packed[..bth].copy_from_slice(&tape.output);
        packed[bth..bth + bh].copy_from_slice(&tape.h_n);
        if has_c {
            packed[bth + bh..].copy_from_slice(&tape.c_n);
        }
        let mut inputs: Vec<&Tensor> = vec![self, w.w_ih, w.w_hh];
        inputs.extend(w.b_ih);
        inputs.extend(w.b_hh);
        inputs.extend(w.peephole);
        inputs.extend(o.h0);
        inputs.extend(o.c0);
        let rule = RnnBackward {
            cell,
            dims,
            reverse: o.reverse,
            valid,
            recurrent_mask: mask,
            present: Present {
                b_ih: w.b_ih.is_some(),
                b_hh: w.b_hh.is_some(),
                peephole: w.peephole.is_some(),
                h0: o.h0.is_some(),
                c0: o.c0.is_some(),
            },
            tape,
        };
        let all = Tensor::fused(packed, &[len], &inputs, Arc::new(rule))?;
        Ok(RnnOutput {
            output: all.narrow(0, 0, bth)?.reshape_to(&[b, t, h])?,
            h_n: all.narrow(0, bth, bh)?.reshape_to(&[b, h])?,
            c_n: if has_c {
                Some(all.narrow(0, bth + bh, bh)?.reshape_to(&[b, h])?)
            } else {
                None
            },
        })
    }

    /// One step of a recurrent cell for decoders: `self [B, I]`, states `[B, H]`; returns the new
    /// `(h, c)` (`c` for LSTMs only). Same weights and gradients as [`Tensor::rnn_sequence`].
    pub fn rnn_cell(
        &self,
        w: &RnnWeights<'_>,
        cell: RnnCell,
        h: Option<&Tensor>,
        c: Option<&Tensor>,
    ) -> Result<(Tensor, Option<Tensor>)> {
        if self.rank() != 2 {
            return Err(Error::shape(
                "rnnCell",
                format!(
                    "input must be [batch, features], got shape {:?}",
                    self.dims()
                ),
            ));
        }
        let mut o = RnnOptions::new(cell);
        o.h0 = h;
        o.c0 = c;
        let out = self.unsqueeze(1)?.rnn_sequence(w, &o)?;
        Ok((out.h_n, out.c_n))
    }
}

/// `[B, T]` validity from `lengths` or `valid`, checked against the batch.
fn valid_mask(o: &RnnOptions<'_>, b: usize, t: usize) -> Result<Option<Vec<u8>>> {
    match (o.lengths, o.valid) {
        (Some(_), Some(_)) => Err(Error::invalid(
            OP,
            "pass either lengths or a validity mask, not both",
        )),
        (Some(lens), None) => {
            if lens.len() != b {
                return Err(Error::shape(
                    OP,
                    format!("lengths has {} entries for a batch of {b}", lens.len()),
                ));
            }
            if let Some((k, &l)) = lens.iter().enumerate().find(|(_, &l)| l == 0 || l > t) {
                return Err(Error::invalid(
                    OP,
                    format!("lengths[{k}] = {l} is outside 1..={t} (the number of steps)"),
                ));
            }
            Ok(Some(
                lens.iter()
                    .flat_map(|&l| (0..t).map(move |s| u8::from(s < l)))
                    .collect(),
            ))
        }
        (None, Some(v)) => {
            if v.len() != b * t {
                return Err(Error::shape(
                    OP,
                    format!(
                        "validity mask has {} entries, expected batch·steps = {}",
                        v.len(),
                        b * t
                    ),
                ));
            }
            Ok(Some(v.to_vec()))
        }
        (None, None) => Ok(None),
    }
}

impl FusedBackward for RnnBackward {
    fn name(&self) -> &'static str {
        match self.cell {
            RnnCell::Tanh | RnnCell::Relu => "RnnSequence",
            RnnCell::Lstm { .. } => "LstmSequence",
            RnnCell::Gru => "GruSequence",
            RnnCell::Ugrnn => "UgrnnSequence",
        }
    }

    fn backward(
        &self,
        inputs: &[Tensor],
        _output: &Tensor,
        grad: &Tensor,
    ) -> Result<Vec<Option<Tensor>>> {
        let d = self.dims;
        let (bth, bh) = (d.batch * d.steps * d.hidden, d.batch * d.hidden);
        let get = |k: usize| {
            inputs
                .get(k)
                .ok_or_else(|| Error::invalid(OP, "backward received fewer inputs than recorded"))
        };
        let (x, w_ih, w_hh) = (get(0)?, get(1)?, get(2)?);
        let pr = self.present;
        let mut k = 3;
        let mut next = |present: bool| -> Result<Option<Vec<f32>>> {
            if !present {
                return Ok(None);
            }
            let v = get(k)?.to_vec();
            k += 1;
            Ok(Some(v))
        };
        let b_ih = next(pr.b_ih)?;
        let b_hh = next(pr.b_hh)?;
        let peep = next(pr.peephole)?;
        let has_c = self.cell.has_cell_state();
        let need = bth + bh * if has_c { 2 } else { 1 };
        if grad.numel() != need {
            return Err(Error::invalid(
                OP,
                format!(
                    "upstream gradient has {} elements, expected {need}",
                    grad.numel()
                ),
            ));
        }
        let cfg = RecurrentConfig {
            cell: self.cell,
            dims: d,
            reverse: self.reverse,
            valid: self.valid.as_deref(),
            recurrent_mask: self.recurrent_mask.as_deref(),
        };
        let need_input = x.requires_grad();
        let gr = x.with_contiguous(|x| {
            w_ih.with_contiguous(|w_ih| {
                w_hh.with_contiguous(|w_hh| {
                    grad.with_contiguous(|g| {
                        let params = RecurrentParams {
                            w_ih,
                            w_hh,
                            b_ih: b_ih.as_deref(),
                            b_hh: b_hh.as_deref(),
                            peephole: peep.as_deref(),
                        };
                        let up = RecurrentUpstream {
                            output: g.get(..bth),
                            h_n: g.get(bth..bth + bh),
                            c_n: if has_c { g.get(bth + bh..) } else { None },
                            need_input,
                        };
                        recurrent_backward(&cfg, &params, x, &self.tape, &up)
                    })
                })
            })
        });
        let gr = gr.map_err(|e| Error::from_kernel(OP, e))?;
        let gh = self.cell.gates() * d.hidden;
        // Copied into pooled tensor buffers; the kernel's own buffers go back to its pool.
        let t = |v: &[f32], shape: &[usize]| -> Result<Option<Tensor>> {
            let mut data = crate::alloc::filled(OP, v.len(), 0.0)?;
            data.copy_from_slice(v);
            Ok(Some(Tensor::from_vec(data, shape)?))
        };
        let mut out = Vec::with_capacity(inputs.len());
        out.push(if need_input {
            t(&gr.x, &[d.batch, d.steps, d.input])?
        } else {
            None
        });
        out.push(t(&gr.w_ih, &[gh, d.input])?);
        out.push(t(&gr.w_hh, &[gh, d.hidden])?);
        if pr.b_ih {
            out.push(t(&gr.b_ih, &[gh])?);
        }
        if pr.b_hh {
            out.push(t(&gr.b_hh, &[gh])?);
        }
        if pr.peephole {
            out.push(t(&gr.peephole, &[3, d.hidden])?);
        }
        if pr.h0 {
            out.push(t(&gr.h0, &[d.batch, d.hidden])?);
        }
        if pr.c0 {
            out.push(t(&gr.c0, &[d.batch, d.hidden])?);
        }
        Ok(out)
    }
}

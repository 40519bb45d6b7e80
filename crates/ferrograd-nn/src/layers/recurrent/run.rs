//! The forward pass of a recurrent layer: padding masks, stacking, directions, merging,
//! dropout and truncated BPTT around the fused per-layer op.

use ferrograd_core::{Result, RnnOptions, Tensor};

use super::config::MergeMode;
use super::layer::Recurrent;

/// Results of [`Recurrent::run`].
pub(super) struct RunOutput {
    pub y: Tensor,
    /// `[L·D, B, H]`
    pub h_n: Tensor,
    /// `[L·D, B, H]` (LSTM)
    pub c_n: Option<Tensor>,
}

/// Per (layer, direction) initial states.
type States = Vec<(Option<Tensor>, Option<Tensor>)>;

/// Outputs of one pass over all layers: the top layer's per-direction outputs and the final
/// states of every (layer, direction).
struct Pass {
    top: Vec<Tensor>,
    h_n: Vec<Tensor>,
    c_n: Vec<Tensor>,
}

fn inverted_dropout(x: &Tensor, p: f32) -> Result<Tensor> {
    let keep = Tensor::rand(x.dims(), 0.0, 1.0, None)?.ge(&Tensor::scalar(p))?;
    x.mul(&keep)?.mul_scalar(1.0 / (1.0 - p))
}

impl Recurrent {
    pub(super) fn run(
        &self,
        x: &Tensor,
        h0: Option<&Tensor>,
        c0: Option<&Tensor>,
        lengths: Option<&[usize]>,
    ) -> Result<RunOutput> {
        let c = &self.config;
        let [b, t, i] = match *x.dims() {
            [b, t, i] => [b, t, i],
            _ => {
                return Err(self.err(format!(
                    "input must be [batch, steps, features], got shape {:?}",
                    x.dims()
                )))
            }
        };
        if i != c.input_size {
            return Err(self.err(format!(
                "input has {i} features, the layer expects input_size = {}",
                c.input_size
            )));
        }
        if t == 0 {
            return Err(self.err("input has zero time steps".into()));
        }
        let (h, d) = (c.hidden_size, c.directions());
        let ld = c.num_layers * d;
        for (name, s) in [("h0", h0), ("c0", c0)] {
            if let Some(s) = s {
                if s.dims() != [ld, b, h] {
                    return Err(self.err(format!(
                        "{name} must have shape [{ld}, {b}, {h}] (layers·directions, batch, hidden), got {:?}",
                        s.dims()
                    )));
                }
            }
        }
        if c0.is_some() && !c.cell.has_cell_state() {
            return Err(self.err("c0 given but only an LSTM has a cell state".into()));
        }
        let valid = self.valid_mask(x, b, t, lengths)?;
        let mut init: States = Vec::with_capacity(ld);
        for k in 0..ld {
            let pick = |s: Option<&Tensor>| {
                s.map(|s| s.narrow(0, k, 1)?.reshape_to(&[b, h]))
                    .transpose()
            };
            init.push((pick(h0)?, pick(c0)?));
        }
        let masks = self.recurrent_masks(b)?;
        let pass = match c.tbptt_steps {
            Some(k) if k < t => self.run_truncated(x, valid.as_deref(), init, &masks, k)?,
            _ => self.run_layers(x, valid.as_deref(), &init, &masks)?,
        };
        let merge = |parts: &[Tensor]| -> Result<Tensor> {
            match (parts, c.merge_mode) {
                ([one], _) => Ok(one.clone()),
                ([f, r], MergeMode::Concat) => Tensor::concat(&[f.clone(), r.clone()], -1),
                ([f, r], MergeMode::Sum) => f.add(r),
                ([f, r], MergeMode::Mul) => f.mul(r),
                ([f, r], MergeMode::Ave) => f.add(r)?.mul_scalar(0.5),
                _ => Err(self.err("internal: unexpected number of directions".into())),
            }
        };
        let y = if c.return_sequences {
            merge(&pass.top)?
        } else {
            merge(&pass.h_n[ld - d..])?
        };
        Ok(RunOutput {
            y,
            h_n: Tensor::stack(&pass.h_n, 0)?,
            c_n: if c.cell.has_cell_state() {
                Some(Tensor::stack(&pass.c_n, 0)?)
            } else {
                None
            },
        })
    }

    /// `[B, T]` validity from explicit lengths and/or `mask_value`; `None` when every step is real.
    fn valid_mask(
        &self,
        x: &Tensor,
        b: usize,
        t: usize,
        lengths: Option<&[usize]>,
    ) -> Result<Option<Vec<u8>>> {
        let c = &self.config;
        if lengths.is_none() && c.mask_value.is_none() {
            return Ok(None);
        }
        let mut valid = vec![1u8; b * t];
        if let Some(lens) = lengths {
            if lens.len() != b {
                return Err(self.err(format!(
                    "lengths has {} entries for a batch of {b}",
                    lens.len()
                )));
            }
            for (k, &l) in lens.iter().enumerate() {
                if l == 0 || l > t {
                    return Err(self.err(format!(
                        "lengths[{k}] = {l} is outside 1..={t} (the number of steps)"
                    )));
                }
                valid[k * t + l..(k + 1) * t].fill(0);
            }
        }
        if let Some(mv) = c.mask_value {
            let i = c.input_size;
            x.with_contiguous(|data| {
                for (v, step) in valid.iter_mut().zip(data.chunks_exact(i)) {
                    if step.iter().all(|&e| e == mv) {
                        *v = 0;
                    }
                }
            });
        }
        Ok(Some(valid))
    }

    /// One recurrent-dropout mask `[B, H]` per (layer, direction) in training, fixed across time.
    fn recurrent_masks(&self, b: usize) -> Result<Vec<Option<Tensor>>> {
        let c = &self.config;
        let n = c.num_layers * c.directions();
        if !self.training || c.recurrent_dropout == 0.0 {
            return Ok(vec![None; n]);
        }
        let p = c.recurrent_dropout;
        (0..n)
            .map(|_| {
                let keep =
                    Tensor::rand(&[b, c.hidden_size], 0.0, 1.0, None)?.ge(&Tensor::scalar(p))?;
                Ok(Some(keep.mul_scalar(1.0 / (1.0 - p))?))
            })
            .collect()
    }

    fn run_layers(
        &self,
        x: &Tensor,
        valid: Option<&[u8]>,
        init: &States,
        masks: &[Option<Tensor>],
    ) -> Result<Pass> {
        let c = &self.config;
        let d = c.directions();
        let mut input = x.clone();
        let mut pass = Pass {
            top: Vec::new(),
            h_n: Vec::with_capacity(init.len()),
            c_n: Vec::new(),
        };
        for layer in 0..c.num_layers {
            let mut outs = Vec::with_capacity(d);
            for dir in 0..d {
                let k = layer * d + dir;
                let (h0, c0) = init
                    .get(k)
                    .map_or((None, None), |(h, c)| (h.as_ref(), c.as_ref()));
                let mut o = RnnOptions::new(c.cell);
                o.h0 = h0;
                o.c0 = c0;
                o.valid = valid;
                o.reverse = dir == 1;
                o.recurrent_mask = masks.get(k).and_then(Option::as_ref);
                let p = self
                    .params
                    .get(k)
                    .ok_or_else(|| self.err("internal: missing parameters".into()))?;
                let r = input.rnn_sequence(&p.weights(), &o)?;
                outs.push(r.output);
                pass.h_n.push(r.h_n);
                pass.c_n.extend(r.c_n);
            }
            if layer + 1 < c.num_layers {
                input = if d == 2 {
                    Tensor::concat(&outs, -1)?
                } else {
                    outs.remove(0)
                };
                if self.training && c.dropout > 0.0 {
                    input = inverted_dropout(&input, c.dropout)?;
                }
            } else {
                pass.top = outs;
            }
        }
        Ok(pass)
    }

    /// Truncated BPTT: chunks of `k` steps; the state carried into a chunk is detached, so
    /// gradients stop at chunk boundaries while the forward values equal an untruncated run.
    fn run_truncated(
        &self,
        x: &Tensor,
        valid: Option<&[u8]>,
        mut init: States,
        masks: &[Option<Tensor>],
        k: usize,
    ) -> Result<Pass> {
        let [b, t] = [x.dims()[0], x.dims()[1]];
        let mut outputs = Vec::new();
        let mut last = None;
        let mut start = 0;
        while start < t {
            let len = k.min(t - start);
            let xc = x.narrow(1, start, len)?;
            let vc: Option<Vec<u8>> = valid.map(|v| {
                (0..b)
                    .flat_map(|r| v[r * t + start..r * t + start + len].iter().copied())
                    .collect()
            });
            let pass = self.run_layers(&xc, vc.as_deref(), &init, masks)?;
            init = pass
                .h_n
                .iter()
                .enumerate()
                .map(|(j, hn)| (Some(hn.detach()), pass.c_n.get(j).map(Tensor::detach)))
                .collect();
            outputs.push(
                pass.top
                    .first()
                    .cloned()
                    .ok_or_else(|| self.err("internal: no output".into()))?,
            );
            last = Some(pass);
            start += len;
        }
        let mut pass = last.ok_or_else(|| self.err("input has zero time steps".into()))?;
        pass.top = vec![Tensor::concat(&outputs, 1)?];
        Ok(pass)
    }
}

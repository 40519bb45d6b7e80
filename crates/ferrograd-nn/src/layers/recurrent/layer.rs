//! The recurrent layer: parameters per (layer, direction), naming and the `Module` plumbing.

use ferrograd_core::{Error, Result, RnnCell, RnnWeights, Tensor};
use serde_json::json;

use super::config::{MergeMode, RecurrentConfig};
use crate::module::{parameter, Module, Slot};

/// Parameters of one layer and direction, with their PyTorch names.
pub(super) struct DirParams {
    pub w_ih: Tensor,
    pub w_hh: Tensor,
    pub b_ih: Option<Tensor>,
    pub b_hh: Option<Tensor>,
    pub peephole: Option<Tensor>,
    names: [String; 5],
}

impl DirParams {
    pub fn weights(&self) -> RnnWeights<'_> {
        RnnWeights {
            w_ih: &self.w_ih,
            w_hh: &self.w_hh,
            b_ih: self.b_ih.as_ref(),
            b_hh: self.b_hh.as_ref(),
            peephole: self.peephole.as_ref(),
        }
    }
}

/// A (possibly stacked, possibly bidirectional) `RNN` / `LSTM` / `GRU` / `UGRNN` layer; see the
/// module docs for shapes, naming and padding.
pub struct Recurrent {
    pub config: RecurrentConfig,
    pub(super) params: Vec<DirParams>,
    pub(super) training: bool,
}

impl Recurrent {
    /// Builds the layer with PyTorch's initialisation: every weight and bias (and peephole)
    /// `U(-1/√H, 1/√H)`.
    pub fn new(config: RecurrentConfig) -> Result<Self> {
        config.validate()?;
        let (h, d) = (config.hidden_size, config.directions());
        let gh = config.cell.gates() * h;
        let k = 1.0 / (h as f32).sqrt();
        let mut n = 0u64;
        let mut init = |shape: &[usize]| -> Result<Tensor> {
            n += 1;
            let seed = config
                .seed
                .map(|s| s.wrapping_mul(1_000_003).wrapping_add(n));
            parameter(Tensor::rand(shape, -k, k, seed)?)
        };
        let mut params = Vec::with_capacity(config.num_layers * d);
        for layer in 0..config.num_layers {
            let input = if layer == 0 { config.input_size } else { h * d };
            for dir in 0..d {
                let sfx = if dir == 1 { "_reverse" } else { "" };
                let names = [
                    "weight_ih",
                    "weight_hh",
                    "bias_ih",
                    "bias_hh",
                    "weight_peephole",
                ]
                .map(|p| format!("{p}_l{layer}{sfx}"));
                params.push(DirParams {
                    w_ih: init(&[gh, input])?,
                    w_hh: init(&[gh, h])?,
                    b_ih: if config.bias {
                        Some(init(&[gh])?)
                    } else {
                        None
                    },
                    b_hh: if config.bias {
                        Some(init(&[gh])?)
                    } else {
                        None
                    },
                    peephole: if config.cell.has_peephole() {
                        Some(init(&[3, h])?)
                    } else {
                        None
                    },
                    names,
                });
            }
        }
        Ok(Recurrent {
            config,
            params,
            training: true,
        })
    }

    /// Width of the layer's output features (`2H` for a concatenated bidirectional layer).
    pub fn output_size(&self) -> usize {
        let c = &self.config;
        if c.bidirectional && c.merge_mode == MergeMode::Concat {
            2 * c.hidden_size
        } else {
            c.hidden_size
        }
    }

    pub(super) fn err(&self, msg: String) -> Error {
        Error::InvalidArgument {
            op: self.config.type_name(),
            msg,
        }
    }
}

impl Module for Recurrent {
    fn type_name(&self) -> &'static str {
        self.config.type_name()
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.run(x, None, None, None)?.y)
    }

    /// Inputs: `[x]`, then optionally `h0` and (LSTM) `c0` (`[L·D, B, H]`, rank 3) and a rank-1
    /// `lengths` tensor `[B]` in any position after `x`. Outputs `[y]`, or `[y, h_n]` /
    /// `[y, h_n, c_n]` with `return_state`.
    fn forward_multi(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
        let Some((x, rest)) = inputs.split_first() else {
            return Err(self.err("forward_multi needs at least the input sequence".into()));
        };
        let mut states = Vec::new();
        let mut lengths: Option<Vec<usize>> = None;
        for t in rest {
            match t.rank() {
                1 if lengths.is_none() => {
                    let v = t.to_vec();
                    if let Some(bad) = v.iter().find(|l| !(l.is_finite() && **l >= 0.0 && l.fract() == 0.0)) {
                        return Err(self.err(format!("lengths must be non-negative integers, got {bad}")));
                    }
                    lengths = Some(v.iter().map(|&l| l as usize).collect());
                }
                3 => states.push(t),
                _ => {
                    return Err(self.err(format!(
                        "extra inputs must be initial states [layers·directions, batch, hidden] or one lengths vector [batch], got shape {:?}",
                        t.dims()
                    )))
                }
            }
        }
        let has_c = self.config.cell.has_cell_state();
        if states.len() > 1 + usize::from(has_c) {
            return Err(self.err(format!(
                "got {} initial states, {} takes at most {}",
                states.len(),
                self.type_name(),
                1 + usize::from(has_c)
            )));
        }
        // Batch-first states are swapped to the `[layers·directions, batch, hidden]` layout the
        // layer runs in, and back on the way out.
        let swap = |t: &Tensor| -> Result<Tensor> {
            if self.config.states_batch_first {
                t.transpose(0, 1)?.contiguous()
            } else {
                Ok(t.clone())
            }
        };
        let states = states.into_iter().map(swap).collect::<Result<Vec<_>>>()?;
        let out = self.run(x, states.first(), states.get(1), lengths.as_deref())?;
        let mut res = vec![out.y];
        if self.config.return_state {
            res.push(swap(&out.h_n)?);
            if let Some(c) = &out.c_n {
                res.push(swap(c)?);
            }
        }
        Ok(res)
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Slot<'_>)) {
        for p in &self.params {
            f(&p.names[0], Slot::Parameter(&p.w_ih));
            f(&p.names[1], Slot::Parameter(&p.w_hh));
            if let Some(b) = &p.b_ih {
                f(&p.names[2], Slot::Parameter(b));
            }
            if let Some(b) = &p.b_hh {
                f(&p.names[3], Slot::Parameter(b));
            }
            if let Some(w) = &p.peephole {
                f(&p.names[4], Slot::Parameter(w));
            }
        }
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn config(&self) -> Option<serde_json::Value> {
        let c = &self.config;
        let mut v = json!({
            "type": c.type_name(),
            "input_size": c.input_size,
            "hidden_size": c.hidden_size,
            "num_layers": c.num_layers,
            "bias": c.bias,
            "bidirectional": c.bidirectional,
            "merge_mode": c.merge_mode.name(),
            "dropout": c.dropout,
            "recurrent_dropout": c.recurrent_dropout,
            "return_sequences": c.return_sequences,
            "return_state": c.return_state,
            "mask_value": c.mask_value,
            "tbptt_steps": c.tbptt_steps,
        });
        if c.states_batch_first {
            v["states_batch_first"] = json!(true);
        }
        match c.cell {
            RnnCell::Tanh => v["nonlinearity"] = json!("tanh"),
            RnnCell::Relu => v["nonlinearity"] = json!("relu"),
            RnnCell::Lstm { peephole, coupled } => {
                v["peephole"] = json!(peephole);
                v["coupled"] = json!(coupled);
            }
            RnnCell::Gru | RnnCell::Ugrnn => {}
        }
        Some(v)
    }
}

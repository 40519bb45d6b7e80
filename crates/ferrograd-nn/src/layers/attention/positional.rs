//! Absolute positional encodings added to `[B, L, D]` inputs. (Rotary embedding is an option of
//! [`super::MultiHeadAttention`] and the core function `Tensor::rotary_embedding`.)

use ferrograd_core::{Error, Result, Tensor};

use crate::layers::leaf_mode;
use crate::module::{parameter, Module, Slot};

fn check_input(op: &'static str, x: &Tensor, max_len: usize, d: usize) -> Result<usize> {
    match *x.dims() {
        [_, l, dd] if dd == d && l <= max_len => Ok(l),
        _ => Err(Error::ShapeMismatch {
            op,
            lhs: x.dims().to_vec(),
            rhs: vec![max_len, d],
            reason: format!("expected [B, L, {d}] with L <= max_len = {max_len}"),
        }),
    }
}

/// "Attention Is All You Need": `pe[p, 2i] = sin(p / 10000^(2i/d))`, `pe[p, 2i+1] = cos(...)`,
/// added to the input. No parameters; the table is computed once at construction.
pub struct SinusoidalPositionalEncoding {
    pub d_model: usize,
    pub max_len: usize,
    table: Tensor,
    training: bool,
}

impl SinusoidalPositionalEncoding {
    pub fn new(d_model: usize, max_len: usize) -> Result<Self> {
        if d_model == 0 || max_len == 0 {
            return Err(Error::InvalidArgument {
                op: "SinusoidalPositionalEncoding",
                msg: format!("needs positive d_model and max_len, got {d_model}, {max_len}"),
            });
        }
        let mut pe = vec![0.0f32; max_len * d_model];
        for p in 0..max_len {
            for c in 0..d_model {
                let i2 = (c - c % 2) as f64;
                let a = p as f64 / 10000f64.powf(i2 / d_model as f64);
                pe[p * d_model + c] = if c % 2 == 0 { a.sin() } else { a.cos() } as f32;
            }
        }
        Ok(SinusoidalPositionalEncoding {
            d_model,
            max_len,
            table: Tensor::from_vec(pe, &[max_len, d_model])?,
            training: true,
        })
    }
}

impl Module for SinusoidalPositionalEncoding {
    fn type_name(&self) -> &'static str {
        "SinusoidalPositionalEncoding"
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let l = check_input(
            "SinusoidalPositionalEncoding",
            x,
            self.max_len,
            self.d_model,
        )?;
        x.add(&self.table.narrow(0, 0, l)?)
    }

    fn visit(&self, _f: &mut dyn FnMut(&str, Slot<'_>)) {}

    fn config(&self) -> Option<serde_json::Value> {
        Some(
            serde_json::json!({"type": "SinusoidalPositionalEncoding", "d_model": self.d_model, "max_len": self.max_len}),
        )
    }

    leaf_mode!();
}

/// A learned table `weight [max_len, d_model]` (init `N(0, 0.02²)`, as GPT-2) added to the input.
pub struct LearnedPositionalEmbedding {
    pub weight: Tensor,
    training: bool,
}

impl LearnedPositionalEmbedding {
    pub fn new(max_len: usize, d_model: usize, seed: Option<u64>) -> Result<Self> {
        if d_model == 0 || max_len == 0 {
            return Err(Error::InvalidArgument {
                op: "LearnedPositionalEmbedding",
                msg: format!("needs positive max_len and d_model, got {max_len}, {d_model}"),
            });
        }
        Ok(LearnedPositionalEmbedding {
            weight: parameter(Tensor::randn(&[max_len, d_model], 0.0, 0.02, seed)?)?,
            training: true,
        })
    }
}

impl Module for LearnedPositionalEmbedding {
    fn type_name(&self) -> &'static str {
        "LearnedPositionalEmbedding"
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let dim = |i: usize| self.weight.dims().get(i).copied().unwrap_or(0);
        let (max_len, d) = (dim(0), dim(1));
        let l = check_input("LearnedPositionalEmbedding", x, max_len, d)?;
        x.add(&self.weight.narrow(0, 0, l)?)
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Slot<'_>)) {
        f("weight", Slot::Parameter(&self.weight));
    }

    fn config(&self) -> Option<serde_json::Value> {
        Some(
            serde_json::json!({"type": "LearnedPositionalEmbedding", "max_len": self.weight.dims().first(), "d_model": self.weight.dims().get(1)}),
        )
    }

    leaf_mode!();
}

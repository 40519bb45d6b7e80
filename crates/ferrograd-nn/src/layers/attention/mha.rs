//! Multi-head attention with `torch.nn.MultiheadAttention` semantics and parameter names
//! (`batch_first = true`).

use ferrograd_core::{fresh_seed, AttentionOptions, AttnMask, Error, Result, Tensor};

use super::optional;
use super::projection::{linear, sub_seed, uniform, TorchLinear};
use crate::module::{parameter, Module, Slot};

const OP: &str = "MultiHeadAttention";

/// Hyper-parameters of [`MultiHeadAttention`].
#[derive(Debug, Clone, PartialEq)]
pub struct MultiHeadAttentionConfig {
    pub embed_dim: usize,
    pub num_heads: usize,
    /// Key feature size (default `embed_dim`); differing sizes use separate q/k/v weights.
    pub kdim: Option<usize>,
    /// Value feature size (default `embed_dim`).
    pub vdim: Option<usize>,
    pub bias: bool,
    /// Dropout on the attention weights (training only).
    pub dropout: f32,
    /// Always apply a causal mask.
    pub causal: bool,
    /// `forward_multi` also returns the head-averaged attention weights `[B, L, S]`.
    pub need_weights: bool,
    /// Apply rotary position embedding with this base (e.g. 10000) to q and k of every head.
    pub rotary_base: Option<f32>,
}

impl MultiHeadAttentionConfig {
    pub fn new(embed_dim: usize, num_heads: usize) -> Self {
        MultiHeadAttentionConfig {
            embed_dim,
            num_heads,
            kdim: None,
            vdim: None,
            bias: true,
            dropout: 0.0,
            causal: false,
            need_weights: false,
            rotary_base: None,
        }
    }

    fn validate(&self) -> Result<()> {
        let (e, h) = (self.embed_dim, self.num_heads);
        let bad = |msg: String| Err(Error::InvalidArgument { op: OP, msg });
        if e == 0 || h == 0 || e % h != 0 {
            return bad(format!(
                "num_heads ({h}) must be positive and divide embed_dim ({e})"
            ));
        }
        if self.kdim == Some(0) || self.vdim == Some(0) {
            return bad(format!(
                "kdim and vdim must be positive, got {:?}, {:?}",
                self.kdim, self.vdim
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return bad(format!("dropout must be in [0, 1), got {}", self.dropout));
        }
        if let Some(b) = self.rotary_base {
            if (e / h) % 2 != 0 || !(b.is_finite() && b > 0.0) {
                return bad(format!(
                    "rotary embedding needs an even head dimension (got {}) and a positive base (got {b})",
                    e / h
                ));
            }
        }
        Ok(())
    }

    /// Builds the layer with torch's initialisation (xavier-uniform input projections, zero
    /// biases, default `Linear` init for `out_proj.weight`).
    pub fn init(&self, seed: Option<u64>) -> Result<MultiHeadAttention> {
        self.validate()?;
        let e = self.embed_dim;
        let (kdim, vdim) = (self.kdim.unwrap_or(e), self.vdim.unwrap_or(e));
        let xavier = |fan_out: usize, fan_in: usize| (6.0 / (fan_in + fan_out) as f32).sqrt();
        let packed = kdim == e && vdim == e;
        let (in_proj_weight, separate) = if packed {
            (
                Some(uniform(&[3 * e, e], xavier(3 * e, e), sub_seed(seed, 0))?),
                None,
            )
        } else {
            (
                None,
                Some([
                    uniform(&[e, e], xavier(e, e), sub_seed(seed, 1))?,
                    uniform(&[e, kdim], xavier(e, kdim), sub_seed(seed, 2))?,
                    uniform(&[e, vdim], xavier(e, vdim), sub_seed(seed, 3))?,
                ]),
            )
        };
        Ok(MultiHeadAttention {
            in_proj_weight,
            separate,
            in_proj_bias: if self.bias {
                Some(parameter(Tensor::zeros(&[3 * e]))?)
            } else {
                None
            },
            out_proj: TorchLinear::new(e, e, self.bias, sub_seed(seed, 4))?.zero_bias()?,
            config: self.clone(),
            training: true,
        })
    }
}

/// Per-call options of [`MultiHeadAttention::attend`].
#[derive(Debug, Clone, Default)]
pub struct AttendOptions {
    /// `[B, S]`, nonzero = padding key.
    pub key_padding_mask: Option<Tensor>,
    /// `[L, S]` or `[B|1, H|1, L, S]` (boolean: true = masked, or additive).
    pub attn_mask: Option<AttnMask>,
    /// Also compute the head-averaged attention weights (materialised `O(L·S)` path).
    pub need_weights: bool,
    /// Causal masking for this call (on top of the layer's own `causal`).
    pub causal: bool,
}

/// `torch.nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)`. Parameters:
/// `in_proj_weight [3E, E]` (or `q_proj_weight [E, E]`, `k_proj_weight [E, kdim]`,
/// `v_proj_weight [E, vdim]` when kdim/vdim differ from E), `in_proj_bias [3E]`,
/// `out_proj.weight [E, E]`, `out_proj.bias [E]`.
///
/// `forward(x)` is self-attention; `forward_multi([query, key, value, key_padding_mask?,
/// attn_mask?])` (masks as described in [`super`]) returns `[out]`, or `[out, weights]` when
/// `need_weights` is set.
pub struct MultiHeadAttention {
    pub in_proj_weight: Option<Tensor>,
    /// `[q_proj_weight, k_proj_weight, v_proj_weight]`.
    pub separate: Option<[Tensor; 3]>,
    pub in_proj_bias: Option<Tensor>,
    pub out_proj: TorchLinear,
    pub config: MultiHeadAttentionConfig,
    training: bool,
}

fn bias_part(b: Option<&Tensor>, i: usize, e: usize) -> Result<Option<Tensor>> {
    b.map(|b| b.narrow(0, i * e, e)).transpose()
}

impl MultiHeadAttention {
    fn weight(&self, i: usize) -> Result<Tensor> {
        let e = self.config.embed_dim;
        match (&self.in_proj_weight, &self.separate) {
            (Some(w), _) => w.narrow(0, i * e, e),
            (None, Some(ws)) => Ok(ws[i].clone()),
            (None, None) => Err(Error::InvalidArgument {
                op: OP,
                msg: "has no input projection weights".into(),
            }),
        }
    }

    /// `[B, L, E] → [B, H, L, E/H]`.
    fn heads(&self, x: &Tensor) -> Result<Tensor> {
        let (b, l) = (x.dims()[0], x.dims()[1]);
        let h = self.config.num_heads;
        x.reshape_to(&[b, l, h, self.config.embed_dim / h])?
            .permute(&[0, 2, 1, 3])
    }

    fn check_input(&self, name: &str, x: &Tensor, features: usize) -> Result<(usize, usize)> {
        match *x.dims() {
            [b, l, f] if f == features => Ok((b, l)),
            _ => Err(Error::ShapeMismatch {
                op: OP,
                lhs: x.dims().to_vec(),
                rhs: vec![features],
                reason: format!("{name} must be [B, L, {features}] (batch first)"),
            }),
        }
    }

    /// Attention of `query [B, L, E]` over `key [B, S, kdim]`, `value [B, S, vdim]`: the output
    /// `[B, L, E]` and, when `need_weights`, the head-averaged weights `[B, L, S]`.
    pub fn attend(
        &self,
        query: &Tensor,
        key: &Tensor,
        value: &Tensor,
        options: &AttendOptions,
    ) -> Result<(Tensor, Option<Tensor>)> {
        let c = &self.config;
        let e = c.embed_dim;
        let (b, l) = self.check_input("query", query, e)?;
        let (bk, s) = self.check_input("key", key, c.kdim.unwrap_or(e))?;
        let (bv, sv) = self.check_input("value", value, c.vdim.unwrap_or(e))?;
        if (bk, bv, sv) != (b, b, s) {
            return Err(Error::ShapeMismatch {
                op: OP,
                lhs: key.dims().to_vec(),
                rhs: value.dims().to_vec(),
                reason: format!("key and value must share the query's batch ({b}) and one length"),
            });
        }
        let bias = self.in_proj_bias.as_ref();
        let self_attention = query.same_node(key) && key.same_node(value);
        let dropout_p = if self.training { c.dropout } else { 0.0 };
        let o = AttentionOptions {
            mask: options.attn_mask.clone(),
            key_padding_mask: options.key_padding_mask.clone(),
            causal: c.causal || options.causal,
            dropout_p,
            scale: None,
            seed: if dropout_p > 0.0 { fresh_seed() } else { 0 },
        };
        if let (Some(w), true, false, None) = (
            &self.in_proj_weight,
            self_attention,
            options.need_weights,
            c.rotary_base,
        ) {
            // Packed projection straight into the fused op: no head reshapes in the graph.
            let qkv = linear(query, w, bias, OP)?;
            let out = Tensor::packed_self_attention(&qkv, c.num_heads, &o)?;
            return Ok((self.out_proj.forward(&out)?, None));
        }
        let (q, k, v) = match (&self.in_proj_weight, self_attention) {
            (Some(w), true) => {
                // One GEMM for the three projections of a shared input.
                let h = c.num_heads;
                let qkv = linear(query, w, bias, OP)?
                    .reshape_to(&[b, l, 3, h, e / h])?
                    .permute(&[2, 0, 3, 1, 4])?;
                let part = |i: usize| qkv.narrow(0, i, 1)?.squeeze(Some(0));
                (part(0)?, part(1)?, part(2)?)
            }
            _ => {
                let proj = |x: &Tensor, i: usize| -> Result<Tensor> {
                    self.heads(&linear(
                        x,
                        &self.weight(i)?,
                        bias_part(bias, i, e)?.as_ref(),
                        OP,
                    )?)
                };
                (proj(query, 0)?, proj(key, 1)?, proj(value, 2)?)
            }
        };
        let (q, k) = match c.rotary_base {
            Some(base) => (q.rotary_embedding(0, base)?, k.rotary_embedding(0, base)?),
            None => (q, k),
        };
        let (out, weights) = if options.need_weights {
            let (out, w) = Tensor::scaled_dot_product_attention_with_weights(&q, &k, &v, &o)?;
            (out, Some(w.mean(Some(&[1]), false)?))
        } else {
            (Tensor::scaled_dot_product_attention(&q, &k, &v, &o)?, None)
        };
        let merged = out.permute(&[0, 2, 1, 3])?.reshape_to(&[b, l, e])?;
        Ok((self.out_proj.forward(&merged)?, weights))
    }
}

impl Module for MultiHeadAttention {
    fn type_name(&self) -> &'static str {
        OP
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.attend(x, x, x, &AttendOptions::default())?.0)
    }

    fn forward_multi(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
        let (q, k, v) = match inputs {
            [x] => (x, x, x),
            [q, k, v, ..] if inputs.len() <= 5 => (q, k, v),
            _ => {
                return Err(Error::InvalidArgument {
                    op: OP,
                    msg: format!(
                        "takes [x] or [query, key, value, key_padding_mask?, attn_mask?], got {} inputs",
                        inputs.len()
                    ),
                })
            }
        };
        let options = AttendOptions {
            key_padding_mask: optional(inputs, 3),
            attn_mask: optional(inputs, 4).map(AttnMask::Additive),
            need_weights: self.config.need_weights,
            causal: false,
        };
        let (out, weights) = self.attend(q, k, v, &options)?;
        Ok(std::iter::once(out).chain(weights).collect())
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Slot<'_>)) {
        if let Some(w) = &self.in_proj_weight {
            f("in_proj_weight", Slot::Parameter(w));
        }
        if let Some([q, k, v]) = &self.separate {
            f("q_proj_weight", Slot::Parameter(q));
            f("k_proj_weight", Slot::Parameter(k));
            f("v_proj_weight", Slot::Parameter(v));
        }
        if let Some(b) = &self.in_proj_bias {
            f("in_proj_bias", Slot::Parameter(b));
        }
        f("out_proj", Slot::Child(&self.out_proj));
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
        self.out_proj.set_training(training);
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn config(&self) -> Option<serde_json::Value> {
        let c = &self.config;
        Some(serde_json::json!({
            "type": OP,
            "embed_dim": c.embed_dim,
            "num_heads": c.num_heads,
            "kdim": c.kdim.unwrap_or(c.embed_dim),
            "vdim": c.vdim.unwrap_or(c.embed_dim),
            "bias": c.bias,
            "dropout": c.dropout,
            "causal": c.causal,
            "need_weights": c.need_weights,
            "rotary_base": c.rotary_base,
        }))
    }
}

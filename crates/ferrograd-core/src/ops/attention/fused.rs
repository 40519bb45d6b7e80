//! The attention ops on tensors.

use std::sync::Arc;

use ferrograd_kernels::{
    attention_backward, attention_forward, attention_probs, dropout_keep, AttentionDims,
    AttentionParams, AttentionSaved, MaskView,
};

use super::masks::{prepare, OwnedMask};
use super::AttentionOptions;
use crate::error::{Error, Result};
use crate::fused::FusedBackward;
use crate::tensor::Tensor;

const OP: &str = "scaledDotProductAttention";

fn dims_of(q: &Tensor, k: &Tensor, v: &Tensor) -> Result<AttentionDims> {
    let (qd, kd, vd) = (q.dims(), k.dims(), v.dims());
    let (&[b, h, lq, d], &[kb, kh, lk, kdim], &[vb, vh, vl, dv]) = (qd, kd, vd) else {
        return Err(Error::shape(
            OP,
            format!("q, k, v must be [B, H, L, D]; got q {qd:?}, k {kd:?}, v {vd:?}"),
        ));
    };
    if (kb, kh, kdim) != (b, h, d) {
        return Err(Error::mismatch(
            OP,
            qd,
            kd,
            "k must be [B, H, Lk, D] with q's B, H, D",
        ));
    }
    if (vb, vh, vl) != (b, h, lk) {
        return Err(Error::mismatch(
            OP,
            kd,
            vd,
            "v must be [B, H, Lk, Dv] with k's B, H, Lk",
        ));
    }
    Ok(AttentionDims {
        b,
        h,
        lq,
        lk,
        d,
        dv,
    })
}

fn check_options(o: &AttentionOptions) -> Result<()> {
    if !(0.0..1.0).contains(&o.dropout_p) {
        return Err(Error::invalid(
            OP,
            format!("dropout_p must be in [0, 1), got {}", o.dropout_p),
        ));
    }
    if let Some(s) = o.scale {
        if !s.is_finite() {
            return Err(Error::invalid(OP, format!("scale must be finite, got {s}")));
        }
    }
    Ok(())
}

fn scale_of(g: &AttentionDims, o: &AttentionOptions) -> f32 {
    o.scale.unwrap_or(1.0 / (g.d.max(1) as f32).sqrt())
}

/// What the backward needs besides q, k, v and the output.
struct FlashBackward {
    g: AttentionDims,
    scale: f32,
    causal: bool,
    dropout_p: f32,
    seed: u64,
    masks: Vec<OwnedMask>,
    lse: Vec<f32>,
}

impl FlashBackward {
    fn with_params<R>(&self, f: impl FnOnce(&AttentionParams<'_>) -> R) -> R {
        let views: Vec<MaskView<'_>> = self.masks.iter().map(OwnedMask::view).collect();
        f(&AttentionParams {
            scale: self.scale,
            causal: self.causal,
            masks: &views,
            dropout_p: self.dropout_p,
            seed: self.seed,
        })
    }
}

impl FusedBackward for FlashBackward {
    fn name(&self) -> &'static str {
        "FlashAttention"
    }

    fn backward(
        &self,
        inputs: &[Tensor],
        output: &Tensor,
        grad: &Tensor,
    ) -> Result<Vec<Option<Tensor>>> {
        let [q, k, v] = inputs else {
            return Err(Error::Autograd {
                op: "FlashAttention",
                msg: format!("expected 3 inputs, got {}", inputs.len()),
            });
        };
        let g = &self.g;
        let mut dq = crate::alloc::overwritten("FlashAttention", q.numel())?;
        let mut dk = crate::alloc::overwritten("FlashAttention", k.numel())?;
        let mut dv = crate::alloc::overwritten("FlashAttention", v.numel())?;
        q.with_contiguous(|qv| {
            k.with_contiguous(|kv| {
                v.with_contiguous(|vv| {
                    output.with_contiguous(|ov| {
                        grad.with_contiguous(|dov| {
                            let saved = AttentionSaved {
                                q: qv,
                                k: kv,
                                v: vv,
                                out: ov,
                                lse: &self.lse,
                            };
                            self.with_params(|p| {
                                attention_backward(g, p, &saved, dov, &mut dq, &mut dk, &mut dv)
                            })
                        })
                    })
                })
            })
        })
        .map_err(|e| Error::from_kernel("FlashAttention", e))?;
        let wrap = |t: &Tensor, d: Vec<f32>| -> Result<Option<Tensor>> {
            Ok(if t.requires_grad() {
                Some(Tensor::from_vec(d, t.dims())?)
            } else {
                None
            })
        };
        Ok(vec![wrap(q, dq)?, wrap(k, dk)?, wrap(v, dv)?])
    }
}

/// Backward of the materialised weights `P = softmax(scale·QKᵀ + masks)`.
struct ProbsBackward {
    scale: f32,
}

impl FusedBackward for ProbsBackward {
    fn name(&self) -> &'static str {
        "AttentionWeights"
    }

    fn backward(
        &self,
        inputs: &[Tensor],
        output: &Tensor,
        grad: &Tensor,
    ) -> Result<Vec<Option<Tensor>>> {
        let [q, k] = inputs else {
            return Err(Error::Autograd {
                op: "AttentionWeights",
                msg: format!("expected 2 inputs, got {}", inputs.len()),
            });
        };
        let p = output.detach();
        let dot = grad.mul(&p)?.sum(Some(&[-1]), true)?;
        let ds = p.mul(&grad.sub(&dot)?)?.mul_scalar(self.scale)?;
        let dq = if q.requires_grad() {
            Some(ds.matmul(&k.detach())?)
        } else {
            None
        };
        let dk = if k.requires_grad() {
            Some(ds.transpose(-1, -2)?.matmul(&q.detach())?)
        } else {
            None
        };
        Ok(vec![dq, dk])
    }
}

impl Tensor {
    /// Fused scaled dot-product attention `softmax(scale·Q·Kᵀ + masks)·V` for q `[B, H, Lq, D]`,
    /// k `[B, H, Lk, D]`, v `[B, H, Lk, Dv]` → `[B, H, Lq, Dv]`. Keys are visited in tiles with an
    /// online softmax, so memory beyond the inputs is `O(Lq)` per head; the backward recomputes
    /// the weights. Masks carry no gradient. See the module docs for the mask conventions.
    pub fn scaled_dot_product_attention(
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        options: &AttentionOptions,
    ) -> Result<Tensor> {
        let g = dims_of(q, k, v)?;
        check_options(options)?;
        let rule = FlashBackward {
            g,
            scale: scale_of(&g, options),
            causal: options.causal,
            dropout_p: options.dropout_p,
            seed: options.seed,
            masks: prepare(&g, options)?,
            lse: vec![0.0; g.b * g.h * g.lq],
        };
        let mut out = crate::alloc::overwritten(OP, g.b * g.h * g.lq * g.dv)?;
        let mut lse = vec![0.0; g.b * g.h * g.lq];
        q.with_contiguous(|qs| {
            k.with_contiguous(|ks| {
                v.with_contiguous(|vs| {
                    rule.with_params(|p| attention_forward(&g, p, qs, ks, vs, &mut out, &mut lse))
                })
            })
        })
        .map_err(|e| Error::from_kernel(OP, e))?;
        let rule = FlashBackward { lse, ..rule };
        Tensor::fused(out, &[g.b, g.h, g.lq, g.dv], &[q, k, v], Arc::new(rule))
    }

    /// The attention weights `softmax(scale·Q·Kᵀ + masks)` `[B, H, Lq, Lk]` (no dropout),
    /// differentiable with respect to q and k. Rows whose keys are all masked are zero.
    pub fn attention_weights(q: &Tensor, k: &Tensor, options: &AttentionOptions) -> Result<Tensor> {
        let g = dims_of(q, k, k)?;
        let g = AttentionDims { dv: 0, ..g };
        check_options(options)?;
        let scale = scale_of(&g, options);
        let masks = prepare(&g, options)?;
        let views: Vec<MaskView<'_>> = masks.iter().map(OwnedMask::view).collect();
        let p = AttentionParams {
            scale,
            causal: options.causal,
            masks: &views,
            dropout_p: 0.0,
            seed: 0,
        };
        let mut probs = vec![0.0; g.b * g.h * g.lq * g.lk];
        q.with_contiguous(|qs| k.with_contiguous(|ks| attention_probs(&g, &p, qs, ks, &mut probs)))
            .map_err(|e| Error::from_kernel("attentionWeights", e))?;
        Tensor::fused(
            probs,
            &[g.b, g.h, g.lq, g.lk],
            &[q, k],
            Arc::new(ProbsBackward { scale }),
        )
    }

    /// The materialised path: `(output, weights)` where `weights` are the attention weights after
    /// dropout (as torch returns them) and `output = weights·V`. Uses the same dropout mask as
    /// [`Tensor::scaled_dot_product_attention`] for the same seed. Memory is `O(Lq·Lk)`.
    pub fn scaled_dot_product_attention_with_weights(
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        options: &AttentionOptions,
    ) -> Result<(Tensor, Tensor)> {
        let g = dims_of(q, k, v)?;
        let mut w = Tensor::attention_weights(q, k, options)?;
        if options.dropout_p > 0.0 {
            let mut keep = vec![0.0; g.b * g.h * g.lq * g.lk];
            dropout_keep(&g, options.dropout_p, options.seed, &mut keep)
                .map_err(|e| Error::from_kernel(OP, e))?;
            w = w.mul(&Tensor::from_vec(keep, &[g.b, g.h, g.lq, g.lk])?)?;
        }
        let out = w.matmul(v)?;
        Ok((out, w))
    }
}

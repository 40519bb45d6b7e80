//! Self-attention straight from a packed projection `[B, L, 3·H·D]` (q, k, v side by side, as
//! `x · in_proj_weightᵀ` produces) to merged heads `[B, L, H·D]`. One graph node instead of
//! reshape/permute/narrow views whose backward pads and adds three `[B, L, 3E]` gradients.

use std::sync::Arc;

use super::masks::{prepare, OwnedMask};
use super::AttentionOptions;
use crate::error::{Error, Result};
use crate::fused::FusedBackward;
use crate::tensor::Tensor;
use ferrograd_kernels::{
    attention_backward, attention_forward, heads_from_packed, heads_to_packed, AttentionDims,
    AttentionParams, AttentionSaved, MaskView,
};

const OP: &str = "packedSelfAttention";

/// Part `p` (0 = q, 1 = k, 2 = v) of a packed `[B, L, 3, H, D]` array into `[B, H, L, D]`.
fn split(g: &AttentionDims, packed: &[f32], p: usize, out: &mut [f32]) -> Result<()> {
    heads_from_packed(g.b, g.h, g.lq, g.d, 3, p, packed, out).map_err(|e| Error::from_kernel(OP, e))
}

/// `[B, H, L, D]` stored as part `p` of a packed `[B, L, parts, H, D]` array.
fn merge(
    g: &AttentionDims,
    heads: &[f32],
    p: usize,
    parts: usize,
    packed: &mut [f32],
) -> Result<()> {
    heads_to_packed(g.b, g.h, g.lq, g.d, parts, p, heads, packed)
        .map_err(|e| Error::from_kernel(OP, e))
}

struct PackedBackward {
    g: AttentionDims,
    scale: f32,
    causal: bool,
    dropout_p: f32,
    seed: u64,
    masks: Vec<OwnedMask>,
    lse: Vec<f32>,
    /// The kernel's output in head layout (the op's output is the merged copy).
    out: Vec<f32>,
    /// q, k, v in head layout, kept from the forward (as large as the input; saves three
    /// strided copies in the backward).
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
}

impl Drop for PackedBackward {
    // The saved head-layout buffers go back to the pool: the next training step asks for the
    // same sizes, and fresh pages would cost a fault per 4 KiB.
    fn drop(&mut self) {
        for buf in [&mut self.q, &mut self.k, &mut self.v, &mut self.out] {
            crate::alloc::recycle(std::mem::take(buf));
        }
    }
}

impl FusedBackward for PackedBackward {
    fn name(&self) -> &'static str {
        "PackedSelfAttention"
    }

    fn backward(
        &self,
        inputs: &[Tensor],
        _output: &Tensor,
        grad: &Tensor,
    ) -> Result<Vec<Option<Tensor>>> {
        let qkv = inputs
            .first()
            .ok_or_else(|| Error::invalid("PackedSelfAttention", "backward without input"))?;
        let g = &self.g;
        let n = g.b * g.h * g.lq * g.d;
        let fill = |len| crate::alloc::overwritten(OP, len);
        let mut dout = fill(n)?;
        // The gradient arrives as [B, L, H·D]: a packed array with one part.
        grad.with_contiguous(|s| {
            heads_from_packed(g.b, g.h, g.lq, g.d, 1, 0, s, &mut dout)
                .map_err(|e| Error::from_kernel(OP, e))
        })?;
        let (mut dq, mut dk, mut dv) = (fill(n)?, fill(n)?, fill(n)?);
        let views: Vec<MaskView<'_>> = self.masks.iter().map(OwnedMask::view).collect();
        let p = AttentionParams {
            scale: self.scale,
            causal: self.causal,
            masks: &views,
            dropout_p: self.dropout_p,
            seed: self.seed,
        };
        let saved = AttentionSaved {
            q: &self.q,
            k: &self.k,
            v: &self.v,
            out: &self.out,
            lse: &self.lse,
        };
        attention_backward(g, &p, &saved, &dout, &mut dq, &mut dk, &mut dv)
            .map_err(|e| Error::from_kernel("PackedSelfAttention", e))?;
        let mut dqkv = fill(3 * n)?;
        merge(g, &dq, 0, 3, &mut dqkv)?;
        merge(g, &dk, 1, 3, &mut dqkv)?;
        merge(g, &dv, 2, 3, &mut dqkv)?;
        for buf in [dout, dq, dk, dv] {
            crate::alloc::recycle(buf);
        }
        Ok(vec![Some(Tensor::from_vec(dqkv, qkv.dims())?)])
    }
}

impl Tensor {
    /// Multi-head self-attention on a packed projection: `qkv [B, L, 3·H·D]` holds, for every
    /// token, the query, key and value of all `heads` heads (q of head 0..H, then k, then v, as
    /// torch's `in_proj`); the result is `[B, L, H·D]` with heads merged. Same masks and
    /// options as [`Tensor::scaled_dot_product_attention`] (which this equals after the
    /// reshapes), `Lq = Lk = L`.
    pub fn packed_self_attention(
        qkv: &Tensor,
        heads: usize,
        options: &AttentionOptions,
    ) -> Result<Tensor> {
        let (b, l, e3) = match *qkv.dims() {
            [b, l, e3] => (b, l, e3),
            _ => {
                return Err(Error::shape(
                    OP,
                    format!("qkv must be [B, L, 3·E], got {:?}", qkv.dims()),
                ))
            }
        };
        if heads == 0 || e3 == 0 || e3 % (3 * heads) != 0 {
            return Err(Error::invalid(
                OP,
                format!("the last dimension ({e3}) must be 3 · heads ({heads}) · head_dim with head_dim > 0"),
            ));
        }
        if !(0.0..1.0).contains(&options.dropout_p) {
            return Err(Error::invalid(
                OP,
                format!("dropout_p must be in [0, 1), got {}", options.dropout_p),
            ));
        }
        let d = e3 / (3 * heads);
        let g = AttentionDims {
            b,
            h: heads,
            lq: l,
            lk: l,
            d,
            dv: d,
        };
        let scale = options.scale.unwrap_or(1.0 / (d as f32).sqrt());
        let masks = prepare(&g, options)?;
        let n = b * heads * l * d;
        let fill = |len| crate::alloc::overwritten(OP, len);
        let (mut q, mut k, mut v) = (fill(n)?, fill(n)?, fill(n)?);
        qkv.with_contiguous(|s| -> Result<()> {
            split(&g, s, 0, &mut q)?;
            split(&g, s, 1, &mut k)?;
            split(&g, s, 2, &mut v)
        })?;
        let mut out = fill(n)?;
        let mut lse = vec![0.0; b * heads * l];
        {
            let views: Vec<MaskView<'_>> = masks.iter().map(OwnedMask::view).collect();
            let p = AttentionParams {
                scale,
                causal: options.causal,
                masks: &views,
                dropout_p: options.dropout_p,
                seed: options.seed,
            };
            attention_forward(&g, &p, &q, &k, &v, &mut out, &mut lse)
                .map_err(|e| Error::from_kernel(OP, e))?;
        }
        let mut merged = fill(n)?;
        merge(&g, &out, 0, 1, &mut merged)?;
        let rule = PackedBackward {
            g,
            scale,
            causal: options.causal,
            dropout_p: options.dropout_p,
            seed: options.seed,
            masks,
            lse,
            out,
            q,
            k,
            v,
        };
        Tensor::fused(merged, &[b, l, heads * d], &[qkv], Arc::new(rule))
    }
}

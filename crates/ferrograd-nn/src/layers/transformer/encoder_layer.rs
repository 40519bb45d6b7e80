//! `torch.nn.TransformerEncoderLayer` (batch first).

use ferrograd_core::{AttnMask, Error, Result, Tensor};

use super::config::{apply_norm, dropout, TransformerLayerConfig};
use crate::layers::attention::optional;
use crate::layers::{AttendOptions, LayerNorm, MultiHeadAttention, TorchLinear};
use crate::module::{Module, Slot};

const OP: &str = "TransformerEncoderLayer";

/// Self-attention and a feed-forward block, each with a residual connection and a LayerNorm
/// before (`norm_first`) or after it. Parameters: `self_attn.*`, `linear1.*`, `linear2.*`,
/// `norm1.*`, `norm2.*`. `forward_multi([src, src_key_padding_mask?, src_mask?])`.
pub struct TransformerEncoderLayer {
    pub self_attn: MultiHeadAttention,
    pub linear1: TorchLinear,
    pub linear2: TorchLinear,
    pub norm1: LayerNorm,
    pub norm2: LayerNorm,
    pub config: TransformerLayerConfig,
    training: bool,
}

impl TransformerEncoderLayer {
    pub fn new(config: &TransformerLayerConfig, seed: Option<u64>) -> Result<Self> {
        config.validate(OP)?;
        let (linear1, linear2) = config.feed_forward(seed)?;
        Ok(TransformerEncoderLayer {
            self_attn: config.attention(config.causal, seed)?,
            linear1,
            linear2,
            norm1: config.norm()?,
            norm2: config.norm()?,
            config: config.clone(),
            training: true,
        })
    }

    fn self_attention(&self, x: &Tensor, options: &AttendOptions) -> Result<Tensor> {
        let y = self.self_attn.attend(x, x, x, options)?.0;
        dropout(&y, self.config.dropout, self.training)
    }

    fn feed_forward(&self, x: &Tensor) -> Result<Tensor> {
        let p = self.config.dropout;
        let h = self.config.activation.linear1(&self.linear1, x)?;
        let y = self.linear2.forward(&dropout(&h, p, self.training)?)?;
        dropout(&y, p, self.training)
    }

    /// The layer on `src [B, L, E]` with optional masks.
    pub fn encode(&self, src: &Tensor, options: &AttendOptions) -> Result<Tensor> {
        if self.config.norm_first {
            let x = src.add(&self.self_attention(&apply_norm(&self.norm1, src)?, options)?)?;
            x.add(&self.feed_forward(&apply_norm(&self.norm2, &x)?)?)
        } else {
            let x = self
                .norm1
                .forward(&src.add(&self.self_attention(src, options)?)?)?;
            apply_norm(&self.norm2, &x.add(&self.feed_forward(&x)?)?)
        }
    }
}

/// Options from `[x, key_padding_mask?, attn_mask?]`.
pub(crate) fn self_attention_masks(op: &'static str, inputs: &[Tensor]) -> Result<AttendOptions> {
    if inputs.is_empty() || inputs.len() > 3 {
        return Err(Error::InvalidArgument {
            op,
            msg: format!(
                "takes [src, src_key_padding_mask?, src_mask?], got {} inputs",
                inputs.len()
            ),
        });
    }
    Ok(AttendOptions {
        key_padding_mask: optional(inputs, 1),
        attn_mask: optional(inputs, 2).map(AttnMask::Additive),
        need_weights: false,
        causal: false,
    })
}

impl Module for TransformerEncoderLayer {
    fn type_name(&self) -> &'static str {
        OP
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.encode(x, &AttendOptions::default())
    }

    fn forward_multi(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
        let options = self_attention_masks(OP, inputs)?;
        Ok(vec![self.encode(&inputs[0], &options)?])
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Slot<'_>)) {
        f("self_attn", Slot::Child(&self.self_attn));
        f("linear1", Slot::Child(&self.linear1));
        f("linear2", Slot::Child(&self.linear2));
        f("norm1", Slot::Child(&self.norm1));
        f("norm2", Slot::Child(&self.norm2));
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
        self.self_attn.set_training(training);
        for m in [&mut self.linear1, &mut self.linear2] {
            m.set_training(training);
        }
        for m in [&mut self.norm1, &mut self.norm2] {
            m.set_training(training);
        }
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn config(&self) -> Option<serde_json::Value> {
        Some(self.config.to_json(OP))
    }
}

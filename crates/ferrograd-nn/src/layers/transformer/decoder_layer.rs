//! `torch.nn.TransformerDecoderLayer` (batch first).

use ferrograd_core::{AttnMask, Error, Result, Tensor};

use super::config::{apply_norm, dropout, TransformerLayerConfig};
use crate::layers::attention::optional;
use crate::layers::{AttendOptions, LayerNorm, MultiHeadAttention, TorchLinear};
use crate::module::{Module, Slot};

const OP: &str = "TransformerDecoderLayer";

/// Masked self-attention, encoder-decoder attention over `memory` and a feed-forward block,
/// each with a residual and a LayerNorm (pre- or post-). Parameters: `self_attn.*`,
/// `multihead_attn.*`, `linear1.*`, `linear2.*`, `norm1..3.*`.
///
/// `forward_multi([tgt, memory, tgt_key_padding_mask?, memory_key_padding_mask?, tgt_mask?,
/// memory_mask?])`; `config.causal` makes the self-attention causal without a mask tensor.
pub struct TransformerDecoderLayer {
    pub self_attn: MultiHeadAttention,
    pub multihead_attn: MultiHeadAttention,
    pub linear1: TorchLinear,
    pub linear2: TorchLinear,
    pub norm1: LayerNorm,
    pub norm2: LayerNorm,
    pub norm3: LayerNorm,
    pub config: TransformerLayerConfig,
    training: bool,
}

/// The masks of one decoder call.
#[derive(Debug, Clone, Default)]
pub struct DecoderMasks {
    pub self_attn: AttendOptions,
    pub cross_attn: AttendOptions,
}

impl DecoderMasks {
    /// From `[tgt, memory, tgt_key_padding_mask?, memory_key_padding_mask?, tgt_mask?, memory_mask?]`.
    pub(crate) fn from_inputs(op: &'static str, inputs: &[Tensor]) -> Result<Self> {
        if inputs.len() < 2 || inputs.len() > 6 {
            return Err(Error::InvalidArgument {
                op,
                msg: format!(
                    "takes [tgt, memory, tgt_key_padding_mask?, memory_key_padding_mask?, tgt_mask?, memory_mask?], got {} inputs",
                    inputs.len()
                ),
            });
        }
        Ok(DecoderMasks {
            self_attn: AttendOptions {
                key_padding_mask: optional(inputs, 2),
                attn_mask: optional(inputs, 4).map(AttnMask::Additive),
                ..Default::default()
            },
            cross_attn: AttendOptions {
                key_padding_mask: optional(inputs, 3),
                attn_mask: optional(inputs, 5).map(AttnMask::Additive),
                ..Default::default()
            },
        })
    }
}

impl TransformerDecoderLayer {
    pub fn new(config: &TransformerLayerConfig, seed: Option<u64>) -> Result<Self> {
        config.validate(OP)?;
        let (linear1, linear2) = config.feed_forward(seed)?;
        Ok(TransformerDecoderLayer {
            self_attn: config.attention(config.causal, seed)?,
            multihead_attn: config.attention(false, seed.map(|s| s.wrapping_add(7)))?,
            linear1,
            linear2,
            norm1: config.norm()?,
            norm2: config.norm()?,
            norm3: config.norm()?,
            config: config.clone(),
            training: true,
        })
    }

    fn drop(&self, x: &Tensor) -> Result<Tensor> {
        dropout(x, self.config.dropout, self.training)
    }

    fn sa(&self, x: &Tensor, o: &AttendOptions) -> Result<Tensor> {
        self.drop(&self.self_attn.attend(x, x, x, o)?.0)
    }

    fn mha(&self, x: &Tensor, mem: &Tensor, o: &AttendOptions) -> Result<Tensor> {
        self.drop(&self.multihead_attn.attend(x, mem, mem, o)?.0)
    }

    fn ff(&self, x: &Tensor) -> Result<Tensor> {
        let h = self.config.activation.linear1(&self.linear1, x)?;
        self.drop(&self.linear2.forward(&self.drop(&h)?)?)
    }

    /// The layer on `tgt [B, T, E]` attending `memory [B, S, E]`.
    pub fn decode(&self, tgt: &Tensor, memory: &Tensor, masks: &DecoderMasks) -> Result<Tensor> {
        let (sm, cm) = (&masks.self_attn, &masks.cross_attn);
        if self.config.norm_first {
            let x = tgt.add(&self.sa(&apply_norm(&self.norm1, tgt)?, sm)?)?;
            let x = x.add(&self.mha(&apply_norm(&self.norm2, &x)?, memory, cm)?)?;
            x.add(&self.ff(&apply_norm(&self.norm3, &x)?)?)
        } else {
            let x = apply_norm(&self.norm1, &tgt.add(&self.sa(tgt, sm)?)?)?;
            let x = apply_norm(&self.norm2, &x.add(&self.mha(&x, memory, cm)?)?)?;
            apply_norm(&self.norm3, &x.add(&self.ff(&x)?)?)
        }
    }
}

impl Module for TransformerDecoderLayer {
    fn type_name(&self) -> &'static str {
        OP
    }

    fn forward(&self, _x: &Tensor) -> Result<Tensor> {
        Err(Error::InvalidArgument {
            op: OP,
            msg: "needs the encoder memory: call forward_multi([tgt, memory, ...])".into(),
        })
    }

    fn forward_multi(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
        let masks = DecoderMasks::from_inputs(OP, inputs)?;
        Ok(vec![self.decode(&inputs[0], &inputs[1], &masks)?])
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Slot<'_>)) {
        f("self_attn", Slot::Child(&self.self_attn));
        f("multihead_attn", Slot::Child(&self.multihead_attn));
        f("linear1", Slot::Child(&self.linear1));
        f("linear2", Slot::Child(&self.linear2));
        f("norm1", Slot::Child(&self.norm1));
        f("norm2", Slot::Child(&self.norm2));
        f("norm3", Slot::Child(&self.norm3));
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
        self.self_attn.set_training(training);
        self.multihead_attn.set_training(training);
        for m in [&mut self.linear1, &mut self.linear2] {
            m.set_training(training);
        }
        for m in [&mut self.norm1, &mut self.norm2, &mut self.norm3] {
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

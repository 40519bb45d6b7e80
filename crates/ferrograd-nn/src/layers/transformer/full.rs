//! `torch.nn.Transformer` (batch first): an encoder and a decoder stack, each with a final
//! LayerNorm; the target side is always causal.

use ferrograd_core::{Error, Result, Tensor};

use super::config::TransformerLayerConfig;
use super::decoder_layer::DecoderMasks;
use super::stack::{TransformerDecoder, TransformerEncoder};
use crate::layers::attention::optional;
use crate::layers::AttendOptions;
use crate::module::{Module, Slot};

const OP: &str = "Transformer";

/// Sizes of a [`Transformer`]; the layer settings are shared by both stacks.
#[derive(Debug, Clone, PartialEq)]
pub struct TransformerConfig {
    /// d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, norm_first, bias
    /// (its `causal` is ignored: the decoder's self-attention is always causal).
    pub layer: TransformerLayerConfig,
    pub num_encoder_layers: usize,
    pub num_decoder_layers: usize,
}

/// Parameters `encoder.layers.N.…`, `encoder.norm.*`, `decoder.layers.N.…`, `decoder.norm.*`.
/// `forward_multi([src, tgt, src_key_padding_mask?, tgt_key_padding_mask?,
/// memory_key_padding_mask?])` → `[out]` (`[B, T, E]`).
pub struct Transformer {
    pub encoder: TransformerEncoder,
    pub decoder: TransformerDecoder,
    pub config: TransformerConfig,
    training: bool,
}

impl Transformer {
    pub fn new(config: &TransformerConfig, seed: Option<u64>) -> Result<Self> {
        let enc = TransformerLayerConfig {
            causal: false,
            ..config.layer.clone()
        };
        let dec = TransformerLayerConfig {
            causal: true,
            ..config.layer.clone()
        };
        Ok(Transformer {
            encoder: TransformerEncoder::new(&enc, config.num_encoder_layers, true, seed)?,
            decoder: TransformerDecoder::new(
                &dec,
                config.num_decoder_layers,
                true,
                seed.map(|s| s.wrapping_add(1 << 20)),
            )?,
            config: config.clone(),
            training: true,
        })
    }

    /// Encodes `src [B, S, E]` and decodes `tgt [B, T, E]` against it.
    pub fn run(&self, src: &Tensor, tgt: &Tensor, padding: [Option<Tensor>; 3]) -> Result<Tensor> {
        let [src_pad, tgt_pad, mem_pad] = padding;
        let memory = self.encoder.encode(
            src,
            &AttendOptions {
                key_padding_mask: src_pad,
                ..Default::default()
            },
        )?;
        let masks = DecoderMasks {
            self_attn: AttendOptions {
                key_padding_mask: tgt_pad,
                ..Default::default()
            },
            cross_attn: AttendOptions {
                key_padding_mask: mem_pad,
                ..Default::default()
            },
        };
        self.decoder.decode(tgt, &memory, &masks)
    }
}

impl Module for Transformer {
    fn type_name(&self) -> &'static str {
        OP
    }

    fn forward(&self, _x: &Tensor) -> Result<Tensor> {
        Err(Error::InvalidArgument {
            op: OP,
            msg: "takes a source and a target: call forward_multi([src, tgt, ...])".into(),
        })
    }

    fn forward_multi(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
        let [src, tgt, ..] = inputs else {
            return Err(Error::InvalidArgument {
                op: OP,
                msg: format!("takes [src, tgt, src_key_padding_mask?, tgt_key_padding_mask?, memory_key_padding_mask?], got {} inputs", inputs.len()),
            });
        };
        if inputs.len() > 5 {
            return Err(Error::InvalidArgument {
                op: OP,
                msg: format!("takes at most 5 inputs, got {}", inputs.len()),
            });
        }
        let pads = [
            optional(inputs, 2),
            optional(inputs, 3),
            optional(inputs, 4),
        ];
        Ok(vec![self.run(src, tgt, pads)?])
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Slot<'_>)) {
        f("encoder", Slot::Child(&self.encoder));
        f("decoder", Slot::Child(&self.decoder));
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
        self.encoder.set_training(training);
        self.decoder.set_training(training);
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn config(&self) -> Option<serde_json::Value> {
        let mut v = self.config.layer.to_json(OP);
        if let Some(o) = v.as_object_mut() {
            o.remove("causal");
            o.insert(
                "num_encoder_layers".into(),
                self.config.num_encoder_layers.into(),
            );
            o.insert(
                "num_decoder_layers".into(),
                self.config.num_decoder_layers.into(),
            );
        }
        Some(v)
    }
}

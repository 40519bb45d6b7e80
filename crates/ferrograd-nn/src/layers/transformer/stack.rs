//! `torch.nn.TransformerEncoder` / `TransformerDecoder`: `num_layers` identically configured
//! layers (`layers.0.…`, `layers.1.…`) and an optional final LayerNorm (`norm.*`).

use ferrograd_core::{Error, Result, Tensor};

use super::config::{apply_norm, TransformerLayerConfig};
use super::decoder_layer::{DecoderMasks, TransformerDecoderLayer};
use super::encoder_layer::{self_attention_masks, TransformerEncoderLayer};
use crate::layers::{AttendOptions, LayerNorm};
use crate::module::{Module, Slot};

fn check_layers(op: &'static str, n: usize) -> Result<()> {
    if n == 0 {
        return Err(Error::InvalidArgument {
            op,
            msg: "needs num_layers >= 1".into(),
        });
    }
    Ok(())
}

fn stack_json(
    type_name: &str,
    c: &TransformerLayerConfig,
    n: usize,
    norm: bool,
) -> serde_json::Value {
    let mut v = c.to_json(type_name);
    if let Some(o) = v.as_object_mut() {
        o.insert("num_layers".into(), n.into());
        o.insert("norm".into(), norm.into());
    }
    v
}

/// A stack of encoder layers. `forward_multi([src, src_key_padding_mask?, src_mask?])`.
pub struct TransformerEncoder {
    pub layers: Vec<TransformerEncoderLayer>,
    pub norm: Option<LayerNorm>,
    training: bool,
}

impl TransformerEncoder {
    /// `num_layers` layers from `config` (each with its own initial weights) and a final
    /// LayerNorm when `norm`.
    pub fn new(
        config: &TransformerLayerConfig,
        num_layers: usize,
        norm: bool,
        seed: Option<u64>,
    ) -> Result<Self> {
        check_layers("TransformerEncoder", num_layers)?;
        let layers = (0..num_layers)
            .map(|i| {
                TransformerEncoderLayer::new(config, seed.map(|s| s.wrapping_add(1000 * i as u64)))
            })
            .collect::<Result<_>>()?;
        Ok(TransformerEncoder {
            layers,
            norm: if norm { Some(config.norm()?) } else { None },
            training: true,
        })
    }

    pub fn encode(&self, src: &Tensor, options: &AttendOptions) -> Result<Tensor> {
        let mut x = src.clone();
        for layer in &self.layers {
            x = layer.encode(&x, options)?;
        }
        match &self.norm {
            Some(n) => apply_norm(n, &x),
            None => Ok(x),
        }
    }
}

impl Module for TransformerEncoder {
    fn type_name(&self) -> &'static str {
        "TransformerEncoder"
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.encode(x, &AttendOptions::default())
    }

    fn forward_multi(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
        let options = self_attention_masks("TransformerEncoder", inputs)?;
        Ok(vec![self.encode(&inputs[0], &options)?])
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Slot<'_>)) {
        for (i, l) in self.layers.iter().enumerate() {
            f(&format!("layers.{i}"), Slot::Child(l));
        }
        if let Some(n) = &self.norm {
            f("norm", Slot::Child(n));
        }
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
        for l in &mut self.layers {
            l.set_training(training);
        }
        if let Some(n) = &mut self.norm {
            n.set_training(training);
        }
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn config(&self) -> Option<serde_json::Value> {
        let first = self.layers.first()?;
        Some(stack_json(
            "TransformerEncoder",
            &first.config,
            self.layers.len(),
            self.norm.is_some(),
        ))
    }
}

/// A stack of decoder layers. `forward_multi([tgt, memory, tgt_key_padding_mask?,
/// memory_key_padding_mask?, tgt_mask?, memory_mask?])`.
pub struct TransformerDecoder {
    pub layers: Vec<TransformerDecoderLayer>,
    pub norm: Option<LayerNorm>,
    training: bool,
}

impl TransformerDecoder {
    pub fn new(
        config: &TransformerLayerConfig,
        num_layers: usize,
        norm: bool,
        seed: Option<u64>,
    ) -> Result<Self> {
        check_layers("TransformerDecoder", num_layers)?;
        let layers = (0..num_layers)
            .map(|i| {
                TransformerDecoderLayer::new(config, seed.map(|s| s.wrapping_add(1000 * i as u64)))
            })
            .collect::<Result<_>>()?;
        Ok(TransformerDecoder {
            layers,
            norm: if norm { Some(config.norm()?) } else { None },
            training: true,
        })
    }

    pub fn decode(&self, tgt: &Tensor, memory: &Tensor, masks: &DecoderMasks) -> Result<Tensor> {
        let mut x = tgt.clone();
        for layer in &self.layers {
            x = layer.decode(&x, memory, masks)?;
        }
        match &self.norm {
            Some(n) => apply_norm(n, &x),
            None => Ok(x),
        }
    }
}

impl Module for TransformerDecoder {
    fn type_name(&self) -> &'static str {
        "TransformerDecoder"
    }

    fn forward(&self, _x: &Tensor) -> Result<Tensor> {
        Err(Error::InvalidArgument {
            op: "TransformerDecoder",
            msg: "needs the encoder memory: call forward_multi([tgt, memory, ...])".into(),
        })
    }

    fn forward_multi(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
        let masks = DecoderMasks::from_inputs("TransformerDecoder", inputs)?;
        Ok(vec![self.decode(&inputs[0], &inputs[1], &masks)?])
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Slot<'_>)) {
        for (i, l) in self.layers.iter().enumerate() {
            f(&format!("layers.{i}"), Slot::Child(l));
        }
        if let Some(n) = &self.norm {
            f("norm", Slot::Child(n));
        }
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
        for l in &mut self.layers {
            l.set_training(training);
        }
        if let Some(n) = &mut self.norm {
            n.set_training(training);
        }
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn config(&self) -> Option<serde_json::Value> {
        let first = self.layers.first()?;
        Some(stack_json(
            "TransformerDecoder",
            &first.config,
            self.layers.len(),
            self.norm.is_some(),
        ))
    }
}

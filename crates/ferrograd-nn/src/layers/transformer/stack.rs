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

/// What a stack needs of its layer type.
pub trait StackedLayer: Module + Sized {
    /// The stack's type name (`"TransformerEncoder"`, ...).
    const STACK: &'static str;
    /// A freshly initialised layer.
    fn build(config: &TransformerLayerConfig, seed: Option<u64>) -> Result<Self>;
    /// The layer's hyper-parameters.
    fn layer_config(&self) -> &TransformerLayerConfig;
}

impl StackedLayer for TransformerEncoderLayer {
    const STACK: &'static str = "TransformerEncoder";
    fn build(config: &TransformerLayerConfig, seed: Option<u64>) -> Result<Self> {
        TransformerEncoderLayer::new(config, seed)
    }
    fn layer_config(&self) -> &TransformerLayerConfig {
        &self.config
    }
}

impl StackedLayer for TransformerDecoderLayer {
    const STACK: &'static str = "TransformerDecoder";
    fn build(config: &TransformerLayerConfig, seed: Option<u64>) -> Result<Self> {
        TransformerDecoderLayer::new(config, seed)
    }
    fn layer_config(&self) -> &TransformerLayerConfig {
        &self.config
    }
}

/// `num_layers` layers of one type and an optional final LayerNorm; the encoder and decoder
/// stacks differ only in how a layer is called.
pub struct Stack<L> {
    pub layers: Vec<L>,
    pub norm: Option<LayerNorm>,
    training: bool,
}

/// A stack of encoder layers. `forward_multi([src, src_key_padding_mask?, src_mask?])`.
pub type TransformerEncoder = Stack<TransformerEncoderLayer>;

/// A stack of decoder layers. `forward_multi([tgt, memory, tgt_key_padding_mask?,
/// memory_key_padding_mask?, tgt_mask?, memory_mask?])`.
pub type TransformerDecoder = Stack<TransformerDecoderLayer>;

impl<L: StackedLayer> Stack<L> {
    /// `num_layers` layers from `config` (each with its own initial weights) and a final
    /// LayerNorm when `norm`.
    pub fn new(
        config: &TransformerLayerConfig,
        num_layers: usize,
        norm: bool,
        seed: Option<u64>,
    ) -> Result<Self> {
        check_layers(L::STACK, num_layers)?;
        let layers = (0..num_layers)
            .map(|i| L::build(config, seed.map(|s| s.wrapping_add(1000 * i as u64))))
            .collect::<Result<_>>()?;
        Ok(Stack {
            layers,
            norm: if norm { Some(config.norm()?) } else { None },
            training: true,
        })
    }

    /// Runs `x` through every layer with `step`, then the final norm.
    fn run(&self, x: &Tensor, step: impl Fn(&L, &Tensor) -> Result<Tensor>) -> Result<Tensor> {
        let mut x = x.clone();
        for layer in &self.layers {
            x = step(layer, &x)?;
        }
        match &self.norm {
            Some(n) => apply_norm(n, &x),
            None => Ok(x),
        }
    }

    fn visit_children(&self, f: &mut dyn FnMut(&str, Slot<'_>)) {
        for (i, l) in self.layers.iter().enumerate() {
            f(&format!("layers.{i}"), Slot::Child(l));
        }
        if let Some(n) = &self.norm {
            f("norm", Slot::Child(n));
        }
    }

    fn set_children_training(&mut self, training: bool) {
        self.training = training;
        for l in &mut self.layers {
            l.set_training(training);
        }
        if let Some(n) = &mut self.norm {
            n.set_training(training);
        }
    }

    fn stack_config(&self) -> Option<serde_json::Value> {
        let mut v = self.layers.first()?.layer_config().to_json(L::STACK);
        if let Some(o) = v.as_object_mut() {
            o.insert("num_layers".into(), self.layers.len().into());
            o.insert("norm".into(), self.norm.is_some().into());
        }
        Some(v)
    }
}

impl TransformerEncoder {
    pub fn encode(&self, src: &Tensor, options: &AttendOptions) -> Result<Tensor> {
        self.run(src, |layer, x| layer.encode(x, options))
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
        self.visit_children(f);
    }

    fn set_training(&mut self, training: bool) {
        self.set_children_training(training);
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn config(&self) -> Option<serde_json::Value> {
        self.stack_config()
    }
}

impl TransformerDecoder {
    pub fn decode(&self, tgt: &Tensor, memory: &Tensor, masks: &DecoderMasks) -> Result<Tensor> {
        self.run(tgt, |layer, x| layer.decode(x, memory, masks))
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
        self.visit_children(f);
    }

    fn set_training(&mut self, training: bool) {
        self.set_children_training(training);
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn config(&self) -> Option<serde_json::Value> {
        self.stack_config()
    }
}

//! Hyper-parameters shared by the encoder and decoder layers, and their small helpers.

use ferrograd_core::{Error, Result, Tensor};

use crate::layers::{LayerNorm, MultiHeadAttention, MultiHeadAttentionConfig, TorchLinear};
use crate::module::Module;

/// Activation of the feed-forward block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedForwardActivation {
    Relu,
    /// Exact (erf) GELU, as torch's `activation="gelu"`.
    Gelu,
}

impl FeedForwardActivation {
    pub fn name(self) -> &'static str {
        match self {
            FeedForwardActivation::Relu => "relu",
            FeedForwardActivation::Gelu => "gelu",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "relu" => Some(FeedForwardActivation::Relu),
            "gelu" => Some(FeedForwardActivation::Gelu),
            _ => None,
        }
    }

    /// `activation(linear1(x))`, with ReLU fused into the linear op.
    pub(crate) fn linear1(self, linear1: &TorchLinear, x: &Tensor) -> Result<Tensor> {
        match self {
            FeedForwardActivation::Relu => x.linear_relu(&linear1.weight, linear1.bias.as_ref()),
            FeedForwardActivation::Gelu => self.apply(&linear1.forward(x)?),
        }
    }

    pub(crate) fn apply(self, x: &Tensor) -> Result<Tensor> {
        match self {
            FeedForwardActivation::Relu => x.relu(),
            FeedForwardActivation::Gelu => x.gelu(false),
        }
    }
}

/// `torch.nn.TransformerEncoderLayer` / `TransformerDecoderLayer` arguments (torch defaults in
/// [`TransformerLayerConfig::new`]), plus `causal` for the (decoder's) self-attention.
#[derive(Debug, Clone, PartialEq)]
pub struct TransformerLayerConfig {
    pub d_model: usize,
    pub nhead: usize,
    pub dim_feedforward: usize,
    pub dropout: f32,
    pub activation: FeedForwardActivation,
    pub layer_norm_eps: f32,
    /// Pre-norm (`true`) or post-norm (`false`, the original Transformer).
    pub norm_first: bool,
    pub bias: bool,
    /// Causal self-attention (no mask tensor needed).
    pub causal: bool,
}

impl TransformerLayerConfig {
    pub fn new(d_model: usize, nhead: usize) -> Self {
        TransformerLayerConfig {
            d_model,
            nhead,
            dim_feedforward: 2048,
            dropout: 0.1,
            activation: FeedForwardActivation::Relu,
            layer_norm_eps: 1e-5,
            norm_first: false,
            bias: true,
            causal: false,
        }
    }

    pub(crate) fn validate(&self, op: &'static str) -> Result<()> {
        if self.dim_feedforward == 0 || !(0.0..1.0).contains(&self.dropout) {
            return Err(Error::InvalidArgument {
                op,
                msg: format!(
                    "needs dim_feedforward > 0 and dropout in [0, 1), got {} and {}",
                    self.dim_feedforward, self.dropout
                ),
            });
        }
        Ok(())
    }

    pub(crate) fn attention(&self, causal: bool, seed: Option<u64>) -> Result<MultiHeadAttention> {
        let mut c = MultiHeadAttentionConfig::new(self.d_model, self.nhead);
        c.bias = self.bias;
        c.dropout = self.dropout;
        c.causal = causal;
        c.init(seed)
    }

    pub(crate) fn norm(&self) -> Result<LayerNorm> {
        LayerNorm::new(&[self.d_model], self.layer_norm_eps)
    }

    pub(crate) fn feed_forward(&self, seed: Option<u64>) -> Result<(TorchLinear, TorchLinear)> {
        let s = |i| seed.map(|s: u64| s.wrapping_add(i));
        Ok((
            TorchLinear::new(self.d_model, self.dim_feedforward, self.bias, s(101))?,
            TorchLinear::new(self.dim_feedforward, self.d_model, self.bias, s(102))?,
        ))
    }

    pub(crate) fn to_json(&self, type_name: &str) -> serde_json::Value {
        serde_json::json!({
            "type": type_name,
            "d_model": self.d_model,
            "nhead": self.nhead,
            "dim_feedforward": self.dim_feedforward,
            "dropout": self.dropout,
            "activation": self.activation.name(),
            "layer_norm_eps": self.layer_norm_eps,
            "norm_first": self.norm_first,
            "bias": self.bias,
            "causal": self.causal,
        })
    }
}

/// Inverted dropout in training, identity otherwise.
pub(crate) fn dropout(x: &Tensor, p: f32, training: bool) -> Result<Tensor> {
    if !training || p == 0.0 {
        return Ok(x.clone());
    }
    let keep = Tensor::rand(x.dims(), 0.0, 1.0, None)?.ge(&Tensor::scalar(p))?;
    x.mul(&keep)?.mul_scalar(1.0 / (1.0 - p))
}

/// `norm(x)` through the fused layer-norm op (one pass forward and backward instead of the
/// composed ops of `LayerNorm::forward`; first-order like the fused attention around it).
pub(crate) fn apply_norm(norm: &crate::layers::LayerNorm, x: &Tensor) -> Result<Tensor> {
    if norm.weight.rank() != 1 {
        return norm.forward(x);
    }
    x.layer_norm(Some(&norm.weight), Some(&norm.bias), norm.eps)
}

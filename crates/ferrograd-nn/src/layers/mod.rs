//! Built-in layers, one file per layer family. Each owns its parameters/buffers and declares them
//! through `Module::visit`; everything else (state dicts, freezing, counts) is generic.

mod activation;
mod activity;
mod attention;
mod conv;
mod dense;
mod dropout;
mod embedding;
mod normalization;
mod pool;
mod recurrent;
mod reshape;
mod transformer;

pub use activation::{Activation, ActivationKind};
pub use activity::ActivityRegularization;
pub use attention::{
    AttendOptions, LearnedPositionalEmbedding, MultiHeadAttention, MultiHeadAttentionConfig,
    RmsNorm, SinusoidalPositionalEncoding, TiedOutput, TorchLinear,
};
pub use conv::{Conv, ConvConfig, Padding};
pub use dense::{Constraint, Linear, LinearConfig};
pub use dropout::{Dropout, GaussianNoise, SpatialDropout};
pub use embedding::Embedding;
pub use normalization::{BatchNorm1d, BatchNorm2d, LayerNorm};
pub use pool::{GlobalPool, Pool, PoolKind, Upsample};
pub use recurrent::{MergeMode, Recurrent, RecurrentConfig, RnnCell, TimeDistributed};
pub use reshape::{Flatten, Permute, Reshape};
pub use transformer::{
    DecoderMasks, FeedForwardActivation, Stack, StackedLayer, Transformer, TransformerConfig,
    TransformerDecoder, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer,
    TransformerLayerConfig,
};

/// Implements the mode plumbing shared by layers without children.
macro_rules! leaf_mode {
    () => {
        fn set_training(&mut self, training: bool) {
            self.training = training;
        }

        fn is_training(&self) -> bool {
            self.training
        }
    };
}
pub(crate) use leaf_mode;

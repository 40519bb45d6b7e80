//! Registry entries of the attention and transformer layers.

use super::{LayerFields, LayerRegistry};
use crate::io::Result;
use crate::layers::{
    FeedForwardActivation, LearnedPositionalEmbedding, MultiHeadAttentionConfig, RmsNorm,
    SinusoidalPositionalEncoding, TiedOutput, TorchLinear, Transformer, TransformerConfig,
    TransformerDecoder, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer,
    TransformerLayerConfig,
};

const LAYER_FIELDS: [&str; 9] = [
    "d_model",
    "nhead",
    "dim_feedforward",
    "dropout",
    "activation",
    "layer_norm_eps",
    "norm_first",
    "bias",
    "causal",
];

fn layer_config(f: &LayerFields<'_>, causal: bool) -> Result<TransformerLayerConfig> {
    let name = f.str("activation")?;
    Ok(TransformerLayerConfig {
        d_model: f.usize("d_model")?,
        nhead: f.usize("nhead")?,
        dim_feedforward: f.usize("dim_feedforward")?,
        dropout: f.f32("dropout")?,
        activation: FeedForwardActivation::from_name(name)
            .ok_or_else(|| f.error("activation", format!("expected relu or gelu, got {name}")))?,
        layer_norm_eps: f.f32("layer_norm_eps")?,
        norm_first: f.bool("norm_first")?,
        bias: f.bool("bias")?,
        causal: if causal { f.bool("causal")? } else { false },
    })
}

pub(super) fn register(r: &mut LayerRegistry) {
    r.register("TorchLinear", |f, _| {
        f.only(&["in_features", "out_features", "bias"])?;
        let l = TorchLinear::new(
            f.usize("in_features")?,
            f.usize("out_features")?,
            f.bool("bias")?,
            None,
        );
        Ok(Box::new(l.map_err(|e| f.invalid(e))?))
    });
    r.register("MultiHeadAttention", |f, _| {
        f.only(&[
            "embed_dim",
            "num_heads",
            "kdim",
            "vdim",
            "bias",
            "dropout",
            "causal",
            "need_weights",
            "rotary_base",
        ])?;
        let c = MultiHeadAttentionConfig {
            embed_dim: f.usize("embed_dim")?,
            num_heads: f.usize("num_heads")?,
            kdim: Some(f.usize("kdim")?),
            vdim: Some(f.usize("vdim")?),
            bias: f.bool("bias")?,
            dropout: f.f32("dropout")?,
            causal: f.bool("causal")?,
            need_weights: f.bool("need_weights")?,
            rotary_base: f.opt_f32("rotary_base")?,
        };
        Ok(Box::new(c.init(None).map_err(|e| f.invalid(e))?))
    });
    r.register("TiedOutput", |f, _| {
        f.only(&["tied_to", "num_embeddings", "bias"])?;
        let t = TiedOutput::unbound(
            f.str("tied_to")?,
            f.usize("num_embeddings")?,
            f.bool("bias")?,
        );
        Ok(Box::new(t.map_err(|e| f.invalid(e))?))
    });
    r.register("RmsNorm", |f, _| {
        f.only(&["normalized_shape", "eps"])?;
        let n = RmsNorm::new(&f.usize_list("normalized_shape")?, f.opt_f32("eps")?);
        Ok(Box::new(n.map_err(|e| f.invalid(e))?))
    });
    r.register("SinusoidalPositionalEncoding", |f, _| {
        f.only(&["d_model", "max_len"])?;
        let p = SinusoidalPositionalEncoding::new(f.usize("d_model")?, f.usize("max_len")?);
        Ok(Box::new(p.map_err(|e| f.invalid(e))?))
    });
    r.register("LearnedPositionalEmbedding", |f, _| {
        f.only(&["max_len", "d_model"])?;
        let p = LearnedPositionalEmbedding::new(f.usize("max_len")?, f.usize("d_model")?, None);
        Ok(Box::new(p.map_err(|e| f.invalid(e))?))
    });
    r.register("TransformerEncoderLayer", |f, _| {
        f.only(&LAYER_FIELDS)?;
        let l = TransformerEncoderLayer::new(&layer_config(f, true)?, None);
        Ok(Box::new(l.map_err(|e| f.invalid(e))?))
    });
    r.register("TransformerDecoderLayer", |f, _| {
        f.only(&LAYER_FIELDS)?;
        let l = TransformerDecoderLayer::new(&layer_config(f, true)?, None);
        Ok(Box::new(l.map_err(|e| f.invalid(e))?))
    });
    let stack_fields: Vec<&str> = LAYER_FIELDS
        .iter()
        .copied()
        .chain(["num_layers", "norm"])
        .collect();
    let fields = stack_fields.clone();
    r.register("TransformerEncoder", move |f, _| {
        f.only(&fields)?;
        let s = TransformerEncoder::new(
            &layer_config(f, true)?,
            f.usize("num_layers")?,
            f.bool("norm")?,
            None,
        );
        Ok(Box::new(s.map_err(|e| f.invalid(e))?))
    });
    r.register("TransformerDecoder", move |f, _| {
        f.only(&stack_fields)?;
        let s = TransformerDecoder::new(
            &layer_config(f, true)?,
            f.usize("num_layers")?,
            f.bool("norm")?,
            None,
        );
        Ok(Box::new(s.map_err(|e| f.invalid(e))?))
    });
    r.register("Transformer", |f, _| {
        let mut allowed: Vec<&str> = LAYER_FIELDS[..8].to_vec();
        allowed.extend(["num_encoder_layers", "num_decoder_layers"]);
        f.only(&allowed)?;
        let c = TransformerConfig {
            layer: layer_config(f, false)?,
            num_encoder_layers: f.usize("num_encoder_layers")?,
            num_decoder_layers: f.usize("num_decoder_layers")?,
        };
        Ok(Box::new(
            Transformer::new(&c, None).map_err(|e| f.invalid(e))?,
        ))
    });
}

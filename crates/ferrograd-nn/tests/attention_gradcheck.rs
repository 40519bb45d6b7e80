//! Finite-difference gradient checks of the attention and transformer layers (small sizes),
//! with respect to their inputs and, for the attention projections and RMS norm, their weights.

use ferrograd_core::grad_check::check_gradients;
use ferrograd_core::{AttnMask, Result, Tensor};
use ferrograd_nn::layers::{
    AttendOptions, Embedding, FeedForwardActivation, LearnedPositionalEmbedding,
    MultiHeadAttentionConfig, RmsNorm, SinusoidalPositionalEncoding, Transformer,
    TransformerConfig, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer,
    TransformerLayerConfig,
};
use ferrograd_nn::module::Module;

const EPS: f32 = 1e-3;
const ATOL: f32 = 2e-2;
const RTOL: f32 = 2e-2;

fn randn(shape: &[usize], seed: u64) -> Tensor {
    Tensor::randn(shape, 0.0, 1.0, Some(seed)).unwrap()
}

fn check(name: &str, inputs: Vec<Tensor>, f: impl Fn(&[Tensor]) -> Result<Tensor>) {
    if let Err(e) = check_gradients(f, &inputs, EPS, ATOL, RTOL) {
        panic!("{name}: {e}");
    }
}

fn padding() -> Tensor {
    Tensor::from_vec(vec![0., 0., 0., 0., 0., 0., 0., 0., 1., 1.], &[2, 5]).unwrap()
}

#[test]
fn mha_self_attention_input_and_weights() {
    let c = MultiHeadAttentionConfig::new(4, 2);
    let base = c.init(Some(3)).unwrap();
    let w = base.in_proj_weight.clone().unwrap().detach();
    let wo = base.out_proj.weight.detach();
    check("mha self", vec![randn(&[2, 5, 4], 1), w, wo], |x| {
        let mut m = c.init(Some(3))?;
        m.in_proj_weight = Some(x[1].clone());
        m.out_proj.weight = x[2].clone();
        let o = AttendOptions {
            key_padding_mask: Some(padding()),
            causal: true,
            ..Default::default()
        };
        Ok(m.attend(&x[0], &x[0], &x[0], &o)?.0)
    });
}

#[test]
fn mha_cross_attention_kdim_vdim_and_weights_output() {
    let mut c = MultiHeadAttentionConfig::new(4, 2);
    c.kdim = Some(3);
    c.vdim = Some(5);
    let m = c.init(Some(4)).unwrap();
    let inputs = vec![
        randn(&[2, 3, 4], 1),
        randn(&[2, 5, 3], 2),
        randn(&[2, 5, 5], 3),
    ];
    let mask = AttnMask::Additive(randn(&[3, 5], 9));
    check("mha cross", inputs.clone(), |x| {
        let o = AttendOptions {
            key_padding_mask: Some(padding()),
            attn_mask: Some(mask.clone()),
            ..Default::default()
        };
        Ok(m.attend(&x[0], &x[1], &x[2], &o)?.0)
    });
    check("mha averaged weights", inputs, |x| {
        let o = AttendOptions {
            need_weights: true,
            ..Default::default()
        };
        let (out, w) = m.attend(&x[0], &x[1], &x[2], &o)?;
        // Both results matter: weights are [B, L, S], the output [B, L, E].
        out.sum(Some(&[-1]), false)?.unsqueeze(-1)?.mul(&w.unwrap())
    });
}

#[test]
fn mha_with_rotary_embedding() {
    let mut c = MultiHeadAttentionConfig::new(8, 2);
    c.rotary_base = Some(10000.0);
    c.causal = true;
    let m = c.init(Some(5)).unwrap();
    check("mha rotary", vec![randn(&[1, 4, 8], 1)], |x| {
        m.forward(&x[0])
    });
}

#[test]
fn rms_norm_input_and_weight() {
    let n = RmsNorm::new(&[6], Some(1e-5)).unwrap();
    check("rms norm", vec![randn(&[3, 6], 1), randn(&[6], 2)], |x| {
        let mut n2 = RmsNorm::new(&[6], Some(1e-5))?;
        n2.weight = x[1].clone();
        n2.forward(&x[0])
    });
    assert_eq!(n.weight.to_vec(), vec![1.0; 6]);
}

#[test]
fn positional_encodings_and_tied_output() {
    let s = SinusoidalPositionalEncoding::new(6, 10).unwrap();
    check("sinusoidal", vec![randn(&[2, 4, 6], 1)], |x| {
        s.forward(&x[0])
    });
    let l = LearnedPositionalEmbedding::new(10, 6, Some(1)).unwrap();
    check("learned", vec![randn(&[2, 4, 6], 1)], |x| l.forward(&x[0]));
    let e = Embedding::new(7, 6, Some(1)).unwrap();
    let tied = e.tied_output(true).unwrap();
    check("tied output", vec![randn(&[2, 3, 6], 1)], |x| {
        tied.forward(&x[0])
    });
}

fn small(norm_first: bool, act: FeedForwardActivation) -> TransformerLayerConfig {
    let mut c = TransformerLayerConfig::new(4, 2);
    c.dim_feedforward = 6;
    c.dropout = 0.0;
    c.norm_first = norm_first;
    c.activation = act;
    c
}

#[test]
fn encoder_layers_both_norm_placements() {
    for (nf, act) in [
        (false, FeedForwardActivation::Relu),
        (true, FeedForwardActivation::Gelu),
    ] {
        let l = TransformerEncoderLayer::new(&small(nf, act), Some(1)).unwrap();
        check("encoder layer", vec![randn(&[2, 5, 4], 2)], |x| {
            Ok(l.forward_multi(&[x[0].clone(), padding()])?.remove(0))
        });
    }
    let stack =
        TransformerEncoder::new(&small(true, FeedForwardActivation::Relu), 2, true, Some(2))
            .unwrap();
    check("encoder stack", vec![randn(&[1, 3, 4], 3)], |x| {
        stack.forward(&x[0])
    });
}

#[test]
fn decoder_layer_and_transformer() {
    for nf in [false, true] {
        let mut c = small(nf, FeedForwardActivation::Gelu);
        c.causal = true;
        let l = TransformerDecoderLayer::new(&c, Some(1)).unwrap();
        check(
            "decoder layer",
            vec![randn(&[2, 3, 4], 2), randn(&[2, 5, 4], 3)],
            |x| {
                let empty = Tensor::zeros(&[0]);
                Ok(
                    l.forward_multi(&[x[0].clone(), x[1].clone(), empty, padding()])?
                        .remove(0),
                )
            },
        );
    }
    let t = Transformer::new(
        &TransformerConfig {
            layer: small(false, FeedForwardActivation::Relu),
            num_encoder_layers: 1,
            num_decoder_layers: 1,
        },
        Some(3),
    )
    .unwrap();
    check(
        "transformer",
        vec![randn(&[2, 5, 4], 4), randn(&[2, 3, 4], 5)],
        |x| Ok(t.forward_multi(&[x[0].clone(), x[1].clone()])?.remove(0)),
    );
}

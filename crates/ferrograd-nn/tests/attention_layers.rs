//! Attention/transformer layers as modules: torch parameter names, config round trips through
//! the registry (save/load), summary(), argument errors and weight tying.

use ferrograd_core::Tensor;
use ferrograd_nn::layers::{
    Embedding, LearnedPositionalEmbedding, MultiHeadAttentionConfig, RmsNorm,
    SinusoidalPositionalEncoding, TorchLinear, Transformer, TransformerConfig, TransformerDecoder,
    TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer, TransformerLayerConfig,
};
use ferrograd_nn::model::{load_model, save_model, LayerRegistry};
use ferrograd_nn::module::{named_parameters, summary, Module, Network, Sequential};

fn names(m: &dyn Module) -> Vec<String> {
    named_parameters(m).into_iter().map(|(n, _)| n).collect()
}

fn layer_config() -> TransformerLayerConfig {
    let mut c = TransformerLayerConfig::new(8, 2);
    c.dim_feedforward = 16;
    c
}

#[test]
fn parameter_names_follow_torch() {
    let mha = MultiHeadAttentionConfig::new(8, 2).init(Some(1)).unwrap();
    assert_eq!(
        names(&mha),
        [
            "in_proj_weight",
            "in_proj_bias",
            "out_proj.weight",
            "out_proj.bias"
        ]
    );
    let mut c = MultiHeadAttentionConfig::new(8, 2);
    c.kdim = Some(3);
    let sep = c.init(Some(1)).unwrap();
    assert_eq!(
        names(&sep)[..3],
        ["q_proj_weight", "k_proj_weight", "v_proj_weight"]
    );
    assert_eq!(sep.separate.as_ref().unwrap()[1].dims(), [8, 3]);
    let enc = TransformerEncoderLayer::new(&layer_config(), Some(1)).unwrap();
    assert_eq!(
        names(&enc),
        [
            "self_attn.in_proj_weight",
            "self_attn.in_proj_bias",
            "self_attn.out_proj.weight",
            "self_attn.out_proj.bias",
            "linear1.weight",
            "linear1.bias",
            "linear2.weight",
            "linear2.bias",
            "norm1.weight",
            "norm1.bias",
            "norm2.weight",
            "norm2.bias"
        ]
    );
    let dec = TransformerDecoderLayer::new(&layer_config(), Some(1)).unwrap();
    assert!(names(&dec).contains(&"multihead_attn.in_proj_weight".to_string()));
    assert!(names(&dec).contains(&"norm3.bias".to_string()));
    let t = Transformer::new(
        &TransformerConfig {
            layer: layer_config(),
            num_encoder_layers: 2,
            num_decoder_layers: 1,
        },
        Some(1),
    )
    .unwrap();
    let n = names(&t);
    assert!(n.contains(&"encoder.layers.1.linear2.weight".to_string()));
    assert!(n.contains(&"encoder.norm.weight".to_string()));
    assert!(n.contains(&"decoder.layers.0.multihead_attn.out_proj.bias".to_string()));
    assert!(n.contains(&"decoder.norm.bias".to_string()));
}

#[test]
fn every_layer_round_trips_through_its_config() {
    let mut mc = MultiHeadAttentionConfig::new(8, 4);
    mc.kdim = Some(5);
    mc.rotary_base = Some(500.0);
    mc.need_weights = true;
    let layers: Vec<Box<dyn Module>> = vec![
        Box::new(TorchLinear::new(3, 4, false, None).unwrap()),
        Box::new(mc.init(None).unwrap()),
        Box::new(RmsNorm::new(&[8], None).unwrap()),
        Box::new(RmsNorm::new(&[8], Some(1e-6)).unwrap()),
        Box::new(SinusoidalPositionalEncoding::new(8, 32).unwrap()),
        Box::new(LearnedPositionalEmbedding::new(32, 8, None).unwrap()),
        Box::new(TransformerEncoderLayer::new(&layer_config(), None).unwrap()),
        Box::new(TransformerDecoderLayer::new(&layer_config(), None).unwrap()),
        Box::new(TransformerEncoder::new(&layer_config(), 2, true, None).unwrap()),
        Box::new(TransformerDecoder::new(&layer_config(), 2, false, None).unwrap()),
        Box::new(
            Transformer::new(
                &TransformerConfig {
                    layer: layer_config(),
                    num_encoder_layers: 1,
                    num_decoder_layers: 2,
                },
                None,
            )
            .unwrap(),
        ),
    ];
    let reg = LayerRegistry::with_builtins();
    for l in &layers {
        let config = l.config().unwrap();
        let rebuilt = reg
            .build_layer(&config, "0")
            .unwrap_or_else(|e| panic!("{config}: {e}"));
        assert_eq!(rebuilt.config().unwrap(), config);
        assert_eq!(names(rebuilt.as_ref()), names(l.as_ref()));
    }
}

#[test]
fn saved_encoder_model_reloads_with_the_same_outputs_and_summary_works() {
    let mut c = layer_config();
    c.dropout = 0.0;
    let model = Sequential::new(vec![
        Box::new(SinusoidalPositionalEncoding::new(8, 16).unwrap()),
        Box::new(TransformerEncoder::new(&c, 2, true, Some(3)).unwrap()),
        Box::new(TorchLinear::new(8, 3, true, Some(4)).unwrap()),
    ]);
    let x = Tensor::randn(&[2, 5, 8], 0.0, 1.0, Some(1)).unwrap();
    let y = model.forward(&x).unwrap().to_vec();
    let dir = std::env::temp_dir().join(format!("fg_attn_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("enc.safetensors");
    save_model(&path, &model).unwrap();
    let loaded = load_model(&path).unwrap();
    let y2 = loaded.forward(&x).unwrap().to_vec();
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(y, y2);
    let text = summary(&Network::from(model), &[vec![2, 5, 8]]).unwrap();
    assert!(text.contains("TransformerEncoder"), "{text}");
    assert!(text.contains("[2, 5, 3]"), "{text}");
}

#[test]
fn bad_arguments_name_the_layer_and_values() {
    let e = MultiHeadAttentionConfig::new(10, 3)
        .init(None)
        .err()
        .unwrap();
    assert!(
        e.to_string().contains("num_heads (3)") && e.to_string().contains("(10)"),
        "{e}"
    );
    let m = MultiHeadAttentionConfig::new(8, 2).init(None).unwrap();
    let x = Tensor::zeros(&[2, 5, 8]);
    let bad_pad = Tensor::zeros(&[2, 4]);
    let e = m
        .forward_multi(&[x.clone(), x.clone(), x.clone(), bad_pad])
        .unwrap_err();
    assert!(e.to_string().contains("key padding mask"), "{e}");
    assert!(m.forward(&Tensor::zeros(&[2, 5, 7])).is_err());
    let dec = TransformerDecoderLayer::new(&layer_config(), None).unwrap();
    assert!(dec.forward(&x).is_err());
}

#[test]
fn tied_output_shares_the_embedding_weight() {
    let e = Embedding::new(5, 4, Some(1)).unwrap();
    let out = e.tied_output(false).unwrap();
    assert!(names(&out).is_empty());
    let ids = Tensor::from_vec(vec![0.0, 3.0], &[2]).unwrap();
    let logits = out.forward(&e.forward(&ids).unwrap()).unwrap();
    assert_eq!(logits.dims(), [2, 5]);
    logits.sum(None, false).unwrap().backward().unwrap();
    // Both uses (lookup and projection) reach the one weight.
    let g = e.weight.grad().unwrap().to_vec();
    assert!(
        g[4..8].iter().any(|&v| v != 0.0),
        "row 1 gets gradient only via the projection"
    );
    assert_eq!(e.attend(&Tensor::ones(&[4])).unwrap().dims(), [5]);
}

//! Parity with PyTorch 1.13 for MultiheadAttention, TransformerEncoderLayer,
//! TransformerDecoderLayer and Transformer: torch's state_dict is loaded by name (strict), and
//! the outputs plus the gradients of every input and parameter are compared.
//! Fixtures: `fixtures/torch/attention.json` from `scripts/gen_torch_attention_fixtures.py`.

use std::collections::BTreeMap;

use ferrograd_core::Tensor;
use ferrograd_nn::layers::{
    FeedForwardActivation, MultiHeadAttentionConfig, Transformer, TransformerConfig,
    TransformerDecoderLayer, TransformerEncoderLayer, TransformerLayerConfig,
};
use ferrograd_nn::module::{load_state_dict, named_parameters, Module};
use serde_json::Value;

const RTOL: f32 = 1e-4;
const ATOL: f32 = 2e-5;

fn tensor(v: &Value) -> Tensor {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect();
    let data: Vec<f32> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| match x {
            Value::String(s) if s == "-inf" => f32::NEG_INFINITY,
            x => x.as_f64().unwrap() as f32,
        })
        .collect();
    Tensor::from_vec(data, &shape).unwrap()
}

fn close(what: &str, got: &Tensor, want: &Tensor) {
    assert_eq!(got.dims(), want.dims(), "{what}: shape");
    for (i, (a, e)) in got.to_vec().iter().zip(want.to_vec()).enumerate() {
        assert!(
            (a - e).abs() <= ATOL + RTOL * e.abs(),
            "{what}: element {i}: got {a}, expected {e}"
        );
    }
}

fn cases(kind: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/torch/attention.json"
    ))
    .unwrap();
    let all: Value = serde_json::from_str(&text).unwrap();
    let out: Vec<Value> = all["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == kind)
        .cloned()
        .collect();
    assert!(!out.is_empty(), "no {kind} cases");
    out
}

fn mask(case: &Value, name: &str) -> Tensor {
    case["masks"]
        .get(name)
        .map(tensor)
        .unwrap_or_else(|| Tensor::zeros(&[0]))
}

fn layer_config(c: &Value) -> TransformerLayerConfig {
    let mut lc = TransformerLayerConfig::new(
        c["d_model"].as_u64().unwrap() as usize,
        c["nhead"].as_u64().unwrap() as usize,
    );
    lc.dim_feedforward = c["dim_feedforward"].as_u64().unwrap() as usize;
    lc.dropout = 0.0;
    lc.activation = FeedForwardActivation::from_name(c["activation"].as_str().unwrap()).unwrap();
    lc.norm_first = c["norm_first"].as_bool().unwrap();
    lc
}

/// Loads the state, runs `inputs` (leaves named as in the fixture), backpropagates
/// `sum(out · proj)` and compares everything.
fn check(case: &Value, module: &dyn Module, input_names: &[&str], mask_names: &[&str]) {
    let name = case["name"].as_str().unwrap();
    let state: BTreeMap<String, Tensor> = case["state_dict"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), tensor(v)))
        .collect();
    load_state_dict(module, &state, true).unwrap_or_else(|e| panic!("{name}: load: {e}"));
    let leaves: Vec<Tensor> = input_names
        .iter()
        .map(|n| {
            let t = tensor(&case["inputs"][*n]);
            t.set_requires_grad(true).unwrap();
            t
        })
        .collect();
    let mut args = leaves.clone();
    args.extend(mask_names.iter().map(|m| mask(case, m)));
    let outs = module.forward_multi(&args).unwrap();
    let want = case["outputs"].as_array().unwrap();
    assert_eq!(outs.len(), want.len(), "{name}: output count");
    for (i, (o, w)) in outs.iter().zip(want).enumerate() {
        close(&format!("{name} output {i}"), o, &tensor(w));
    }
    let proj = tensor(&case["proj"]);
    outs[0]
        .mul(&proj)
        .unwrap()
        .sum(None, false)
        .unwrap()
        .backward()
        .unwrap();
    for (n, l) in input_names.iter().zip(&leaves) {
        close(
            &format!("{name} grad {n}"),
            &l.grad().unwrap(),
            &tensor(&case["grad_inputs"][*n]),
        );
    }
    let params = named_parameters(module);
    let want = case["grad_params"].as_object().unwrap();
    assert_eq!(params.len(), want.len(), "{name}: parameter count");
    for (n, p) in params {
        close(
            &format!("{name} grad {n}"),
            &p.grad().unwrap(),
            &tensor(&want[&n]),
        );
    }
}

#[test]
fn multihead_attention_matches_torch() {
    for case in cases("mha") {
        let c = &case["config"];
        let mut mc = MultiHeadAttentionConfig::new(
            c["embed_dim"].as_u64().unwrap() as usize,
            c["num_heads"].as_u64().unwrap() as usize,
        );
        mc.kdim = Some(c["kdim"].as_u64().unwrap() as usize);
        mc.vdim = Some(c["vdim"].as_u64().unwrap() as usize);
        mc.need_weights = c["need_weights"].as_bool().unwrap();
        let m = mc.init(Some(1)).unwrap();
        let names: &[&str] = if case["inputs"].get("key").is_some() {
            &["query", "key", "value"]
        } else {
            &["query"]
        };
        if names.len() == 1 {
            // Self-attention: the same tensor as query, key and value, then the masks.
            let name = case["name"].as_str().unwrap();
            let x = tensor(&case["inputs"]["query"]);
            x.set_requires_grad(true).unwrap();
            let state: BTreeMap<String, Tensor> = case["state_dict"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), tensor(v)))
                .collect();
            load_state_dict(&m, &state, true).unwrap();
            let args = vec![
                x.clone(),
                x.clone(),
                x.clone(),
                mask(&case, "key_padding_mask"),
                mask(&case, "attn_mask"),
            ];
            let outs = m.forward_multi(&args).unwrap();
            let want = case["outputs"].as_array().unwrap();
            assert_eq!(outs.len(), want.len(), "{name}: output count");
            for (i, (o, w)) in outs.iter().zip(want).enumerate() {
                close(&format!("{name} output {i}"), o, &tensor(w));
            }
            let proj = tensor(&case["proj"]);
            outs[0]
                .mul(&proj)
                .unwrap()
                .sum(None, false)
                .unwrap()
                .backward()
                .unwrap();
            close(
                &format!("{name} grad x"),
                &x.grad().unwrap(),
                &tensor(&case["grad_inputs"]["query"]),
            );
            for (n, p) in named_parameters(&m) {
                close(
                    &format!("{name} grad {n}"),
                    &p.grad().unwrap(),
                    &tensor(&case["grad_params"][&n]),
                );
            }
        } else {
            check(&case, &m, names, &["key_padding_mask", "attn_mask"]);
        }
    }
}

#[test]
fn transformer_encoder_layer_matches_torch() {
    for case in cases("encoder_layer") {
        let m = TransformerEncoderLayer::new(&layer_config(&case["config"]), Some(2)).unwrap();
        check(&case, &m, &["src"], &["src_key_padding_mask", "src_mask"]);
    }
}

#[test]
fn transformer_decoder_layer_matches_torch() {
    for case in cases("decoder_layer") {
        let m = TransformerDecoderLayer::new(&layer_config(&case["config"]), Some(3)).unwrap();
        check(
            &case,
            &m,
            &["tgt", "memory"],
            &[
                "tgt_key_padding_mask",
                "memory_key_padding_mask",
                "tgt_mask",
            ],
        );
    }
}

#[test]
fn transformer_matches_torch() {
    for case in cases("transformer") {
        let c = &case["config"];
        let tc = TransformerConfig {
            layer: layer_config(c),
            num_encoder_layers: c["num_encoder_layers"].as_u64().unwrap() as usize,
            num_decoder_layers: c["num_decoder_layers"].as_u64().unwrap() as usize,
        };
        let m = Transformer::new(&tc, Some(4)).unwrap();
        // [src, tgt, src_key_padding_mask, tgt_key_padding_mask (none), memory_key_padding_mask]
        check(
            &case,
            &m,
            &["src", "tgt"],
            &[
                "src_key_padding_mask",
                "tgt_key_padding_mask",
                "memory_key_padding_mask",
            ],
        );
    }
}

#[test]
fn encoder_layer_loads_a_state_dict_torch_saved_as_safetensors() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/torch/attention_encoder_layer.safetensors"
    );
    let st = ferrograd_nn::io::load_file(path).unwrap();
    let state: BTreeMap<String, Tensor> = st.tensors().unwrap().into_iter().collect();
    let case = cases("safetensors").remove(0);
    let mut c = layer_config(&case["config"]);
    c.dropout = 0.0;
    let layer = TransformerEncoderLayer::new(&c, Some(9)).unwrap();
    load_state_dict(&layer, &state, true).unwrap();
    let out = layer.forward(&tensor(&case["inputs"]["src"])).unwrap();
    close(
        "safetensors encoder layer",
        &out,
        &tensor(&case["outputs"][0]),
    );
}

//! Weight tying through configs: an output projection saved as `TiedOutput { tied_to }` is bound
//! to its sibling embedding's weight when the model is built, so both uses train one tensor and
//! the state dict stores it once.

use ferrograd_core::Tensor;
use ferrograd_nn::model::network_from_config;
use ferrograd_nn::module::{named_parameters, Module};

fn lm(tied_to: &str) -> serde_json::Value {
    serde_json::json!({"type": "Sequential", "layers": [
        {"type": "Embedding", "num_embeddings": 7, "dim": 4},
        {"type": "TiedOutput", "tied_to": tied_to, "num_embeddings": 7, "bias": true},
    ]})
}

#[test]
fn a_tied_output_scores_against_the_embedding_rows_and_shares_its_gradient() {
    let net = network_from_config(&lm("0")).unwrap();
    let names: Vec<String> = named_parameters(&net).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, vec!["0.weight", "1.bias"]);
    let ids = Tensor::from_vec(vec![1.0, 3.0, 5.0], &[1, 3]).unwrap();
    let logits = net.forward(&ids).unwrap();
    assert_eq!(logits.dims(), &[1, 3, 7]);
    let weight = named_parameters(&net)[0].1.clone();
    let w = weight.to_vec();
    let out = logits.to_vec();
    // Position 0 embeds id 1 and scores it against every row: logit[j] = <E[1], E[j]>.
    for j in 0..7 {
        let dot: f32 = (0..4).map(|k| w[4 + k] * w[j * 4 + k]).sum();
        assert!((out[j] - dot).abs() < 1e-5, "{j}: {} vs {dot}", out[j]);
    }
    logits.sum(None, false).unwrap().backward().unwrap();
    let g = weight.grad().unwrap().to_vec();
    // Rows never looked up still receive gradient from the output projection.
    assert!(g[0..4].iter().any(|v| *v != 0.0));
}

#[test]
fn a_tie_to_a_missing_layer_is_a_config_error() {
    let err = network_from_config(&lm("embedding"))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("is tied to 'embedding', which is not a layer of this model"),
        "{err}"
    );
    let wrong = serde_json::json!({"type": "Sequential", "layers": [
        {"type": "Embedding", "num_embeddings": 5, "dim": 4},
        {"type": "TiedOutput", "tied_to": "0", "num_embeddings": 7, "bias": false},
    ]});
    let err = network_from_config(&wrong).err().unwrap().to_string();
    assert!(err.contains("num_embeddings=7"), "{err}");
}

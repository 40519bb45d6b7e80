//! save_model / load_model / sequential_from_config.

use std::collections::BTreeMap;

use ferrograd_core::{no_grad, Tensor};
use ferrograd_nn::io::save_file;
use ferrograd_nn::layers::{Activation, ActivationKind, BatchNorm1d, Dropout, LinearConfig};
use ferrograd_nn::model::{load_model, save_model, sequential_from_config};
use ferrograd_nn::module::{state_dict, Module, Sequential};
use serde_json::json;

fn model() -> Sequential {
    let mut m = Sequential::new(vec![
        Box::new(LinearConfig::new(5, 8).init(Some(1)).unwrap()),
        Box::new(BatchNorm1d::new(8, 1e-5, 0.1).unwrap()),
        Box::new(Activation::new(ActivationKind::LeakyRelu { alpha: 0.1 })),
        Box::new(Dropout::new(0.3).unwrap()),
        Box::new(Sequential::new(vec![Box::new(
            LinearConfig::new(8, 3).init(Some(2)).unwrap(),
        )])),
    ]);
    // Update the batch-norm running statistics so buffers differ from their defaults.
    let x = Tensor::randn(&[16, 5], 0.0, 1.0, Some(3)).unwrap();
    no_grad(|| m.forward(&x)).unwrap();
    m.set_training(false);
    m
}

fn tmp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("ferrograd-model-{}-{name}", std::process::id()))
}

#[test]
fn round_trip_gives_identical_predictions_and_buffers() {
    let m = model();
    let path = tmp("roundtrip.safetensors");
    save_model(&path, &m).unwrap();
    let mut loaded = load_model(&path).unwrap();
    loaded.set_training(false);
    assert_eq!(loaded.config(), m.config());
    let x = Tensor::randn(&[4, 5], 0.0, 1.0, Some(9)).unwrap();
    let a = no_grad(|| m.forward(&x)).unwrap().to_vec();
    let b = no_grad(|| loaded.forward(&x)).unwrap().to_vec();
    assert_eq!(a, b);
    let sa = state_dict(&m);
    let sb = state_dict(&loaded);
    assert_eq!(sa.keys().collect::<Vec<_>>(), sb.keys().collect::<Vec<_>>());
    assert!(sa.contains_key("1.running_mean") && sa.contains_key("4.0.weight"));
    for (k, t) in &sa {
        assert_eq!(t.to_vec(), sb[k].to_vec(), "{k}");
    }
    let st = ferrograd_nn::io::load_file(&path).unwrap();
    assert_eq!(st.metadata()["format"], "ferrograd");
    assert_eq!(st.metadata()["version"], "1");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn malformed_architectures_are_errors_naming_layer_and_field() {
    let cases = [
        (
            json!({"type": "Sequential", "layers": [{"type": "Linear", "in_features": 3, "out_features": -1, "bias": true}]}),
            "layer 0 (Linear): field 'out_features'",
        ),
        (
            json!({"type": "Sequential", "layers": [{"type": "Relu"}]}),
            "unknown layer type 'Relu'",
        ),
        (
            json!({"type": "Sequential", "layers": [{"type": "Dropout", "p": 0.1, "rate": 2}]}),
            "field 'rate': unknown field",
        ),
        (
            json!({"type": "Sequential", "layers": [{"type": "Dropout", "p": 1.5}]}),
            "layer 0 (Dropout)",
        ),
        (
            json!({"type": "Sequential", "layers": [{"type": "Flatten", "start": 1, "end": -1}, {"type": "Sequential", "layers": [{"type": "Activation", "activation": "relu", "param": 3}]}]}),
            "layer 1.0 (Activation): field 'param'",
        ),
        (
            json!({"type": "Sequential", "layers": [{"type": "Linear", "in_features": 3, "bias": true}]}),
            "field 'out_features': missing",
        ),
        (json!({"type": "Model", "layers": []}), "top-level 'type'"),
        (json!([1, 2]), "top level"),
    ];
    for (cfg, want) in cases {
        let err = sequential_from_config(&cfg)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains(want), "{cfg}: got '{err}', want '{want}'");
    }
    // A valid config builds.
    let cfg = model().config().unwrap();
    assert_eq!(sequential_from_config(&cfg).unwrap().config().unwrap(), cfg);
}

fn write(path: &std::path::Path, arch: &str, tensors: &[(&str, Tensor)]) {
    let mut meta = BTreeMap::new();
    meta.insert("format".to_owned(), "ferrograd".to_owned());
    meta.insert("version".to_owned(), "1".to_owned());
    meta.insert("architecture".to_owned(), arch.to_owned());
    let list: Vec<(String, &Tensor)> = tensors.iter().map(|(k, t)| (k.to_string(), t)).collect();
    save_file(path, &list, &meta).unwrap();
}

#[test]
fn mismatched_weights_and_bad_files_are_errors() {
    let arch = r#"{"type":"Sequential","layers":[{"type":"Linear","in_features":2,"out_features":3,"bias":true}]}"#;
    let path = tmp("mismatch.safetensors");
    let w = Tensor::zeros(&[2, 3]);
    let b = Tensor::zeros(&[3]);
    write(
        &path,
        arch,
        &[("0.weight", w.clone()), ("0.bias", b.clone())],
    );
    assert!(load_model(&path).is_ok());
    write(&path, arch, &[("0.weight", w.clone())]);
    assert!(load_model(&path)
        .err()
        .unwrap()
        .to_string()
        .contains("missing tensor '0.bias'"));
    write(
        &path,
        arch,
        &[
            ("0.weight", w.clone()),
            ("0.bias", b.clone()),
            ("1.weight", b.clone()),
        ],
    );
    assert!(load_model(&path)
        .err()
        .unwrap()
        .to_string()
        .contains("unexpected tensor '1.weight'"));
    write(
        &path,
        arch,
        &[("0.weight", Tensor::zeros(&[3, 2])), ("0.bias", b.clone())],
    );
    assert!(load_model(&path)
        .err()
        .unwrap()
        .to_string()
        .contains("'0.weight' has shape [3, 2]"));
    write(
        &path,
        "{not json",
        &[("0.weight", w.clone()), ("0.bias", b.clone())],
    );
    assert!(load_model(&path)
        .err()
        .unwrap()
        .to_string()
        .contains("not valid JSON"));
    // Plain safetensors without ferrograd metadata.
    save_file(&path, &[("0.weight".to_string(), &w)], &BTreeMap::new()).unwrap();
    assert!(load_model(&path)
        .err()
        .unwrap()
        .to_string()
        .contains("not a ferrograd model"));
    // Truncated file.
    save_model(&path, &model()).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    for cut in [bytes.len() - 1, bytes.len() / 2, 10, 0] {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        assert!(load_model(&path).is_err(), "truncated at {cut}");
    }
    assert!(load_model(tmp("does-not-exist")).is_err());
    let _ = std::fs::remove_file(&path);
}

//! The Keras-style losses of `compile`/`fit` beyond PyTorch's built-ins (kld, hinge, squared
//! hinge, cosine similarity, log-cosh, poisson): batch-mean values and prediction gradients from
//! `fixtures/torch/keras_losses.json` (`scripts/gen_keras_loss_fixtures.py`).

use ferrograd_core::Tensor;
use ferrograd_nn::spec::loss_from_spec;
use serde_json::Value;

fn tensor(v: &Value) -> Tensor {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data: Vec<f32> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    Tensor::from_vec(data, &shape).unwrap()
}

#[test]
fn keras_losses_match_the_reference_values_and_gradients() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/torch/keras_losses.json"
    ))
    .unwrap();
    let fixture: Value = serde_json::from_str(&text).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 7);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let kind = loss_from_spec(&case["spec"]).unwrap();
        let pred = tensor(&case["pred"]);
        pred.set_requires_grad(true).unwrap();
        let loss = kind.compute(&pred, &tensor(&case["target"])).unwrap();
        let expected = case["loss"].as_f64().unwrap();
        let got = loss.item().unwrap() as f64;
        assert!(
            (got - expected).abs() <= 1e-5 + 1e-4 * expected.abs(),
            "{name}: {got} vs {expected}"
        );
        loss.backward().unwrap();
        let grad = pred.grad().unwrap().to_vec();
        let want = tensor(&case["grad"]).to_vec();
        for (i, (g, w)) in grad.iter().zip(&want).enumerate() {
            assert!(
                (g - w).abs() <= 1e-5 + 1e-4 * w.abs(),
                "{name} grad[{i}]: {g} vs {w}"
            );
        }
    }
}

#[test]
fn hinge_rejects_labels_other_than_plus_minus_one_or_zero_one() {
    let kind = loss_from_spec(&serde_json::json!("hinge")).unwrap();
    let err = kind
        .compute(
            &Tensor::zeros(&[2, 1]),
            &Tensor::from_vec(vec![2.0, -1.0], &[2, 1]).unwrap(),
        )
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("hingeLoss"), "{err}");
    let err = loss_from_spec(&serde_json::json!({"type": "poisson", "delta": 1}))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("no option 'delta'"), "{err}");
}

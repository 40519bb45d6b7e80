//! BatchNorm1d / BatchNorm2d against torch.nn (fixtures/torch/batchnorm.json from
//! scripts/gen_torch_norm_fixtures.py): training-mode output, input and affine gradients, running
//! statistics, and eval-mode output; plus finite-difference gradient checks.

use ferrograd_core::grad_check::check_gradients;
use ferrograd_core::{BackwardOptions, Tensor};
use ferrograd_nn::layers::{BatchNorm1d, BatchNorm2d};
use ferrograd_nn::module::{named_buffers, named_parameters, Module};
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

fn close(got: &[f32], want: &[f32], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-4 + 1e-4 * w.abs(),
            "{what}[{i}]: {g} vs {w}"
        );
    }
}

#[test]
fn batch_norm_matches_torch_in_training_and_eval() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/torch/batchnorm.json"
    ))
    .unwrap();
    let fx: Value = serde_json::from_str(&text).unwrap();
    let cases = fx["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let x = tensor(&case["x"]);
        let c = x.dims()[1];
        let mut layer: Box<dyn Module> = if case["module"] == "BatchNorm2d" {
            Box::new(BatchNorm2d::new(c, 1e-5, 0.1).unwrap())
        } else {
            Box::new(BatchNorm1d::new(c, 1e-5, 0.1).unwrap())
        };
        let params = named_parameters(layer.as_ref());
        params[0]
            .1
            .assign_data(&tensor(&case["weight"]).to_vec())
            .unwrap();
        params[1]
            .1
            .assign_data(&tensor(&case["bias"]).to_vec())
            .unwrap();
        x.set_requires_grad(true).unwrap();
        let y = layer.forward(&x).unwrap();
        close(
            &y.to_vec(),
            &tensor(&case["y"]).to_vec(),
            &format!("{name} y"),
        );
        y.backward_with(BackwardOptions {
            gradient: Some(tensor(&case["upstream"])),
            create_graph: false,
        })
        .unwrap();
        close(
            &x.grad().unwrap().to_vec(),
            &tensor(&case["grad_x"]).to_vec(),
            &format!("{name} grad x"),
        );
        close(
            &params[0].1.grad().unwrap().to_vec(),
            &tensor(&case["grad_weight"]).to_vec(),
            &format!("{name} grad weight"),
        );
        close(
            &params[1].1.grad().unwrap().to_vec(),
            &tensor(&case["grad_bias"]).to_vec(),
            &format!("{name} grad bias"),
        );
        let buffers = named_buffers(layer.as_ref());
        let get = |n: &str| buffers.iter().find(|(k, _)| k == n).unwrap().1.to_vec();
        close(
            &get("running_mean"),
            &tensor(&case["running_mean"]).to_vec(),
            &format!("{name} running mean"),
        );
        close(
            &get("running_var"),
            &tensor(&case["running_var"]).to_vec(),
            &format!("{name} running var"),
        );
        layer.set_training(false);
        let plain = tensor(&case["x"]);
        close(
            &layer.forward(&plain).unwrap().to_vec(),
            &tensor(&case["y_eval"]).to_vec(),
            &format!("{name} eval"),
        );
    }
}

#[test]
fn batch_norm_2d_gradients_pass_finite_differences() {
    let bn = BatchNorm2d::new(2, 1e-5, 0.1).unwrap();
    let x = Tensor::randn(&[3, 2, 3, 2], 0.0, 1.0, Some(4)).unwrap();
    let report = check_gradients(|xs| bn.forward(&xs[0]), &[x], 1e-3, 3e-3, 2e-2);
    assert!(report.is_ok(), "{report:?}");
}

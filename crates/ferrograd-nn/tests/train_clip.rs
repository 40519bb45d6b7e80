//! Gradient clipping inside the training step (Keras `clipnorm` / `clipvalue`).

use ferrograd_core::Tensor;
use ferrograd_nn::layers::LinearConfig;
use ferrograd_nn::module::{named_parameters, Sequential};
use ferrograd_nn::spec::{clipping_from_spec, optimizer_from_spec};
use ferrograd_nn::train::{LossKind, Trainer};
use serde_json::json;

fn trainer(clip: serde_json::Value) -> (Trainer, Vec<Vec<f32>>) {
    let model = Sequential::new(vec![Box::new(
        LinearConfig::new(3, 2).init(Some(1)).unwrap(),
    )]);
    let params: Vec<Tensor> = named_parameters(&model)
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    let before = params.iter().map(|p| p.to_vec()).collect();
    let spec = json!({"type": "sgd", "lr": 1.0})
        .as_object()
        .unwrap()
        .clone()
        .into_iter()
        .chain(clip.as_object().unwrap().clone())
        .collect();
    let spec = serde_json::Value::Object(spec);
    let mut t = Trainer::new(
        model,
        LossKind::Mse,
        optimizer_from_spec(params, &spec).unwrap(),
        vec![],
    );
    (t.clip_norm, t.clip_value) = clipping_from_spec(&spec).unwrap();
    (t, before)
}

fn step_sizes(t: &mut Trainer, before: &[Vec<f32>]) -> Vec<f32> {
    // Targets far from the outputs: unclipped gradients would be large.
    let x = Tensor::from_vec(vec![1.0, -2.0, 3.0, 0.5, 0.5, 0.5], &[2, 3]).unwrap();
    let y = Tensor::full(&[2, 2], 100.0);
    t.train_on_batch(&x, &y).unwrap();
    let after: Vec<Vec<f32>> = named_parameters(&t.model)
        .into_iter()
        .map(|(_, p)| p.to_vec())
        .collect();
    after
        .iter()
        .zip(before)
        .flat_map(|(a, b)| a.iter().zip(b).map(|(x, y)| x - y).collect::<Vec<_>>())
        .collect()
}

#[test]
fn clip_value_bounds_every_update_element() {
    let (mut t, before) = trainer(json!({"clipValue": 0.01}));
    let steps = step_sizes(&mut t, &before);
    assert!(steps.iter().all(|d| d.abs() <= 0.01 + 1e-6), "{steps:?}");
    assert!(
        steps.iter().any(|d| (d.abs() - 0.01).abs() < 1e-6),
        "some element should hit the clip: {steps:?}"
    );
}

#[test]
fn clip_norm_bounds_the_global_update_norm() {
    let (mut t, before) = trainer(json!({"clipNorm": 0.5}));
    let steps = step_sizes(&mut t, &before);
    let norm = steps.iter().map(|d| d * d).sum::<f32>().sqrt();
    assert!((norm - 0.5).abs() < 1e-3, "global update norm {norm}");
    let (mut free, before) = trainer(json!({}));
    let unclipped = step_sizes(&mut free, &before)
        .iter()
        .map(|d| d * d)
        .sum::<f32>()
        .sqrt();
    assert!(
        unclipped > 10.0,
        "without clipping the step is large: {unclipped}"
    );
    assert!(clipping_from_spec(&json!({"type": "sgd", "clipNorm": -1})).is_err());
}

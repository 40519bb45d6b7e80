//! Modules and layers: forward values, train/eval behaviour, state dicts, freezing, summary,
//! gradients through a model, and XOR learned by a two-layer MLP.

use ferrograd_core::{grad_check::check_gradients, manual_seed, no_grad, Tensor};
use ferrograd_nn::layers::{
    Activation, ActivationKind, BatchNorm1d, Dropout, Embedding, Flatten, LayerNorm, LinearConfig,
};
use ferrograd_nn::module::{
    load_state_dict, named_parameters, parameter_count, set_trainable, state_dict, summary, Module,
    Network, Sequential,
};

fn t(data: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_vec(data.to_vec(), shape).unwrap()
}

fn close(a: &[f32], b: &[f32], tol: f32) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol, "element {i}: {x} vs {y}");
    }
}

fn mlp(seed: u64) -> Sequential {
    Sequential::new(vec![
        Box::new(LinearConfig::new(2, 8).init(Some(seed)).unwrap()),
        Box::new(Activation::new(ActivationKind::Tanh)),
        Box::new(LinearConfig::new(8, 1).init(Some(seed + 10)).unwrap()),
        Box::new(Activation::new(ActivationKind::Sigmoid { steepness: 1.0 })),
    ])
}

#[test]
fn linear_computes_x_w_plus_b_and_checks_shapes() {
    let layer = LinearConfig::new(3, 2).init(Some(1)).unwrap();
    layer
        .weight
        .assign_data(&[1.0, 0.0, 0.0, 1.0, 1.0, 1.0])
        .unwrap();
    layer
        .bias
        .as_ref()
        .unwrap()
        .assign_data(&[0.5, -0.5])
        .unwrap();
    let y = layer.forward(&t(&[1.0, 2.0, 3.0], &[1, 3])).unwrap();
    assert_eq!(y.to_vec(), vec![4.5, 4.5]);
    let err = layer
        .forward(&t(&[1.0, 2.0], &[1, 2]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Linear") && err.contains("in_features=3"),
        "{err}"
    );
}

#[test]
fn named_parameters_state_dict_and_strict_loading() {
    let a = mlp(1);
    let names: Vec<String> = named_parameters(&a).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, vec!["0.weight", "0.bias", "2.weight", "2.bias"]);
    assert_eq!(parameter_count(&a, false), 2 * 8 + 8 + 8 + 1);
    let b = mlp(99);
    let x = t(&[0.3, -0.7], &[1, 2]);
    assert_ne!(
        a.forward(&x).unwrap().to_vec(),
        b.forward(&x).unwrap().to_vec()
    );
    let report = load_state_dict(&b, &state_dict(&a), true).unwrap();
    assert!(report.missing.is_empty() && report.unexpected.is_empty());
    assert_eq!(
        a.forward(&x).unwrap().to_vec(),
        b.forward(&x).unwrap().to_vec()
    );

    let mut partial = state_dict(&a);
    partial.remove("2.bias");
    partial.insert("9.weight".into(), Tensor::zeros(&[1]));
    let err = load_state_dict(&b, &partial, true).unwrap_err().to_string();
    assert!(
        err.contains("missing keys: 2.bias") && err.contains("unexpected keys: 9.weight"),
        "{err}"
    );
    let report = load_state_dict(&b, &partial, false).unwrap();
    assert_eq!(report.missing, vec!["2.bias"]);
    let mut bad = state_dict(&a);
    bad.insert("0.weight".into(), Tensor::zeros(&[8, 2]));
    let err = load_state_dict(&b, &bad, false).unwrap_err().to_string();
    assert!(
        err.contains("0.weight: expected [2, 8], got [8, 2]"),
        "{err}"
    );
}

#[test]
fn freezing_removes_parameters_from_backward() {
    let model = mlp(2);
    set_trainable(model.layers()[0].as_ref(), false).unwrap();
    assert_eq!(parameter_count(&model, true), 9);
    let loss = model
        .forward(&t(&[1.0, 2.0], &[1, 2]))
        .unwrap()
        .sum(None, false)
        .unwrap();
    loss.backward().unwrap();
    let params = named_parameters(&model);
    assert!(params[0].1.grad().is_none() && params[1].1.grad().is_none());
    assert!(params[2].1.grad().is_some());
}

#[test]
fn gradients_through_a_model_match_finite_differences() {
    let model = mlp(3);
    let x = t(&[0.5, -1.0, 2.0, 0.1, -0.3, 0.8], &[3, 2]);
    // Gradient with respect to the input (as adversarial examples need), through every layer.
    check_gradients(|v| model.forward(&v[0]), &[x], 1e-3, 2e-3, 2e-2).unwrap();
}

#[test]
fn dropout_is_inverted_in_training_and_identity_in_eval() {
    manual_seed(5);
    let mut d = Dropout::new(0.25).unwrap();
    let x = Tensor::ones(&[100_000]);
    let y = d.forward(&x).unwrap().to_vec();
    let zeros = y.iter().filter(|&&v| v == 0.0).count() as f32 / y.len() as f32;
    assert!((zeros - 0.25).abs() < 0.01, "dropped {zeros}");
    assert!(y.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.75).abs() < 1e-6));
    d.set_training(false);
    assert_eq!(d.forward(&x).unwrap().to_vec(), x.to_vec());
    assert!(Dropout::new(1.0).is_err());
}

#[test]
fn batch_norm_uses_batch_statistics_in_training_and_running_ones_in_eval() {
    let mut bn = BatchNorm1d::new(2, 1e-5, 0.1).unwrap();
    let x = t(&[1.0, 10.0, 3.0, 20.0, 5.0, 30.0], &[3, 2]);
    let y = bn.forward(&x).unwrap().to_vec();
    // Channel 0: mean 3, biased var 8/3 -> (x - 3)/sqrt(8/3 + eps)
    let s0 = (8.0f32 / 3.0 + 1e-5).sqrt();
    close(&[y[0], y[2], y[4]], &[-2.0 / s0, 0.0, 2.0 / s0], 1e-5);
    // Running stats: 0.9 * init + 0.1 * batch (unbiased var 4 and 100).
    close(&bn.running_mean.to_vec(), &[0.3, 2.0], 1e-6);
    close(&bn.running_var.to_vec(), &[0.9 + 0.4, 0.9 + 10.0], 1e-5);
    assert_eq!(bn.num_batches_tracked.item().unwrap(), 1.0);
    bn.set_training(false);
    let e = bn.forward(&x).unwrap().to_vec();
    close(
        &e[..2],
        &[
            (1.0 - 0.3) / (1.3f32 + 1e-5).sqrt(),
            (10.0 - 2.0) / (10.9f32 + 1e-5).sqrt(),
        ],
        1e-5,
    );
    assert!(BatchNorm1d::new(2, 1e-5, 0.1)
        .unwrap()
        .forward(&t(&[1.0, 2.0], &[1, 2]))
        .is_err());
    // 3-D input normalises over batch and length.
    let mut bn3 = BatchNorm1d::new(2, 1e-5, 0.1).unwrap();
    let y3 = bn3
        .forward(
            &Tensor::arange(0.0, 12.0, 1.0)
                .unwrap()
                .reshape(&[2, 2, 3])
                .unwrap(),
        )
        .unwrap();
    assert_eq!(y3.dims(), &[2, 2, 3]);
    let m = y3.mean(Some(&[0, 2]), false).unwrap().to_vec();
    close(&m, &[0.0, 0.0], 1e-5);
    bn3.set_training(false);
    assert_eq!(
        state_dict(&bn3).keys().cloned().collect::<Vec<_>>(),
        vec![
            "bias",
            "num_batches_tracked",
            "running_mean",
            "running_var",
            "weight"
        ]
    );
}

#[test]
fn layer_norm_embedding_flatten_and_maxout() {
    let ln = LayerNorm::new(&[3], 1e-5).unwrap();
    let y = ln
        .forward(&t(&[1.0, 2.0, 3.0, 2.0, 2.0, 2.0], &[2, 3]))
        .unwrap()
        .to_vec();
    let s = (2.0f32 / 3.0 + 1e-5).sqrt();
    close(&y, &[-1.0 / s, 0.0, 1.0 / s, 0.0, 0.0, 0.0], 1e-4);
    let emb = Embedding::new(5, 3, Some(1)).unwrap();
    let out = emb.forward(&t(&[4.0, 0.0, 4.0, 1.0], &[2, 2])).unwrap();
    assert_eq!(out.dims(), &[2, 2, 3]);
    assert_eq!(
        out.narrow(1, 0, 1)
            .unwrap()
            .narrow(0, 0, 1)
            .unwrap()
            .to_vec(),
        emb.weight.narrow(0, 4, 1).unwrap().to_vec()
    );
    assert!(emb.forward(&t(&[5.0], &[1])).is_err());
    assert_eq!(
        Flatten::default()
            .forward(&Tensor::zeros(&[2, 3, 4]))
            .unwrap()
            .dims(),
        &[2, 12]
    );
    let maxout = Activation::new(ActivationKind::Maxout { pieces: 2 });
    assert_eq!(
        maxout
            .forward(&t(&[1.0, 5.0, -2.0, -3.0], &[1, 4]))
            .unwrap()
            .to_vec(),
        vec![5.0, -2.0]
    );
    assert!(maxout.forward(&t(&[1.0, 2.0, 3.0], &[1, 3])).is_err());
    let steep = Activation::new(ActivationKind::Sigmoid { steepness: 4.0 });
    close(
        &steep.forward(&t(&[0.5], &[1])).unwrap().to_vec(),
        &[1.0 / (1.0 + (-2.0f32).exp())],
        1e-6,
    );
}

#[test]
fn summary_lists_layers_output_shapes_and_parameter_counts() {
    let model = mlp(4);
    let text = summary(&Network::from(model), &[vec![1, 2]]).unwrap();
    assert!(
        text.contains("0 (Linear)") && text.contains("[1, 8]") && text.contains("24"),
        "{text}"
    );
    assert!(
        text.contains("3 (Activation)") && text.contains("[1, 1]"),
        "{text}"
    );
    assert!(
        text.ends_with("Total params: 33 (trainable 33, frozen 0)\n"),
        "{text}"
    );
}

#[test]
fn a_two_layer_mlp_learns_xor() {
    manual_seed(0);
    let model = mlp(7);
    let x = t(&[0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0], &[4, 2]);
    let y = t(&[0.0, 1.0, 1.0, 0.0], &[4, 1]);
    let params = named_parameters(&model);
    for _ in 0..2000 {
        let loss = model
            .forward(&x)
            .unwrap()
            .sub(&y)
            .unwrap()
            .square()
            .unwrap()
            .mean(None, false)
            .unwrap();
        loss.backward().unwrap();
        no_grad(|| {
            for (_, p) in &params {
                let g = p.grad().unwrap();
                p.assign_data(&p.sub(&g.mul_scalar(2.0).unwrap()).unwrap().to_vec())
                    .unwrap();
                p.zero_grad();
            }
        });
    }
    let out = model.forward(&x).unwrap().to_vec();
    let predicted: Vec<f32> = out
        .iter()
        .map(|&v| if v > 0.5 { 1.0 } else { 0.0 })
        .collect();
    assert_eq!(predicted, vec![0.0, 1.0, 1.0, 0.0], "outputs {out:?}");
}

#[test]
fn kernel_regularizers_add_l1_and_l2_penalties_and_survive_save() {
    let mut config = LinearConfig::new(2, 1);
    config.kernel_l1 = 0.5;
    config.kernel_l2 = 0.25;
    let layer = config.init(Some(1)).unwrap();
    layer.weight.assign_data(&[1.0, -2.0]).unwrap();
    // 0.5 * (1 + 2) + 0.25 * (1 + 4)
    assert_eq!(
        layer
            .regularization_loss()
            .unwrap()
            .unwrap()
            .item()
            .unwrap(),
        1.5 + 1.25
    );
    let model = Sequential::new(vec![
        Box::new(layer),
        Box::new(Activation::new(ActivationKind::Tanh)),
    ]);
    assert_eq!(
        model
            .regularization_loss()
            .unwrap()
            .unwrap()
            .item()
            .unwrap(),
        2.75
    );
    let rebuilt = ferrograd_nn::model::sequential_from_config(&model.config().unwrap()).unwrap();
    assert_eq!(rebuilt.config(), model.config());
    assert!(LinearConfig {
        kernel_l2: -1.0,
        ..LinearConfig::new(2, 1)
    }
    .init(None)
    .is_err());
    assert!(LinearConfig::new(2, 1)
        .init(None)
        .unwrap()
        .regularization_loss()
        .unwrap()
        .is_none());
}

#[test]
fn reshape_and_permute_layers_keep_the_batch_axis_and_round_trip() {
    use ferrograd_nn::layers::{Permute, Reshape};
    let x = Tensor::arange(0.0, 12.0, 1.0)
        .unwrap()
        .reshape(&[2, 6])
        .unwrap();
    let r = Reshape::new(vec![3, -1]);
    let y = r.forward(&x).unwrap();
    assert_eq!(y.dims(), &[2, 3, 2]);
    let p = Permute::new(vec![2, 1]).unwrap();
    let z = p.forward(&y).unwrap();
    assert_eq!(z.dims(), &[2, 2, 3]);
    assert_eq!(
        z.narrow(0, 0, 1).unwrap().to_vec(),
        vec![0.0, 2.0, 4.0, 1.0, 3.0, 5.0]
    );
    assert!(Permute::new(vec![1, 1]).is_err());
    let model = Sequential::new(vec![Box::new(r), Box::new(p), Box::new(Flatten::default())]);
    let rebuilt = ferrograd_nn::model::sequential_from_config(&model.config().unwrap()).unwrap();
    assert_eq!(
        rebuilt.forward(&x).unwrap().to_vec(),
        model.forward(&x).unwrap().to_vec()
    );
}

#[test]
fn weight_constraints_project_after_each_step_and_round_trip() {
    use ferrograd_nn::layers::Constraint;
    let mut config = LinearConfig::new(2, 2);
    config.kernel_constraint = Some(Constraint::MaxNorm { max: 1.0 });
    let layer = config.init(Some(3)).unwrap();
    layer.weight.assign_data(&[3.0, 0.1, 4.0, 0.2]).unwrap(); // column norms 5 and ~0.22
    layer.apply_constraints().unwrap();
    let w = layer.weight.to_vec();
    assert!(
        (w[0] - 0.6).abs() < 1e-5 && (w[2] - 0.8).abs() < 1e-5,
        "{w:?}"
    );
    assert!(
        (w[1] - 0.1).abs() < 1e-6 && (w[3] - 0.2).abs() < 1e-6,
        "small columns untouched: {w:?}"
    );
    let mut nonneg = LinearConfig::new(1, 2);
    nonneg.kernel_constraint = Some(Constraint::NonNeg);
    let l2 = nonneg.init(None).unwrap();
    l2.weight.assign_data(&[-1.0, 2.0]).unwrap();
    l2.apply_constraints().unwrap();
    assert_eq!(l2.weight.to_vec(), vec![0.0, 2.0]);
    let model = Sequential::new(vec![Box::new(layer)]);
    let rebuilt = ferrograd_nn::model::sequential_from_config(&model.config().unwrap()).unwrap();
    assert_eq!(rebuilt.config(), model.config());
    assert!(
        Constraint::from_json(&serde_json::json!({"type": "maxNorm", "maxValue": -1})).is_err()
    );
    assert!(Constraint::from_json(&serde_json::json!({"type": "positive"})).is_err());
}

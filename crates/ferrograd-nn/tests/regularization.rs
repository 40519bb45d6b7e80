//! Activity regularisation (L1/L2 on activations, KL sparsity) and optimizer parameter groups.

use std::sync::atomic::AtomicBool;

use ferrograd_core::grad_check::check_gradients;
use ferrograd_core::Tensor;
use ferrograd_nn::layers::{Activation, ActivationKind, ActivityRegularization, LinearConfig};
use ferrograd_nn::model::network_from_config;
use ferrograd_nn::module::{named_parameters, Module, Sequential};
use ferrograd_nn::spec::{optimizer_from_named, optimizer_from_spec};
use ferrograd_nn::train::{FitOptions, LossKind, NoCallback, Trainer};

fn t(data: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_vec(data.to_vec(), shape).unwrap()
}

#[test]
fn activity_penalties_match_their_formulas_and_are_handed_out_once() {
    let a = t(&[0.1, 0.9, 0.3, 0.5, 0.2, 0.4], &[3, 2]);
    let l1l2 = ActivityRegularization::new(0.5, 0.25, None).unwrap();
    l1l2.forward(&a).unwrap();
    let sum_abs: f32 = a.to_vec().iter().map(|v| v.abs()).sum();
    let sum_sq: f32 = a.to_vec().iter().map(|v| v * v).sum();
    let expected = (0.5 * sum_abs + 0.25 * sum_sq) / 3.0;
    let got = l1l2.regularization_loss().unwrap().unwrap().item().unwrap();
    assert!((got - expected).abs() < 1e-6, "{got} vs {expected}");
    assert!(
        l1l2.regularization_loss().unwrap().is_none(),
        "handed out once"
    );

    let (rho, beta) = (0.1f32, 2.0f32);
    let kl = ActivityRegularization::new(0.0, 0.0, Some((rho, beta))).unwrap();
    kl.forward(&a).unwrap();
    let means = [(0.1 + 0.3 + 0.2) / 3.0f32, (0.9 + 0.5 + 0.4) / 3.0];
    let expected: f32 = beta
        * means
            .iter()
            .map(|&m| rho * (rho / m).ln() + (1.0 - rho) * ((1.0 - rho) / (1.0 - m)).ln())
            .sum::<f32>();
    let got = kl.regularization_loss().unwrap().unwrap().item().unwrap();
    assert!((got - expected).abs() < 1e-5, "{got} vs {expected}");

    let mut eval = ActivityRegularization::new(1.0, 0.0, None).unwrap();
    eval.set_training(false);
    eval.forward(&a).unwrap();
    assert!(
        eval.regularization_loss().unwrap().is_none(),
        "eval mode records nothing"
    );
    assert!(ActivityRegularization::new(0.0, 0.0, Some((1.5, 1.0))).is_err());
    assert!(ActivityRegularization::new(-1.0, 0.0, None).is_err());
}

#[test]
fn activity_penalty_gradients_pass_finite_differences() {
    let x = Tensor::rand(&[4, 3], 0.2, 0.8, Some(3)).unwrap();
    let reg = ActivityRegularization::new(0.3, 0.7, Some((0.2, 1.5))).unwrap();
    let report = check_gradients(
        |xs| {
            reg.forward(&xs[0])?;
            Ok(reg.regularization_loss()?.unwrap_or(Tensor::scalar(0.0)))
        },
        &[x],
        1e-3,
        2e-3,
        1e-2,
    );
    assert!(report.is_ok(), "{report:?}");
}

/// 8 -> 6 (sigmoid code, optional KL sparsity) -> 8 autoencoder.
fn autoencoder(kl: Option<(f32, f32)>) -> Sequential {
    let mut layers: Vec<Box<dyn Module>> = vec![
        Box::new(LinearConfig::new(8, 6).init(Some(1)).unwrap()),
        Box::new(Activation::new(ActivationKind::Sigmoid { steepness: 1.0 })),
    ];
    if kl.is_some() {
        layers.push(Box::new(ActivityRegularization::new(0.0, 0.0, kl).unwrap()));
    }
    layers.push(Box::new(LinearConfig::new(6, 8).init(Some(2)).unwrap()));
    Sequential::new(layers)
}

fn mean_code(model: &Sequential, x: &Tensor) -> f32 {
    let layers = model.layers();
    let code = layers[1].forward(&layers[0].forward(x).unwrap()).unwrap();
    code.mean(None, false).unwrap().item().unwrap()
}

#[test]
fn a_kl_sparsity_target_drives_the_mean_code_activation_to_the_target() {
    let x = Tensor::rand(&[256, 8], 0.0, 1.0, Some(5)).unwrap();
    let mut means = Vec::new();
    for kl in [None, Some((0.05, 3.0))] {
        let model = autoencoder(kl);
        let params = named_parameters(&model)
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        let opt =
            optimizer_from_spec(params, &serde_json::json!({"type": "adam", "lr": 0.01})).unwrap();
        let mut trainer = Trainer::new(model, LossKind::Mse, opt, vec![]);
        let opts = FitOptions {
            epochs: 60,
            batch_size: 32,
            ..FitOptions::default()
        };
        trainer
            .fit(&x, &x, &opts, &mut NoCallback, &AtomicBool::new(false))
            .unwrap();
        let ferrograd_nn::module::Network::Sequential(model) = &trainer.model else {
            unreachable!()
        };
        means.push(mean_code(model, &x));
    }
    assert!(means[0] > 0.2, "unregularised mean activation {}", means[0]);
    assert!(
        (means[1] - 0.05).abs() < 0.03,
        "KL-regularised mean activation {}",
        means[1]
    );
}

#[test]
fn activity_regularization_configs_round_trip() {
    let config = serde_json::json!({"type": "Sequential", "layers": [
        {"type": "ActivityRegularization", "l1": 0.01, "l2": 0.0, "kl_target": 0.05, "kl_weight": 2.0}
    ]});
    let net = network_from_config(&config).unwrap();
    assert_eq!(
        net.config().unwrap()["layers"][0]["kl_target"],
        0.05f32 as f64
    );
    let bad = serde_json::json!({"type": "Sequential", "layers": [
        {"type": "ActivityRegularization", "l1": 0.01, "l2": 0.0, "kl_target": 2.0, "kl_weight": 1.0}
    ]});
    let e = network_from_config(&bad).err().unwrap().to_string();
    assert!(
        e.contains("ActivityRegularization") && e.contains("(0, 1)"),
        "{e}"
    );
}

fn two_layer() -> Sequential {
    Sequential::new(vec![
        Box::new(LinearConfig::new(3, 4).init(Some(7)).unwrap()),
        Box::new(Activation::new(ActivationKind::Tanh)),
        Box::new(LinearConfig::new(4, 1).init(Some(8)).unwrap()),
    ])
}

#[test]
fn parameter_groups_by_name_pattern_get_their_own_options() {
    let model = two_layer();
    let before: Vec<Vec<f32>> = named_parameters(&model)
        .iter()
        .map(|(_, p)| p.to_vec())
        .collect();
    let spec = serde_json::json!({"type": "sgd", "lr": 0.1, "paramGroups": [
        {"params": ["*.bias"], "lr": 0.0},
        {"params": ["2.weight"], "lr": 0.5}
    ]});
    let opt = optimizer_from_named(named_parameters(&model), &spec).unwrap();
    assert_eq!(opt.group_lrs(), vec![0.1, 0.0, 0.5]);
    let mut trainer = Trainer::new(model, LossKind::Mse, opt, vec![]);
    let x = Tensor::randn(&[16, 3], 0.0, 1.0, Some(1)).unwrap();
    let y = Tensor::randn(&[16, 1], 0.0, 1.0, Some(2)).unwrap();
    trainer.train_on_batch(&x, &y).unwrap();
    let after: Vec<(String, Vec<f32>)> = named_parameters(&trainer.model)
        .into_iter()
        .map(|(n, p)| (n, p.to_vec()))
        .collect();
    for ((name, now), old) in after.iter().zip(&before) {
        let moved = now.iter().zip(old).any(|(a, b)| a != b);
        assert_eq!(moved, !name.ends_with("bias"), "{name}");
    }
    // Schedules keep the ratio between groups.
    trainer.optimizer.set_lr(0.01).unwrap();
    let lrs = trainer.optimizer.group_lrs();
    assert!(
        (lrs[0] - 0.01).abs() < 1e-9 && lrs[1] == 0.0 && (lrs[2] - 0.05).abs() < 1e-8,
        "{lrs:?}"
    );

    let overlap = serde_json::json!({"type": "sgd", "paramGroups": [{"params": ["0*"]}, {"params": ["0.weight"]}]});
    let e = optimizer_from_named(named_parameters(&two_layer()), &overlap)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("'0.weight' is matched by paramGroups[0] and paramGroups[1]"),
        "{e}"
    );
    let none = serde_json::json!({"type": "adam", "paramGroups": [{"params": ["decoder.*"]}]});
    let e = optimizer_from_named(named_parameters(&two_layer()), &none)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("matches no parameter"), "{e}");
    let typo =
        serde_json::json!({"type": "adam", "paramGroups": [{"params": ["*"], "momentum": 0.9}]});
    let e = optimizer_from_named(named_parameters(&two_layer()), &typo)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("no option 'momentum'"), "{e}");
}

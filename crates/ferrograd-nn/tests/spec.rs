//! Keras-style optimizer / loss / metric specs.

use ferrograd_core::Tensor;
use ferrograd_nn::spec::{loss_from_spec, metric_from_name, optimizer_from_spec};
use ferrograd_nn::train::{LossKind, MetricKind};
use serde_json::json;

fn param() -> Tensor {
    let p = Tensor::from_vec(vec![1.0, 2.0], &[2]).unwrap();
    p.set_requires_grad(true).unwrap();
    p
}

#[test]
fn optimizer_specs_build_the_named_algorithm_with_options() {
    for name in [
        "sgd", "adam", "AdamW", "rmsprop", "adagrad", "adadelta", "adamax", "lion",
    ] {
        let opt = optimizer_from_spec(vec![param()], &json!(name)).unwrap();
        assert!(opt.lr() > 0.0, "{name}");
    }
    let p = param();
    let mut sgd = optimizer_from_spec(
        vec![p.clone()],
        &json!({"type": "sgd", "learningRate": 0.5, "momentum": 0.9}),
    )
    .unwrap();
    assert_eq!(sgd.lr(), 0.5);
    p.sum(None, false).unwrap().backward().unwrap();
    sgd.step().unwrap();
    assert_eq!(p.to_vec(), vec![0.5, 1.5]);
    let err = optimizer_from_spec(vec![param()], &json!({"type": "adam", "momentum": 0.9}))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("'adam' has no option 'momentum'"), "{err}");
    let err = optimizer_from_spec(vec![param()], &json!("adamm"))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("unknown optimizer 'adamm'"), "{err}");
    assert!(optimizer_from_spec(vec![param()], &json!({"type": "sgd", "lr": -1})).is_err());
    assert!(optimizer_from_spec(vec![param()], &json!({"type": "sgd", "lr": "big"})).is_err());
}

#[test]
fn loss_and_metric_specs() {
    assert_eq!(loss_from_spec(&json!("mse")).unwrap(), LossKind::Mse);
    assert_eq!(
        loss_from_spec(&json!({"type": "sparseCategoricalCrossentropy", "fromLogits": true}))
            .unwrap(),
        LossKind::SparseCategoricalCrossEntropy { from_logits: true }
    );
    assert_eq!(
        loss_from_spec(&json!({"type": "binaryCrossentropy", "fromLogits": true})).unwrap(),
        LossKind::BinaryCrossEntropyWithLogits
    );
    assert_eq!(
        loss_from_spec(&json!({"type": "huber", "delta": 2.0})).unwrap(),
        LossKind::Huber { delta: 2.0 }
    );
    assert!(loss_from_spec(&json!({"type": "mse", "fromLogits": true})).is_err());
    assert!(loss_from_spec(&json!(3)).is_err());
    assert_eq!(metric_from_name("acc").unwrap(), MetricKind::Accuracy);
    assert!(metric_from_name("f2")
        .unwrap_err()
        .to_string()
        .contains("unknown metric 'f2'"));
}

#[test]
fn schedule_and_early_stopping_specs() {
    use ferrograd_nn::schedule::LrSchedule;
    use ferrograd_nn::spec::{early_stopping_from_spec, schedule_from_spec};
    let s = schedule_from_spec(&json!({"type": "warmup", "steps": 2, "startFactor": 0.5, "schedule": {"type": "step", "stepSize": 3}})).unwrap();
    assert_eq!(
        s,
        LrSchedule::Step {
            step_size: 3,
            gamma: 0.1
        }
        .with_warmup(2, 0.5)
    );
    assert_eq!(
        schedule_from_spec(&json!("constant")).unwrap(),
        LrSchedule::Constant
    );
    assert!(schedule_from_spec(&json!({"type": "cosine"}))
        .unwrap_err()
        .to_string()
        .contains("needs option 'tMax'"));
    assert!(schedule_from_spec(&json!({"type": "step", "stepSize": -1})).is_err());
    assert!(schedule_from_spec(&json!({"type": "linear"})).is_err());
    let e = early_stopping_from_spec(
        &json!({"monitor": "val_accuracy", "patience": 3, "restoreBestWeights": true}),
    )
    .unwrap();
    assert_eq!(
        (e.monitor.as_str(), e.patience, e.restore_best_weights),
        ("val_accuracy", 3, true)
    );
    assert!(early_stopping_from_spec(&json!({"patience": 1.5})).is_err());
    assert!(early_stopping_from_spec(&json!({"mode": "up"})).is_err());
}

//! Per-timestep classification (`[N, T, C]` predictions with `[N, T]` class ids, as a sequence
//! model emits): the loss is the mean over steps per sample, accuracy counts every step.

use ferrograd_core::Tensor;
use ferrograd_nn::train::{LossKind, MetricKind};

#[test]
fn sparse_cross_entropy_over_steps_is_the_mean_of_the_per_step_losses() {
    let logits = Tensor::randn(&[2, 3, 4], 0.0, 1.0, Some(5)).unwrap();
    let ids = Tensor::from_vec(vec![0.0, 3.0, 1.0, 2.0, 2.0, 0.0], &[2, 3]).unwrap();
    let kind = LossKind::SparseCategoricalCrossEntropy { from_logits: true };
    let per_sample = kind.per_sample(&logits, &ids).unwrap();
    assert_eq!(per_sample.dims(), &[2]);
    let rows = kind
        .per_sample(
            &logits.reshape_to(&[6, 4]).unwrap(),
            &ids.reshape_to(&[6]).unwrap(),
        )
        .unwrap()
        .to_vec();
    let expected = [
        (rows[0] + rows[1] + rows[2]) / 3.0,
        (rows[3] + rows[4] + rows[5]) / 3.0,
    ];
    for (a, b) in per_sample.to_vec().iter().zip(expected) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
    let err = kind
        .per_sample(&logits, &Tensor::zeros(&[2, 4]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("[N, T]"), "{err}");
}

#[test]
fn accuracy_over_steps_counts_every_step() {
    // Step argmaxes: sample 0 -> [1, 0], sample 1 -> [0, 1].
    let pred = Tensor::from_vec(vec![0.1, 0.9, 0.8, 0.2, 0.7, 0.3, 0.4, 0.6], &[2, 2, 2]).unwrap();
    let ids = Tensor::from_vec(vec![1.0, 0.0, 1.0, 1.0], &[2, 2]).unwrap();
    let mut acc = MetricKind::Accuracy.state();
    acc.update(&pred, &ids).unwrap();
    assert!((acc.value() - 0.75).abs() < 1e-9, "{}", acc.value());
}

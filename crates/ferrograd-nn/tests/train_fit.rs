//! `Trainer::fit` behaviour: XOR, early stopping, cancellation, determinism, validation split,
//! predict.

use std::sync::atomic::{AtomicBool, Ordering};

use ferrograd_core::Tensor;
use ferrograd_nn::layers::{Activation, ActivationKind, LinearConfig};
use ferrograd_nn::module::{named_parameters, state_dict, Module, Sequential};
use ferrograd_nn::optim::{Adam, AdamConfig, Sgd, SgdConfig};
use ferrograd_nn::train::{
    snapshot, BatchLogs, Control, EarlyStopping, EpochLogs, FitCallback, FitOptions, LossKind,
    MetricKind, NoCallback, Trainer,
};

fn mlp(sizes: &[usize], seed: u64) -> Sequential {
    let mut layers: Vec<Box<dyn Module>> = Vec::new();
    for (i, w) in sizes.windows(2).enumerate() {
        if i > 0 {
            layers.push(Box::new(Activation::new(ActivationKind::Tanh)));
        }
        layers.push(Box::new(
            LinearConfig::new(w[0], w[1])
                .init(Some(seed + i as u64))
                .unwrap(),
        ));
    }
    Sequential::new(layers)
}

fn trainer(model: Sequential, loss: LossKind, lr: f32, metrics: Vec<MetricKind>) -> Trainer {
    let params = named_parameters(&model)
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    let opt = Adam::new(
        params,
        AdamConfig {
            lr,
            ..Default::default()
        },
    )
    .unwrap();
    Trainer::new(model, loss, Box::new(opt), metrics)
}

fn blobs(n: usize, seed: u64) -> (Tensor, Tensor) {
    let x = Tensor::randn(&[n, 4], 0.0, 1.0, Some(seed)).unwrap();
    let v = x.to_vec();
    let y: Vec<f32> = v
        .chunks(4)
        .map(|r| if r[0] + r[1] - r[2] > 0.0 { 1.0 } else { 0.0 })
        .collect();
    (x, Tensor::from_vec(y, &[n]).unwrap())
}

fn sparse_trainer(seed: u64) -> Trainer {
    trainer(
        mlp(&[4, 16, 2], seed),
        LossKind::SparseCategoricalCrossEntropy { from_logits: true },
        0.01,
        vec![MetricKind::Accuracy],
    )
}

#[test]
fn xor_is_learned_with_fit() {
    let x = Tensor::from_vec(vec![0., 0., 0., 1., 1., 0., 1., 1.], &[4, 2]).unwrap();
    let y = Tensor::from_vec(vec![0., 1., 1., 0.], &[4, 1]).unwrap();
    let mut t = trainer(
        mlp(&[2, 8, 1], 3),
        LossKind::BinaryCrossEntropyWithLogits,
        0.05,
        vec![MetricKind::BinaryAccuracy { threshold: 0.0 }],
    );
    let opts = FitOptions {
        epochs: 300,
        batch_size: 4,
        ..Default::default()
    };
    let h = t
        .fit(&x, &y, &opts, &mut NoCallback, &AtomicBool::new(false))
        .unwrap();
    assert_eq!(h.epochs.len(), 300);
    let last = h.epochs.last().unwrap();
    assert_eq!(last.logs["binary_accuracy"], 1.0);
    assert!(last.logs["loss"] < 0.05, "{:?}", last.logs);
    let p = t.predict(&x, 2).unwrap().to_vec();
    assert!(
        p[0] < 0.0 && p[1] > 0.0 && p[2] > 0.0 && p[3] < 0.0,
        "{p:?}"
    );
}

/// Records the weights after every epoch.
#[derive(Default)]
struct Recorder {
    weights: Vec<Vec<(String, Vec<f32>)>>,
}

impl FitCallback for Recorder {
    fn on_epoch_end(&mut self, _logs: &EpochLogs, model: &dyn Module) -> Control {
        self.weights.push(
            state_dict(model)
                .into_iter()
                .map(|(k, t)| (k, t.to_vec()))
                .collect(),
        );
        Control::Continue
    }
}

/// Runs EarlyStopping and a Recorder together so we know each epoch's weights.
struct Both<'a>(&'a mut EarlyStopping, &'a mut Recorder);

impl FitCallback for Both<'_> {
    fn on_epoch_end(&mut self, logs: &EpochLogs, model: &dyn Module) -> Control {
        self.1.on_epoch_end(logs, model);
        self.0.on_epoch_end(logs, model)
    }
    fn on_train_end(&mut self, model: &dyn Module) -> ferrograd_core::Result<()> {
        self.0.on_train_end(model)
    }
}

#[test]
fn early_stopping_restores_the_best_epochs_weights() {
    // Large LR on noisy labels: val_loss bottoms out early then rises (overfitting / instability).
    let (x, mut_y) = blobs(200, 1);
    let noisy: Vec<f32> = mut_y
        .to_vec()
        .iter()
        .enumerate()
        .map(|(i, &v)| if i % 3 == 0 { 1.0 - v } else { v })
        .collect();
    let y = Tensor::from_vec(noisy, &[200]).unwrap();
    let mut t = trainer(
        mlp(&[4, 64, 2], 5),
        LossKind::SparseCategoricalCrossEntropy { from_logits: true },
        0.05,
        vec![MetricKind::Accuracy],
    );
    let mut es = EarlyStopping::new("val_loss", 3).restore_best_weights(true);
    let mut rec = Recorder::default();
    let opts = FitOptions {
        epochs: 200,
        batch_size: 8,
        validation_split: 0.5,
        ..Default::default()
    };
    let h = t
        .fit(
            &x,
            &y,
            &opts,
            &mut Both(&mut es, &mut rec),
            &AtomicBool::new(false),
        )
        .unwrap();
    assert!(h.stopped, "early stopping should trigger");
    let best = es.best_epoch().unwrap();
    let stopped = es.stopped_epoch().unwrap();
    assert_eq!(stopped, best + 3);
    let vl = h.series("val_loss");
    let argmin = (0..vl.len())
        .min_by(|&a, &b| vl[a].total_cmp(&vl[b]))
        .unwrap();
    assert_eq!(argmin, best);
    let now: Vec<(String, Vec<f32>)> = state_dict(&t.model)
        .into_iter()
        .map(|(k, t)| (k, t.to_vec()))
        .collect();
    assert_eq!(now, rec.weights[best]);
    assert_ne!(now, rec.weights[stopped]);
}

/// Sets the cancellation flag after `after` batches.
struct CancelAfter<'a> {
    flag: &'a AtomicBool,
    after: usize,
    seen: usize,
}

impl FitCallback for CancelAfter<'_> {
    fn on_batch_end(&mut self, _e: usize, _b: usize, _n: usize, _l: &BatchLogs) -> Control {
        self.seen += 1;
        if self.seen == self.after {
            self.flag.store(true, Ordering::SeqCst);
        }
        Control::Continue
    }
}

#[test]
fn cancellation_stops_between_batches() {
    let (x, y) = blobs(100, 2);
    let mut t = sparse_trainer(1);
    let flag = AtomicBool::new(false);
    // 10 batches per epoch; cancel during the third epoch.
    let mut cb = CancelAfter {
        flag: &flag,
        after: 25,
        seen: 0,
    };
    let opts = FitOptions {
        epochs: 10,
        batch_size: 10,
        ..Default::default()
    };
    let h = t.fit(&x, &y, &opts, &mut cb, &flag).unwrap();
    assert!(h.cancelled);
    assert!(!h.stopped);
    assert_eq!(h.epochs.len(), 2);
    assert_eq!(cb.seen, 25, "no batch may run after the flag is set");
    // An already-set flag trains nothing.
    let before = snapshot(&t.model);
    let h = t.fit(&x, &y, &opts, &mut NoCallback, &flag).unwrap();
    assert!(h.cancelled && h.epochs.is_empty());
    let after = snapshot(&t.model);
    for (k, v) in &before {
        assert_eq!(v.to_vec(), after[k].to_vec());
    }
}

#[test]
fn same_seed_gives_bit_identical_history_and_weights() {
    let (x, y) = blobs(300, 3);
    let run = || {
        let mut t = sparse_trainer(9);
        let opts = FitOptions {
            epochs: 4,
            batch_size: 16,
            seed: 123,
            validation_split: 0.2,
            ..Default::default()
        };
        let h = t
            .fit(&x, &y, &opts, &mut NoCallback, &AtomicBool::new(false))
            .unwrap();
        let logs: Vec<_> = h.epochs.iter().map(|e| (e.logs.clone(), e.lr)).collect();
        let w: Vec<(String, Vec<u32>)> = state_dict(&t.model)
            .into_iter()
            .map(|(k, t)| (k, t.to_vec().iter().map(|v| v.to_bits()).collect()))
            .collect();
        (logs, w)
    };
    let a = run();
    let b = run();
    assert_eq!(a, b);
    // A different seed shuffles differently.
    let mut t = sparse_trainer(9);
    let opts = FitOptions {
        epochs: 4,
        batch_size: 16,
        seed: 124,
        validation_split: 0.2,
        ..Default::default()
    };
    t.fit(&x, &y, &opts, &mut NoCallback, &AtomicBool::new(false))
        .unwrap();
    let w: Vec<(String, Vec<u32>)> = state_dict(&t.model)
        .into_iter()
        .map(|(k, t)| (k, t.to_vec().iter().map(|v| v.to_bits()).collect()))
        .collect();
    assert_ne!(a.1, w);
}

#[test]
fn validation_split_holds_out_the_last_fraction() {
    let (x, y) = blobs(100, 4);
    let mut t = sparse_trainer(2);
    // No shuffle, lr 0 (SGD) so weights stay fixed: val metrics must equal evaluate on the tail.
    let params = named_parameters(&t.model)
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    t.optimizer = Box::new(
        Sgd::new(
            params,
            SgdConfig {
                lr: 0.0,
                ..Default::default()
            },
        )
        .unwrap(),
    );
    let opts = FitOptions {
        epochs: 1,
        batch_size: 7,
        validation_split: 0.3,
        ..Default::default()
    };
    let h = t
        .fit(&x, &y, &opts, &mut NoCallback, &AtomicBool::new(false))
        .unwrap();
    let tail = t
        .evaluate(
            &x.narrow(0, 70, 30).unwrap(),
            &y.narrow(0, 70, 30).unwrap(),
            7,
        )
        .unwrap();
    let head = t
        .evaluate(
            &x.narrow(0, 0, 70).unwrap(),
            &y.narrow(0, 0, 70).unwrap(),
            70,
        )
        .unwrap();
    let e = &h.epochs[0];
    assert!(
        (e.logs["val_loss"] - tail["loss"]).abs() < 1e-6,
        "{:?} {:?}",
        e.logs,
        tail
    );
    assert_eq!(e.logs["val_accuracy"], tail["accuracy"]);
    assert!(
        (e.logs["loss"] - head["loss"]).abs() < 1e-5,
        "{} vs {}",
        e.logs["loss"],
        head["loss"]
    );
    assert_eq!(e.logs["accuracy"], head["accuracy"]);
    assert!(e.samples_per_sec > 0.0 && e.seconds > 0.0);
}

#[test]
fn predict_equals_manual_forward_and_train_on_batch_steps() {
    let (x, y) = blobs(50, 6);
    let mut t = sparse_trainer(4);
    let manual = ferrograd_core::no_grad(|| t.model.forward(&x))
        .unwrap()
        .to_vec();
    assert_eq!(t.predict(&x, 50).unwrap().to_vec(), manual);
    // Smaller batches may round the matmul differently in the last bit only.
    for (a, b) in t.predict(&x, 7).unwrap().to_vec().iter().zip(&manual) {
        assert!((a - b).abs() <= 1e-6, "{a} vs {b}");
    }
    assert_eq!(t.predict(&x, 7).unwrap().dims(), &[50, 2]);
    let before = t.evaluate(&x, &y, 50).unwrap()["loss"];
    for _ in 0..20 {
        let logs = t.train_on_batch(&x, &y).unwrap();
        assert!(logs.contains_key("accuracy"));
    }
    assert!(t.evaluate(&x, &y, 50).unwrap()["loss"] < before);
    assert!(t.predict(&x, 0).is_err());
}

#[test]
fn losses_and_metrics_match_definitions() {
    let p = Tensor::from_vec(vec![2.0, 1.0, 0.1, 0.5, 2.5, 0.0], &[2, 3]).unwrap();
    let sparse = Tensor::from_vec(vec![0.0, 2.0], &[2]).unwrap();
    let onehot = Tensor::from_vec(vec![1., 0., 0., 0., 0., 1.], &[2, 3]).unwrap();
    let a = LossKind::SparseCategoricalCrossEntropy { from_logits: true }
        .compute(&p, &sparse)
        .unwrap();
    let b = LossKind::CategoricalCrossEntropy { from_logits: true }
        .compute(&p, &onehot)
        .unwrap();
    assert!((a.item().unwrap() - b.item().unwrap()).abs() < 1e-6);
    let probs = p.softmax(1).unwrap();
    let c = LossKind::SparseCategoricalCrossEntropy { from_logits: false }
        .compute(&probs, &sparse)
        .unwrap();
    assert!((a.item().unwrap() - c.item().unwrap()).abs() < 1e-5);
    let col = sparse.reshape_to(&[2, 1]).unwrap();
    for (kind, target, want) in [
        (MetricKind::Accuracy, &sparse, 0.5),
        (MetricKind::Accuracy, &col, 0.5),
        (MetricKind::Accuracy, &onehot, 0.5),
        (MetricKind::SparseCategoricalAccuracy, &sparse, 0.5),
        (MetricKind::CategoricalAccuracy, &onehot, 0.5),
        (MetricKind::TopK { k: 2 }, &sparse, 0.5),
        (MetricKind::TopK { k: 3 }, &onehot, 1.0),
    ] {
        let mut m = kind.state();
        m.update(&p, target).unwrap();
        assert_eq!(m.value(), want, "{kind:?}");
    }
    let mut mse = MetricKind::Mse.state();
    mse.update(
        &Tensor::from_vec(vec![1.0, 3.0], &[2]).unwrap(),
        &Tensor::from_vec(vec![0.0, 0.0], &[2]).unwrap(),
    )
    .unwrap();
    mse.update(
        &Tensor::from_vec(vec![2.0], &[1]).unwrap(),
        &Tensor::from_vec(vec![0.0], &[1]).unwrap(),
    )
    .unwrap();
    assert!((mse.value() - 14.0 / 3.0).abs() < 1e-9);
}

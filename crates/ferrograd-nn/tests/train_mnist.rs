//! MNIST MLP trained with `Trainer::fit` (784 -> 256 relu -> 10, Adam 1e-3, sparse CE from logits).

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use ferrograd_core::Tensor;
use ferrograd_nn::data::idx::{read_idx_file, read_idx_parts};
use ferrograd_nn::layers::{Activation, ActivationKind, LinearConfig};
use ferrograd_nn::module::{named_parameters, Module, Sequential};
use ferrograd_nn::optim::{Adam, AdamConfig};
use ferrograd_nn::train::{
    Control, EpochLogs, FitCallback, FitOptions, LossKind, MetricKind, Trainer,
};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/mnist")
        .join(rel)
}

fn load(train: bool) -> (Tensor, Tensor) {
    let images = if train {
        let parts: Vec<PathBuf> = (0..6)
            .map(|k| data(&format!("train-images-idx3-ubyte.part{k}.gz")))
            .collect();
        let refs: Vec<&Path> = parts.iter().map(|p| p.as_path()).collect();
        read_idx_parts(&refs).unwrap()
    } else {
        read_idx_file(&data("t10k-images-idx3-ubyte.gz")).unwrap()
    };
    let labels = read_idx_file(&data(if train {
        "train-labels-idx1-ubyte.gz"
    } else {
        "t10k-labels-idx1-ubyte.gz"
    }))
    .unwrap();
    let n = images.dims[0];
    let x = images
        .to_tensor(1.0 / 255.0)
        .unwrap()
        .reshape_to(&[n, 784])
        .unwrap();
    let y = labels.to_tensor(1.0).unwrap();
    (x, y)
}

fn mlp(seed: u64) -> Trainer {
    let model = Sequential::new(vec![
        Box::new(LinearConfig::new(784, 256).init(Some(seed)).unwrap()),
        Box::new(Activation::new(ActivationKind::Relu)),
        Box::new(LinearConfig::new(256, 10).init(Some(seed + 10)).unwrap()),
    ]);
    let params = named_parameters(&model)
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    let opt = Adam::new(params, AdamConfig::default()).unwrap();
    Trainer::new(
        model,
        LossKind::SparseCategoricalCrossEntropy { from_logits: true },
        Box::new(opt),
        vec![MetricKind::Accuracy],
    )
}

/// Prints each epoch and stops once the monitored test accuracy reaches the target.
struct StopAt {
    x: Tensor,
    y: Tensor,
    target: f64,
    reached: Option<(usize, f64)>,
}

impl FitCallback for StopAt {
    fn on_epoch_end(&mut self, logs: &EpochLogs, model: &dyn Module) -> Control {
        let pred = ferrograd_core::no_grad(|| model.forward(&self.x)).unwrap();
        let mut acc = ferrograd_nn::train::MetricKind::Accuracy.state();
        acc.update(&pred, &self.y).unwrap();
        let acc = acc.value();
        println!(
            "epoch {} loss {:.4} train acc {:.4} test acc {acc:.4} ({:.1}s, {:.0} samples/s)",
            logs.epoch,
            logs.logs["loss"],
            logs.logs["accuracy"],
            logs.seconds,
            logs.samples_per_sec
        );
        if acc >= self.target {
            self.reached = Some((logs.epoch + 1, acc));
            Control::Stop
        } else {
            Control::Continue
        }
    }
}

fn run(n_train: usize, max_epochs: usize, target: f64) -> (usize, f64) {
    let (x, y) = load(true);
    let (x, y) = (
        x.narrow(0, 0, n_train).unwrap(),
        y.narrow(0, 0, n_train).unwrap(),
    );
    let (tx, ty) = load(false);
    let mut trainer = mlp(42);
    let mut cb = StopAt {
        x: tx.clone(),
        y: ty.clone(),
        target,
        reached: None,
    };
    let opts = FitOptions {
        epochs: max_epochs,
        batch_size: 64,
        seed: 7,
        ..Default::default()
    };
    let t0 = Instant::now();
    let history = trainer
        .fit(&x, &y, &opts, &mut cb, &AtomicBool::new(false))
        .unwrap();
    let secs = t0.elapsed().as_secs_f64();
    let acc = trainer.evaluate(&tx, &ty, 1000).unwrap()["accuracy"];
    println!(
        "{n_train} samples: test accuracy {acc:.4} after {} epochs in {secs:.1}s",
        history.epochs.len()
    );
    assert!(acc >= target, "test accuracy {acc} < {target}");
    (history.epochs.len(), secs)
}

/// Full MNIST to >= 98% test accuracy.
#[test]
fn mnist_mlp_reaches_98_percent() {
    run(60_000, 20, 0.98);
}

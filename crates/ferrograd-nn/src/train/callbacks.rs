//! Logs, the [`FitCallback`] trait and [`EarlyStopping`].

use std::collections::BTreeMap;

use ferrograd_core::{Result, Tensor};

use crate::module::{load_state_dict, state_dict, Module};

/// Named scalar values (`"loss"`, `"accuracy"`, `"val_loss"`, ...).
pub type Logs = BTreeMap<String, f64>;

/// What a callback asks the training loop to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Keep training.
    Continue,
    /// Stop after the current batch / epoch (the History is returned normally).
    Stop,
}

/// Values reported after each training batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchLogs {
    /// Loss of this batch.
    pub loss: f64,
    /// Samples in this batch.
    pub size: usize,
    /// Running epoch averages so far (`"loss"` and every metric name).
    pub running: Logs,
}

/// Values reported after each epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochLogs {
    /// Zero-based epoch index (counting from `initial_epoch`).
    pub epoch: usize,
    /// `"loss"`, metric names, and `"val_loss"` / `"val_<metric>"` when validating.
    pub logs: Logs,
    /// Learning rate used during the epoch.
    pub lr: f32,
    /// Wall time of the epoch (training and validation), in seconds.
    pub seconds: f64,
    /// Training throughput (training samples / training-phase seconds).
    pub samples_per_sec: f64,
}

impl EpochLogs {
    /// Looks up a value by key: any entry of [`EpochLogs::logs`], or `"lr"`, `"seconds"`,
    /// `"samples_per_sec"`.
    pub fn get(&self, key: &str) -> Option<f64> {
        match key {
            "lr" => Some(self.lr as f64),
            "seconds" => Some(self.seconds),
            "samples_per_sec" => Some(self.samples_per_sec),
            _ => self.logs.get(key).copied(),
        }
    }
}

/// The result of `fit`: one entry per completed epoch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// Logs of every completed epoch, in order.
    pub epochs: Vec<EpochLogs>,
    /// True when the cancellation flag stopped training (between batches; the interrupted
    /// epoch is not recorded).
    pub cancelled: bool,
    /// True when a callback returned [`Control::Stop`].
    pub stopped: bool,
}

impl History {
    /// The per-epoch series of one key (see [`EpochLogs::get`]); missing values are skipped.
    pub fn series(&self, key: &str) -> Vec<f64> {
        self.epochs.iter().filter_map(|e| e.get(key)).collect()
    }
}

/// Hooks called by `fit`. Every method has a no-op default.
pub trait FitCallback {
    /// Before the first batch of `epoch`.
    fn on_epoch_begin(&mut self, _epoch: usize) {}

    /// Before batch `batch` (zero-based) of `batches` in `epoch`.
    fn on_batch_begin(&mut self, _epoch: usize, _batch: usize, _batches: usize) {}

    /// After batch `batch` (zero-based) of `batches` in `epoch`.
    fn on_batch_end(
        &mut self,
        _epoch: usize,
        _batch: usize,
        _batches: usize,
        _logs: &BatchLogs,
    ) -> Control {
        Control::Continue
    }

    /// After the epoch's validation; `model` is the model being trained (in eval mode).
    fn on_epoch_end(&mut self, _logs: &EpochLogs, _model: &dyn Module) -> Control {
        Control::Continue
    }

    /// Once when training ends (normally, stopped or cancelled; not on error).
    fn on_train_end(&mut self, _model: &dyn Module) -> Result<()> {
        Ok(())
    }
}

/// A callback doing nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCallback;

impl FitCallback for NoCallback {}

/// Several callbacks run in order; `Stop` from any of them stops training.
#[derive(Default)]
pub struct CallbackList(pub Vec<Box<dyn FitCallback + Send>>);

impl FitCallback for CallbackList {
    fn on_epoch_begin(&mut self, epoch: usize) {
        for c in &mut self.0 {
            c.on_epoch_begin(epoch);
        }
    }

    fn on_batch_begin(&mut self, epoch: usize, batch: usize, batches: usize) {
        for c in &mut self.0 {
            c.on_batch_begin(epoch, batch, batches);
        }
    }

    fn on_batch_end(
        &mut self,
        epoch: usize,
        batch: usize,
        batches: usize,
        logs: &BatchLogs,
    ) -> Control {
        let mut out = Control::Continue;
        for c in &mut self.0 {
            if c.on_batch_end(epoch, batch, batches, logs) == Control::Stop {
                out = Control::Stop;
            }
        }
        out
    }

    fn on_epoch_end(&mut self, logs: &EpochLogs, model: &dyn Module) -> Control {
        let mut out = Control::Continue;
        for c in &mut self.0 {
            if c.on_epoch_end(logs, model) == Control::Stop {
                out = Control::Stop;
            }
        }
        out
    }

    fn on_train_end(&mut self, model: &dyn Module) -> Result<()> {
        for c in &mut self.0 {
            c.on_train_end(model)?;
        }
        Ok(())
    }
}

/// Direction of improvement of a monitored value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MonitorMode {
    /// Lower is better.
    Min,
    /// Higher is better.
    Max,
    /// `Max` when the key contains `"acc"` (accuracy metrics), else `Min` (as Keras).
    #[default]
    Auto,
}

impl MonitorMode {
    /// Whether higher values of `monitor` are better under this mode.
    pub fn maximizes(self, monitor: &str) -> bool {
        match self {
            MonitorMode::Min => false,
            MonitorMode::Max => true,
            MonitorMode::Auto => monitor.contains("acc"),
        }
    }
}

/// Copies every parameter and buffer (fresh storage, so later training does not change it).
pub fn snapshot(model: &dyn Module) -> BTreeMap<String, Tensor> {
    state_dict(model)
        .into_iter()
        .map(|(k, t)| {
            let copy = Tensor::from_vec(t.to_vec(), t.dims()).unwrap_or_else(|_| t.detach());
            (k, copy)
        })
        .collect()
}

/// Keras' `EarlyStopping`: stops when `monitor` has not improved by more than `min_delta` for
/// `patience` epochs. With `restore_best_weights`, the weights (and buffers) of the best epoch
/// are snapshotted when it happens and written back in `on_train_end` (whether training stopped
/// early, ran out of epochs or was cancelled), so the model ends at its best epoch.
#[derive(Debug, Clone)]
pub struct EarlyStopping {
    /// Log key to watch (`"val_loss"`, `"val_accuracy"`, `"loss"`, ...).
    pub monitor: String,
    /// Direction of improvement.
    pub mode: MonitorMode,
    /// Epochs without improvement before stopping.
    pub patience: usize,
    /// Minimum change that counts as an improvement (absolute, >= 0).
    pub min_delta: f64,
    /// Restore the best epoch's weights at the end of training.
    pub restore_best_weights: bool,
    best: Option<f64>,
    best_epoch: Option<usize>,
    wait: usize,
    best_weights: Option<BTreeMap<String, Tensor>>,
    stopped_epoch: Option<usize>,
}

impl EarlyStopping {
    /// Watches `monitor` with `mode` auto, `min_delta` 0 and no weight restoring.
    pub fn new(monitor: impl Into<String>, patience: usize) -> Self {
        EarlyStopping {
            monitor: monitor.into(),
            mode: MonitorMode::Auto,
            patience,
            min_delta: 0.0,
            restore_best_weights: false,
            best: None,
            best_epoch: None,
            wait: 0,
            best_weights: None,
            stopped_epoch: None,
        }
    }

    /// Sets [`EarlyStopping::restore_best_weights`].
    pub fn restore_best_weights(mut self, restore: bool) -> Self {
        self.restore_best_weights = restore;
        self
    }

    /// Sets [`EarlyStopping::mode`].
    pub fn mode(mut self, mode: MonitorMode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets [`EarlyStopping::min_delta`] (its absolute value is used).
    pub fn min_delta(mut self, min_delta: f64) -> Self {
        self.min_delta = min_delta.abs();
        self
    }

    /// Epoch with the best monitored value so far.
    pub fn best_epoch(&self) -> Option<usize> {
        self.best_epoch
    }

    /// Best monitored value so far.
    pub fn best(&self) -> Option<f64> {
        self.best
    }

    /// Epoch after which training was stopped, if it was.
    pub fn stopped_epoch(&self) -> Option<usize> {
        self.stopped_epoch
    }

    fn maximize(&self) -> bool {
        self.mode.maximizes(&self.monitor)
    }

    fn improved(&self, value: f64) -> bool {
        match self.best {
            None => true,
            Some(best) if self.maximize() => value - self.min_delta > best,
            Some(best) => value + self.min_delta < best,
        }
    }
}

impl FitCallback for EarlyStopping {
    fn on_epoch_end(&mut self, logs: &EpochLogs, model: &dyn Module) -> Control {
        // A missing key (e.g. val_loss without validation data) never stops training, as Keras
        // only warns.
        let Some(value) = logs.get(&self.monitor) else {
            return Control::Continue;
        };
        if value.is_nan() {
            self.wait += 1;
        } else if self.improved(value) {
            self.best = Some(value);
            self.best_epoch = Some(logs.epoch);
            self.wait = 0;
            if self.restore_best_weights {
                self.best_weights = Some(snapshot(model));
            }
            return Control::Continue;
        } else {
            self.wait += 1;
        }
        if self.wait >= self.patience {
            self.stopped_epoch = Some(logs.epoch);
            Control::Stop
        } else {
            Control::Continue
        }
    }

    fn on_train_end(&mut self, model: &dyn Module) -> Result<()> {
        if let Some(weights) = self.best_weights.take() {
            load_state_dict(model, &weights, true)?;
        }
        Ok(())
    }
}

/// Saves the model (architecture + weights, atomically) after each epoch, or only when the
/// monitored value improves (`save_best_only`), like Keras' `ModelCheckpoint`. A `{epoch}` in the
/// path is replaced by the 1-based epoch number. Save errors are kept and reported by
/// `on_train_end` rather than interrupting training mid-epoch.
#[derive(Debug, Clone)]
pub struct ModelCheckpoint {
    pub path: String,
    pub monitor: String,
    pub mode: MonitorMode,
    pub save_best_only: bool,
    best: Option<f64>,
    error: Option<String>,
    saved: Vec<usize>,
}

impl ModelCheckpoint {
    /// Saves every epoch to `path` unless `save_best_only` is set (then only on improvement of
    /// `monitor`).
    pub fn new(
        path: impl Into<String>,
        monitor: impl Into<String>,
        mode: MonitorMode,
        save_best_only: bool,
    ) -> Self {
        ModelCheckpoint {
            path: path.into(),
            monitor: monitor.into(),
            mode,
            save_best_only,
            best: None,
            error: None,
            saved: Vec::new(),
        }
    }

    /// Zero-based epochs at which a file was written.
    pub fn saved_epochs(&self) -> &[usize] {
        &self.saved
    }

    fn maximize(&self) -> bool {
        self.mode.maximizes(&self.monitor)
    }
}

impl FitCallback for ModelCheckpoint {
    fn on_epoch_end(&mut self, logs: &EpochLogs, model: &dyn Module) -> Control {
        if self.save_best_only {
            let Some(value) = logs.get(&self.monitor) else {
                return Control::Continue;
            };
            let better = match self.best {
                None => true,
                Some(best) if self.maximize() => value > best,
                Some(best) => value < best,
            };
            if !better {
                return Control::Continue;
            }
            self.best = Some(value);
        }
        let path = self.path.replace("{epoch}", &(logs.epoch + 1).to_string());
        match crate::model::save_module(&path, model) {
            Ok(()) => self.saved.push(logs.epoch),
            Err(e) => {
                self.error = Some(format!("modelCheckpoint: {e}"));
                return Control::Stop;
            }
        }
        Control::Continue
    }

    fn on_train_end(&mut self, _model: &dyn Module) -> Result<()> {
        match self.error.take() {
            Some(msg) => Err(ferrograd_core::Error::InvalidArgument {
                op: "modelCheckpoint",
                msg,
            }),
            None => Ok(()),
        }
    }
}

//! [`Trainer`]: Keras-style `fit` / `evaluate` / `predict` / `train_on_batch` over a
//! [`Sequential`] model.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use ferrograd_core::{no_grad, Error, Result, Tensor};

use super::callbacks::{BatchLogs, Control, EpochLogs, FitCallback, History, Logs};
use super::{LossKind, MetricKind, MetricState};
use crate::module::{Module, Sequential};
use crate::optim::Optimize;
use crate::schedule::{LrSchedule, ReduceOnPlateau};

fn invalid(op: &'static str, msg: impl Into<String>) -> Error {
    Error::InvalidArgument {
        op,
        msg: msg.into(),
    }
}

/// Options of [`Trainer::fit`] (Keras' `model.fit` arguments).
#[derive(Debug, Clone)]
pub struct FitOptions {
    /// Index of the last epoch + 1 (training runs epochs `initial_epoch..epochs`). Default 1.
    pub epochs: usize,
    /// Samples per gradient step (the last batch may be smaller). Default 32.
    pub batch_size: usize,
    /// Shuffle the training samples before each epoch. Default true.
    pub shuffle: bool,
    /// Seed of the shuffling permutation: epoch `e` uses a permutation drawn from
    /// `seed + e` with core's counter-based generator, so runs are reproducible. Default 0.
    pub seed: u64,
    /// Fraction in `[0, 1)` of the samples held out for validation: the *last* samples,
    /// before shuffling, as Keras. Ignored when `validation_data` is set. Default 0.
    pub validation_split: f64,
    /// Explicit `(x, y)` validation set.
    pub validation_data: Option<(Tensor, Tensor)>,
    /// First epoch index (to resume a previous run). Default 0.
    pub initial_epoch: usize,
    /// Per-class loss weights: sample `i` is weighted by `class_weight[class(i)]` where the
    /// class is the target's value (sparse) or argmax (one-hot).
    pub class_weight: Option<Vec<f32>>,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            epochs: 1,
            batch_size: 32,
            shuffle: true,
            seed: 0,
            validation_split: 0.0,
            validation_data: None,
            initial_epoch: 0,
            class_weight: None,
        }
    }
}

/// A model with its loss, optimizer, metrics and optional per-epoch LR schedule.
///
/// Holds no global state: several trainers can run on different threads. The optimizer must
/// have been built over the model's parameters (e.g. from
/// [`named_parameters`](crate::module::named_parameters)).
pub struct Trainer {
    /// The model being trained.
    pub model: Sequential,
    /// Loss minimised by `fit`.
    pub loss: LossKind,
    /// Optimizer over the model's parameters.
    pub optimizer: Box<dyn Optimize + Send>,
    /// Metrics reported besides the loss.
    pub metrics: Vec<MetricKind>,
    /// Per-epoch schedule: epoch `e` trains with `schedule.lr(base_lr, e)`.
    pub schedule: Option<LrSchedule>,
    /// Reduce-on-plateau driven by the logged value `.0` (e.g. `"val_loss"`) at every epoch end;
    /// exclusive with `schedule` (both would set the learning rate).
    pub plateau: Option<(String, ReduceOnPlateau)>,
    /// Base learning rate of the schedule (the optimizer's LR when the trainer was built).
    pub base_lr: f32,
    /// Clip the global L2 norm of the gradients to this value before each step (Keras `clipnorm`).
    pub clip_norm: Option<f32>,
    /// Clip every gradient element to `[-v, v]` before each step (Keras `clipvalue`).
    pub clip_value: Option<f32>,
}

impl Trainer {
    /// A trainer without schedule; `base_lr` is taken from the optimizer.
    pub fn new(
        model: Sequential,
        loss: LossKind,
        optimizer: Box<dyn Optimize + Send>,
        metrics: Vec<MetricKind>,
    ) -> Self {
        let base_lr = optimizer.lr();
        Trainer {
            model,
            loss,
            optimizer,
            metrics,
            schedule: None,
            plateau: None,
            base_lr,
            clip_norm: None,
            clip_value: None,
        }
    }

    /// Sets a per-epoch learning-rate schedule (validated).
    pub fn with_schedule(mut self, schedule: LrSchedule) -> Result<Self> {
        schedule.validate()?;
        self.schedule = Some(schedule);
        Ok(self)
    }

    fn metric_states(&self) -> Vec<MetricState> {
        self.metrics.iter().map(|m| m.state()).collect()
    }

    /// Per-sample weights from class weights, or `None`.
    fn sample_weights(&self, y: &Tensor, class_weight: Option<&[f32]>) -> Result<Option<Tensor>> {
        let Some(cw) = class_weight else {
            return Ok(None);
        };
        let n = y.dims().first().copied().unwrap_or(0);
        let values = y.to_vec();
        let per = values.len().checked_div(n).unwrap_or(0);
        let mut w = Vec::with_capacity(n);
        for row in values.chunks(per.max(1)).take(n) {
            let class = if per > 1 {
                let mut best = 0;
                for (i, &v) in row.iter().enumerate() {
                    if v > row[best] {
                        best = i;
                    }
                }
                best
            } else {
                let v = row[0];
                if v < 0.0 || v.fract() != 0.0 {
                    return Err(invalid(
                        "fit",
                        format!("class_weight needs integer class targets, got {v}"),
                    ));
                }
                v as usize
            };
            let weight = cw.get(class).copied().ok_or_else(|| {
                invalid(
                    "fit",
                    format!(
                        "class_weight has {} entries but class {class} occurs",
                        cw.len()
                    ),
                )
            })?;
            w.push(weight);
        }
        Tensor::from_vec(w, &[n]).map(Some)
    }

    /// One optimisation step; returns the loss and the (detached) predictions.
    fn step(
        &mut self,
        x: &Tensor,
        y: &Tensor,
        class_weight: Option<&[f32]>,
    ) -> Result<(f64, Tensor)> {
        self.model.set_training(true);
        self.optimizer.zero_grad();
        let pred = self.model.forward(x)?;
        let loss = match self.sample_weights(y, class_weight)? {
            Some(w) => self.loss.compute_weighted(&pred, y, &w)?,
            None => self.loss.compute(&pred, y)?,
        };
        // Weight penalties (L1/L2 kernel regularisers) are part of the minimised and reported loss, as in Keras.
        let loss = match self.model.regularization_loss()? {
            Some(penalty) => loss.add(&penalty)?,
            None => loss,
        };
        let value = loss.item()? as f64;
        loss.backward()?;
        if self.clip_norm.is_some() || self.clip_value.is_some() {
            let params: Vec<Tensor> = crate::module::named_parameters(&self.model)
                .into_iter()
                .map(|(_, t)| t)
                .collect();
            if let Some(v) = self.clip_value {
                crate::optim::clip_grad_value(&params, v)?;
            }
            if let Some(n) = self.clip_norm {
                crate::optim::clip_grad_norm(&params, n, 2.0)?;
            }
        }
        self.optimizer.step()?;
        self.model.apply_constraints()?;
        self.optimizer.zero_grad();
        Ok((value, pred.detach()))
    }

    /// Trains for `options.epochs - options.initial_epoch` epochs.
    ///
    /// Per batch: forward in training mode, loss, backward, optimizer step, zero grads. At the
    /// end of each epoch the validation set (if any) is evaluated in eval mode under `no_grad`.
    /// `cancel` is checked before every batch: when set, the History of the completed epochs is
    /// returned with `cancelled = true`. A callback returning [`Control::Stop`] ends training
    /// after the current batch / epoch (`stopped = true`). The model is left in eval mode.
    pub fn fit(
        &mut self,
        x: &Tensor,
        y: &Tensor,
        options: &FitOptions,
        callback: &mut dyn FitCallback,
        cancel: &AtomicBool,
    ) -> Result<History> {
        let n = check_pair("fit", x, y)?;
        if options.batch_size == 0 {
            return Err(invalid("fit", "batch_size must be positive"));
        }
        if !(0.0..1.0).contains(&options.validation_split) {
            return Err(invalid(
                "fit",
                format!(
                    "validation_split must be in [0, 1), got {}",
                    options.validation_split
                ),
            ));
        }
        if let Some(cw) = &options.class_weight {
            if cw.iter().any(|w| !w.is_finite() || *w < 0.0) {
                return Err(invalid(
                    "fit",
                    "class_weight values must be finite and >= 0",
                ));
            }
        }
        let (train_x, train_y, val) = match &options.validation_data {
            Some((vx, vy)) => {
                check_pair("fit (validation_data)", vx, vy)?;
                (x.clone(), y.clone(), Some((vx.clone(), vy.clone())))
            }
            None if options.validation_split > 0.0 => {
                let split_at = (n as f64 * (1.0 - options.validation_split)) as usize;
                if split_at == 0 || split_at == n {
                    return Err(invalid(
                        "fit",
                        format!(
                            "validation_split {} of {n} samples leaves an empty training or validation set",
                            options.validation_split
                        ),
                    ));
                }
                (
                    x.narrow(0, 0, split_at)?,
                    y.narrow(0, 0, split_at)?,
                    Some((
                        x.narrow(0, split_at, n - split_at)?,
                        y.narrow(0, split_at, n - split_at)?,
                    )),
                )
            }
            None => (x.clone(), y.clone(), None),
        };
        let n_train = train_x.dims()[0];
        let batches = n_train.div_ceil(options.batch_size);
        let class_weight = options.class_weight.as_deref();
        let mut history = History::default();

        'epochs: for epoch in options.initial_epoch..options.epochs {
            let lr = match &self.schedule {
                Some(s) => {
                    let lr = s.lr(self.base_lr, epoch as u64);
                    self.optimizer.set_lr(lr)?;
                    lr
                }
                None => self.optimizer.lr(),
            };
            callback.on_epoch_begin(epoch);
            let started = Instant::now();
            let order = if options.shuffle {
                Some(permutation(
                    n_train,
                    options.seed.wrapping_add(epoch as u64),
                )?)
            } else {
                None
            };
            let mut metrics = self.metric_states();
            let mut loss_sum = 0.0;
            let mut seen = 0usize;
            for b in 0..batches {
                if cancel.load(Ordering::Relaxed) {
                    history.cancelled = true;
                    break 'epochs;
                }
                let start = b * options.batch_size;
                let len = options.batch_size.min(n_train - start);
                let (bx, by) = match &order {
                    Some(order) => {
                        let idx: Vec<f32> = order[start..start + len]
                            .iter()
                            .map(|&i| i as f32)
                            .collect();
                        let idx = Tensor::from_vec(idx, &[len])?;
                        (
                            train_x.index_select(0, &idx)?,
                            train_y.index_select(0, &idx)?,
                        )
                    }
                    None => (
                        train_x.narrow(0, start, len)?,
                        train_y.narrow(0, start, len)?,
                    ),
                };
                let (loss, pred) = self.step(&bx, &by, class_weight)?;
                if !loss.is_finite() {
                    return Err(invalid(
                        "fit",
                        format!("loss became {loss} at epoch {epoch}, batch {b}"),
                    ));
                }
                for m in &mut metrics {
                    m.update(&pred, &by)?;
                }
                loss_sum += loss * len as f64;
                seen += len;
                let mut running = Logs::new();
                running.insert("loss".into(), loss_sum / seen as f64);
                for m in &metrics {
                    running.insert(m.kind().name(), m.value());
                }
                let logs = BatchLogs {
                    loss,
                    size: len,
                    running,
                };
                if callback.on_batch_end(epoch, b, batches, &logs) == Control::Stop {
                    history.stopped = true;
                    break 'epochs;
                }
            }
            let train_seconds = started.elapsed().as_secs_f64();
            let mut logs = Logs::new();
            logs.insert("loss".into(), loss_sum / seen.max(1) as f64);
            for m in &metrics {
                logs.insert(m.kind().name(), m.value());
            }
            if let Some((vx, vy)) = &val {
                let v = self.evaluate(vx, vy, options.batch_size)?;
                for (k, value) in v {
                    logs.insert(format!("val_{k}"), value);
                }
            }
            self.model.set_training(false);
            let entry = EpochLogs {
                epoch,
                logs,
                lr,
                seconds: started.elapsed().as_secs_f64(),
                samples_per_sec: seen as f64 / train_seconds.max(1e-9),
            };
            if let Some((monitor, plateau)) = &mut self.plateau {
                let value = entry.get(monitor).ok_or_else(|| {
                    invalid("fit", format!("reduce-on-plateau monitors '{monitor}', which is not logged (add validation data or a metric)"))
                })?;
                let next = plateau.step(value)?;
                self.optimizer.set_lr(next)?;
            }
            let control = callback.on_epoch_end(&entry, &self.model);
            history.epochs.push(entry);
            if control == Control::Stop {
                history.stopped = true;
                break;
            }
        }
        self.model.set_training(false);
        callback.on_train_end(&self.model)?;
        Ok(history)
    }

    /// Loss and metrics over `(x, y)` in eval mode under `no_grad`, batch by batch (the loss is
    /// the sample-weighted mean of the batch losses). The previous training mode is restored.
    pub fn evaluate(&mut self, x: &Tensor, y: &Tensor, batch_size: usize) -> Result<Logs> {
        let n = check_pair("evaluate", x, y)?;
        if batch_size == 0 {
            return Err(invalid("evaluate", "batch_size must be positive"));
        }
        let was_training = self.model.is_training();
        self.model.set_training(false);
        let mut metrics = self.metric_states();
        let result = no_grad(|| -> Result<f64> {
            let mut loss_sum = 0.0;
            let mut start = 0;
            while start < n {
                let len = batch_size.min(n - start);
                let bx = x.narrow(0, start, len)?;
                let by = y.narrow(0, start, len)?;
                let pred = self.model.forward(&bx)?;
                loss_sum += self.loss.compute(&pred, &by)?.item()? as f64 * len as f64;
                for m in &mut metrics {
                    m.update(&pred, &by)?;
                }
                start += len;
            }
            Ok(loss_sum / n as f64)
        });
        self.model.set_training(was_training);
        let mut logs = Logs::new();
        logs.insert("loss".into(), result?);
        for m in &metrics {
            logs.insert(m.kind().name(), m.value());
        }
        Ok(logs)
    }

    /// The model's outputs for `x`, computed in eval mode under `no_grad` in batches of
    /// `batch_size` and concatenated along the first axis. The previous mode is restored.
    pub fn predict(&mut self, x: &Tensor, batch_size: usize) -> Result<Tensor> {
        predict(&mut self.model, x, batch_size)
    }

    /// One gradient step on one batch (training mode); returns its loss and metrics (computed on
    /// the predictions made before the update, as Keras).
    pub fn train_on_batch(&mut self, x: &Tensor, y: &Tensor) -> Result<Logs> {
        check_pair("trainOnBatch", x, y)?;
        let (loss, pred) = self.step(x, y, None)?;
        let mut logs = Logs::new();
        logs.insert("loss".into(), loss);
        for mut m in self.metric_states() {
            m.update(&pred, y)?;
            logs.insert(m.kind().name(), m.value());
        }
        Ok(logs)
    }
}

/// Batched inference of any model in eval mode under `no_grad` (see [`Trainer::predict`]).
pub fn predict(model: &mut Sequential, x: &Tensor, batch_size: usize) -> Result<Tensor> {
    if batch_size == 0 {
        return Err(invalid("predict", "batch_size must be positive"));
    }
    let n = match x.dims().first() {
        Some(&n) if n > 0 => n,
        _ => {
            return Err(invalid(
                "predict",
                format!("x must be a non-empty batch, got shape {:?}", x.dims()),
            ))
        }
    };
    let was_training = model.is_training();
    model.set_training(false);
    let out = no_grad(|| -> Result<Tensor> {
        let mut parts = Vec::with_capacity(n.div_ceil(batch_size));
        let mut start = 0;
        while start < n {
            let len = batch_size.min(n - start);
            parts.push(model.forward(&x.narrow(0, start, len)?)?);
            start += len;
        }
        if parts.len() == 1 {
            Ok(parts.remove(0))
        } else {
            Tensor::concat(&parts, 0)
        }
    });
    model.set_training(was_training);
    out
}

/// Checks that `x` and `y` are non-empty with the same number of samples; returns it.
fn check_pair(op: &'static str, x: &Tensor, y: &Tensor) -> Result<usize> {
    let nx = x.dims().first().copied().unwrap_or(0);
    let ny = y.dims().first().copied().unwrap_or(0);
    if nx == 0 || nx != ny {
        return Err(Error::ShapeMismatch {
            op,
            lhs: x.dims().to_vec(),
            rhs: y.dims().to_vec(),
            reason: "x and y must be non-empty batches with the same number of samples".into(),
        });
    }
    Ok(nx)
}

/// A permutation of `0..n` drawn from `seed` with core's counter-based generator (uniform keys,
/// sorted; ties broken by index), so it is identical on every machine and thread count.
pub fn permutation(n: usize, seed: u64) -> Result<Vec<usize>> {
    let keys = Tensor::rand(&[n], 0.0, 1.0, Some(seed))?.to_vec();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| keys[a].total_cmp(&keys[b]).then(a.cmp(&b)));
    Ok(order)
}

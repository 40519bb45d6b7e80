//! [`Trainer`]: Keras-style `fit` / `evaluate` / `predict` / `train_on_batch` over a
//! [`Network`] (a `Sequential` chain or a multi-input, multi-output `Graph`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use ferrograd_core::{no_grad, Error, Result, Tensor};

use super::callbacks::{BatchLogs, Control, EpochLogs, FitCallback, History, Logs};
use super::samples::Samples;
use super::{LossKind, MetricKind, MetricState};
use crate::module::{Module, Network};
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
    /// Explicit validation set (inputs, targets, optional sample weights).
    pub validation_data: Option<Samples>,
    /// First epoch index (to resume a previous run). Default 0.
    pub initial_epoch: usize,
    /// Per-class loss weights: sample `i` is weighted by `class_weight[class(i)]` where the
    /// class is the target's value (sparse) or argmax (one-hot). Single-output models only.
    pub class_weight: Option<Vec<f32>>,
    /// Gradient accumulation: one optimizer step per this many batches, with the gradient of
    /// their combined mean loss (each batch's loss is scaled by its share of the group's
    /// samples, so 4 accumulated batches of 16 step exactly like one batch of 64). Default 1.
    pub accumulate_steps: usize,
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
            accumulate_steps: 1,
        }
    }
}

/// A model with its loss(es), optimizer, metrics and optional per-epoch LR schedule.
///
/// Holds no global state: several trainers can run on different threads. The optimizer must
/// have been built over the model's parameters (e.g. from
/// [`named_parameters`](crate::module::named_parameters)).
pub struct Trainer {
    /// The model being trained.
    pub model: Network,
    /// Loss minimised by `fit`: one for every output, or one per output.
    pub losses: Vec<LossKind>,
    /// Weight of each output's loss in the total (empty: all 1).
    pub loss_weights: Vec<f32>,
    /// Optimizer over the model's parameters.
    pub optimizer: Box<dyn Optimize + Send>,
    /// Metrics reported besides the loss (for every output).
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

/// One epoch in progress (see [`Trainer::begin_epoch`]): running losses and metrics, timing,
/// and how many batches wait in the accumulated gradients.
pub struct EpochRun {
    /// The epoch index.
    pub epoch: usize,
    lr: f32,
    started: Instant,
    train_seconds: f64,
    tally: Tally,
    batches: usize,
    pending: usize,
}

impl EpochRun {
    /// Batches trained so far.
    pub fn batches(&self) -> usize {
        self.batches
    }

    /// Batches accumulated since the last optimizer step.
    pub fn pending(&self) -> usize {
        self.pending
    }
}

/// An evaluation in progress (see [`Trainer::begin_evaluation`]).
pub struct EvalRun {
    tally: Tally,
    was_training: bool,
}

/// Loss values of one batch: the minimised total (data losses + penalties) and each output's
/// data loss, plus the detached predictions.
struct StepResult {
    total: f64,
    per_output: Vec<f64>,
    preds: Vec<Tensor>,
}

/// Running sums of an epoch (or an evaluation): sample-weighted losses and streaming metrics.
struct Tally {
    names: Vec<String>,
    loss: f64,
    per_output: Vec<f64>,
    seen: usize,
    metrics: Vec<Vec<MetricState>>,
}

impl Tally {
    fn add(&mut self, total: f64, per_output: &[f64], len: usize) {
        self.loss += total * len as f64;
        for (acc, v) in self.per_output.iter_mut().zip(per_output) {
            *acc += v * len as f64;
        }
        self.seen += len;
    }

    fn update_metrics(&mut self, preds: &[Tensor], ys: &[Tensor]) -> Result<()> {
        for ((states, pred), y) in self.metrics.iter_mut().zip(preds).zip(ys) {
            for m in states {
                m.update(pred, y)?;
            }
        }
        Ok(())
    }

    /// `loss`, then per output (`{name}_loss` and `{name}_{metric}` when there are several
    /// outputs, bare metric names otherwise).
    fn logs(&self) -> Logs {
        self.logs_with(true)
    }

    /// Running logs after a batch: metrics that rank the whole epoch (AUC) are left out, since
    /// recomputing them after every batch would make an epoch quadratic in its length.
    fn running_logs(&self) -> Logs {
        self.logs_with(false)
    }

    fn logs_with(&self, complete: bool) -> Logs {
        let seen = self.seen.max(1) as f64;
        let mut logs = Logs::new();
        logs.insert("loss".into(), self.loss / seen);
        let multi = self.names.len() > 1;
        for (k, name) in self.names.iter().enumerate() {
            if multi {
                logs.insert(format!("{name}_loss"), self.per_output[k] / seen);
            }
            for m in self.metrics[k]
                .iter()
                .filter(|m| complete || m.is_incremental())
            {
                let metric = m.kind().name();
                let key = if multi {
                    format!("{name}_{metric}")
                } else {
                    metric
                };
                logs.insert(key, m.value());
            }
        }
        logs
    }
}

impl Trainer {
    /// A trainer without schedule; `loss` applies to every output; `base_lr` is taken from the
    /// optimizer.
    pub fn new(
        model: impl Into<Network>,
        loss: LossKind,
        optimizer: Box<dyn Optimize + Send>,
        metrics: Vec<MetricKind>,
    ) -> Self {
        let base_lr = optimizer.lr();
        Trainer {
            model: model.into(),
            losses: vec![loss],
            loss_weights: Vec::new(),
            optimizer,
            metrics,
            schedule: None,
            plateau: None,
            base_lr,
            clip_norm: None,
            clip_value: None,
        }
    }

    /// One loss per output (or a single one for all) and optional per-output weights (Keras'
    /// `loss_weights`), validated against the model's output count.
    pub fn set_output_losses(&mut self, losses: Vec<LossKind>, weights: Vec<f32>) -> Result<()> {
        let outputs = self.model.num_outputs();
        if losses.is_empty() || (losses.len() != 1 && losses.len() != outputs) {
            return Err(invalid(
                "compile",
                format!(
                    "got {} losses for a model with {outputs} outputs (give one, or one per output)",
                    losses.len()
                ),
            ));
        }
        if !weights.is_empty()
            && (weights.len() != outputs || weights.iter().any(|w| !w.is_finite() || *w < 0.0))
        {
            return Err(invalid(
                "compile",
                format!("loss_weights must be {outputs} finite values >= 0, got {weights:?}"),
            ));
        }
        self.losses = losses;
        self.loss_weights = weights;
        Ok(())
    }

    /// Sets a per-epoch learning-rate schedule (validated).
    pub fn with_schedule(mut self, schedule: LrSchedule) -> Result<Self> {
        schedule.validate()?;
        self.schedule = Some(schedule);
        Ok(self)
    }

    fn tally(&self) -> Tally {
        let names = self.model.output_names();
        Tally {
            per_output: vec![0.0; names.len()],
            metrics: (0..names.len())
                .map(|k| {
                    // Logit / margin outputs are classified at 0, probabilities at 0.5.
                    let loss = self.loss_of(k);
                    let threshold = match loss {
                        LossKind::BinaryCrossEntropyWithLogits
                        | LossKind::Hinge
                        | LossKind::SquaredHinge => 0.0,
                        _ => 0.5,
                    };
                    let logits = matches!(
                        loss,
                        LossKind::CategoricalCrossEntropy { from_logits: true }
                            | LossKind::SparseCategoricalCrossEntropy { from_logits: true }
                    );
                    self.metrics
                        .iter()
                        .map(|m| m.state_with_threshold(threshold).with_logits(logits))
                        .collect()
                })
                .collect(),
            names,
            loss: 0.0,
            seen: 0,
        }
    }

    fn loss_of(&self, output: usize) -> LossKind {
        self.losses[if self.losses.len() == 1 { 0 } else { output }]
    }

    fn samples(
        &self,
        op: &'static str,
        xs: Vec<Tensor>,
        ys: Vec<Tensor>,
        weights: Option<Tensor>,
    ) -> Result<Samples> {
        Samples::new(
            op,
            xs,
            ys,
            weights,
            self.model.num_inputs(),
            self.model.num_outputs(),
        )
    }

    /// Per-sample weights from class weights (times explicit sample weights), or `None`.
    fn sample_weights(
        &self,
        batch: &Samples,
        class_weight: Option<&[f32]>,
    ) -> Result<Option<Tensor>> {
        let Some(cw) = class_weight else {
            return Ok(batch.weights.clone());
        };
        let y = &batch.ys[0];
        let n = batch.len();
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
        let w = Tensor::from_vec(w, &[n])?;
        match &batch.weights {
            Some(sw) => w.mul(sw).map(Some),
            None => Ok(Some(w)),
        }
    }

    /// The data loss of every output for `preds` (weighted per sample when `weights` is set).
    fn output_losses(
        &self,
        preds: &[Tensor],
        ys: &[Tensor],
        weights: Option<&Tensor>,
    ) -> Result<Vec<Tensor>> {
        preds
            .iter()
            .zip(ys)
            .enumerate()
            .map(|(k, (pred, y))| match weights {
                Some(w) => self.loss_of(k).compute_weighted(pred, y, w),
                None => self.loss_of(k).compute(pred, y),
            })
            .collect()
    }

    /// Forward, loss and backward of one batch without updating: gradients accumulate into
    /// `.grad`, scaled by `scale` (the batch's share of an accumulation group; 1 otherwise).
    fn accumulate(
        &mut self,
        batch: &Samples,
        class_weight: Option<&[f32]>,
        scale: f32,
    ) -> Result<StepResult> {
        self.model.set_training(true);
        let preds = self.model.forward_many(&batch.xs)?;
        let weights = self.sample_weights(batch, class_weight)?;
        let losses = self.output_losses(&preds, &batch.ys, weights.as_ref())?;
        let mut per_output = Vec::with_capacity(losses.len());
        let mut total: Option<Tensor> = None;
        for (k, l) in losses.iter().enumerate() {
            per_output.push(l.item()? as f64);
            let weighted = match self.loss_weights.get(k) {
                Some(&w) if w != 1.0 => l.mul_scalar(w)?,
                _ => l.clone(),
            };
            total = Some(match total {
                Some(t) => t.add(&weighted)?,
                None => weighted,
            });
        }
        let mut loss = total.ok_or_else(|| invalid("fit", "the model has no outputs"))?;
        // Weight and activity penalties are part of the minimised and reported loss, as in Keras.
        if let Some(penalty) = self.model.regularization_loss()? {
            loss = loss.add(&penalty)?;
        }
        let value = loss.item()? as f64;
        if scale != 1.0 {
            loss = loss.mul_scalar(scale)?;
        }
        loss.backward()?;
        Ok(StepResult {
            total: value,
            per_output,
            preds: preds.iter().map(Tensor::detach).collect(),
        })
    }

    /// Clips the accumulated gradients, steps the optimizer, applies constraints, clears grads.
    fn update(&mut self) -> Result<()> {
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
        Ok(())
    }

    /// Trains a single-input, single-output model on `(x, y)`; see [`Trainer::fit_samples`].
    pub fn fit(
        &mut self,
        x: &Tensor,
        y: &Tensor,
        options: &FitOptions,
        callback: &mut dyn FitCallback,
        cancel: &AtomicBool,
    ) -> Result<History> {
        let data = self.samples("fit", vec![x.clone()], vec![y.clone()], None)?;
        self.fit_samples(&data, options, callback, cancel)
    }

    /// Trains for `options.epochs - options.initial_epoch` epochs.
    ///
    /// Per batch: forward in training mode, loss, backward, optimizer step (every
    /// `accumulate_steps` batches), zero grads. At the end of each epoch the validation set (if
    /// any) is evaluated in eval mode under `no_grad`. `cancel` is checked before every batch:
    /// when set, the History of the completed epochs is returned with `cancelled = true`. A
    /// callback returning [`Control::Stop`] ends training after the current batch / epoch
    /// (`stopped = true`). The model is left in eval mode.
    pub fn fit_samples(
        &mut self,
        data: &Samples,
        options: &FitOptions,
        callback: &mut dyn FitCallback,
        cancel: &AtomicBool,
    ) -> Result<History> {
        let data = self.samples(
            "fit",
            data.xs.clone(),
            data.ys.clone(),
            data.weights.clone(),
        )?;
        let n = data.len();
        if options.batch_size == 0 {
            return Err(invalid("fit", "batch_size must be positive"));
        }
        if options.accumulate_steps == 0 {
            return Err(invalid("fit", "accumulate_steps must be positive"));
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
            if self.model.num_outputs() != 1 {
                return Err(invalid(
                    "fit",
                    "class_weight applies to single-output models; use sample weights per output instead",
                ));
            }
        }
        let (train, val) = match &options.validation_data {
            Some(v) => {
                let v = self.samples(
                    "fit (validation_data)",
                    v.xs.clone(),
                    v.ys.clone(),
                    v.weights.clone(),
                )?;
                (data, Some(v))
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
                    data.rows(0, split_at)?,
                    Some(data.rows(split_at, n - split_at)?),
                )
            }
            None => (data, None),
        };
        let n_train = train.len();
        let batches = n_train.div_ceil(options.batch_size);
        let class_weight = options.class_weight.as_deref();
        let mut history = History::default();
        self.optimizer.zero_grad();

        'epochs: for epoch in options.initial_epoch..options.epochs {
            let mut run = self.begin_epoch(epoch, callback)?;
            let order = if options.shuffle {
                Some(permutation(
                    n_train,
                    options.seed.wrapping_add(epoch as u64),
                )?)
            } else {
                None
            };
            for b in 0..batches {
                if cancel.load(Ordering::Relaxed) {
                    self.optimizer.zero_grad();
                    history.cancelled = true;
                    break 'epochs;
                }
                let start = b * options.batch_size;
                let len = options.batch_size.min(n_train - start);
                let batch = match &order {
                    Some(order) => train.gather(&order[start..start + len])?,
                    None => train.rows(start, len)?,
                };
                // The accumulation group of batch b and its sample count.
                let group = b / options.accumulate_steps;
                let group_start = group * options.accumulate_steps * options.batch_size;
                let group_end =
                    ((group + 1) * options.accumulate_steps * options.batch_size).min(n_train);
                let scale = len as f32 / (group_end - group_start) as f32;
                let last_of_group = (b + 1) % options.accumulate_steps == 0 || b + 1 == batches;
                callback.on_batch_begin(epoch, b, batches);
                let logs =
                    self.train_batch(&mut run, &batch, class_weight, scale, last_of_group)?;
                if callback.on_batch_end(epoch, b, batches, &logs) == Control::Stop {
                    self.flush(&mut run, 1.0)?;
                    history.stopped = true;
                    break 'epochs;
                }
            }
            let val_logs = match &val {
                Some(v) => Some(self.evaluate_samples(v, options.batch_size)?),
                None => None,
            };
            let (entry, control) = self.end_epoch(run, val_logs, callback)?;
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

    /// Starts epoch `epoch` of a batch-by-batch run (what `fit` does per epoch; also driven
    /// from outside for streamed data): applies the schedule and tells the callback.
    pub fn begin_epoch(
        &mut self,
        epoch: usize,
        callback: &mut dyn FitCallback,
    ) -> Result<EpochRun> {
        let lr = match &self.schedule {
            Some(s) => {
                let lr = s.lr(self.base_lr, epoch as u64);
                self.optimizer.set_lr(lr)?;
                lr
            }
            None => self.optimizer.lr(),
        };
        callback.on_epoch_begin(epoch);
        Ok(EpochRun {
            epoch,
            lr,
            started: Instant::now(),
            train_seconds: 0.0,
            tally: self.tally(),
            batches: 0,
            pending: 0,
        })
    }

    /// Trains one batch of `run`: its loss (scaled by `scale`, the batch's share of an
    /// accumulation group) is back-propagated into the accumulated gradients, and the optimizer
    /// steps when `update` is set. Returns the batch logs (with the epoch's running averages).
    pub fn train_batch(
        &mut self,
        run: &mut EpochRun,
        batch: &Samples,
        class_weight: Option<&[f32]>,
        scale: f32,
        update: bool,
    ) -> Result<BatchLogs> {
        let step = self.accumulate(batch, class_weight, scale)?;
        run.pending += 1;
        if !step.total.is_finite() {
            self.optimizer.zero_grad();
            run.pending = 0;
            return Err(invalid(
                "fit",
                format!(
                    "loss became {} at epoch {}, batch {}",
                    step.total, run.epoch, run.batches
                ),
            ));
        }
        if update {
            self.update()?;
            run.pending = 0;
        }
        run.batches += 1;
        run.tally.update_metrics(&step.preds, &batch.ys)?;
        run.tally.add(step.total, &step.per_output, batch.len());
        run.train_seconds = run.started.elapsed().as_secs_f64();
        Ok(BatchLogs {
            loss: step.total,
            size: batch.len(),
            running: run.tally.running_logs(),
        })
    }

    /// Steps the optimizer on gradients accumulated since the last update, multiplied by
    /// `rescale` first (a short final accumulation group of `m` batches scaled `1/k` each needs
    /// `k/m`). Nothing happens when no batch is pending.
    pub fn flush(&mut self, run: &mut EpochRun, rescale: f32) -> Result<()> {
        if run.pending == 0 {
            return Ok(());
        }
        if rescale != 1.0 {
            for (_, p) in crate::module::named_parameters(&self.model) {
                if let Some(g) = p.grad() {
                    p.set_grad(Some(g.mul_scalar(rescale)?));
                }
            }
        }
        run.pending = 0;
        self.update()
    }

    /// Ends `run`: merges `validation` logs (prefixed `val_`), leaves the model in eval mode,
    /// steps reduce-on-plateau and calls the callback. Pending accumulated gradients must have
    /// been flushed.
    pub fn end_epoch(
        &mut self,
        run: EpochRun,
        validation: Option<Logs>,
        callback: &mut dyn FitCallback,
    ) -> Result<(EpochLogs, Control)> {
        let mut logs = run.tally.logs();
        for (k, value) in validation.into_iter().flatten() {
            logs.insert(format!("val_{k}"), value);
        }
        self.model.set_training(false);
        let entry = EpochLogs {
            epoch: run.epoch,
            logs,
            lr: run.lr,
            seconds: run.started.elapsed().as_secs_f64(),
            samples_per_sec: run.tally.seen as f64 / run.train_seconds.max(1e-9),
        };
        if let Some((monitor, plateau)) = &mut self.plateau {
            let value = entry.get(monitor).ok_or_else(|| {
                invalid("fit", format!("reduce-on-plateau monitors '{monitor}', which is not logged (add validation data or a metric)"))
            })?;
            let next = plateau.step(value)?;
            self.optimizer.set_lr(next)?;
        }
        let control = callback.on_epoch_end(&entry, &self.model);
        Ok((entry, control))
    }

    /// Loss and metrics of a single-input, single-output model; see [`Trainer::evaluate_samples`].
    pub fn evaluate(&mut self, x: &Tensor, y: &Tensor, batch_size: usize) -> Result<Logs> {
        let data = self.samples("evaluate", vec![x.clone()], vec![y.clone()], None)?;
        self.evaluate_samples(&data, batch_size)
    }

    /// Loss and metrics over `data` in eval mode under `no_grad`, batch by batch (the loss is
    /// the sample-count-weighted mean of the batch losses; sample weights, when given, weight
    /// each batch's loss as in training). Penalties are not included. The previous training
    /// mode is restored.
    pub fn evaluate_samples(&mut self, data: &Samples, batch_size: usize) -> Result<Logs> {
        let data = self.samples(
            "evaluate",
            data.xs.clone(),
            data.ys.clone(),
            data.weights.clone(),
        )?;
        if batch_size == 0 {
            return Err(invalid("evaluate", "batch_size must be positive"));
        }
        let n = data.len();
        let mut run = self.begin_evaluation();
        let mut start = 0;
        while start < n {
            let len = batch_size.min(n - start);
            if let Err(e) = data
                .rows(start, len)
                .and_then(|batch| self.evaluate_batch(&mut run, &batch))
            {
                self.end_evaluation(run);
                return Err(e);
            }
            start += len;
        }
        Ok(self.end_evaluation(run))
    }

    /// Starts an evaluation fed batch by batch (what [`Trainer::evaluate_samples`] does; also
    /// driven from outside for streamed data): switches to eval mode, remembering the previous
    /// mode for [`Trainer::end_evaluation`].
    pub fn begin_evaluation(&mut self) -> EvalRun {
        let was_training = self.model.is_training();
        self.model.set_training(false);
        EvalRun {
            tally: self.tally(),
            was_training,
        }
    }

    /// Adds one batch to `run` under `no_grad`: its losses, weighted by the batch's sample count
    /// (and sample weights), and every metric's state, so whole-epoch metrics (AUC, F1, ...) see
    /// all the batches together.
    pub fn evaluate_batch(&mut self, run: &mut EvalRun, batch: &Samples) -> Result<()> {
        let batch = self.samples(
            "evaluate",
            batch.xs.clone(),
            batch.ys.clone(),
            batch.weights.clone(),
        )?;
        no_grad(|| -> Result<()> {
            let preds = self.model.forward_many(&batch.xs)?;
            let losses = self.output_losses(&preds, &batch.ys, batch.weights.as_ref())?;
            let mut per_output = Vec::with_capacity(losses.len());
            let mut total = 0.0;
            for (k, l) in losses.iter().enumerate() {
                let v = l.item()? as f64;
                per_output.push(v);
                total += v * self.loss_weights.get(k).copied().unwrap_or(1.0) as f64;
            }
            run.tally.add(total, &per_output, batch.len());
            run.tally.update_metrics(&preds, &batch.ys)
        })
    }

    /// Ends `run`: restores the training mode and returns the loss and metrics over every batch.
    pub fn end_evaluation(&mut self, run: EvalRun) -> Logs {
        self.model.set_training(run.was_training);
        run.tally.logs()
    }

    /// The model's outputs for `x`, computed in eval mode under `no_grad` in batches of
    /// `batch_size` and concatenated along the first axis. The previous mode is restored.
    pub fn predict(&mut self, x: &Tensor, batch_size: usize) -> Result<Tensor> {
        predict(&mut self.model, x, batch_size)
    }

    /// One gradient step on one batch of a single-input, single-output model.
    pub fn train_on_batch(&mut self, x: &Tensor, y: &Tensor) -> Result<Logs> {
        let batch = self.samples("trainOnBatch", vec![x.clone()], vec![y.clone()], None)?;
        self.train_on_samples(&batch)
    }

    /// One gradient step on one batch (training mode); returns its loss and metrics (computed on
    /// the predictions made before the update, as Keras).
    pub fn train_on_samples(&mut self, batch: &Samples) -> Result<Logs> {
        let batch = self.samples(
            "trainOnBatch",
            batch.xs.clone(),
            batch.ys.clone(),
            batch.weights.clone(),
        )?;
        self.optimizer.zero_grad();
        let step = self.accumulate(&batch, None, 1.0)?;
        self.update()?;
        let mut tally = self.tally();
        tally.add(step.total, &step.per_output, batch.len());
        tally.update_metrics(&step.preds, &batch.ys)?;
        Ok(tally.logs())
    }
}

/// Batched inference of a single-input, single-output model in eval mode under `no_grad`
/// (see [`Trainer::predict`]).
pub fn predict(model: &mut Network, x: &Tensor, batch_size: usize) -> Result<Tensor> {
    let mut out = predict_many(model, std::slice::from_ref(x), batch_size)?;
    if out.len() != 1 {
        return Err(invalid(
            "predict",
            format!("the model has {} outputs; use predict_many", out.len()),
        ));
    }
    Ok(out.remove(0))
}

/// Batched inference of any model: one tensor per input in, one per output out.
pub fn predict_many(model: &mut Network, xs: &[Tensor], batch_size: usize) -> Result<Vec<Tensor>> {
    if batch_size == 0 {
        return Err(invalid("predict", "batch_size must be positive"));
    }
    if xs.len() != model.num_inputs() {
        return Err(invalid(
            "predict",
            format!(
                "the model has {} input(s), got {}",
                model.num_inputs(),
                xs.len()
            ),
        ));
    }
    let n = match xs.first().and_then(|x| x.dims().first()) {
        Some(&n) if n > 0 => n,
        _ => {
            return Err(invalid(
                "predict",
                format!(
                    "x must be a non-empty batch, got shape {:?}",
                    xs.first().map(|x| x.dims().to_vec())
                ),
            ))
        }
    };
    if let Some(x) = xs.iter().find(|x| x.dims().first() != Some(&n)) {
        return Err(Error::ShapeMismatch {
            op: "predict",
            lhs: xs[0].dims().to_vec(),
            rhs: x.dims().to_vec(),
            reason: "all inputs must have the same number of samples".into(),
        });
    }
    let was_training = model.is_training();
    model.set_training(false);
    let out = no_grad(|| -> Result<Vec<Tensor>> {
        let mut parts: Vec<Vec<Tensor>> = Vec::new();
        let mut start = 0;
        while start < n {
            let len = batch_size.min(n - start);
            let batch = xs
                .iter()
                .map(|x| x.narrow(0, start, len))
                .collect::<Result<Vec<_>>>()?;
            parts.push(model.forward_many(&batch)?);
            start += len;
        }
        let outputs = parts.first().map_or(0, Vec::len);
        (0..outputs)
            .map(|k| {
                let pieces: Vec<Tensor> = parts.iter().map(|p| p[k].clone()).collect();
                if pieces.len() == 1 {
                    Ok(pieces[0].clone())
                } else {
                    Tensor::concat(&pieces, 0)
                }
            })
            .collect()
    });
    model.set_training(was_training);
    out
}

/// A permutation of `0..n` drawn from `seed` with core's counter-based generator (uniform keys,
/// sorted; ties broken by index), so it is identical on every machine and thread count.
pub fn permutation(n: usize, seed: u64) -> Result<Vec<usize>> {
    let keys = Tensor::rand(&[n], 0.0, 1.0, Some(seed))?.to_vec();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| keys[a].total_cmp(&keys[b]).then(a.cmp(&b)));
    Ok(order)
}

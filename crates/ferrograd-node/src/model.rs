//! `NativeModel`: a `Sequential` or `Graph` network and, once compiled, its trainer.
//!
//! Training runs whole epochs natively on a worker thread (`fit` crosses N-API once per call, plus
//! one threadsafe-function call per epoch for progress). The model lives behind a mutex: while an
//! async task holds it, synchronous calls fail with a clear "busy" error instead of blocking the
//! JS thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ferrograd_core::Tensor;
use ferrograd_nn::model::{
    load_model_with_training, network_from_config, save_model, save_model_with_training,
    TrainingState,
};
use ferrograd_nn::module::{
    named_buffers, named_parameters, parameter_count, set_trainable, summary, Module, Network,
};
use ferrograd_nn::spec::{
    checkpoint_from_spec, clipping_from_spec, early_stopping_from_spec, loss_from_spec,
    metric_from_name, optimizer_from_named, plateau_from_spec, schedule_from_spec,
};
use ferrograd_nn::train::{
    BatchLogs, CallbackList, Control, EpochLogs, FitCallback, FitOptions, History, Logs, Samples,
    Trainer,
};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use parking_lot::Mutex;
use serde_json::{json, Value};

use crate::error::{
    catch_panic, core_err, fg_error, into_napi_error, ErrorCode, FgError, FgResult,
};
use crate::tensor::NativeTensor;

/// The model, plain or wrapped in its trainer after `compile`.
pub enum Slot {
    Plain(Network),
    /// The trainer and the compile specification it was built from (saved with the model so
    /// that `loadModel` restores a compiled model).
    Compiled(Box<Trainer>, Value),
}

impl Slot {
    /// The trainer of a compiled model; an error naming `op` otherwise.
    pub(crate) fn trainer(&mut self, op: &str) -> FgResult<&mut Trainer> {
        match self {
            Slot::Compiled(trainer, _) => Ok(trainer),
            Slot::Plain(_) => Err(value_error(format!("{op}: call compile() first"))),
        }
    }

    fn model(&mut self) -> &mut Network {
        match self {
            Slot::Plain(m) => m,
            Slot::Compiled(t, _) => &mut t.model,
        }
    }
}

pub(crate) type Shared = Arc<Mutex<Option<Slot>>>;

pub(crate) fn value_error(msg: impl ToString) -> FgError {
    fg_error(ErrorCode::Core("ValueError"), msg)
}

pub(crate) fn io_err(e: ferrograd_nn::io::IoError) -> FgError {
    fg_error(ErrorCode::Core(e.code()), e.to_string())
}

pub(crate) fn parse_json(op: &str, text: &str) -> FgResult<Value> {
    serde_json::from_str(text).map_err(|e| value_error(format!("{op}: invalid JSON: {e}")))
}

/// Runs `f` on the model if no async task holds it.
pub(crate) fn with_slot<R>(
    shared: &Shared,
    op: &str,
    f: impl FnOnce(&mut Slot) -> FgResult<R>,
) -> FgResult<R> {
    let mut guard = shared.try_lock().ok_or_else(|| {
        value_error(format!(
            "{op}: the model is busy (an async fit/evaluate/predict/save is running)"
        ))
    })?;
    let slot = guard.as_mut().ok_or_else(|| {
        fg_error(
            ErrorCode::Disposed,
            format!("{op}: the model has been disposed"),
        )
    })?;
    f(slot)
}

/// The tensors behind a list of handles.
pub(crate) fn tensors(op: &str, list: &[&NativeTensor]) -> FgResult<Vec<Tensor>> {
    list.iter().map(|t| t.get(op)).collect()
}

/// Inputs, targets and optional sample weights as one [`Samples`] (the trainer checks counts
/// and lengths against the model).
pub(crate) fn samples(
    op: &str,
    xs: &[&NativeTensor],
    ys: &[&NativeTensor],
    weights: Option<&NativeTensor>,
) -> FgResult<Samples> {
    Ok(Samples {
        xs: tensors(op, xs)?,
        ys: tensors(op, ys)?,
        weights: weights.map(|w| w.get(op)).transpose()?,
    })
}

pub(crate) fn logs_json(logs: &Logs) -> Value {
    Value::Object(logs.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}

pub(crate) fn epoch_json(e: &EpochLogs) -> Value {
    json!({ "epoch": e.epoch, "logs": logs_json(&e.logs), "lr": e.lr, "seconds": e.seconds, "samplesPerSec": e.samples_per_sec })
}

pub(crate) fn history_json(h: &History) -> Value {
    json!({ "epochs": h.epochs.iter().map(epoch_json).collect::<Vec<_>>(), "cancelled": h.cancelled, "stopped": h.stopped })
}

/// Handle on a native model. Internal: users work with the TypeScript `Sequential` class.
#[napi]
pub struct NativeModel {
    pub(crate) shared: Shared,
    cancel: Arc<AtomicBool>,
    /// A `fit` over streamed batches in progress (see `stream.rs`).
    pub(crate) stream: Arc<Mutex<Option<crate::stream::StreamSession>>>,
    /// An `evaluate` over streamed batches in progress (see `stream.rs`).
    pub(crate) eval_stream: Arc<Mutex<Option<ferrograd_nn::train::EvalRun>>>,
}

#[napi]
impl NativeModel {
    /// Builds a model from its architecture JSON (`{"type": "Sequential", "layers": [...]}` or
    /// `{"type": "Graph", ...}`).
    #[napi(factory, catch_unwind)]
    pub fn from_config(config: String) -> Result<NativeModel, ErrorCode> {
        let config = parse_json("model", &config)?;
        let kind = config
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("model")
            .to_owned();
        let model = network_from_config(&config).map_err(|e| {
            // A bad architecture passed in code is an argument error, not a file-format one.
            value_error(format!(
                "{kind}: {}",
                e.to_string().trim_start_matches("safetensors: ")
            ))
        })?;
        Ok(NativeModel {
            shared: Arc::new(Mutex::new(Some(Slot::Plain(model)))),
            cancel: Arc::new(AtomicBool::new(false)),
            stream: Arc::new(Mutex::new(None)),
            eval_stream: Arc::new(Mutex::new(None)),
        })
    }

    /// The architecture as JSON.
    #[napi(catch_unwind)]
    pub fn config(&self) -> Result<String, ErrorCode> {
        with_slot(&self.shared, "config", |s| {
            let config = s
                .model()
                .config()
                .ok_or_else(|| value_error("config: the model has a layer without a config"))?;
            Ok(config.to_string())
        })
    }

    /// Keras-style table of layers, output shapes and parameter counts for one input shape per
    /// model input (batch dimension included).
    #[napi(catch_unwind)]
    pub fn summary(&self, input_shapes: Vec<Vec<i64>>) -> Result<String, ErrorCode> {
        let shape: Vec<Vec<usize>> = input_shapes
            .iter()
            .map(|s| {
                s.iter()
                    .map(|&d| {
                        usize::try_from(d)
                            .map_err(|_| value_error(format!("summary: invalid dimension {d}")))
                    })
                    .collect::<FgResult<Vec<_>>>()
            })
            .collect::<FgResult<_>>()?;
        with_slot(&self.shared, "summary", |s| {
            summary(s.model(), &shape).map_err(core_err)
        })
    }

    /// Number of parameter elements (optionally trainable ones only).
    #[napi(catch_unwind)]
    pub fn parameter_count(&self, trainable_only: bool) -> Result<f64, ErrorCode> {
        with_slot(&self.shared, "countParams", |s| {
            Ok(parameter_count(s.model(), trainable_only) as f64)
        })
    }

    /// Dotted parameter names, in the order of `parameters()`.
    #[napi(catch_unwind)]
    pub fn parameter_names(&self) -> Result<Vec<String>, ErrorCode> {
        with_slot(&self.shared, "parameters", |s| {
            Ok(named_parameters(s.model())
                .into_iter()
                .map(|(n, _)| n)
                .collect())
        })
    }

    /// The live parameter tensors (sharing storage with the model).
    #[napi(catch_unwind)]
    pub fn parameters(&self, env: Env) -> Result<Vec<NativeTensor>, ErrorCode> {
        let params = with_slot(&self.shared, "parameters", |s| {
            Ok(named_parameters(s.model()))
        })?;
        params
            .into_iter()
            .map(|(_, t)| NativeTensor::wrap(&env, t))
            .collect()
    }

    /// Dotted buffer names (saved, untrained state such as batch-norm running statistics).
    #[napi(catch_unwind)]
    pub fn buffer_names(&self) -> Result<Vec<String>, ErrorCode> {
        with_slot(&self.shared, "buffers", |s| {
            Ok(named_buffers(s.model())
                .into_iter()
                .map(|(n, _)| n)
                .collect())
        })
    }

    /// The live buffer tensors (sharing storage with the model), in the order of `bufferNames()`.
    #[napi(catch_unwind)]
    pub fn buffers(&self, env: Env) -> Result<Vec<NativeTensor>, ErrorCode> {
        let buffers = with_slot(&self.shared, "buffers", |s| Ok(named_buffers(s.model())))?;
        buffers
            .into_iter()
            .map(|(_, t)| NativeTensor::wrap(&env, t))
            .collect()
    }

    /// Freezes or unfreezes every parameter.
    #[napi(catch_unwind)]
    pub fn set_trainable(&self, trainable: bool) -> Result<(), ErrorCode> {
        with_slot(&self.shared, "trainable", |s| {
            set_trainable(s.model(), trainable).map_err(core_err)
        })
    }

    /// Train (dropout/batch statistics on) or eval mode.
    #[napi(catch_unwind)]
    pub fn set_training(&self, training: bool) -> Result<(), ErrorCode> {
        with_slot(&self.shared, "train", |s| {
            s.model().set_training(training);
            Ok(())
        })
    }

    /// Whether the model is in training mode.
    #[napi(catch_unwind)]
    pub fn is_training(&self) -> Result<bool, ErrorCode> {
        with_slot(&self.shared, "training", |s| Ok(s.model().is_training()))
    }

    /// Eager forward pass on the JS thread, recording autograd (for custom training loops):
    /// one tensor per model input in, one per output out.
    #[napi(catch_unwind)]
    pub fn forward(
        &self,
        env: Env,
        inputs: Vec<&NativeTensor>,
    ) -> Result<Vec<NativeTensor>, ErrorCode> {
        let xs = tensors("forward", &inputs)?;
        let ys = with_slot(&self.shared, "forward", |s| {
            s.model().forward_many(&xs).map_err(core_err)
        })?;
        ys.into_iter()
            .map(|y| NativeTensor::wrap(&env, y))
            .collect()
    }

    /// Number of model inputs and outputs, and the output names.
    #[napi(catch_unwind)]
    pub fn signature(&self) -> Result<String, ErrorCode> {
        with_slot(&self.shared, "signature", |s| {
            let m = s.model();
            Ok(json!({"inputs": m.num_inputs(), "outputs": m.output_names()}).to_string())
        })
    }

    /// Attaches optimizer, loss (one spec, or an array with one per output), metrics, an
    /// optional per-epoch LR schedule and optional per-output loss weights (specs as JSON: a
    /// name or an object with `type`).
    #[napi(catch_unwind)]
    pub fn compile(
        &self,
        optimizer: String,
        loss: String,
        metrics: Vec<String>,
        schedule: Option<String>,
        loss_weights: Option<Vec<f64>>,
    ) -> Result<(), ErrorCode> {
        let spec = json!({
            "optimizer": parse_json("compile", &optimizer)?,
            "loss": parse_json("compile", &loss)?,
            "metrics": metrics,
            "schedule": match schedule {
                Some(text) => parse_json("compile", &text)?,
                None => Value::Null,
            },
            "lossWeights": loss_weights,
        });
        let mut guard = self
            .shared
            .try_lock()
            .ok_or_else(|| value_error("compile: the model is busy"))?;
        let slot = guard
            .take()
            .ok_or_else(|| fg_error(ErrorCode::Disposed, "compile: the model has been disposed"))?;
        let model = match slot {
            Slot::Plain(m) => m,
            Slot::Compiled(t, _) => t.model,
        };
        match build_trainer(model, &spec) {
            Ok(trainer) => {
                *guard = Some(Slot::Compiled(Box::new(trainer), spec));
                Ok(())
            }
            Err(failed) => {
                let (model, e) = *failed;
                *guard = Some(Slot::Plain(model));
                Err(e)
            }
        }
    }

    /// Trains on a worker thread on one tensor per input (`xs`) and per output (`ys`), with
    /// optional per-sample weights; `options` is FitOptions as JSON; `on_epoch_end` receives
    /// each epoch's logs as JSON. Resolves to the History as JSON.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    #[allow(clippy::too_many_arguments)]
    pub fn fit(
        &self,
        xs: Vec<&NativeTensor>,
        ys: Vec<&NativeTensor>,
        sample_weight: Option<&NativeTensor>,
        options: String,
        on_epoch_end: Option<ThreadsafeFunction<String, (), String, Status, false>>,
        validation_xs: Option<Vec<&NativeTensor>>,
        validation_ys: Option<Vec<&NativeTensor>>,
        validation_weight: Option<&NativeTensor>,
    ) -> Result<AsyncTask<ModelTask<String>>, ErrorCode> {
        let data = samples("fit", &xs, &ys, sample_weight)?;
        let mut options = parse_json("fit", &options)?;
        // Set by the TS layer when a user callback observes every batch.
        let every_batch = options
            .as_object_mut()
            .and_then(|o| o.remove("reportEveryBatch"))
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        let (mut opts, extra, plateau) = fit_options(&options)?;
        opts.validation_data = match (validation_xs, validation_ys) {
            (Some(vx), Some(vy)) => Some(samples("fit", &vx, &vy, validation_weight)?),
            (None, None) => None,
            _ => {
                return Err(value_error(
                    "fit: validationData needs both inputs and targets",
                ))
            }
        };
        self.cancel.store(false, Ordering::SeqCst);
        let cancel = self.cancel.clone();
        Ok(self.task("fit", move |slot| {
            let trainer = slot.trainer("fit")?;
            let mut callbacks: Vec<Box<dyn FitCallback + Send>> =
                vec![Box::new(Progress::new(on_epoch_end, every_batch))];
            callbacks.extend(extra);
            if let Some(spec) = &plateau {
                if trainer.schedule.is_some() {
                    return Err(value_error("fit: reduceLrOnPlateau cannot be combined with the schedule given to compile()"));
                }
                trainer.plateau = Some(plateau_from_spec(spec, trainer.optimizer.lr()).map_err(core_err)?);
            }
            let result =
                trainer.fit_samples(&data, &opts, &mut CallbackList(callbacks), &cancel);
            // The plateau belongs to this fit call only.
            trainer.plateau = None;
            let history = result.map_err(core_err)?;
            Ok(history_json(&history).to_string())
        }))
    }

    /// One custom-loop training step off the JS thread: zero the optimizer's gradients, forward
    /// in training mode, the loss spec (applied to every output and summed, plus weight and
    /// activity penalties), backward, optimizer step. Resolves to the loss. Works on compiled
    /// and plain models alike; the optimizer is the caller's.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn train_step(
        &self,
        optimizer: &crate::optim::NativeOptimizer,
        loss: String,
        xs: Vec<&NativeTensor>,
        ys: Vec<&NativeTensor>,
    ) -> Result<AsyncTask<ModelTask<String>>, ErrorCode> {
        let kind = loss_from_spec(&parse_json("trainStep", &loss)?).map_err(core_err)?;
        let (xs, ys) = (tensors("trainStep", &xs)?, tensors("trainStep", &ys)?);
        let opt = optimizer.for_step();
        Ok(self.task("trainStep", move |slot| {
            let model = slot.model();
            let data = Samples::new(
                "trainStep",
                xs,
                ys,
                None,
                model.num_inputs(),
                model.num_outputs(),
            )
            .map_err(core_err)?;
            opt.zero_grad();
            model.set_training(true);
            let step = (|| -> ferrograd_core::Result<f32> {
                let preds = model.forward_many(&data.xs)?;
                let mut total = kind.compute(&preds[0], &data.ys[0])?;
                for (p, y) in preds.iter().zip(&data.ys).skip(1) {
                    total = total.add(&kind.compute(p, y)?)?;
                }
                if let Some(penalty) = model.regularization_loss()? {
                    total = total.add(&penalty)?;
                }
                let value = total.item()?;
                total.backward()?;
                opt.step()?;
                model.apply_constraints()?;
                opt.zero_grad();
                Ok(value)
            })();
            let value = step.map_err(core_err)?;
            Ok(value.to_string())
        }))
    }

    /// Asks a running `fit` to stop before its next batch.
    #[napi(catch_unwind)]
    pub fn stop_training(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    /// Loss and metrics on `(xs, ys)` (optionally sample-weighted), as JSON, computed on a
    /// worker thread.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn evaluate(
        &self,
        xs: Vec<&NativeTensor>,
        ys: Vec<&NativeTensor>,
        sample_weight: Option<&NativeTensor>,
        batch_size: u32,
    ) -> Result<AsyncTask<ModelTask<String>>, ErrorCode> {
        let data = samples("evaluate", &xs, &ys, sample_weight)?;
        Ok(self.task("evaluate", move |slot| {
            let trainer = slot.trainer("evaluate")?;
            let logs = trainer
                .evaluate_samples(&data, batch_size as usize)
                .map_err(core_err)?;
            Ok(logs_json(&logs).to_string())
        }))
    }

    /// Batched inference in eval mode on a worker thread: one tensor per input in, one per
    /// output out.
    #[napi(catch_unwind, ts_return_type = "Promise<NativeTensor[]>")]
    pub fn predict(
        &self,
        xs: Vec<&NativeTensor>,
        batch_size: u32,
    ) -> Result<AsyncTask<ModelTask<Vec<Tensor>>>, ErrorCode> {
        let xs = tensors("predict", &xs)?;
        Ok(self.task("predict", move |slot| {
            ferrograd_nn::train::predict_many(slot.model(), &xs, batch_size as usize)
                .map_err(core_err)
        }))
    }

    /// One optimizer step on one batch; resolves to the batch logs as JSON.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn train_on_batch(
        &self,
        xs: Vec<&NativeTensor>,
        ys: Vec<&NativeTensor>,
        sample_weight: Option<&NativeTensor>,
    ) -> Result<AsyncTask<ModelTask<String>>, ErrorCode> {
        let batch = samples("trainOnBatch", &xs, &ys, sample_weight)?;
        Ok(self.task("trainOnBatch", move |slot| {
            let trainer = slot.trainer("trainOnBatch")?;
            let logs = trainer.train_on_samples(&batch).map_err(core_err)?;
            Ok(logs_json(&logs).to_string())
        }))
    }

    /// Saves architecture + weights as one safetensors file, atomically, on a worker thread.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn save(
        &self,
        path: String,
        include_optimizer: Option<bool>,
    ) -> Result<AsyncTask<ModelTask<String>>, ErrorCode> {
        let include = include_optimizer.unwrap_or(true);
        Ok(self.task("save", move |slot| {
            match slot {
                Slot::Compiled(trainer, spec) if include => {
                    let training = TrainingState {
                        compile: spec.clone(),
                        optimizer: trainer.optimizer.state_dict(),
                    };
                    save_model_with_training(&path, &trainer.model, Some(&training))
                        .map_err(io_err)?;
                }
                other => save_model(&path, other.model()).map_err(io_err)?,
            }
            Ok(String::new())
        }))
    }

    /// Releases the model now.
    #[napi(catch_unwind)]
    pub fn dispose(&self) -> Result<(), ErrorCode> {
        let mut guard = self
            .shared
            .try_lock()
            .ok_or_else(|| value_error("dispose: the model is busy"))?;
        *guard = None;
        Ok(())
    }

    pub(crate) fn task<T: Send + 'static>(
        &self,
        name: &'static str,
        work: impl FnOnce(&mut Slot) -> FgResult<T> + Send + 'static,
    ) -> AsyncTask<ModelTask<T>>
    where
        ModelTask<T>: Task,
    {
        AsyncTask::new(ModelTask {
            name,
            shared: self.shared.clone(),
            work: Some(Box::new(work)),
        })
    }
}

/// Loads a model saved by `save` on a worker thread.
#[napi(catch_unwind, ts_return_type = "Promise<NativeModel>")]
pub fn load_native_model(path: String) -> AsyncTask<LoadTask> {
    AsyncTask::new(LoadTask { path })
}

/// Parsed `fit` options: the loop options, extra callbacks (early stopping, checkpoints), and a
/// reduce-on-plateau spec.
pub(crate) type FitParts = (FitOptions, Vec<Box<dyn FitCallback + Send>>, Option<Value>);

/// Builds a trainer from a compile specification (see `compile`); gives the model back on error.
/// The error gives the model back (boxed: a network is large).
fn build_trainer(
    model: Network,
    spec: &Value,
) -> std::result::Result<Trainer, Box<(Network, FgError)>> {
    let parts = (|| -> FgResult<_> {
        let schedule = match spec.get("schedule") {
            Some(Value::Null) | None => None,
            Some(s) => Some(schedule_from_spec(s).map_err(core_err)?),
        };
        let opt_spec = spec.get("optimizer").cloned().unwrap_or(Value::Null);
        let losses = match spec.get("loss") {
            Some(Value::Array(list)) => list
                .iter()
                .map(loss_from_spec)
                .collect::<ferrograd_core::Result<Vec<_>>>(),
            other => loss_from_spec(other.unwrap_or(&Value::Null)).map(|l| vec![l]),
        }
        .map_err(core_err)?;
        let loss_weights: Vec<f32> = match spec.get("lossWeights") {
            Some(Value::Array(list)) => list
                .iter()
                .map(|w| {
                    w.as_f64()
                        .map(|w| w as f32)
                        .ok_or_else(|| value_error("compile: lossWeights must be numbers"))
                })
                .collect::<FgResult<_>>()?,
            _ => Vec::new(),
        };
        let metrics = spec
            .get("metrics")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .map(metric_from_name)
                    .collect::<ferrograd_core::Result<Vec<_>>>()
            })
            .transpose()
            .map_err(core_err)?
            .unwrap_or_default();
        let clipping = clipping_from_spec(&opt_spec).map_err(core_err)?;
        Ok((schedule, opt_spec, losses, loss_weights, metrics, clipping))
    })();
    let (schedule, opt_spec, losses, loss_weights, metrics, clipping) = match parts {
        Ok(p) => p,
        Err(e) => return Err(Box::new((model, e))),
    };
    match optimizer_from_named(named_parameters(&model), &opt_spec) {
        Ok(opt) => {
            let mut trainer = Trainer::new(model, losses[0], opt, metrics);
            if let Err(e) = trainer.set_output_losses(losses, loss_weights) {
                return Err(Box::new((trainer.model, core_err(e))));
            }
            trainer.schedule = schedule;
            (trainer.clip_norm, trainer.clip_value) = clipping;
            Ok(trainer)
        }
        Err(e) => Err(Box::new((model, core_err(e)))),
    }
}

pub(crate) fn fit_options(v: &Value) -> FgResult<FitParts> {
    let mut o = FitOptions::default();
    let mut extra: Vec<Box<dyn FitCallback + Send>> = Vec::new();
    let mut plateau = None;
    let obj = v
        .as_object()
        .ok_or_else(|| value_error("fit: options must be an object"))?;
    for (k, val) in obj {
        let num = || {
            val.as_f64().ok_or_else(|| {
                value_error(format!("fit: option '{k}' must be a number, got {val}"))
            })
        };
        let count = || -> FgResult<usize> {
            let n = num()?;
            if n < 0.0 || n.fract() != 0.0 {
                return Err(value_error(format!(
                    "fit: option '{k}' must be a non-negative integer, got {n}"
                )));
            }
            Ok(n as usize)
        };
        match k.as_str() {
            "epochs" => o.epochs = count()?,
            "batchSize" => o.batch_size = count()?,
            "accumulateSteps" => o.accumulate_steps = count()?,
            "initialEpoch" => o.initial_epoch = count()?,
            "seed" => o.seed = count()? as u64,
            "validationSplit" => o.validation_split = num()?,
            "shuffle" => {
                o.shuffle = val
                    .as_bool()
                    .ok_or_else(|| value_error("fit: option 'shuffle' must be a boolean"))?
            }
            "classWeight" => {
                let list = val
                    .as_array()
                    .ok_or_else(|| value_error("fit: classWeight must be an array of numbers"))?;
                o.class_weight = Some(
                    list.iter()
                        .map(|w| {
                            w.as_f64().map(|w| w as f32).ok_or_else(|| {
                                value_error("fit: classWeight must be an array of numbers")
                            })
                        })
                        .collect::<FgResult<_>>()?,
                );
            }
            "earlyStopping" => {
                extra.push(Box::new(early_stopping_from_spec(val).map_err(core_err)?))
            }
            "checkpoint" => extra.push(Box::new(checkpoint_from_spec(val).map_err(core_err)?)),
            "reduceLrOnPlateau" => plateau = Some(val.clone()),
            other => return Err(value_error(format!("fit: unknown option '{other}'"))),
        }
    }
    Ok((o, extra, plateau))
}

/// Streams progress to JS without waiting for it (NonBlocking): JS observes training, training
/// never waits on the event loop. Every epoch end is sent; batch updates at most every 100 ms
/// (enough for a progress bar, without flooding the event loop).
struct Progress {
    tsfn: Option<ThreadsafeFunction<String, (), String, Status, false>>,
    last_batch_report: Option<std::time::Instant>,
    epoch_start: std::time::Instant,
    every_batch: bool,
}

impl Progress {
    fn new(
        tsfn: Option<ThreadsafeFunction<String, (), String, Status, false>>,
        every_batch: bool,
    ) -> Self {
        Progress {
            tsfn,
            last_batch_report: None,
            epoch_start: std::time::Instant::now(),
            every_batch,
        }
    }

    fn send(&self, value: Value) {
        if let Some(tsfn) = &self.tsfn {
            tsfn.call(value.to_string(), ThreadsafeFunctionCallMode::NonBlocking);
        }
    }
}

impl FitCallback for Progress {
    fn on_epoch_begin(&mut self, epoch: usize) {
        self.epoch_start = std::time::Instant::now();
        self.last_batch_report = None;
        self.send(json!({"kind": "epochBegin", "epoch": epoch}));
    }

    fn on_batch_begin(&mut self, epoch: usize, batch: usize, batches: usize) {
        if self.every_batch {
            self.send(json!({"kind": "batchBegin", "epoch": epoch, "batch": batch + 1, "batches": batches}));
        }
    }

    fn on_batch_end(
        &mut self,
        epoch: usize,
        batch: usize,
        batches: usize,
        logs: &BatchLogs,
    ) -> Control {
        let due = self.every_batch
            || self
                .last_batch_report
                .is_none_or(|t| t.elapsed().as_millis() >= 100);
        if due && (self.every_batch || batch + 1 < batches) {
            self.last_batch_report = Some(std::time::Instant::now());
            self.send(json!({
                "kind": "batch", "epoch": epoch, "batch": batch + 1, "batches": batches,
                "logs": logs_json(&logs.running), "seconds": self.epoch_start.elapsed().as_secs_f64(),
            }));
        }
        Control::Continue
    }

    fn on_epoch_end(&mut self, logs: &EpochLogs, _model: &dyn Module) -> Control {
        let mut value = epoch_json(logs);
        value["kind"] = json!("epoch");
        self.send(value);
        Control::Continue
    }
}

type ModelWork<T> = Box<dyn FnOnce(&mut Slot) -> FgResult<T> + Send>;

/// Runs one piece of model work on a libuv worker thread, holding the model's lock. `T` is
/// `String` (JSON results) or `Tensor` (predictions).
pub struct ModelTask<T: Send + 'static> {
    name: &'static str,
    shared: Shared,
    work: Option<ModelWork<T>>,
}

impl<T: Send + 'static> ModelTask<T> {
    fn run(&mut self) -> FgResult<T> {
        let (name, shared, work) = (self.name, self.shared.clone(), self.work.take());
        catch_panic(name, move || {
            let mut guard = shared.try_lock().ok_or_else(|| {
                value_error(format!("{name}: the model is busy with another async call"))
            })?;
            let slot = guard.as_mut().ok_or_else(|| {
                fg_error(
                    ErrorCode::Disposed,
                    format!("{name}: the model has been disposed"),
                )
            })?;
            match work {
                Some(work) => work(slot),
                None => Err(fg_error(
                    ErrorCode::Panic,
                    format!("{name}: task ran twice"),
                )),
            }
        })
    }
}

impl Task for ModelTask<String> {
    type Output = FgResult<String>;
    type JsValue = String;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(self.run())
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        output.map_err(|e| into_napi_error(&env, e))
    }
}

impl Task for ModelTask<Vec<Tensor>> {
    type Output = FgResult<Vec<Tensor>>;
    type JsValue = Vec<NativeTensor>;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(self.run())
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        output
            .and_then(|ts| {
                ts.into_iter()
                    .map(|t| NativeTensor::wrap(&env, t))
                    .collect()
            })
            .map_err(|e| into_napi_error(&env, e))
    }
}

/// Loads a saved model off the JS thread.
pub struct LoadTask {
    path: String,
}

impl Task for LoadTask {
    type Output = FgResult<Slot>;
    type JsValue = NativeModel;

    /// Rebuilds the model and, when the file carries training state, the compiled trainer with
    /// the optimizer state restored, so `fit` continues exactly where the saved run stopped.
    fn compute(&mut self) -> Result<Self::Output> {
        let path = self.path.clone();
        Ok(catch_panic("loadModel", move || {
            let (model, training) = load_model_with_training(&path).map_err(io_err)?;
            let Some(training) = training else {
                return Ok(Slot::Plain(model));
            };
            let mut trainer = build_trainer(model, &training.compile).map_err(|failed| failed.1)?;
            trainer
                .optimizer
                .load_state_dict(&training.optimizer)
                .map_err(core_err)?;
            Ok(Slot::Compiled(Box::new(trainer), training.compile))
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        match output {
            Ok(slot) => Ok(NativeModel {
                shared: Arc::new(Mutex::new(Some(slot))),
                cancel: Arc::new(AtomicBool::new(false)),
                stream: Arc::new(Mutex::new(None)),
                eval_stream: Arc::new(Mutex::new(None)),
            }),
            Err(e) => Err(into_napi_error(&env, e)),
        }
    }
}

/// Reads IDX files (gzipped or not; several files are concatenated along the first axis, as for
/// MNIST's split training images) into an f32 tensor scaled by `scale`, off the JS thread.
#[napi(catch_unwind, ts_return_type = "Promise<NativeTensor>")]
pub fn load_idx(paths: Vec<String>, scale: f64) -> AsyncTask<IdxTask> {
    AsyncTask::new(IdxTask {
        paths,
        scale: scale as f32,
    })
}

/// Decodes IDX files on a worker thread.
pub struct IdxTask {
    paths: Vec<String>,
    scale: f32,
}

impl Task for IdxTask {
    type Output = FgResult<Tensor>;
    type JsValue = NativeTensor;

    fn compute(&mut self) -> Result<Self::Output> {
        let (paths, scale) = (self.paths.clone(), self.scale);
        Ok(catch_panic("loadIdx", move || {
            let refs: Vec<&std::path::Path> = paths.iter().map(std::path::Path::new).collect();
            let array = ferrograd_nn::data::idx::read_idx_parts(&refs).map_err(core_err)?;
            array.to_tensor(scale).map_err(core_err)
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        output
            .and_then(|t| NativeTensor::wrap(&env, t))
            .map_err(|e| into_napi_error(&env, e))
    }
}

//! `fit` over streamed batches (a TypeScript `Dataset`): JS iterates the data and sends one
//! batch per call; the epoch logic (schedules, accumulation, metrics, reduce-on-plateau, early
//! stopping, checkpoints) is the native trainer's, the same code `fit` over tensors runs.
//!
//! Protocol: `fitStreamBegin(options)`, then per epoch `fitStreamEpochBegin(epoch)`, one
//! `fitStreamBatch` per batch, `fitStreamEpochEnd(validationLogs)`, and finally
//! `fitStreamEnd(true)` (or `fitStreamEnd(false)` to abandon after an error).

use ferrograd_nn::module::Module;
use ferrograd_nn::spec::plateau_from_spec;
use ferrograd_nn::train::{CallbackList, Control, EpochRun, FitCallback, History, Logs, Samples};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::{json, Value};

use crate::error::{core_err, ErrorCode, FgResult};
use crate::model::{
    epoch_json, fit_options, history_json, logs_json, parse_json, samples, value_error, with_slot,
    ModelTask, NativeModel,
};
use crate::tensor::NativeTensor;

/// Options of a streamed fit that belong to the data pipeline instead.
const DATASET_OPTIONS: [&str; 5] = [
    "batchSize",
    "shuffle",
    "seed",
    "validationSplit",
    "initialEpoch",
];

/// The state of a streamed `fit` between calls.
pub struct StreamSession {
    callbacks: CallbackList,
    run: Option<EpochRun>,
    history: History,
    accumulate: usize,
    class_weight: Option<Vec<f32>>,
}

fn session<'a>(guard: &'a mut Option<StreamSession>, op: &str) -> FgResult<&'a mut StreamSession> {
    guard
        .as_mut()
        .ok_or_else(|| value_error(format!("{op}: no streamed fit is running")))
}

#[napi]
impl NativeModel {
    /// Starts a streamed fit with `options` (FitOptions JSON without the data-pipeline options).
    #[napi(catch_unwind)]
    pub fn fit_stream_begin(&self, options: String) -> Result<(), ErrorCode> {
        let spec = parse_json("fit", &options)?;
        if let Some(key) = spec
            .as_object()
            .and_then(|o| o.keys().find(|k| DATASET_OPTIONS.contains(&k.as_str())))
        {
            return Err(value_error(format!(
                "fit: option '{key}' does not apply to a Dataset (batch, shuffle and split the dataset itself)"
            )));
        }
        let (opts, extra, plateau) = fit_options(&spec)?;
        if opts.accumulate_steps == 0 {
            return Err(value_error("fit: accumulateSteps must be positive"));
        }
        with_slot(&self.shared, "fit", |slot| {
            let trainer = slot.trainer("fit")?;
            if let Some(spec) = &plateau {
                if trainer.schedule.is_some() {
                    return Err(value_error("fit: reduceLrOnPlateau cannot be combined with the schedule given to compile()"));
                }
                trainer.plateau =
                    Some(plateau_from_spec(spec, trainer.optimizer.lr()).map_err(core_err)?);
            }
            trainer.optimizer.zero_grad();
            Ok(())
        })?;
        *self.stream.lock() = Some(StreamSession {
            callbacks: CallbackList(extra),
            run: None,
            history: History::default(),
            accumulate: opts.accumulate_steps,
            class_weight: opts.class_weight,
        });
        Ok(())
    }

    /// Begins epoch `epoch` of the streamed fit (applies the LR schedule); returns its LR.
    #[napi(catch_unwind)]
    pub fn fit_stream_epoch_begin(&self, epoch: u32) -> Result<f64, ErrorCode> {
        let stream = self.stream.clone();
        with_slot(&self.shared, "fit", |slot| {
            let trainer = slot.trainer("fit")?;
            let mut guard = stream.lock();
            let s = session(&mut guard, "fit")?;
            let run = trainer
                .begin_epoch(epoch as usize, &mut s.callbacks)
                .map_err(core_err)?;
            let lr = trainer.optimizer.lr() as f64;
            s.run = Some(run);
            Ok(lr)
        })
    }

    /// Trains one streamed batch on a worker thread; resolves to `{loss, size, logs}` JSON with
    /// the epoch's running averages.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn fit_stream_batch(
        &self,
        xs: Vec<&NativeTensor>,
        ys: Vec<&NativeTensor>,
        sample_weight: Option<&NativeTensor>,
    ) -> Result<AsyncTask<ModelTask<String>>, ErrorCode> {
        let batch = samples("fit", &xs, &ys, sample_weight)?;
        let stream = self.stream.clone();
        Ok(self.task("fit", move |slot| {
            let trainer = slot.trainer("fit")?;
            let batch = Samples::new(
                "fit",
                batch.xs,
                batch.ys,
                batch.weights,
                trainer.model.num_inputs(),
                trainer.model.num_outputs(),
            )
            .map_err(core_err)?;
            let mut guard = stream.lock();
            let s = session(&mut guard, "fit")?;
            let k = s.accumulate;
            let run = s
                .run
                .as_mut()
                .ok_or_else(|| value_error("fit: no epoch has begun"))?;
            let update = (run.batches() + 1) % k == 0;
            let logs = trainer
                .train_batch(
                    run,
                    &batch,
                    s.class_weight.as_deref(),
                    1.0 / k as f32,
                    update,
                )
                .map_err(core_err)?;
            Ok(
                json!({"loss": logs.loss, "size": logs.size, "logs": logs_json(&logs.running)})
                    .to_string(),
            )
        }))
    }

    /// Ends the current epoch with optional validation logs (JSON object); resolves to
    /// `{epoch, stop}` JSON. Steps a short final accumulation group with rescaled gradients.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn fit_stream_epoch_end(
        &self,
        validation: Option<String>,
    ) -> Result<AsyncTask<ModelTask<String>>, ErrorCode> {
        let validation: Option<Logs> = match validation {
            None => None,
            Some(text) => match parse_json("fit", &text)? {
                Value::Object(map) => Some(
                    map.into_iter()
                        .map(|(k, v)| {
                            v.as_f64().map(|v| (k.clone(), v)).ok_or_else(|| {
                                value_error(format!("fit: validation log '{k}' is not a number"))
                            })
                        })
                        .collect::<FgResult<_>>()?,
                ),
                other => {
                    return Err(value_error(format!(
                        "fit: validation logs must be an object, got {other}"
                    )))
                }
            },
        };
        let stream = self.stream.clone();
        Ok(self.task("fit", move |slot| {
            let trainer = slot.trainer("fit")?;
            let mut guard = stream.lock();
            let s = session(&mut guard, "fit")?;
            let mut run = s
                .run
                .take()
                .ok_or_else(|| value_error("fit: no epoch has begun"))?;
            let pending = run.pending();
            let rescale = if pending > 0 {
                s.accumulate as f32 / pending as f32
            } else {
                1.0
            };
            trainer.flush(&mut run, rescale).map_err(core_err)?;
            let (entry, control) = trainer
                .end_epoch(run, validation, &mut s.callbacks)
                .map_err(core_err)?;
            let out = json!({"epoch": epoch_json(&entry), "stop": control == Control::Stop});
            s.history.epochs.push(entry);
            Ok(out.to_string())
        }))
    }

    /// Finishes (`complete`: callbacks' end-of-training work, e.g. restoring the best weights)
    /// or abandons the streamed fit; resolves to the History JSON.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn fit_stream_end(
        &self,
        complete: bool,
        cancelled: bool,
        stopped: bool,
    ) -> Result<AsyncTask<ModelTask<String>>, ErrorCode> {
        let stream = self.stream.clone();
        Ok(self.task("fit", move |slot| {
            let trainer = slot.trainer("fit")?;
            let taken = stream.lock().take();
            trainer.plateau = None;
            trainer.optimizer.zero_grad();
            trainer.model.set_training(false);
            let Some(mut s) = taken else {
                return Ok(history_json(&History::default()).to_string());
            };
            if complete {
                s.callbacks.on_train_end(&trainer.model).map_err(core_err)?;
            }
            s.history.cancelled = cancelled;
            s.history.stopped = stopped;
            Ok(history_json(&s.history).to_string())
        }))
    }

    /// Starts an evaluation over streamed batches (eval mode; the previous mode comes back at
    /// `evaluateStreamEnd`).
    #[napi(catch_unwind)]
    pub fn evaluate_stream_begin(&self) -> Result<(), ErrorCode> {
        let eval = self.eval_stream.clone();
        with_slot(&self.shared, "evaluate", |slot| {
            let run = slot.trainer("evaluate")?.begin_evaluation();
            *eval.lock() = Some(run);
            Ok(())
        })
    }

    /// Adds one streamed batch to the evaluation, on a worker thread.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn evaluate_stream_batch(
        &self,
        xs: Vec<&NativeTensor>,
        ys: Vec<&NativeTensor>,
        sample_weight: Option<&NativeTensor>,
    ) -> Result<AsyncTask<ModelTask<String>>, ErrorCode> {
        let batch = samples("evaluate", &xs, &ys, sample_weight)?;
        let eval = self.eval_stream.clone();
        Ok(self.task("evaluate", move |slot| {
            let trainer = slot.trainer("evaluate")?;
            let mut guard = eval.lock();
            let run = guard
                .as_mut()
                .ok_or_else(|| value_error("evaluate: no streamed evaluation is running"))?;
            trainer.evaluate_batch(run, &batch).map_err(core_err)?;
            Ok(String::new())
        }))
    }

    /// Ends the streamed evaluation: restores the mode and returns the logs over every batch as
    /// JSON (`{}` when none was running).
    #[napi(catch_unwind)]
    pub fn evaluate_stream_end(&self) -> Result<String, ErrorCode> {
        let eval = self.eval_stream.clone();
        with_slot(&self.shared, "evaluate", |slot| {
            let Some(run) = eval.lock().take() else {
                return Ok("{}".to_owned());
            };
            Ok(logs_json(&slot.trainer("evaluate")?.end_evaluation(run)).to_string())
        })
    }
}

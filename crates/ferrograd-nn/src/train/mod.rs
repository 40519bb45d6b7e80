//! Native training loop, Keras-style: [`Trainer::fit`] / [`Trainer::evaluate`] /
//! [`Trainer::predict`] / [`Trainer::train_on_batch`] with [`LossKind`], streaming
//! [`MetricKind`] metrics, [`FitCallback`] hooks and [`EarlyStopping`].
//!
//! Designed to be driven from an async task: no global state, cancellation through an
//! `&AtomicBool` polled between batches, progress through a `&mut dyn FitCallback`.
//!
//! Reproducibility: weights are initialised from explicit seeds by the caller and the shuffling
//! permutation comes from [`FitOptions::seed`]. Dropout and Gaussian-noise layers draw from
//! core's process-wide generator ([`ferrograd_core::manual_seed`]); runs with those layers are
//! reproducible only when that generator is reseeded and no other code draws from it meanwhile.

mod callbacks;
mod epoch_metrics;
mod loss_kind;
mod metrics;
mod samples;
mod trainer;

pub use callbacks::{
    snapshot, BatchLogs, CallbackList, Control, EarlyStopping, EpochLogs, FitCallback, History,
    Logs, ModelCheckpoint, MonitorMode, NoCallback,
};
pub use loss_kind::LossKind;
pub use metrics::{MetricKind, MetricState};
pub use samples::Samples;
pub use trainer::{permutation, predict, predict_many, EpochRun, EvalRun, FitOptions, Trainer};

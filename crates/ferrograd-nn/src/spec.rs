//! Keras-style specifications (names or JSON objects) of optimizers, losses and metrics, as the
//! TypeScript API passes them: `"adam"`, `{"type": "sgd", "lr": 0.1, "momentum": 0.9}`,
//! `"sparseCategoricalCrossentropy"`, `{"type": "huber", "delta": 2}`, `"accuracy"`.
//! Unknown names and fields are errors listing what is accepted, never silently ignored.

use ferrograd_core::{Error, Result, Tensor};
use serde_json::{Map, Value};

use crate::optim::{
    AdadeltaConfig, AdagradConfig, AdamConfig, AdamWConfig, AdamaxConfig, GroupOptions, LionConfig,
    Optimize, Optimizer, RmsPropConfig, Rule, SgdConfig,
};
use crate::schedule::{LrSchedule, PlateauConfig, PlateauMode, ReduceOnPlateau};
use crate::train::{EarlyStopping, LossKind, MetricKind, MonitorMode};

fn bad(op: &'static str, msg: String) -> Error {
    Error::InvalidArgument { op, msg }
}

/// A spec as (type name, options object).
fn split<'a>(
    op: &'static str,
    spec: &'a Value,
    empty: &'a Map<String, Value>,
) -> Result<(&'a str, &'a Map<String, Value>)> {
    match spec {
        Value::String(name) => Ok((name.as_str(), empty)),
        Value::Object(map) => match map.get("type").and_then(Value::as_str) {
            Some(name) => Ok((name, map)),
            None => Err(bad(
                op,
                format!("an object spec needs a string 'type' field, got {spec}"),
            )),
        },
        other => Err(bad(
            op,
            format!("expected a name or an object with 'type', got {other}"),
        )),
    }
}

/// Typed access to the option fields of one spec, rejecting unknown ones.
struct Fields<'a> {
    op: &'static str,
    name: &'a str,
    map: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    fn new(
        op: &'static str,
        name: &'a str,
        map: &'a Map<String, Value>,
        allowed: &[&str],
    ) -> Result<Self> {
        if let Some(k) = map
            .keys()
            .find(|k| *k != "type" && !allowed.contains(&k.as_str()))
        {
            return Err(bad(
                op,
                format!(
                    "'{name}' has no option '{k}' (accepted: {})",
                    allowed.join(", ")
                ),
            ));
        }
        Ok(Fields { op, name, map })
    }

    fn f32(&self, key: &str, default: f32) -> Result<f32> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v.as_f64().map(|x| x as f32).ok_or_else(|| {
                bad(
                    self.op,
                    format!("'{}': option '{key}' must be a number, got {v}", self.name),
                )
            }),
        }
    }

    fn bool(&self, key: &str, default: bool) -> Result<bool> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v.as_bool().ok_or_else(|| {
                bad(
                    self.op,
                    format!("'{}': option '{key}' must be a boolean, got {v}", self.name),
                )
            }),
        }
    }

    fn u64(&self, key: &str, default: Option<u64>) -> Result<u64> {
        match (self.map.get(key), default) {
            (None | Some(Value::Null), Some(d)) => Ok(d),
            (None | Some(Value::Null), None) => Err(bad(
                self.op,
                format!("'{}' needs option '{key}'", self.name),
            )),
            (Some(v), _) => v.as_u64().ok_or_else(|| {
                bad(
                    self.op,
                    format!(
                        "'{}': option '{key}' must be a non-negative integer, got {v}",
                        self.name
                    ),
                )
            }),
        }
    }

    fn u64_list(&self, key: &str) -> Result<Vec<u64>> {
        let err = || {
            bad(
                self.op,
                format!(
                    "'{}': option '{key}' must be a list of non-negative integers",
                    self.name
                ),
            )
        };
        self.map
            .get(key)
            .and_then(Value::as_array)
            .ok_or_else(err)?
            .iter()
            .map(|v| v.as_u64().ok_or_else(err))
            .collect()
    }

    fn str(&self, key: &str, default: &'a str) -> Result<&'a str> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v.as_str().ok_or_else(|| {
                bad(
                    self.op,
                    format!("'{}': option '{key}' must be a string, got {v}", self.name),
                )
            }),
        }
    }

    /// The learning rate, accepted as `lr` or Keras' `learningRate`.
    fn lr(&self, default: f32) -> Result<f32> {
        match self.map.get("learningRate") {
            Some(_) => self.f32("learningRate", default),
            None => self.f32("lr", default),
        }
    }
}

const OPTIMIZERS: &str = "sgd, adam, adamw, rmsprop, adagrad, adadelta, adamax, lion";

/// Builds an optimizer over `params` from a spec. Options (camelCase, PyTorch defaults):
/// `lr`/`learningRate`, `weightDecay`, and per algorithm `momentum`, `dampening`, `nesterov`
/// (sgd); `beta1`, `beta2`, `epsilon`, `amsgrad` (adam, adamw, adamax, lion without epsilon/amsgrad);
/// `alpha`, `epsilon`, `momentum`, `centered` (rmsprop); `lrDecay`, `initialAccumulatorValue`,
/// `epsilon` (adagrad); `rho`, `epsilon` (adadelta).
pub fn optimizer_from_spec(params: Vec<Tensor>, spec: &Value) -> Result<Box<dyn Optimize + Send>> {
    optimizer_from_groups(vec![(params, Map::new())], spec)
}

/// Builds an optimizer over named parameters; the spec may hold `paramGroups`, a list of
/// `{ params: [patterns], ...overrides }` (PyTorch parameter groups): a pattern is an exact
/// parameter name, `prefix*` or `*suffix` (`'*.bias'`), and the overrides are any option of the
/// algorithm (`lr`, `weightDecay`, `momentum`, ...). Parameters no group matches form the first
/// group with the spec's own options. A parameter matched by two groups is an error.
pub fn optimizer_from_named(
    named: Vec<(String, Tensor)>,
    spec: &Value,
) -> Result<Box<dyn Optimize + Send>> {
    let Some(list) = spec.get("paramGroups") else {
        return optimizer_from_spec(named.into_iter().map(|(_, t)| t).collect(), spec);
    };
    let list = list.as_array().ok_or_else(|| {
        bad(
            "optimizer",
            "'paramGroups' must be a list of objects".to_owned(),
        )
    })?;
    let mut owner: Vec<Option<usize>> = vec![None; named.len()];
    let mut groups: Vec<(Vec<Tensor>, Map<String, Value>)> = Vec::new();
    for (g, group) in list.iter().enumerate() {
        let obj = group.as_object().ok_or_else(|| {
            bad(
                "optimizer",
                format!("paramGroups[{g}] must be an object, got {group}"),
            )
        })?;
        let patterns: Vec<&str> = obj
            .get("params")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
            .ok_or_else(|| {
                bad(
                    "optimizer",
                    format!("paramGroups[{g}].params must be a list of name patterns"),
                )
            })?;
        let mut params = Vec::new();
        for pattern in &patterns {
            let mut hit = false;
            for (i, (name, t)) in named.iter().enumerate() {
                if matches_pattern(pattern, name) {
                    hit = true;
                    if let Some(other) = owner[i] {
                        if other != g {
                            return Err(bad(
                                "optimizer",
                                format!("parameter '{name}' is matched by paramGroups[{other}] and paramGroups[{g}]"),
                            ));
                        }
                        continue;
                    }
                    owner[i] = Some(g);
                    params.push(t.clone());
                }
            }
            if !hit {
                let known: Vec<&str> = named.iter().map(|(n, _)| n.as_str()).collect();
                return Err(bad(
                    "optimizer",
                    format!(
                        "paramGroups[{g}]: pattern '{pattern}' matches no parameter (parameters: {})",
                        known.join(", ")
                    ),
                ));
            }
        }
        let mut overrides = obj.clone();
        overrides.remove("params");
        groups.push((params, overrides));
    }
    let rest: Vec<Tensor> = named
        .iter()
        .zip(&owner)
        .filter(|(_, o)| o.is_none())
        .map(|((_, t), _)| t.clone())
        .collect();
    let mut all = vec![(rest, Map::new())];
    all.extend(groups);
    let mut spec = spec.clone();
    if let Some(obj) = spec.as_object_mut() {
        obj.remove("paramGroups");
    }
    optimizer_from_groups(all, &spec)
}

/// `name` matches an exact pattern, `prefix*` or `*suffix`.
fn matches_pattern(pattern: &str, name: &str) -> bool {
    if let Some(prefix) = pattern.strip_suffix('*') {
        name.starts_with(prefix)
    } else if let Some(suffix) = pattern.strip_prefix('*') {
        name.ends_with(suffix)
    } else {
        pattern == name
    }
}

/// One optimizer whose parameter groups each get the spec's options overridden by the group's
/// own (PyTorch `param_groups`). The first group defines the defaults.
pub fn optimizer_from_groups(
    groups: Vec<(Vec<Tensor>, Map<String, Value>)>,
    spec: &Value,
) -> Result<Box<dyn Optimize + Send>> {
    let empty = Map::new();
    let (name, base) = split("optimizer", spec, &empty)?;
    let key = name.to_ascii_lowercase();
    let merged: Vec<(Vec<Tensor>, Map<String, Value>)> = groups
        .into_iter()
        .map(|(params, overrides)| {
            let mut map = base.clone();
            map.extend(overrides);
            (params, map)
        })
        .collect();
    Ok(match key.as_str() {
        "sgd" => grouped(merged, |m| {
            let f = optimizer_fields(name, m, &["momentum", "dampening", "nesterov"])?;
            let d = SgdConfig::default();
            Ok(SgdConfig {
                lr: f.lr(d.lr)?,
                momentum: f.f32("momentum", d.momentum)?,
                dampening: f.f32("dampening", d.dampening)?,
                weight_decay: f.f32("weightDecay", d.weight_decay)?,
                nesterov: f.bool("nesterov", d.nesterov)?,
            })
        })?,
        "adam" => grouped(merged, |m| {
            let f = optimizer_fields(name, m, &["beta1", "beta2", "epsilon", "amsgrad"])?;
            let d = AdamConfig::default();
            Ok(AdamConfig {
                lr: f.lr(d.lr)?,
                betas: (f.f32("beta1", d.betas.0)?, f.f32("beta2", d.betas.1)?),
                eps: f.f32("epsilon", d.eps)?,
                weight_decay: f.f32("weightDecay", d.weight_decay)?,
                amsgrad: f.bool("amsgrad", d.amsgrad)?,
            })
        })?,
        "adamw" => grouped(merged, |m| {
            let f = optimizer_fields(name, m, &["beta1", "beta2", "epsilon", "amsgrad"])?;
            let d = AdamWConfig::default();
            Ok(AdamWConfig {
                lr: f.lr(d.lr)?,
                betas: (f.f32("beta1", d.betas.0)?, f.f32("beta2", d.betas.1)?),
                eps: f.f32("epsilon", d.eps)?,
                weight_decay: f.f32("weightDecay", d.weight_decay)?,
                amsgrad: f.bool("amsgrad", d.amsgrad)?,
            })
        })?,
        "rmsprop" => grouped(merged, |m| {
            let f = optimizer_fields(name, m, &["alpha", "epsilon", "momentum", "centered"])?;
            let d = RmsPropConfig::default();
            Ok(RmsPropConfig {
                lr: f.lr(d.lr)?,
                alpha: f.f32("alpha", d.alpha)?,
                eps: f.f32("epsilon", d.eps)?,
                weight_decay: f.f32("weightDecay", d.weight_decay)?,
                momentum: f.f32("momentum", d.momentum)?,
                centered: f.bool("centered", d.centered)?,
            })
        })?,
        "adagrad" => grouped(merged, |m| {
            let f = optimizer_fields(name, m, &["lrDecay", "initialAccumulatorValue", "epsilon"])?;
            let d = AdagradConfig::default();
            Ok(AdagradConfig {
                lr: f.lr(d.lr)?,
                lr_decay: f.f32("lrDecay", d.lr_decay)?,
                weight_decay: f.f32("weightDecay", d.weight_decay)?,
                initial_accumulator_value: f
                    .f32("initialAccumulatorValue", d.initial_accumulator_value)?,
                eps: f.f32("epsilon", d.eps)?,
            })
        })?,
        "adadelta" => grouped(merged, |m| {
            let f = optimizer_fields(name, m, &["rho", "epsilon"])?;
            let d = AdadeltaConfig::default();
            Ok(AdadeltaConfig {
                lr: f.lr(d.lr)?,
                rho: f.f32("rho", d.rho)?,
                eps: f.f32("epsilon", d.eps)?,
                weight_decay: f.f32("weightDecay", d.weight_decay)?,
            })
        })?,
        "adamax" => grouped(merged, |m| {
            let f = optimizer_fields(name, m, &["beta1", "beta2", "epsilon"])?;
            let d = AdamaxConfig::default();
            Ok(AdamaxConfig {
                lr: f.lr(d.lr)?,
                betas: (f.f32("beta1", d.betas.0)?, f.f32("beta2", d.betas.1)?),
                eps: f.f32("epsilon", d.eps)?,
                weight_decay: f.f32("weightDecay", d.weight_decay)?,
            })
        })?,
        "lion" => grouped(merged, |m| {
            let f = optimizer_fields(name, m, &["beta1", "beta2"])?;
            let d = LionConfig::default();
            Ok(LionConfig {
                lr: f.lr(d.lr)?,
                betas: (f.f32("beta1", d.betas.0)?, f.f32("beta2", d.betas.1)?),
                weight_decay: f.f32("weightDecay", d.weight_decay)?,
            })
        })?,
        _ => {
            return Err(bad(
                "optimizer",
                format!("unknown optimizer '{name}' (accepted: {OPTIMIZERS})"),
            ))
        }
    })
}

/// The options of optimizer `name` in `map`, rejecting keys the algorithm does not have.
fn optimizer_fields<'a>(
    name: &'a str,
    map: &'a Map<String, Value>,
    extra: &[&str],
) -> Result<Fields<'a>> {
    // Clipping options belong to the training step; `clipping_from_spec` reads them.
    let common = ["lr", "learningRate", "weightDecay", "clipNorm", "clipValue"];
    let allowed: Vec<&str> = common.iter().chain(extra).copied().collect();
    Fields::new("optimizer", name, map, &allowed)
}

/// An `Optimizer<R>` with one parameter group per entry, each configured by `config`.
fn grouped<R>(
    groups: Vec<(Vec<Tensor>, Map<String, Value>)>,
    config: impl Fn(&Map<String, Value>) -> Result<R>,
) -> Result<Box<dyn Optimize + Send>>
where
    R: Rule + 'static,
    Optimizer<R>: Optimize + Send,
{
    let mut it = groups.into_iter();
    let (params, map) = it
        .next()
        .ok_or_else(|| bad("optimizer", "no parameter groups".to_owned()))?;
    let mut opt = Optimizer::new(params, config(&map)?)?;
    for (params, map) in it {
        opt.add_param_group(
            params,
            GroupOptions {
                lr: None,
                config: Some(config(&map)?),
            },
        )?;
    }
    Ok(Box::new(opt))
}

const LOSSES: &str = "meanSquaredError (mse), meanAbsoluteError (mae), huber, binaryCrossentropy, \
                      categoricalCrossentropy, sparseCategoricalCrossentropy, \
                      kullbackLeiblerDivergence (kld), hinge, squaredHinge, cosineSimilarity, logCosh, \
                      poisson";

/// A loss from a spec: a Keras name, or an object with `fromLogits` (cross-entropies) or `delta`
/// (huber).
pub fn loss_from_spec(spec: &Value) -> Result<LossKind> {
    let empty = Map::new();
    let (name, map) = split("loss", spec, &empty)?;
    let logits = |map| -> Result<bool> {
        Fields::new("loss", name, map, &["fromLogits"])?.bool("fromLogits", false)
    };
    let plain = |kind: LossKind| -> Result<LossKind> {
        Fields::new("loss", name, map, &[])?;
        Ok(kind)
    };
    Ok(match name {
        "meanSquaredError" | "mse" => {
            Fields::new("loss", name, map, &[])?;
            LossKind::Mse
        }
        "meanAbsoluteError" | "mae" => {
            Fields::new("loss", name, map, &[])?;
            LossKind::Mae
        }
        "huber" => LossKind::Huber {
            delta: Fields::new("loss", name, map, &["delta"])?.f32("delta", 1.0)?,
        },
        "binaryCrossentropy" => {
            if logits(map)? {
                LossKind::BinaryCrossEntropyWithLogits
            } else {
                LossKind::BinaryCrossEntropy
            }
        }
        "categoricalCrossentropy" => LossKind::CategoricalCrossEntropy {
            from_logits: logits(map)?,
        },
        "sparseCategoricalCrossentropy" => LossKind::SparseCategoricalCrossEntropy {
            from_logits: logits(map)?,
        },
        "kullbackLeiblerDivergence" | "kld" | "klDivergence" => plain(LossKind::KlDivergence)?,
        "hinge" => plain(LossKind::Hinge)?,
        "squaredHinge" => plain(LossKind::SquaredHinge)?,
        "cosineSimilarity" => plain(LossKind::CosineSimilarity)?,
        "logCosh" | "logcosh" => plain(LossKind::LogCosh)?,
        "poisson" => plain(LossKind::Poisson)?,
        _ => {
            return Err(bad(
                "loss",
                format!("unknown loss '{name}' (accepted: {LOSSES})"),
            ))
        }
    })
}

/// A metric from its Keras name: `accuracy` (`acc`), `binaryAccuracy`, `categoricalAccuracy`,
/// `sparseCategoricalAccuracy`, `topKCategoricalAccuracy` (k = 5), `mse`, `mae`.
pub fn metric_from_name(name: &str) -> Result<MetricKind> {
    Ok(match name {
        "accuracy" | "acc" => MetricKind::Accuracy,
        "binaryAccuracy" => MetricKind::BinaryAccuracy { threshold: 0.5 },
        "categoricalAccuracy" => MetricKind::CategoricalAccuracy,
        "sparseCategoricalAccuracy" => MetricKind::SparseCategoricalAccuracy,
        "topKCategoricalAccuracy" => MetricKind::TopK { k: 5 },
        "mse" | "meanSquaredError" => MetricKind::Mse,
        "mae" | "meanAbsoluteError" => MetricKind::Mae,
        "precision" => MetricKind::Precision,
        "recall" => MetricKind::Recall,
        "f1" | "f1Score" => MetricKind::F1,
        "auc" | "rocAuc" => MetricKind::Auc,
        "prAuc" | "averagePrecision" => MetricKind::PrAuc,
        "perplexity" => MetricKind::Perplexity,
        "specificity" => MetricKind::Specificity,
        "rmse" | "rootMeanSquaredError" => MetricKind::Rmse,
        "r2" | "r2Score" => MetricKind::R2,
        _ => {
            return Err(bad(
                "metrics",
                format!(
                    "unknown metric '{name}' (accepted: accuracy, binaryAccuracy, categoricalAccuracy, \
                     sparseCategoricalAccuracy, topKCategoricalAccuracy, mse, mae, precision, recall, f1, \
                     auc, prAuc, perplexity, specificity, rmse, r2)"
                ),
            ))
        }
    })
}

const SCHEDULES: &str =
    "constant, step, multiStep, exponential, inverseTime, inverseOffset, polynomial, cosine, \
                         cosineRestarts, warmup, oneCycle";

/// A learning-rate schedule (applied per epoch by `fit`), e.g. `{"type": "step", "stepSize": 10,
/// "gamma": 0.5}`, `{"type": "cosine", "tMax": 20}`, or `{"type": "warmup", "steps": 2,
/// "schedule": {...}}`. Parameters are those of `LrSchedule`, in camelCase, with PyTorch defaults.
pub fn schedule_from_spec(spec: &Value) -> Result<LrSchedule> {
    let empty = Map::new();
    let (name, map) = split("schedule", spec, &empty)?;
    let f = |allowed: &[&str]| Fields::new("schedule", name, map, allowed);
    let schedule = match name {
        "constant" => {
            f(&[])?;
            LrSchedule::Constant
        }
        "step" => {
            let f = f(&["stepSize", "gamma"])?;
            LrSchedule::Step {
                step_size: f.u64("stepSize", None)?,
                gamma: f.f32("gamma", 0.1)?,
            }
        }
        "multiStep" => {
            let f = f(&["milestones", "gamma"])?;
            LrSchedule::MultiStep {
                milestones: f.u64_list("milestones")?,
                gamma: f.f32("gamma", 0.1)?,
            }
        }
        "exponential" => LrSchedule::Exponential {
            gamma: f(&["gamma"])?.f32("gamma", 0.9)?,
        },
        "inverseTime" => LrSchedule::InverseTime {
            k: f(&["k"])?.f32("k", 1.0)?,
        },
        "inverseOffset" => LrSchedule::InverseOffset {
            c: f(&["c"])?.f32("c", 1.0)?,
        },
        "polynomial" => {
            let f = f(&["total", "power"])?;
            LrSchedule::Polynomial {
                total: f.u64("total", None)?,
                power: f.f32("power", 1.0)?,
            }
        }
        "cosine" => {
            let f = f(&["tMax", "etaMin"])?;
            LrSchedule::Cosine {
                t_max: f.u64("tMax", None)?,
                eta_min: f.f32("etaMin", 0.0)?,
            }
        }
        "cosineRestarts" => {
            let f = f(&["t0", "tMult", "etaMin"])?;
            LrSchedule::CosineRestarts {
                t_0: f.u64("t0", None)?,
                t_mult: f.u64("tMult", Some(1))?,
                eta_min: f.f32("etaMin", 0.0)?,
            }
        }
        "warmup" => {
            let f = f(&["steps", "startFactor", "schedule"])?;
            let inner = match map.get("schedule") {
                Some(inner) => schedule_from_spec(inner)?,
                None => LrSchedule::Constant,
            };
            inner.with_warmup(f.u64("steps", None)?, f.f32("startFactor", 1.0 / 3.0)?)
        }
        "oneCycle" => {
            let f = f(&["total", "pctStart", "divFactor", "finalDivFactor"])?;
            LrSchedule::OneCycle {
                total: f.u64("total", None)?,
                pct_start: f.f32("pctStart", 0.3)?,
                div_factor: f.f32("divFactor", 25.0)?,
                final_div_factor: f.f32("finalDivFactor", 1e4)?,
            }
        }
        _ => {
            return Err(bad(
                "schedule",
                format!("unknown schedule '{name}' (accepted: {SCHEDULES})"),
            ))
        }
    };
    schedule.validate()?;
    Ok(schedule)
}

/// `mode` of a monitoring callback: `"auto"` (default), `"min"` or `"max"`.
fn monitor_mode(f: &Fields<'_>) -> Result<MonitorMode> {
    match f.str("mode", "auto")? {
        "auto" => Ok(MonitorMode::Auto),
        "min" => Ok(MonitorMode::Min),
        "max" => Ok(MonitorMode::Max),
        other => Err(bad(
            f.op,
            format!("mode must be 'auto', 'min' or 'max', got '{other}'"),
        )),
    }
}

/// Early stopping from `{"monitor": "val_loss", "patience": 0, "minDelta": 0, "mode": "auto",
/// "restoreBestWeights": false}` (Keras names and defaults).
pub fn early_stopping_from_spec(spec: &Value) -> Result<EarlyStopping> {
    let empty = Map::new();
    let map = match spec {
        Value::Object(m) => m,
        Value::Null => &empty,
        other => {
            return Err(bad(
                "earlyStopping",
                format!("expected an options object, got {other}"),
            ))
        }
    };
    let f = Fields::new(
        "earlyStopping",
        "earlyStopping",
        map,
        &[
            "monitor",
            "patience",
            "minDelta",
            "mode",
            "restoreBestWeights",
        ],
    )?;
    let mode = monitor_mode(&f)?;
    let min_delta = f.f32("minDelta", 0.0)?;
    if min_delta.is_nan() || min_delta < 0.0 {
        return Err(bad(
            "earlyStopping",
            format!("minDelta must be >= 0, got {min_delta}"),
        ));
    }
    Ok(EarlyStopping::new(
        f.str("monitor", "val_loss")?,
        f.u64("patience", Some(0))? as usize,
    )
    .mode(mode)
    .min_delta(min_delta as f64)
    .restore_best_weights(f.bool("restoreBestWeights", false)?))
}

/// Gradient clipping requested in an optimizer spec: `(clipNorm, clipValue)`, Keras' `clipnorm`
/// (global L2 norm of all gradients) and `clipvalue` (each element), both optional and >= 0.
pub fn clipping_from_spec(spec: &Value) -> Result<(Option<f32>, Option<f32>)> {
    let Value::Object(map) = spec else {
        return Ok((None, None));
    };
    let get = |key: &str| -> Result<Option<f32>> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.as_f64() {
                Some(x) if x >= 0.0 => Ok(Some(x as f32)),
                _ => Err(bad(
                    "optimizer",
                    format!("option '{key}' must be a number >= 0, got {v}"),
                )),
            },
        }
    };
    Ok((get("clipNorm")?, get("clipValue")?))
}

/// Reduce-on-plateau from `{"monitor": "val_loss", "factor": 0.1, "patience": 10, "mode": "min",
/// "minDelta": 1e-4, "cooldown": 0, "minLr": 0}` (Keras names, PyTorch semantics with a relative
/// threshold), starting from learning rate `lr`.
pub fn plateau_from_spec(spec: &Value, lr: f32) -> Result<(String, ReduceOnPlateau)> {
    let empty = Map::new();
    let map = match spec {
        Value::Object(m) => m,
        Value::Null => &empty,
        other => {
            return Err(bad(
                "reduceLrOnPlateau",
                format!("expected an options object, got {other}"),
            ))
        }
    };
    let f = Fields::new(
        "reduceLrOnPlateau",
        "reduceLrOnPlateau",
        map,
        &[
            "monitor", "factor", "patience", "mode", "minDelta", "cooldown", "minLr",
        ],
    )?;
    let d = PlateauConfig::default();
    let mode = match f.str("mode", "min")? {
        "min" => PlateauMode::Min,
        "max" => PlateauMode::Max,
        other => {
            return Err(bad(
                "reduceLrOnPlateau",
                format!("mode must be 'min' or 'max', got '{other}'"),
            ))
        }
    };
    let config = PlateauConfig {
        mode,
        factor: f.f32("factor", d.factor as f32)? as f64,
        patience: f.u64("patience", Some(d.patience))?,
        threshold: f.f32("minDelta", d.threshold as f32)? as f64,
        cooldown: f.u64("cooldown", Some(d.cooldown))?,
        min_lr: f.f32("minLr", d.min_lr as f32)? as f64,
        ..d
    };
    Ok((
        f.str("monitor", "val_loss")?.to_owned(),
        ReduceOnPlateau::new(lr, config)?,
    ))
}

/// Model checkpointing from `{"path": "best.safetensors", "monitor": "val_loss", "mode": "auto",
/// "saveBestOnly": false}` (Keras `ModelCheckpoint` names).
pub fn checkpoint_from_spec(spec: &Value) -> Result<crate::train::ModelCheckpoint> {
    let Value::Object(map) = spec else {
        return Err(bad(
            "checkpoint",
            format!("expected an options object with 'path', got {spec}"),
        ));
    };
    let f = Fields::new(
        "checkpoint",
        "checkpoint",
        map,
        &["path", "monitor", "mode", "saveBestOnly"],
    )?;
    let path = map
        .get("path")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| bad("checkpoint", "needs a non-empty string 'path'".into()))?;
    let mode = monitor_mode(&f)?;
    Ok(crate::train::ModelCheckpoint::new(
        path,
        f.str("monitor", "val_loss")?,
        mode,
        f.bool("saveBestOnly", false)?,
    ))
}

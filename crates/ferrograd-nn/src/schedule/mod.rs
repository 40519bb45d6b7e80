//! Learning-rate schedules.
//!
//! [`LrSchedule`] is a closed-form, stateless schedule: `lr(base_lr, t)` is the learning rate in
//! effect for step (or epoch) `t` (`t = 0` is the first step). Being pure functions of `t`, they
//! resume trivially and compose by nesting ([`LrSchedule::Warmup`] wraps any other schedule).
//! Values match PyTorch's `torch.optim.lr_scheduler` classes (`get_last_lr()` before the t-th
//! `scheduler.step()`), checked against `fixtures/torch/schedules.json`.
//!
//! [`ReduceOnPlateau`] depends on observed metrics, so it is stateful, with
//! [`ReduceOnPlateau::state`] / [`ReduceOnPlateau::load_state`] for checkpoints.
//!
//! Arithmetic is in `f64` (PyTorch computes LRs as Python floats); results are rounded to `f32`.

use std::f64::consts::PI;

use ferrograd_core::{Error, Result};

const OP: &str = "lrSchedule";

fn invalid(msg: String) -> Error {
    Error::InvalidArgument { op: OP, msg }
}

/// A closed-form learning-rate schedule.
#[derive(Debug, Clone, PartialEq)]
pub enum LrSchedule {
    /// `base_lr` forever.
    Constant,
    /// `StepLR`: `base_lr * gamma^floor(t / step_size)`.
    Step {
        /// Steps between decays (> 0).
        step_size: u64,
        /// Decay factor (torch default 0.1).
        gamma: f32,
    },
    /// `MultiStepLR`: `base_lr * gamma^(number of milestones <= t)`; repeated milestones count
    /// repeatedly, as in torch.
    MultiStep {
        /// Steps at which the LR decays (any order).
        milestones: Vec<u64>,
        /// Decay factor (torch default 0.1).
        gamma: f32,
    },
    /// `ExponentialLR`: `base_lr * gamma^t`.
    Exponential {
        /// Per-step decay factor.
        gamma: f32,
    },
    /// Inverse-time decay `base_lr / (1 + k t)`.
    InverseTime {
        /// Decay rate (>= 0).
        k: f32,
    },
    /// Inverse decay with an offset: `base_lr / (t + c)` (`c > 0`).
    InverseOffset {
        /// Offset (> 0) keeping the first LR finite.
        c: f32,
    },
    /// `PolynomialLR`: `base_lr * (1 - min(t, total) / total)^power`.
    Polynomial {
        /// Steps until the LR reaches 0 (> 0).
        total: u64,
        /// Exponent (torch default 1).
        power: f32,
    },
    /// `CosineAnnealingLR` (closed form, which continues the cosine beyond `t_max`):
    /// `eta_min + (base_lr - eta_min) (1 + cos(pi t / t_max)) / 2`.
    Cosine {
        /// Half period (> 0).
        t_max: u64,
        /// Minimum LR.
        eta_min: f32,
    },
    /// `CosineAnnealingWarmRestarts`: cosine over periods `t_0, t_0 t_mult, t_0 t_mult^2, ...`,
    /// restarting at `base_lr`.
    CosineRestarts {
        /// First period (> 0).
        t_0: u64,
        /// Period growth factor (>= 1).
        t_mult: u64,
        /// Minimum LR.
        eta_min: f32,
    },
    /// Linear warmup from `start_factor * base_lr` to `base_lr` over `steps` steps, then `inner`
    /// restarted at 0 (torch `SequentialLR([LinearLR(start_factor, total_iters=steps), inner],
    /// milestones=[steps])`).
    Warmup {
        /// Warmup length in steps.
        steps: u64,
        /// Fraction of `base_lr` at `t = 0` (in `(0, 1]`).
        start_factor: f32,
        /// Schedule used after the warmup.
        inner: Box<LrSchedule>,
    },
    /// `OneCycleLR` with cosine annealing and two phases (`three_phase=False`): `base_lr` is the
    /// peak (`max_lr`); starts at `max_lr / div_factor`, peaks at step `pct_start * total - 1`,
    /// ends at `max_lr / div_factor / final_div_factor` at step `total - 1` and stays there.
    OneCycle {
        /// Total steps of the cycle (>= 2).
        total: u64,
        /// Fraction of the cycle spent increasing (torch default 0.3).
        pct_start: f32,
        /// `max_lr / initial_lr` (torch default 25).
        div_factor: f32,
        /// `initial_lr / min_lr` (torch default 1e4).
        final_div_factor: f32,
    },
}

impl LrSchedule {
    /// `OneCycleLR` with torch's defaults (`pct_start` 0.3, `div_factor` 25,
    /// `final_div_factor` 1e4).
    pub fn one_cycle(total: u64) -> LrSchedule {
        LrSchedule::OneCycle {
            total,
            pct_start: 0.3,
            div_factor: 25.0,
            final_div_factor: 1e4,
        }
    }

    /// Wraps `inner` in a linear warmup of `steps` steps starting at `start_factor * base_lr`.
    pub fn with_warmup(self, steps: u64, start_factor: f32) -> LrSchedule {
        LrSchedule::Warmup {
            steps,
            start_factor,
            inner: Box::new(self),
        }
    }

    /// Checks the parameters; call once when building a schedule from user input so that
    /// [`LrSchedule::lr`] never sees a degenerate one (it would otherwise return NaN/inf).
    pub fn validate(&self) -> Result<()> {
        let finite = |name: &str, v: f32| {
            if v.is_finite() {
                Ok(())
            } else {
                Err(invalid(format!("{name} must be finite, got {v}")))
            }
        };
        let positive = |name: &str, v: f32| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(invalid(format!("{name} must be finite and > 0, got {v}")))
            }
        };
        let nonzero = |name: &str, v: u64| {
            if v > 0 {
                Ok(())
            } else {
                Err(invalid(format!("{name} must be > 0")))
            }
        };
        match self {
            LrSchedule::Constant => Ok(()),
            LrSchedule::Step { step_size, gamma } => {
                nonzero("step_size", *step_size)?;
                finite("gamma", *gamma)
            }
            LrSchedule::MultiStep { gamma, .. } | LrSchedule::Exponential { gamma } => {
                finite("gamma", *gamma)
            }
            LrSchedule::InverseTime { k } => {
                if k.is_finite() && *k >= 0.0 {
                    Ok(())
                } else {
                    Err(invalid(format!("k must be finite and >= 0, got {k}")))
                }
            }
            LrSchedule::InverseOffset { c } => positive("c", *c),
            LrSchedule::Polynomial { total, power } => {
                nonzero("total", *total)?;
                // A negative power would send the LR to infinity at the end of the decay.
                if power.is_finite() && *power >= 0.0 {
                    Ok(())
                } else {
                    Err(invalid(format!(
                        "power must be finite and >= 0, got {power}"
                    )))
                }
            }
            LrSchedule::Cosine { t_max, eta_min } => {
                nonzero("t_max", *t_max)?;
                finite("eta_min", *eta_min)
            }
            LrSchedule::CosineRestarts {
                t_0,
                t_mult,
                eta_min,
            } => {
                nonzero("t_0", *t_0)?;
                nonzero("t_mult", *t_mult)?;
                finite("eta_min", *eta_min)
            }
            LrSchedule::Warmup {
                start_factor,
                inner,
                ..
            } => {
                if !(*start_factor > 0.0 && *start_factor <= 1.0) {
                    return Err(invalid(format!(
                        "start_factor must be in (0, 1], got {start_factor}"
                    )));
                }
                inner.validate()
            }
            LrSchedule::OneCycle {
                total,
                pct_start,
                div_factor,
                final_div_factor,
            } => {
                if *total < 2 {
                    return Err(invalid("one-cycle total must be >= 2".into()));
                }
                if !(*pct_start > 0.0 && *pct_start < 1.0) {
                    return Err(invalid(format!(
                        "pct_start must be in (0, 1), got {pct_start}"
                    )));
                }
                // torch divides by the length of each phase; both must be non-empty.
                let peak = *pct_start as f64 * *total as f64 - 1.0;
                if !(peak > 0.0 && peak < (*total - 1) as f64) {
                    return Err(invalid(format!(
                        "pct_start {pct_start} leaves an empty phase for total {total}"
                    )));
                }
                positive("div_factor", *div_factor)?;
                positive("final_div_factor", *final_div_factor)
            }
        }
    }

    /// The learning rate for step `t` given the base (initial, or for one-cycle peak) LR.
    pub fn lr(&self, base_lr: f32, t: u64) -> f32 {
        self.lr_f64(base_lr as f64, t) as f32
    }

    fn lr_f64(&self, base: f64, t: u64) -> f64 {
        let tf = t as f64;
        match self {
            LrSchedule::Constant => base,
            LrSchedule::Step { step_size, gamma } => {
                base * (*gamma as f64).powf((t / (*step_size).max(1)) as f64)
            }
            LrSchedule::MultiStep { milestones, gamma } => {
                let passed = milestones.iter().filter(|&&m| m <= t).count();
                base * (*gamma as f64).powf(passed as f64)
            }
            LrSchedule::Exponential { gamma } => base * (*gamma as f64).powf(tf),
            LrSchedule::InverseTime { k } => base / (1.0 + *k as f64 * tf),
            LrSchedule::InverseOffset { c } => base / (tf + *c as f64),
            LrSchedule::Polynomial { total, power } => {
                let total = (*total).max(1);
                let frac = t.min(total) as f64 / total as f64;
                base * (1.0 - frac).powf(*power as f64)
            }
            LrSchedule::Cosine { t_max, eta_min } => {
                let eta = *eta_min as f64;
                eta + (base - eta) * (1.0 + (PI * tf / (*t_max).max(1) as f64).cos()) / 2.0
            }
            LrSchedule::CosineRestarts {
                t_0,
                t_mult,
                eta_min,
            } => {
                // Walk the periods with integers: exact, and O(log t) when t_mult > 1.
                let mut period = (*t_0).max(1);
                let mut cur = t;
                while cur >= period {
                    cur -= period;
                    period = period.saturating_mul((*t_mult).max(1));
                }
                let eta = *eta_min as f64;
                eta + (base - eta) * (1.0 + (PI * cur as f64 / period as f64).cos()) / 2.0
            }
            LrSchedule::Warmup {
                steps,
                start_factor,
                inner,
            } => {
                if t < *steps {
                    let s = *start_factor as f64;
                    base * (s + (1.0 - s) * tf / *steps as f64)
                } else {
                    inner.lr_f64(base, t - steps)
                }
            }
            LrSchedule::OneCycle {
                total,
                pct_start,
                div_factor,
                final_div_factor,
            } => {
                let initial = base / *div_factor as f64;
                let min_lr = initial / *final_div_factor as f64;
                let last = (*total).max(2) - 1;
                // torch computes the phase end as float(pct_start * total) - 1.
                let peak = *pct_start as f64 * *total as f64 - 1.0;
                let step = t.min(last) as f64;
                let anneal = |start: f64, end: f64, pct: f64| {
                    end + (start - end) / 2.0 * ((PI * pct).cos() + 1.0)
                };
                if step <= peak {
                    anneal(initial, base, step / peak)
                } else {
                    anneal(base, min_lr, (step - peak) / (last as f64 - peak))
                }
            }
        }
    }
}

/// Whether a lower or a higher metric is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlateauMode {
    /// Lower is better (losses).
    Min,
    /// Higher is better (accuracies).
    Max,
}

/// How `threshold` defines a significant improvement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdMode {
    /// Relative: better than `best * (1 -/+ threshold)`.
    Rel,
    /// Absolute: better than `best -/+ threshold`.
    Abs,
}

/// Settings of [`ReduceOnPlateau`] (torch `ReduceLROnPlateau` names and defaults). The real
/// fields are `f64` like the metrics, so threshold comparisons round exactly as PyTorch's do.
#[derive(Debug, Clone, PartialEq)]
pub struct PlateauConfig {
    /// Min or max mode (default min).
    pub mode: PlateauMode,
    /// Multiplier applied on a plateau (default 0.1, must be in `[0, 1)`).
    pub factor: f64,
    /// Non-improving steps tolerated before reducing (default 10).
    pub patience: u64,
    /// Improvement threshold (default `1e-4`).
    pub threshold: f64,
    /// Relative or absolute threshold (default relative).
    pub threshold_mode: ThresholdMode,
    /// Steps to wait after a reduction before counting bad steps again (default 0).
    pub cooldown: u64,
    /// Lower bound of the LR (default 0).
    pub min_lr: f64,
    /// Reductions smaller than this are ignored (default `1e-8`).
    pub eps: f64,
}

impl Default for PlateauConfig {
    fn default() -> Self {
        PlateauConfig {
            mode: PlateauMode::Min,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            threshold_mode: ThresholdMode::Rel,
            cooldown: 0,
            min_lr: 0.0,
            eps: 1e-8,
        }
    }
}

/// Checkpointable state of [`ReduceOnPlateau`].
#[derive(Debug, Clone, PartialEq)]
pub struct PlateauState {
    /// Current learning rate.
    pub lr: f64,
    /// Best metric seen so far (`+inf` / `-inf` before the first step).
    pub best: f64,
    /// Consecutive non-improving steps.
    pub num_bad_epochs: u64,
    /// Remaining cooldown steps.
    pub cooldown_counter: u64,
    /// Number of metrics observed.
    pub last_epoch: u64,
}

/// `ReduceLROnPlateau`: multiplies the LR by `factor` once the metric has not improved for more
/// than `patience` steps.
#[derive(Debug, Clone, PartialEq)]
pub struct ReduceOnPlateau {
    config: PlateauConfig,
    state: PlateauState,
}

impl ReduceOnPlateau {
    /// A scheduler starting at `lr`; validates the configuration.
    pub fn new(lr: f32, config: PlateauConfig) -> Result<Self> {
        if !(0.0..1.0).contains(&config.factor) {
            return Err(invalid(format!(
                "factor must be in [0, 1), got {}",
                config.factor
            )));
        }
        for (name, v) in [
            ("lr", lr as f64),
            ("threshold", config.threshold),
            ("min_lr", config.min_lr),
            ("eps", config.eps),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(invalid(format!("{name} must be finite and >= 0, got {v}")));
            }
        }
        let best = match config.mode {
            PlateauMode::Min => f64::INFINITY,
            PlateauMode::Max => f64::NEG_INFINITY,
        };
        Ok(ReduceOnPlateau {
            config,
            state: PlateauState {
                lr: lr as f64,
                best,
                num_bad_epochs: 0,
                cooldown_counter: 0,
                last_epoch: 0,
            },
        })
    }

    /// The current learning rate.
    pub fn lr(&self) -> f32 {
        self.state.lr as f32
    }

    fn is_better(&self, a: f64) -> bool {
        let best = self.state.best;
        let th = self.config.threshold;
        match (self.config.mode, self.config.threshold_mode) {
            (PlateauMode::Min, ThresholdMode::Rel) => a < best * (1.0 - th),
            (PlateauMode::Min, ThresholdMode::Abs) => a < best - th,
            (PlateauMode::Max, ThresholdMode::Rel) => a > best * (1.0 + th),
            (PlateauMode::Max, ThresholdMode::Abs) => a > best + th,
        }
    }

    /// Records one metric and returns the (possibly reduced) learning rate. A NaN metric is
    /// rejected: it would count as "not better" forever and silently decay the LR.
    pub fn step(&mut self, metric: f64) -> Result<f32> {
        if metric.is_nan() {
            return Err(invalid("reduce-on-plateau metric is NaN".into()));
        }
        let s = &mut self.state;
        s.last_epoch += 1;
        if self.is_better(metric) {
            let s = &mut self.state;
            s.best = metric;
            s.num_bad_epochs = 0;
        } else {
            self.state.num_bad_epochs += 1;
        }
        let cfg = &self.config;
        let s = &mut self.state;
        if s.cooldown_counter > 0 {
            s.cooldown_counter -= 1;
            s.num_bad_epochs = 0;
        }
        if s.num_bad_epochs > cfg.patience {
            let new_lr = (s.lr * cfg.factor).max(cfg.min_lr);
            if s.lr - new_lr > cfg.eps {
                s.lr = new_lr;
            }
            s.cooldown_counter = cfg.cooldown;
            s.num_bad_epochs = 0;
        }
        Ok(s.lr as f32)
    }

    /// Snapshot of the mutable state.
    pub fn state(&self) -> PlateauState {
        self.state.clone()
    }

    /// Restores a snapshot from [`ReduceOnPlateau::state`].
    pub fn load_state(&mut self, state: PlateauState) -> Result<()> {
        if !(state.lr.is_finite() && state.lr >= 0.0) || state.best.is_nan() {
            return Err(invalid("invalid reduce-on-plateau state".into()));
        }
        self.state = state;
        Ok(())
    }
}

//! Per-tensor update rules: one config struct (hyper-parameters, PyTorch names and defaults) and
//! one state struct per algorithm, and a pure `step` over slices. Nothing here touches tensors,
//! so the rules are trivially testable and reusable by any driver (the [`Optimizer`] or a binding).
//!
//! Scalars that PyTorch computes in Python (bias corrections, step sizes) are computed in `f64`
//! and rounded once, as torch does, so results track the reference to within f32 rounding.
//!
//! [`Optimizer`]: super::Optimizer

use ferrograd_core::{Error, Result};

/// An update rule: validated hyper-parameters plus a pure per-tensor step.
pub trait Rule: Clone + std::fmt::Debug + Send + Sync {
    /// Per-parameter state (moment buffers, accumulators).
    type State: RuleState;

    /// Stable algorithm name, stored in [`OptimizerState`](super::OptimizerState) so that
    /// loading one algorithm's state into another is an error.
    const NAME: &'static str;

    /// The default learning rate of this config (used by groups that do not override it).
    fn lr(&self) -> f32;

    /// Checks the hyper-parameters; every constructor that accepts a config calls this, so a bad
    /// value is reported once, up front, instead of producing NaNs mid-training.
    fn validate(&self) -> Result<()>;

    /// Fresh state for a parameter of `numel` elements (created lazily on its first step).
    fn init_state(&self, numel: usize) -> Self::State;

    /// Applies one update in place. `t` is this parameter's 1-based step count (PyTorch keeps
    /// the count per parameter, so a parameter skipped for lack of a gradient does not advance).
    /// `param`, `grad` and the state buffers all have the same length.
    fn step(&self, lr: f32, t: u64, param: &mut [f32], grad: &[f32], state: &mut Self::State);
}

/// Conversion of a rule's state to and from named flat buffers, for checkpointing.
pub trait RuleState: Clone + std::fmt::Debug + Send + Sync + Sized {
    /// Named buffers (PyTorch state keys, e.g. `exp_avg`), each with one value per element.
    fn to_buffers(&self) -> Vec<(String, Vec<f32>)>;

    /// Rebuilds the state from buffers written by [`RuleState::to_buffers`]; errors when a
    /// required buffer is missing or has the wrong length.
    fn from_buffers(buffers: &[(String, Vec<f32>)], numel: usize) -> Result<Self>;
}

const OP: &str = "optimizer";

fn invalid(msg: String) -> Error {
    Error::InvalidArgument { op: OP, msg }
}

/// `lr` must be finite and non-negative (negative rates silently ascend).
pub(crate) fn check_lr(lr: f32) -> Result<()> {
    if lr.is_finite() && lr >= 0.0 {
        Ok(())
    } else {
        Err(invalid(format!(
            "invalid learning rate {lr} (must be finite and >= 0)"
        )))
    }
}

fn check_nonneg(name: &str, v: f32) -> Result<()> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(invalid(format!(
            "invalid {name} {v} (must be finite and >= 0)"
        )))
    }
}

fn check_eps(v: f32) -> Result<()> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(invalid(format!("invalid eps {v} (must be finite and > 0)")))
    }
}

/// Exponential-average coefficients live in `[0, 1)`; 1 would freeze the average at zero.
fn check_beta(name: &str, v: f32) -> Result<()> {
    if (0.0..1.0).contains(&v) {
        Ok(())
    } else {
        Err(invalid(format!("invalid {name} {v} (must be in [0, 1))")))
    }
}

fn buffer(buffers: &[(String, Vec<f32>)], name: &str, numel: usize) -> Result<Option<Vec<f32>>> {
    match buffers.iter().find(|(n, _)| n == name) {
        None => Ok(None),
        Some((_, b)) if b.len() == numel => Ok(Some(b.clone())),
        Some((_, b)) => Err(invalid(format!(
            "state buffer '{name}' has {} elements, parameter has {numel}",
            b.len()
        ))),
    }
}

fn required(buffers: &[(String, Vec<f32>)], name: &str, numel: usize) -> Result<Vec<f32>> {
    buffer(buffers, name, numel)?
        .ok_or_else(|| invalid(format!("state buffer '{name}' is missing")))
}

/// `torch.sign`: zero maps to zero (unlike `f32::signum`, which gives `1.0` for `+0.0`).
fn sign(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x
    }
}

// ---------------------------------------------------------------------------------------------
// SGD

/// `torch.optim.SGD`: optional L2 weight decay, (Nesterov) momentum with dampening.
#[derive(Debug, Clone, PartialEq)]
pub struct SgdConfig {
    /// Learning rate (default `1e-3`, as in torch >= 2.0; 1.13 had no default).
    pub lr: f32,
    /// Momentum factor (default 0 = plain SGD).
    pub momentum: f32,
    /// Dampening applied to the gradient in the momentum update (default 0).
    pub dampening: f32,
    /// L2 penalty added to the gradient (default 0).
    pub weight_decay: f32,
    /// Nesterov momentum (needs `momentum > 0` and `dampening == 0`).
    pub nesterov: bool,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig {
            lr: 1e-3,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
        }
    }
}

/// SGD state: the momentum buffer, absent until the first step with `momentum != 0`
/// (torch seeds it with the first gradient, undamped).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SgdState {
    /// `momentum_buffer`.
    pub momentum_buffer: Option<Vec<f32>>,
}

impl RuleState for SgdState {
    fn to_buffers(&self) -> Vec<(String, Vec<f32>)> {
        self.momentum_buffer
            .iter()
            .map(|b| ("momentum_buffer".to_string(), b.clone()))
            .collect()
    }
    fn from_buffers(buffers: &[(String, Vec<f32>)], numel: usize) -> Result<Self> {
        Ok(SgdState {
            momentum_buffer: buffer(buffers, "momentum_buffer", numel)?,
        })
    }
}

impl Rule for SgdConfig {
    type State = SgdState;
    const NAME: &'static str = "sgd";

    fn lr(&self) -> f32 {
        self.lr
    }

    fn validate(&self) -> Result<()> {
        check_lr(self.lr)?;
        check_nonneg("momentum", self.momentum)?;
        check_nonneg("weight_decay", self.weight_decay)?;
        if !self.dampening.is_finite() {
            return Err(invalid(format!("invalid dampening {}", self.dampening)));
        }
        if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            return Err(invalid(
                "Nesterov momentum requires a momentum and zero dampening".into(),
            ));
        }
        Ok(())
    }

    fn init_state(&self, _numel: usize) -> SgdState {
        SgdState::default()
    }

    fn step(&self, lr: f32, _t: u64, param: &mut [f32], grad: &[f32], state: &mut SgdState) {
        let (wd, mom) = (self.weight_decay, self.momentum);
        // torch seeds the buffer with the first (decayed) gradient, without dampening.
        let first = mom != 0.0 && state.momentum_buffer.is_none();
        let mut buf = if mom != 0.0 {
            Some(
                state
                    .momentum_buffer
                    .get_or_insert_with(|| vec![0.0; param.len()]),
            )
        } else {
            None
        };
        let keep = 1.0 - self.dampening;
        for i in 0..param.len() {
            let d = if wd != 0.0 {
                grad[i] + wd * param[i]
            } else {
                grad[i]
            };
            let update = match buf.as_deref_mut() {
                Some(b) => {
                    b[i] = if first { d } else { b[i] * mom + keep * d };
                    if self.nesterov {
                        d + mom * b[i]
                    } else {
                        b[i]
                    }
                }
                None => d,
            };
            param[i] += -lr * update;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Adam / AdamW

/// `torch.optim.Adam`: weight decay is an L2 term added to the gradient.
#[derive(Debug, Clone, PartialEq)]
pub struct AdamConfig {
    /// Learning rate (default `1e-3`).
    pub lr: f32,
    /// Coefficients of the first and second moment averages (default `(0.9, 0.999)`).
    pub betas: (f32, f32),
    /// Added to the denominator for stability (default `1e-8`).
    pub eps: f32,
    /// L2 penalty (default 0).
    pub weight_decay: f32,
    /// Use the running maximum of the second moment (AMSGrad).
    pub amsgrad: bool,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad: false,
        }
    }
}

/// `torch.optim.AdamW`: decoupled weight decay (`param *= 1 - lr * weight_decay` before the
/// Adam update).
#[derive(Debug, Clone, PartialEq)]
pub struct AdamWConfig {
    /// Learning rate (default `1e-3`).
    pub lr: f32,
    /// Moment coefficients (default `(0.9, 0.999)`).
    pub betas: (f32, f32),
    /// Denominator term (default `1e-8`).
    pub eps: f32,
    /// Decoupled weight decay (default `1e-2`).
    pub weight_decay: f32,
    /// AMSGrad variant.
    pub amsgrad: bool,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 1e-2,
            amsgrad: false,
        }
    }
}

/// State shared by Adam and AdamW.
#[derive(Debug, Clone, PartialEq)]
pub struct AdamState {
    /// First moment (`exp_avg`).
    pub exp_avg: Vec<f32>,
    /// Second moment (`exp_avg_sq`).
    pub exp_avg_sq: Vec<f32>,
    /// Running maximum of the second moment, present only with AMSGrad (`max_exp_avg_sq`).
    pub max_exp_avg_sq: Option<Vec<f32>>,
}

impl AdamState {
    fn zeros(numel: usize, amsgrad: bool) -> Self {
        AdamState {
            exp_avg: vec![0.0; numel],
            exp_avg_sq: vec![0.0; numel],
            max_exp_avg_sq: amsgrad.then(|| vec![0.0; numel]),
        }
    }
}

impl RuleState for AdamState {
    fn to_buffers(&self) -> Vec<(String, Vec<f32>)> {
        let mut out = vec![
            ("exp_avg".to_string(), self.exp_avg.clone()),
            ("exp_avg_sq".to_string(), self.exp_avg_sq.clone()),
        ];
        if let Some(m) = &self.max_exp_avg_sq {
            out.push(("max_exp_avg_sq".to_string(), m.clone()));
        }
        out
    }
    fn from_buffers(buffers: &[(String, Vec<f32>)], numel: usize) -> Result<Self> {
        Ok(AdamState {
            exp_avg: required(buffers, "exp_avg", numel)?,
            exp_avg_sq: required(buffers, "exp_avg_sq", numel)?,
            max_exp_avg_sq: buffer(buffers, "max_exp_avg_sq", numel)?,
        })
    }
}

/// The Adam update shared by both variants; `l2` is the coupled weight decay (Adam) and
/// `decoupled` the AdamW decay, at most one of which is non-zero.
#[allow(clippy::too_many_arguments)]
fn adam_update(
    lr: f32,
    t: u64,
    betas: (f32, f32),
    eps: f32,
    l2: f32,
    decoupled: f32,
    amsgrad: bool,
    param: &mut [f32],
    grad: &[f32],
    state: &mut AdamState,
) {
    let (b1, b2) = betas;
    let bc1 = 1.0 - (b1 as f64).powf(t as f64);
    let bc2 = 1.0 - (b2 as f64).powf(t as f64);
    let step_size = (lr as f64 / bc1) as f32;
    let bc2_sqrt = bc2.sqrt() as f32;
    let decay = (1.0 - lr as f64 * decoupled as f64) as f32;
    if amsgrad && state.max_exp_avg_sq.is_none() {
        // State loaded from a non-AMSGrad run: start the maximum from zero, as torch would.
        state.max_exp_avg_sq = Some(vec![0.0; param.len()]);
    }
    if !amsgrad && l2 == 0.0 {
        // The common case as one branch-free loop over equal-length slices, which the compiler
        // vectorises (sqrt and division included): the same operations in the same order as the
        // general loop below, so results are identical.
        let n = param.len();
        let (m_buf, v_buf) = (&mut state.exp_avg[..n], &mut state.exp_avg_sq[..n]);
        for (((p, &g), m), v) in param.iter_mut().zip(&grad[..n]).zip(m_buf).zip(v_buf) {
            let pd = if decoupled != 0.0 { *p * decay } else { *p };
            let m_new = *m * b1 + (1.0 - b1) * g;
            let v_new = *v * b2 + (1.0 - b2) * g * g;
            *m = m_new;
            *v = v_new;
            let denom = v_new.sqrt() / bc2_sqrt + eps;
            *p = pd - step_size * m_new / denom;
        }
        return;
    }
    let mut max_buf = if amsgrad {
        state.max_exp_avg_sq.as_deref_mut()
    } else {
        None
    };
    for i in 0..param.len() {
        let mut p = param[i];
        if decoupled != 0.0 {
            p *= decay;
        }
        let g = if l2 != 0.0 { grad[i] + l2 * p } else { grad[i] };
        let m = state.exp_avg[i] * b1 + (1.0 - b1) * g;
        let v = state.exp_avg_sq[i] * b2 + (1.0 - b2) * g * g;
        state.exp_avg[i] = m;
        state.exp_avg_sq[i] = v;
        let v_hat = match max_buf.as_deref_mut() {
            Some(mx) => {
                mx[i] = mx[i].max(v);
                mx[i]
            }
            None => v,
        };
        let denom = v_hat.sqrt() / bc2_sqrt + eps;
        param[i] = p - step_size * m / denom;
    }
}

fn validate_adam(lr: f32, betas: (f32, f32), eps: f32, wd: f32) -> Result<()> {
    check_lr(lr)?;
    check_beta("beta1", betas.0)?;
    check_beta("beta2", betas.1)?;
    check_eps(eps)?;
    check_nonneg("weight_decay", wd)
}

impl Rule for AdamConfig {
    type State = AdamState;
    const NAME: &'static str = "adam";
    fn lr(&self) -> f32 {
        self.lr
    }
    fn validate(&self) -> Result<()> {
        validate_adam(self.lr, self.betas, self.eps, self.weight_decay)
    }
    fn init_state(&self, numel: usize) -> AdamState {
        AdamState::zeros(numel, self.amsgrad)
    }
    fn step(&self, lr: f32, t: u64, param: &mut [f32], grad: &[f32], state: &mut AdamState) {
        adam_update(
            lr,
            t,
            self.betas,
            self.eps,
            self.weight_decay,
            0.0,
            self.amsgrad,
            param,
            grad,
            state,
        );
    }
}

impl Rule for AdamWConfig {
    type State = AdamState;
    const NAME: &'static str = "adamw";
    fn lr(&self) -> f32 {
        self.lr
    }
    fn validate(&self) -> Result<()> {
        validate_adam(self.lr, self.betas, self.eps, self.weight_decay)
    }
    fn init_state(&self, numel: usize) -> AdamState {
        AdamState::zeros(numel, self.amsgrad)
    }
    fn step(&self, lr: f32, t: u64, param: &mut [f32], grad: &[f32], state: &mut AdamState) {
        adam_update(
            lr,
            t,
            self.betas,
            self.eps,
            0.0,
            self.weight_decay,
            self.amsgrad,
            param,
            grad,
            state,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// RMSprop

/// `torch.optim.RMSprop`.
#[derive(Debug, Clone, PartialEq)]
pub struct RmsPropConfig {
    /// Learning rate (default `1e-2`).
    pub lr: f32,
    /// Smoothing constant of the squared-gradient average (default 0.99).
    pub alpha: f32,
    /// Denominator term (default `1e-8`).
    pub eps: f32,
    /// L2 penalty (default 0).
    pub weight_decay: f32,
    /// Momentum factor (default 0).
    pub momentum: f32,
    /// Normalise by the estimated gradient variance instead of the raw second moment.
    pub centered: bool,
}

impl Default for RmsPropConfig {
    fn default() -> Self {
        RmsPropConfig {
            lr: 1e-2,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
        }
    }
}

/// RMSprop state.
#[derive(Debug, Clone, PartialEq)]
pub struct RmsPropState {
    /// `square_avg`.
    pub square_avg: Vec<f32>,
    /// `momentum_buffer` (only with `momentum > 0`).
    pub momentum_buffer: Option<Vec<f32>>,
    /// `grad_avg` (only when centered).
    pub grad_avg: Option<Vec<f32>>,
}

impl RuleState for RmsPropState {
    fn to_buffers(&self) -> Vec<(String, Vec<f32>)> {
        let mut out = vec![("square_avg".to_string(), self.square_avg.clone())];
        if let Some(b) = &self.momentum_buffer {
            out.push(("momentum_buffer".to_string(), b.clone()));
        }
        if let Some(b) = &self.grad_avg {
            out.push(("grad_avg".to_string(), b.clone()));
        }
        out
    }
    fn from_buffers(buffers: &[(String, Vec<f32>)], numel: usize) -> Result<Self> {
        Ok(RmsPropState {
            square_avg: required(buffers, "square_avg", numel)?,
            momentum_buffer: buffer(buffers, "momentum_buffer", numel)?,
            grad_avg: buffer(buffers, "grad_avg", numel)?,
        })
    }
}

impl Rule for RmsPropConfig {
    type State = RmsPropState;
    const NAME: &'static str = "rmsprop";
    fn lr(&self) -> f32 {
        self.lr
    }
    fn validate(&self) -> Result<()> {
        check_lr(self.lr)?;
        check_eps(self.eps)?;
        check_nonneg("momentum", self.momentum)?;
        check_nonneg("weight_decay", self.weight_decay)?;
        check_beta("alpha", self.alpha)
    }
    fn init_state(&self, numel: usize) -> RmsPropState {
        RmsPropState {
            square_avg: vec![0.0; numel],
            momentum_buffer: (self.momentum > 0.0).then(|| vec![0.0; numel]),
            grad_avg: self.centered.then(|| vec![0.0; numel]),
        }
    }
    fn step(&self, lr: f32, _t: u64, param: &mut [f32], grad: &[f32], state: &mut RmsPropState) {
        let n = param.len();
        let a = self.alpha;
        // Buffers may be missing after loading a checkpoint written with other flags.
        if self.centered && state.grad_avg.is_none() {
            state.grad_avg = Some(vec![0.0; n]);
        }
        if self.momentum > 0.0 && state.momentum_buffer.is_none() {
            state.momentum_buffer = Some(vec![0.0; n]);
        }
        for i in 0..n {
            let g = if self.weight_decay != 0.0 {
                grad[i] + self.weight_decay * param[i]
            } else {
                grad[i]
            };
            let sq = state.square_avg[i] * a + (1.0 - a) * g * g;
            state.square_avg[i] = sq;
            let avg = match (self.centered, state.grad_avg.as_deref_mut()) {
                (true, Some(ga)) => {
                    ga[i] = ga[i] * a + (1.0 - a) * g;
                    (sq - ga[i] * ga[i]).sqrt()
                }
                _ => sq.sqrt(),
            } + self.eps;
            match (self.momentum > 0.0, state.momentum_buffer.as_deref_mut()) {
                (true, Some(buf)) => {
                    buf[i] = buf[i] * self.momentum + g / avg;
                    param[i] += -lr * buf[i];
                }
                _ => param[i] += -lr * g / avg,
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Adagrad

/// `torch.optim.Adagrad`.
#[derive(Debug, Clone, PartialEq)]
pub struct AdagradConfig {
    /// Learning rate (default `1e-2`).
    pub lr: f32,
    /// Per-step decay of the learning rate: `lr / (1 + (t - 1) * lr_decay)` (default 0).
    pub lr_decay: f32,
    /// L2 penalty (default 0).
    pub weight_decay: f32,
    /// Starting value of the squared-gradient sum (default 0).
    pub initial_accumulator_value: f32,
    /// Denominator term (default `1e-10`).
    pub eps: f32,
}

impl Default for AdagradConfig {
    fn default() -> Self {
        AdagradConfig {
            lr: 1e-2,
            lr_decay: 0.0,
            weight_decay: 0.0,
            initial_accumulator_value: 0.0,
            eps: 1e-10,
        }
    }
}

/// Adagrad state.
#[derive(Debug, Clone, PartialEq)]
pub struct AdagradState {
    /// Sum of squared gradients (`sum`).
    pub sum: Vec<f32>,
}

impl RuleState for AdagradState {
    fn to_buffers(&self) -> Vec<(String, Vec<f32>)> {
        vec![("sum".to_string(), self.sum.clone())]
    }
    fn from_buffers(buffers: &[(String, Vec<f32>)], numel: usize) -> Result<Self> {
        Ok(AdagradState {
            sum: required(buffers, "sum", numel)?,
        })
    }
}

impl Rule for AdagradConfig {
    type State = AdagradState;
    const NAME: &'static str = "adagrad";
    fn lr(&self) -> f32 {
        self.lr
    }
    fn validate(&self) -> Result<()> {
        check_lr(self.lr)?;
        check_nonneg("lr_decay", self.lr_decay)?;
        check_nonneg("weight_decay", self.weight_decay)?;
        check_nonneg("initial_accumulator_value", self.initial_accumulator_value)?;
        check_eps(self.eps)
    }
    fn init_state(&self, numel: usize) -> AdagradState {
        AdagradState {
            sum: vec![self.initial_accumulator_value; numel],
        }
    }
    fn step(&self, lr: f32, t: u64, param: &mut [f32], grad: &[f32], state: &mut AdagradState) {
        let clr = (lr as f64 / (1.0 + (t.saturating_sub(1)) as f64 * self.lr_decay as f64)) as f32;
        for i in 0..param.len() {
            let g = if self.weight_decay != 0.0 {
                grad[i] + self.weight_decay * param[i]
            } else {
                grad[i]
            };
            state.sum[i] += g * g;
            param[i] += -clr * g / (state.sum[i].sqrt() + self.eps);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Adadelta

/// `torch.optim.Adadelta`.
#[derive(Debug, Clone, PartialEq)]
pub struct AdadeltaConfig {
    /// Scale applied to the delta (default 1.0).
    pub lr: f32,
    /// Smoothing constant of both running averages (default 0.9).
    pub rho: f32,
    /// Term inside both square roots (default `1e-6`).
    pub eps: f32,
    /// L2 penalty (default 0).
    pub weight_decay: f32,
}

impl Default for AdadeltaConfig {
    fn default() -> Self {
        AdadeltaConfig {
            lr: 1.0,
            rho: 0.9,
            eps: 1e-6,
            weight_decay: 0.0,
        }
    }
}

/// Adadelta state.
#[derive(Debug, Clone, PartialEq)]
pub struct AdadeltaState {
    /// Running average of squared gradients (`square_avg`).
    pub square_avg: Vec<f32>,
    /// Running average of squared updates (`acc_delta`).
    pub acc_delta: Vec<f32>,
}

impl RuleState for AdadeltaState {
    fn to_buffers(&self) -> Vec<(String, Vec<f32>)> {
        vec![
            ("square_avg".to_string(), self.square_avg.clone()),
            ("acc_delta".to_string(), self.acc_delta.clone()),
        ]
    }
    fn from_buffers(buffers: &[(String, Vec<f32>)], numel: usize) -> Result<Self> {
        Ok(AdadeltaState {
            square_avg: required(buffers, "square_avg", numel)?,
            acc_delta: required(buffers, "acc_delta", numel)?,
        })
    }
}

impl Rule for AdadeltaConfig {
    type State = AdadeltaState;
    const NAME: &'static str = "adadelta";
    fn lr(&self) -> f32 {
        self.lr
    }
    fn validate(&self) -> Result<()> {
        check_lr(self.lr)?;
        check_beta("rho", self.rho)?;
        check_eps(self.eps)?;
        check_nonneg("weight_decay", self.weight_decay)
    }
    fn init_state(&self, numel: usize) -> AdadeltaState {
        AdadeltaState {
            square_avg: vec![0.0; numel],
            acc_delta: vec![0.0; numel],
        }
    }
    fn step(&self, lr: f32, _t: u64, param: &mut [f32], grad: &[f32], state: &mut AdadeltaState) {
        let rho = self.rho;
        for i in 0..param.len() {
            let g = if self.weight_decay != 0.0 {
                grad[i] + self.weight_decay * param[i]
            } else {
                grad[i]
            };
            let sq = state.square_avg[i] * rho + (1.0 - rho) * g * g;
            state.square_avg[i] = sq;
            let std = (sq + self.eps).sqrt();
            let delta = (state.acc_delta[i] + self.eps).sqrt() / std * g;
            state.acc_delta[i] = state.acc_delta[i] * rho + (1.0 - rho) * delta * delta;
            param[i] += -lr * delta;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Adamax

/// `torch.optim.Adamax` (Adam with the infinity norm).
#[derive(Debug, Clone, PartialEq)]
pub struct AdamaxConfig {
    /// Learning rate (default `2e-3`).
    pub lr: f32,
    /// Moment coefficients (default `(0.9, 0.999)`).
    pub betas: (f32, f32),
    /// Added to `|grad|` before taking the maximum (default `1e-8`).
    pub eps: f32,
    /// L2 penalty (default 0).
    pub weight_decay: f32,
}

impl Default for AdamaxConfig {
    fn default() -> Self {
        AdamaxConfig {
            lr: 2e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
}

/// Adamax state.
#[derive(Debug, Clone, PartialEq)]
pub struct AdamaxState {
    /// First moment (`exp_avg`).
    pub exp_avg: Vec<f32>,
    /// Exponentially weighted infinity norm (`exp_inf`).
    pub exp_inf: Vec<f32>,
}

impl RuleState for AdamaxState {
    fn to_buffers(&self) -> Vec<(String, Vec<f32>)> {
        vec![
            ("exp_avg".to_string(), self.exp_avg.clone()),
            ("exp_inf".to_string(), self.exp_inf.clone()),
        ]
    }
    fn from_buffers(buffers: &[(String, Vec<f32>)], numel: usize) -> Result<Self> {
        Ok(AdamaxState {
            exp_avg: required(buffers, "exp_avg", numel)?,
            exp_inf: required(buffers, "exp_inf", numel)?,
        })
    }
}

impl Rule for AdamaxConfig {
    type State = AdamaxState;
    const NAME: &'static str = "adamax";
    fn lr(&self) -> f32 {
        self.lr
    }
    fn validate(&self) -> Result<()> {
        validate_adam(self.lr, self.betas, self.eps, self.weight_decay)
    }
    fn init_state(&self, numel: usize) -> AdamaxState {
        AdamaxState {
            exp_avg: vec![0.0; numel],
            exp_inf: vec![0.0; numel],
        }
    }
    fn step(&self, lr: f32, t: u64, param: &mut [f32], grad: &[f32], state: &mut AdamaxState) {
        let (b1, b2) = self.betas;
        let clr = (lr as f64 / (1.0 - (b1 as f64).powf(t as f64))) as f32;
        for i in 0..param.len() {
            let g = if self.weight_decay != 0.0 {
                grad[i] + self.weight_decay * param[i]
            } else {
                grad[i]
            };
            state.exp_avg[i] = state.exp_avg[i] * b1 + (1.0 - b1) * g;
            state.exp_inf[i] = (state.exp_inf[i] * b2).max(g.abs() + self.eps);
            param[i] += -clr * state.exp_avg[i] / state.exp_inf[i];
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lion

/// Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2):
/// `c = b1 m + (1 - b1) g; p -= lr (sign(c) + wd p); m = b2 m + (1 - b2) g`.
#[derive(Debug, Clone, PartialEq)]
pub struct LionConfig {
    /// Learning rate (default `1e-4`; the paper suggests 3-10x smaller than AdamW's).
    pub lr: f32,
    /// Interpolation (`b1`) and momentum (`b2`) coefficients (default `(0.9, 0.99)`).
    pub betas: (f32, f32),
    /// Decoupled weight decay (default 0).
    pub weight_decay: f32,
}

impl Default for LionConfig {
    fn default() -> Self {
        LionConfig {
            lr: 1e-4,
            betas: (0.9, 0.99),
            weight_decay: 0.0,
        }
    }
}

/// Lion state.
#[derive(Debug, Clone, PartialEq)]
pub struct LionState {
    /// Momentum (`exp_avg`).
    pub exp_avg: Vec<f32>,
}

impl RuleState for LionState {
    fn to_buffers(&self) -> Vec<(String, Vec<f32>)> {
        vec![("exp_avg".to_string(), self.exp_avg.clone())]
    }
    fn from_buffers(buffers: &[(String, Vec<f32>)], numel: usize) -> Result<Self> {
        Ok(LionState {
            exp_avg: required(buffers, "exp_avg", numel)?,
        })
    }
}

impl Rule for LionConfig {
    type State = LionState;
    const NAME: &'static str = "lion";
    fn lr(&self) -> f32 {
        self.lr
    }
    fn validate(&self) -> Result<()> {
        check_lr(self.lr)?;
        // Lion's betas may be 0 but not 1 (a frozen momentum never learns).
        check_beta("beta1", self.betas.0)?;
        check_beta("beta2", self.betas.1)?;
        check_nonneg("weight_decay", self.weight_decay)
    }
    fn init_state(&self, numel: usize) -> LionState {
        LionState {
            exp_avg: vec![0.0; numel],
        }
    }
    fn step(&self, lr: f32, _t: u64, param: &mut [f32], grad: &[f32], state: &mut LionState) {
        let (b1, b2) = self.betas;
        for i in 0..param.len() {
            let g = grad[i];
            let m = state.exp_avg[i];
            let c = b1 * m + (1.0 - b1) * g;
            param[i] -= lr * (sign(c) + self.weight_decay * param[i]);
            state.exp_avg[i] = b2 * m + (1.0 - b2) * g;
        }
    }
}

//! Optimizers, Burn-style: each algorithm is a pure per-tensor update rule over slices
//! ([`rules`]), and one thin generic driver, [`Optimizer`], owns the parameter groups, creates
//! per-parameter state lazily, reads gradients and writes parameters back with
//! [`Tensor::assign_data`] (outside autograd).
//!
//! Update rules follow PyTorch's documented algorithms and defaults (`torch.optim.*`, 1.13),
//! checked against PyTorch fixtures (`fixtures/torch/optimizers.json`). [`clip`] holds the
//! gradient clipping helpers (`torch.nn.utils.clip_grad_norm_` / `clip_grad_value_`).

pub mod clip;
pub mod rules;

pub use clip::{clip_grad_norm, clip_grad_value};
pub use rules::{
    AdadeltaConfig, AdadeltaState, AdagradConfig, AdagradState, AdamConfig, AdamState, AdamWConfig,
    AdamaxConfig, AdamaxState, LionConfig, LionState, RmsPropConfig, RmsPropState, Rule, RuleState,
    SgdConfig, SgdState,
};

use std::sync::Mutex;

use ferrograd_core::{Error, Result, Tensor};

/// SGD optimizer.
pub type Sgd = Optimizer<SgdConfig>;
/// Adam optimizer (L2 weight decay).
pub type Adam = Optimizer<AdamConfig>;
/// AdamW optimizer (decoupled weight decay).
pub type AdamW = Optimizer<AdamWConfig>;
/// RMSprop optimizer.
pub type RmsProp = Optimizer<RmsPropConfig>;
/// Adagrad optimizer.
pub type Adagrad = Optimizer<AdagradConfig>;
/// Adadelta optimizer.
pub type Adadelta = Optimizer<AdadeltaConfig>;
/// Adamax optimizer.
pub type Adamax = Optimizer<AdamaxConfig>;
/// Lion optimizer.
pub type Lion = Optimizer<LionConfig>;

const OP: &str = "optimizer";

/// Below this many gradient elements per step, the fork/join cost of updating parameters
/// concurrently exceeds the work.
const PARALLEL_MIN_ELEMENTS: usize = 1 << 15;

/// One parameter's update in the parallel path.
struct Job<'a, R: Rule> {
    rule: &'a R,
    lr: f32,
    slot: &'a mut Slot<R::State>,
    param: &'a Tensor,
    grad: Tensor,
    result: Result<()>,
}

fn invalid(msg: String) -> Error {
    Error::InvalidArgument { op: OP, msg }
}

/// Per-group overrides of the optimizer defaults (PyTorch param-group dict keys).
#[derive(Debug, Clone)]
pub struct GroupOptions<R> {
    /// Learning rate for this group; `None` keeps the config's `lr`.
    pub lr: Option<f32>,
    /// Full hyper-parameter set for this group (e.g. `weight_decay: 0.0` for biases);
    /// `None` keeps the optimizer defaults.
    pub config: Option<R>,
}

impl<R> Default for GroupOptions<R> {
    fn default() -> Self {
        GroupOptions {
            lr: None,
            config: None,
        }
    }
}

/// A set of parameters sharing hyper-parameters.
#[derive(Debug, Clone)]
pub struct ParamGroup<R> {
    /// The parameters (leaf tensors) updated by this group.
    pub params: Vec<Tensor>,
    /// Current learning rate (what schedules change).
    pub lr: f32,
    /// The learning rate the group was created with: schedules keep the ratios between groups.
    pub initial_lr: f32,
    /// Hyper-parameters of this group.
    pub config: R,
}

/// Step count plus rule state of one parameter, created on its first update.
#[derive(Debug, Clone)]
struct Slot<S> {
    step: u64,
    state: S,
}

/// Serializable state of one parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamState {
    /// Number of updates applied to this parameter.
    pub step: u64,
    /// Named state buffers (PyTorch keys such as `exp_avg`), one value per element.
    pub buffers: Vec<(String, Vec<f32>)>,
}

/// Serializable state of one parameter group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupState {
    /// Learning rate at save time (so a schedule-driven LR resumes too).
    pub lr: f32,
    /// One entry per parameter of the group, `None` while it has never been updated.
    pub params: Vec<Option<ParamState>>,
}

/// Everything needed to resume an optimizer exactly: plain named buffers and step counts.
/// Hyper-parameters are not included; they come from the code that rebuilds the optimizer.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizerState {
    /// [`Rule::NAME`] of the algorithm that wrote the state.
    pub algorithm: String,
    /// One entry per parameter group, in order.
    pub groups: Vec<GroupState>,
}

/// A generic optimizer: parameter groups plus lazily created per-parameter state for rule `R`.
#[derive(Debug, Clone)]
pub struct Optimizer<R: Rule> {
    defaults: R,
    groups: Vec<ParamGroup<R>>,
    slots: Vec<Vec<Option<Slot<R::State>>>>,
}

impl<R: Rule> Optimizer<R> {
    /// An optimizer with one group holding `params`, using `config` (validated here).
    pub fn new(params: Vec<Tensor>, config: R) -> Result<Self> {
        config.validate()?;
        let mut opt = Optimizer {
            defaults: config,
            groups: Vec::new(),
            slots: Vec::new(),
        };
        opt.add_param_group(params, GroupOptions::default())?;
        Ok(opt)
    }

    /// Adds a parameter group with optional overrides; returns its index. A parameter may belong
    /// to one group only (it would otherwise be updated twice per step).
    pub fn add_param_group(
        &mut self,
        params: Vec<Tensor>,
        options: GroupOptions<R>,
    ) -> Result<usize> {
        let config = options.config.unwrap_or_else(|| self.defaults.clone());
        config.validate()?;
        let lr = options.lr.unwrap_or_else(|| config.lr());
        rules::check_lr(lr)?;
        for (i, p) in params.iter().enumerate() {
            let seen_here = params[..i].iter().any(|q| q.same_node(p));
            let seen_before = self
                .groups
                .iter()
                .any(|g| g.params.iter().any(|q| q.same_node(p)));
            if seen_here || seen_before {
                return Err(invalid(
                    "some parameters appear in more than one parameter group".into(),
                ));
            }
        }
        self.slots.push(vec![None; params.len()]);
        self.groups.push(ParamGroup {
            params,
            lr,
            initial_lr: lr,
            config,
        });
        Ok(self.groups.len() - 1)
    }

    /// The parameter groups.
    pub fn groups(&self) -> &[ParamGroup<R>] {
        &self.groups
    }

    /// The learning rate of the first group (the usual single-group case).
    pub fn lr(&self) -> f32 {
        self.groups.first().map_or(self.defaults.lr(), |g| g.lr)
    }

    /// Sets the learning rate of the first group to `lr` and scales the others in proportion
    /// to their initial learning rates (what a schedule does: a group created with 10x the base
    /// LR keeps 10x the scheduled LR, as PyTorch's multiplicative schedulers).
    pub fn set_lr(&mut self, lr: f32) -> Result<()> {
        rules::check_lr(lr)?;
        let base = self.groups.first().map_or(0.0, |g| g.initial_lr);
        for g in &mut self.groups {
            g.lr = if base > 0.0 {
                lr * (g.initial_lr / base)
            } else {
                lr
            };
        }
        Ok(())
    }

    /// Sets the learning rate of group `group`.
    pub fn set_group_lr(&mut self, group: usize, lr: f32) -> Result<()> {
        rules::check_lr(lr)?;
        let n = self.groups.len();
        let g = self
            .groups
            .get_mut(group)
            .ok_or_else(|| invalid(format!("group {group} out of range ({n} groups)")))?;
        g.lr = lr;
        Ok(())
    }

    /// Clears the gradient of every parameter.
    pub fn zero_grad(&self) {
        for p in self.groups.iter().flat_map(|g| &g.params) {
            p.zero_grad();
        }
    }

    /// Applies one update to every parameter that has a gradient; parameters without one are
    /// skipped and their state does not advance (PyTorch semantics).
    ///
    /// Every parameter is checked before any is written, so an error leaves all of them unchanged.
    pub fn step(&mut self) -> Result<()> {
        let mut work = Vec::new();
        for (gi, group) in self.groups.iter().enumerate() {
            for (pi, p) in group.params.iter().enumerate() {
                let Some(grad) = p.grad() else { continue };
                if grad.numel() != p.numel() {
                    return Err(invalid(format!(
                        "gradient of shape {:?} does not match parameter of shape {:?}",
                        grad.dims(),
                        p.dims()
                    )));
                }
                if !p.layout().is_contiguous() {
                    return Err(invalid(
                        "parameters must be contiguous to be updated in place".into(),
                    ));
                }
                work.push((gi, pi, grad));
            }
        }
        let total: usize = work.iter().map(|(_, _, g)| g.numel()).sum();
        if work.len() < 2 || total < PARALLEL_MIN_ELEMENTS {
            for (gi, pi, grad) in work {
                let group = &self.groups[gi];
                let p = &group.params[pi];
                let slot = self.slots[gi][pi].get_or_insert_with(|| Slot {
                    step: 0,
                    state: group.config.init_state(p.numel()),
                });
                slot.step += 1;
                // In place: the parameter's storage is written under its lock, the gradient read
                // under its own (they never share storage).
                p.update_data(|data| {
                    grad.with_contiguous(|g| {
                        group
                            .config
                            .step(group.lr, slot.step, data, g, &mut slot.state)
                    })
                })?;
            }
            return Ok(());
        }
        self.step_parallel(work)
    }

    /// Updates independent parameters concurrently on the kernel thread pool. Each parameter is
    /// still updated by one thread with the same sequential rule, so results are bit-identical
    /// to the sequential path. Each job sits behind its own (uncontended) mutex so that
    /// `parallel_for`'s shared closure can hand out disjoint `&mut` access without `unsafe`.
    fn step_parallel(&mut self, work: Vec<(usize, usize, Tensor)>) -> Result<()> {
        let mut grads: Vec<Vec<Option<Tensor>>> = self
            .groups
            .iter()
            .map(|g| vec![None; g.params.len()])
            .collect();
        for (gi, pi, grad) in work {
            grads[gi][pi] = Some(grad);
        }
        let mut jobs = Vec::new();
        for ((group, slots), grads) in self.groups.iter().zip(&mut self.slots).zip(&grads) {
            for ((p, slot), grad) in group.params.iter().zip(slots.iter_mut()).zip(grads) {
                let Some(grad) = grad else { continue };
                let slot = slot.get_or_insert_with(|| Slot {
                    step: 0,
                    state: group.config.init_state(p.numel()),
                });
                slot.step += 1;
                jobs.push(Mutex::new(Job {
                    rule: &group.config,
                    lr: group.lr,
                    slot,
                    param: p,
                    grad: grad.clone(),
                    result: Ok(()),
                }));
            }
        }
        ferrograd_kernels::parallel_for(jobs.len(), 1, |range| {
            for job in &jobs[range] {
                // A poisoned lock means another job panicked; that panic propagates anyway.
                if let Ok(mut job) = job.lock() {
                    let Job {
                        rule,
                        lr,
                        slot,
                        param,
                        grad,
                        result,
                    } = &mut *job;
                    *result = param.update_data(|data| {
                        grad.with_contiguous(|g| {
                            rule.step(*lr, slot.step, data, g, &mut slot.state)
                        })
                    });
                }
            }
        });
        for job in jobs {
            match job.into_inner() {
                Ok(j) => j.result?,
                Err(poisoned) => poisoned.into_inner().result?,
            }
        }
        Ok(())
    }

    /// The step count of parameter `param` in group `group` (0 before its first update).
    pub fn param_step(&self, group: usize, param: usize) -> u64 {
        self.slots
            .get(group)
            .and_then(|g| g.get(param))
            .and_then(|s| s.as_ref())
            .map_or(0, |s| s.step)
    }

    /// Snapshot of all state (buffers, step counts, group LRs).
    pub fn state_dict(&self) -> OptimizerState {
        let groups = self
            .groups
            .iter()
            .zip(&self.slots)
            .map(|(g, slots)| GroupState {
                lr: g.lr,
                params: slots
                    .iter()
                    .map(|s| {
                        s.as_ref().map(|s| ParamState {
                            step: s.step,
                            buffers: s.state.to_buffers(),
                        })
                    })
                    .collect(),
            })
            .collect();
        OptimizerState {
            algorithm: R::NAME.to_string(),
            groups,
        }
    }

    /// Restores a snapshot taken by [`Optimizer::state_dict`] on an optimizer with the same
    /// algorithm and group/parameter layout. Validates everything before changing anything.
    pub fn load_state_dict(&mut self, state: &OptimizerState) -> Result<()> {
        if state.algorithm != R::NAME {
            return Err(invalid(format!(
                "state was saved by '{}', this optimizer is '{}'",
                state.algorithm,
                R::NAME
            )));
        }
        if state.groups.len() != self.groups.len() {
            return Err(invalid(format!(
                "state has {} parameter groups, optimizer has {}",
                state.groups.len(),
                self.groups.len()
            )));
        }
        let mut new_slots = Vec::with_capacity(self.groups.len());
        for (gi, (group, saved)) in self.groups.iter().zip(&state.groups).enumerate() {
            rules::check_lr(saved.lr)?;
            if saved.params.len() != group.params.len() {
                return Err(invalid(format!(
                    "group {gi}: state has {} parameters, optimizer has {}",
                    saved.params.len(),
                    group.params.len()
                )));
            }
            let mut slots = Vec::with_capacity(group.params.len());
            for (p, saved) in group.params.iter().zip(&saved.params) {
                slots.push(match saved {
                    None => None,
                    Some(ps) => Some(Slot {
                        step: ps.step,
                        state: R::State::from_buffers(&ps.buffers, p.numel())?,
                    }),
                });
            }
            new_slots.push(slots);
        }
        for (g, saved) in self.groups.iter_mut().zip(&state.groups) {
            g.lr = saved.lr;
        }
        self.slots = new_slots;
        Ok(())
    }
}

/// Object-safe view of any [`Optimizer`], so callers (e.g. the binding) can hold
/// `Box<dyn Optimize>` without naming the rule type.
pub trait Optimize {
    /// See [`Optimizer::step`].
    fn step(&mut self) -> Result<()>;
    /// See [`Optimizer::zero_grad`].
    fn zero_grad(&self);
    /// See [`Optimizer::lr`].
    fn lr(&self) -> f32;
    /// See [`Optimizer::set_lr`].
    fn set_lr(&mut self, lr: f32) -> Result<()>;
    /// See [`Optimizer::state_dict`].
    fn state_dict(&self) -> OptimizerState;
    /// See [`Optimizer::load_state_dict`].
    fn load_state_dict(&mut self, state: &OptimizerState) -> Result<()>;
    /// The current learning rate of every parameter group, in order.
    fn group_lrs(&self) -> Vec<f32>;
}

impl<R: Rule> Optimize for Optimizer<R> {
    fn step(&mut self) -> Result<()> {
        Optimizer::step(self)
    }
    fn zero_grad(&self) {
        Optimizer::zero_grad(self)
    }
    fn lr(&self) -> f32 {
        Optimizer::lr(self)
    }
    fn set_lr(&mut self, lr: f32) -> Result<()> {
        Optimizer::set_lr(self, lr)
    }
    fn state_dict(&self) -> OptimizerState {
        Optimizer::state_dict(self)
    }
    fn load_state_dict(&mut self, state: &OptimizerState) -> Result<()> {
        Optimizer::load_state_dict(self, state)
    }
    fn group_lrs(&self) -> Vec<f32> {
        self.groups.iter().map(|g| g.lr).collect()
    }
}

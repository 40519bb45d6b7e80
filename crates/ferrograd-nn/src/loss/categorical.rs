//! Multi-class losses: cross-entropy from logits with probability (or one-hot) targets,
//! sparse cross-entropy from logits with class-index targets, and negative log-likelihood.
//!
//! Inputs are `[C]` (one sample) or `[N, C, d1, ..., dk]` with classes on axis 1, as in PyTorch.

use ferrograd_core::{Result, Tensor};

use super::{check_finite, check_same_shape, invalid, mismatch, reduce, Reduction};

/// Options of [`cross_entropy`] (probability / one-hot targets).
#[derive(Debug, Clone, Default)]
pub struct CrossEntropyOptions {
    /// Per-class weight of shape `[C]` (`weight=` in PyTorch).
    pub weight: Option<Tensor>,
    /// Mixes the target with the uniform distribution: `y' = (1 - s) y + s / C`, `s` in `[0, 1]`.
    pub label_smoothing: f32,
    /// How per-sample losses are combined; the mean divides by the number of samples.
    pub reduction: Reduction,
}

/// Options of [`sparse_cross_entropy`] (class-index targets).
#[derive(Debug, Clone, Default)]
pub struct SparseCrossEntropyOptions {
    /// Per-class weight of shape `[C]` (`weight=` in PyTorch).
    pub weight: Option<Tensor>,
    /// Targets equal to this value contribute nothing (PyTorch's default is `-100`; `None` here
    /// means every target must be a valid class).
    pub ignore_index: Option<i64>,
    /// Label smoothing `s` in `[0, 1]` (see [`sparse_cross_entropy`]).
    pub label_smoothing: f32,
    /// How per-sample losses are combined; the mean divides by the summed weight of the
    /// non-ignored targets.
    pub reduction: Reduction,
}

/// Options of [`nll_loss`].
#[derive(Debug, Clone, Default)]
pub struct NllOptions {
    /// Per-class weight of shape `[C]` (`weight=` in PyTorch).
    pub weight: Option<Tensor>,
    /// Targets equal to this value contribute nothing (`None`: every target must be a class).
    pub ignore_index: Option<i64>,
    /// How per-sample losses are combined; the mean divides by the summed weight of the
    /// non-ignored targets.
    pub reduction: Reduction,
}

/// Axis holding the classes: 0 for a single sample `[C]`, else 1.
fn class_axis(op: &'static str, input: &Tensor) -> Result<usize> {
    match input.rank() {
        0 => Err(invalid(
            op,
            "input must have a class dimension, got a scalar",
        )),
        1 => Ok(0),
        _ => Ok(1),
    }
}

/// Checks a `[C]` class weight and returns it reshaped to broadcast along `axis` of a rank-`rank`
/// tensor.
fn class_weight(
    op: &'static str,
    w: &Tensor,
    classes: usize,
    axis: usize,
    rank: usize,
) -> Result<Tensor> {
    if w.dims() != [classes] {
        return Err(mismatch(
            op,
            &[classes],
            w.dims(),
            "weight must have shape [C]",
        ));
    }
    check_finite(op, w, "weight")?;
    let mut shape = vec![1usize; rank];
    shape[axis] = classes;
    w.reshape_to(&shape)
}

fn check_smoothing(op: &'static str, s: f32) -> Result<()> {
    if !(0.0..=1.0).contains(&s) {
        return Err(invalid(
            op,
            format!("label_smoothing must lie in [0, 1], got {s}"),
        ));
    }
    Ok(())
}

/// The per-sample pieces shared by NLL and sparse cross-entropy, computed on log-probabilities.
struct Picked {
    /// `-w[t_i] * lp[i, t_i]`, 0 where ignored; shape of the target.
    nll: Tensor,
    /// 1 where the target counts, 0 where ignored; shape of the target.
    mask: Tensor,
    /// `sum_i w[t_i]` over non-ignored targets.
    weight_sum: f32,
    /// Class weight reshaped for broadcasting along the class axis, if any.
    weight: Option<Tensor>,
}

fn pick(
    op: &'static str,
    lp: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    ignore_index: Option<i64>,
) -> Result<Picked> {
    let axis = class_axis(op, lp)?;
    let classes = lp.dims()[axis];
    let mut expected = lp.dims().to_vec();
    expected.remove(axis);
    if target.dims() != expected.as_slice() {
        return Err(mismatch(
            op,
            lp.dims(),
            target.dims(),
            format!("target must have the input's shape without the class axis, {expected:?}"),
        ));
    }
    let w_vals = match weight {
        Some(w) => {
            class_weight(op, w, classes, axis, lp.rank())?;
            w.to_vec()
        }
        None => vec![1.0; classes],
    };
    let t_vals = target.to_vec();
    let mut safe = Vec::with_capacity(t_vals.len());
    let mut mask = Vec::with_capacity(t_vals.len());
    let mut wt = Vec::with_capacity(t_vals.len());
    for &v in &t_vals {
        let ignored = ignore_index.is_some_and(|ig| v.fract() == 0.0 && v as f64 == ig as f64);
        if ignored {
            safe.push(0.0);
            mask.push(0.0);
            wt.push(0.0);
            continue;
        }
        if !v.is_finite() || v.fract() != 0.0 || v < 0.0 || v as usize >= classes {
            return Err(invalid(
                op,
                format!("target {v} is not a class index in [0, {classes}) (nor ignore_index)"),
            ));
        }
        safe.push(v);
        mask.push(1.0);
        wt.push(w_vals[v as usize]);
    }
    let weight_sum = wt.iter().map(|&w| w as f64).sum::<f64>() as f32;
    let mut index_shape = expected.clone();
    index_shape.insert(axis, 1);
    let index = Tensor::from_vec(safe, &index_shape)?;
    let picked = lp.gather(axis as isize, &index)?.reshape_to(&expected)?;
    let wt = Tensor::from_vec(wt, &expected)?;
    let nll = picked.mul(&wt)?.neg()?;
    let weight = match weight {
        Some(w) => Some(class_weight(op, w, classes, axis, lp.rank())?),
        None => None,
    };
    Ok(Picked {
        nll,
        mask: Tensor::from_vec(mask, &expected)?,
        weight_sum,
        weight,
    })
}

/// Reduction normalised by the summed target weight (PyTorch's weighted mean).
fn weighted_reduce(
    op: &'static str,
    loss: Tensor,
    weight_sum: f32,
    reduction: Reduction,
) -> Result<Tensor> {
    match reduction {
        Reduction::Mean => loss.sum(None, false)?.mul_scalar(1.0 / weight_sum),
        other => reduce(op, loss, other),
    }
}

/// Negative log-likelihood of class-index targets given log-probabilities:
/// `l_i = -w[t_i] * input[i, t_i]` (0 where `t_i == ignore_index`). The mean is
/// `sum_i l_i / sum_i w[t_i]` over non-ignored targets (NaN if that sum is 0, as PyTorch).
///
/// PyTorch: `torch.nn.functional.nll_loss(input, target, weight=..., ignore_index=...,
/// reduction=...)`. Input `[C]` with a 0-d target, or `[N, C, d...]` with target `[N, d...]`.
/// Errors on shape mismatches, non-integer or out-of-range targets and a weight not of shape `[C]`.
pub fn nll_loss(input: &Tensor, target: &Tensor, options: &NllOptions) -> Result<Tensor> {
    const OP: &str = "nllLoss";
    let p = pick(
        OP,
        input,
        target,
        options.weight.as_ref(),
        options.ignore_index,
    )?;
    weighted_reduce(OP, p.nll, p.weight_sum, options.reduction)
}

/// Cross-entropy of class-index targets from logits (`log_softmax` fused with NLL):
/// with `lp = log_softmax(x)` over the class axis and smoothing `s`,
/// `l_i = (1 - s) (-w[t_i] lp[i, t_i]) + (s / C) (-sum_c w[c] lp[i, c])`, 0 where
/// `t_i == ignore_index`. The mean divides the sum by `sum_i w[t_i]` over non-ignored targets
/// (the count of non-ignored targets without weights), exactly as PyTorch.
///
/// PyTorch: `torch.nn.functional.cross_entropy(input, target, weight=..., ignore_index=...,
/// reduction=..., label_smoothing=...)` with an integer target.
/// Errors on shape mismatches, bad class indices, a weight not of shape `[C]` and a smoothing
/// outside `[0, 1]`.
pub fn sparse_cross_entropy(
    logits: &Tensor,
    target: &Tensor,
    options: &SparseCrossEntropyOptions,
) -> Result<Tensor> {
    const OP: &str = "sparseCrossEntropy";
    check_smoothing(OP, options.label_smoothing)?;
    let axis = class_axis(OP, logits)?;
    let lp = logits.log_softmax(axis as isize)?;
    let p = pick(
        OP,
        &lp,
        target,
        options.weight.as_ref(),
        options.ignore_index,
    )?;
    let s = options.label_smoothing;
    let loss = if s > 0.0 {
        let classes = logits.dims()[axis] as f32;
        let weighted_lp = match &p.weight {
            Some(w) => lp.mul(w)?,
            None => lp,
        };
        let smooth = weighted_lp
            .sum(Some(&[axis as isize]), false)?
            .neg()?
            .mul(&p.mask)?;
        p.nll
            .mul_scalar(1.0 - s)?
            .add(&smooth.mul_scalar(s / classes)?)?
    } else {
        p.nll
    };
    weighted_reduce(OP, loss, p.weight_sum, options.reduction)
}

/// Cross-entropy of probability (or one-hot) targets from logits: with `lp = log_softmax(x)`
/// over the class axis and `y' = (1 - s) y + s / C`, `l_i = -sum_c w[c] y'[i, c] lp[i, c]`.
/// The mean divides by the number of samples (`N * d1 * ... * dk`), not by the weights.
///
/// PyTorch: `torch.nn.functional.cross_entropy(input, target, weight=..., reduction=...,
/// label_smoothing=...)` with a floating-point target of the input's shape.
/// Errors when the target's shape differs, the weight is not `[C]`, or smoothing is outside `[0, 1]`.
pub fn cross_entropy(
    logits: &Tensor,
    target: &Tensor,
    options: &CrossEntropyOptions,
) -> Result<Tensor> {
    const OP: &str = "crossEntropy";
    check_smoothing(OP, options.label_smoothing)?;
    let axis = class_axis(OP, logits)?;
    check_same_shape(OP, logits, target, "target probabilities")?;
    let classes = logits.dims()[axis];
    let lp = logits.log_softmax(axis as isize)?;
    let s = options.label_smoothing;
    let y = if s > 0.0 {
        target.mul_scalar(1.0 - s)?.add_scalar(s / classes as f32)?
    } else {
        target.clone()
    };
    let mut prod = lp.mul(&y)?;
    if let Some(w) = &options.weight {
        prod = prod.mul(&class_weight(OP, w, classes, axis, logits.rank())?)?;
    }
    let loss = prod.sum(Some(&[axis as isize]), false)?.neg()?;
    reduce(OP, loss, options.reduction)
}

//! Binary classification losses: binary cross-entropy on probabilities and on logits.

use ferrograd_core::{Result, Tensor};

use super::{check_broadcasts_to, check_finite, check_same_shape, invalid, reduce, Reduction};

/// Options of [`binary_cross_entropy`].
#[derive(Debug, Clone, Default)]
pub struct BceOptions {
    /// Per-element rescaling weight, broadcast to the input's shape (`weight=` in PyTorch).
    pub weight: Option<Tensor>,
    /// How element losses are combined.
    pub reduction: Reduction,
}

/// Options of [`binary_cross_entropy_with_logits`].
#[derive(Debug, Clone, Default)]
pub struct BceWithLogitsOptions {
    /// Per-element rescaling weight, broadcast to the input's shape (`weight=` in PyTorch).
    pub weight: Option<Tensor>,
    /// Weight of positive examples, broadcast to the input's shape; usually one value per class
    /// along the last dimension (`pos_weight=` in PyTorch).
    pub pos_weight: Option<Tensor>,
    /// How element losses are combined.
    pub reduction: Reduction,
}

/// `max(log(t), -100)` computed without NaN gradients at `t = 0` (where the result is `-100`
/// and the gradient 0), like PyTorch's clamped log in `binary_cross_entropy`.
fn clamped_log(t: &Tensor) -> Result<Tensor> {
    let pos = t.gt(&Tensor::scalar(0.0))?;
    let safe = Tensor::where_cond(&pos, t, &Tensor::scalar(1.0))?;
    Tensor::where_cond(&pos, &safe.log()?, &Tensor::scalar(-100.0))?.clamp(Some(-100.0), None)
}

/// Binary cross-entropy on probabilities `x` in `[0, 1]`:
/// `l_i = -w_i [y_i max(log x_i, -100) + (1 - y_i) max(log(1 - x_i), -100)]`.
/// The log clamp keeps `x = 0` or `1` finite, as in PyTorch. For `x` below the smallest normal
/// f32 the gradient is that of the (clamped) formula, whereas PyTorch clamps `x(1-x)` at 1e-12.
///
/// PyTorch: `torch.nn.functional.binary_cross_entropy(input, target, weight=..., reduction=...)`.
/// Errors when shapes differ, the weight does not broadcast, or an input lies outside `[0, 1]`.
pub fn binary_cross_entropy(
    input: &Tensor,
    target: &Tensor,
    options: &BceOptions,
) -> Result<Tensor> {
    const OP: &str = "binaryCrossEntropy";
    check_same_shape(OP, input, target, "target")?;
    if let Some(v) = input.to_vec().iter().find(|v| !(0.0..=1.0).contains(*v)) {
        return Err(invalid(
            OP,
            format!("input probabilities must lie in [0, 1], found {v}"),
        ));
    }
    let log_x = clamped_log(input)?;
    let log_1mx = clamped_log(&input.neg()?.add_scalar(1.0)?)?;
    let one_minus_y = target.neg()?.add_scalar(1.0)?;
    let mut loss = target
        .mul(&log_x)?
        .add(&one_minus_y.mul(&log_1mx)?)?
        .neg()?;
    if let Some(w) = &options.weight {
        check_broadcasts_to(OP, w, input.dims(), "weight")?;
        check_finite(OP, w, "weight")?;
        loss = loss.mul(w)?;
    }
    reduce(OP, loss, options.reduction)
}

/// Binary cross-entropy on logits, fused with the sigmoid for stability:
/// `l_i = w_i [(1 - y_i) x_i + (1 + (p_i - 1) y_i) softplus(-x_i)]`,
/// where `softplus(-x) = max(-x, 0) + log(1 + e^-|x|)` is computed stably and `p` is
/// `pos_weight` (1 when absent). Without `pos_weight` this is PyTorch's
/// `max(x, 0) - x y + log(1 + e^-|x|)`, written with a smooth softplus so the gradient at
/// `x = 0` is `sigmoid(0) - y` as in PyTorch (instead of a kink's subgradient).
///
/// PyTorch: `torch.nn.functional.binary_cross_entropy_with_logits(input, target, weight=...,
/// pos_weight=..., reduction=...)`.
/// Errors when shapes differ or `weight` / `pos_weight` do not broadcast or are not finite.
pub fn binary_cross_entropy_with_logits(
    input: &Tensor,
    target: &Tensor,
    options: &BceWithLogitsOptions,
) -> Result<Tensor> {
    const OP: &str = "binaryCrossEntropyWithLogits";
    check_same_shape(OP, input, target, "target")?;
    let one_minus_y = target.neg()?.add_scalar(1.0)?;
    let sp = input.neg()?.softplus()?;
    let log_weight = match &options.pos_weight {
        Some(p) => {
            check_broadcasts_to(OP, p, input.dims(), "pos_weight")?;
            check_finite(OP, p, "pos_weight")?;
            Some(p.add_scalar(-1.0)?.mul(target)?.add_scalar(1.0)?)
        }
        None => None,
    };
    let sp = match log_weight {
        Some(lw) => lw.mul(&sp)?,
        None => sp,
    };
    let mut loss = one_minus_y.mul(input)?.add(&sp)?;
    if let Some(w) = &options.weight {
        check_broadcasts_to(OP, w, input.dims(), "weight")?;
        check_finite(OP, w, "weight")?;
        loss = loss.mul(w)?;
    }
    reduce(OP, loss, options.reduction)
}

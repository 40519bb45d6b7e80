//! Margin losses for `{-1, +1}` labels: hinge and squared hinge (Keras / SVM style).

use ferrograd_core::{Result, Tensor};

use super::{check_same_shape, check_values_in, reduce, Reduction};

fn margins(op: &'static str, input: &Tensor, target: &Tensor) -> Result<Tensor> {
    check_same_shape(op, input, target, "target")?;
    check_values_in(op, target, &[-1.0, 1.0], "target")?;
    input.mul(target)?.neg()?.add_scalar(1.0)?.relu()
}

/// Hinge loss `l_i = max(0, 1 - y_i x_i)` with labels `y_i` in `{-1, 1}` (gradient 0 at the kink).
///
/// PyTorch has no direct functional; equivalent to
/// `torch.clamp_min(1 - target * input, 0)` reduced (Keras `hinge` with `mean`).
/// Errors when shapes differ or a label is not -1 or 1.
pub fn hinge_loss(input: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
    const OP: &str = "hingeLoss";
    reduce(OP, margins(OP, input, target)?, reduction)
}

/// Squared hinge loss `l_i = max(0, 1 - y_i x_i)^2` with labels `y_i` in `{-1, 1}`.
///
/// PyTorch equivalent: `torch.clamp_min(1 - target * input, 0) ** 2` reduced
/// (Keras `squared_hinge`).
/// Errors when shapes differ or a label is not -1 or 1.
pub fn squared_hinge_loss(input: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
    const OP: &str = "squaredHingeLoss";
    reduce(OP, margins(OP, input, target)?.square()?, reduction)
}

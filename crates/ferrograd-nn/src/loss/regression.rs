//! Regression losses: mean squared error, L1 (mean absolute error), Huber and Smooth L1.

use ferrograd_core::{Result, Tensor};

use super::{check_same_shape, invalid, reduce, Reduction};

/// Mean squared error `l_i = (x_i - y_i)^2`, reduced by `reduction`.
///
/// PyTorch: `torch.nn.functional.mse_loss(input, target, reduction=...)`.
/// Errors when `target`'s shape differs from `input`'s.
pub fn mse_loss(input: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
    const OP: &str = "mseLoss";
    check_same_shape(OP, input, target, "target")?;
    reduce(OP, input.sub(target)?.square()?, reduction)
}

/// L1 loss (mean absolute error) `l_i = |x_i - y_i|`; the gradient at `x_i = y_i` is 0.
///
/// PyTorch: `torch.nn.functional.l1_loss(input, target, reduction=...)`.
/// Errors when `target`'s shape differs from `input`'s.
pub fn l1_loss(input: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
    const OP: &str = "l1Loss";
    check_same_shape(OP, input, target, "target")?;
    reduce(OP, input.sub(target)?.abs()?, reduction)
}

/// Alias of [`l1_loss`] (Keras' name): `l_i = |x_i - y_i|`.
///
/// PyTorch: `torch.nn.functional.l1_loss`.
pub fn mae_loss(input: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
    l1_loss(input, target, reduction)
}

/// `0.5 d^2 * scale` where `|d| < t`, else `t (|d| - 0.5 t) * scale`: the shared piecewise form.
fn piecewise(
    op: &'static str,
    input: &Tensor,
    target: &Tensor,
    t: f32,
    quad_scale: f32,
    lin_scale: f32,
) -> Result<Tensor> {
    check_same_shape(op, input, target, "target")?;
    let d = input.sub(target)?;
    let ad = d.abs()?;
    let quad = d.square()?.mul_scalar(0.5 * quad_scale)?;
    let lin = ad.add_scalar(-0.5 * t)?.mul_scalar(t * lin_scale)?;
    let cond = ad.lt(&Tensor::scalar(t))?;
    Tensor::where_cond(&cond, &quad, &lin)
}

/// Huber loss with threshold `delta > 0`:
/// `l_i = 0.5 d_i^2` if `|d_i| < delta`, else `delta (|d_i| - 0.5 delta)`, with `d = x - y`.
///
/// PyTorch: `torch.nn.functional.huber_loss(input, target, reduction=..., delta=...)`.
/// Errors when shapes differ or `delta` is not a finite positive number.
pub fn huber_loss(
    input: &Tensor,
    target: &Tensor,
    delta: f32,
    reduction: Reduction,
) -> Result<Tensor> {
    const OP: &str = "huberLoss";
    if !delta.is_finite() || delta <= 0.0 {
        return Err(invalid(
            OP,
            format!("delta must be a finite positive number, got {delta}"),
        ));
    }
    reduce(
        OP,
        piecewise(OP, input, target, delta, 1.0, 1.0)?,
        reduction,
    )
}

/// Smooth L1 loss with threshold `beta >= 0`:
/// `l_i = 0.5 d_i^2 / beta` if `|d_i| < beta`, else `|d_i| - 0.5 beta`, with `d = x - y`;
/// `beta = 0` is exactly [`l1_loss`]. Equals `huber_loss(delta = beta) / beta` for `beta > 0`.
///
/// PyTorch: `torch.nn.functional.smooth_l1_loss(input, target, reduction=..., beta=...)`.
/// Errors when shapes differ or `beta` is negative or not finite.
pub fn smooth_l1_loss(
    input: &Tensor,
    target: &Tensor,
    beta: f32,
    reduction: Reduction,
) -> Result<Tensor> {
    const OP: &str = "smoothL1Loss";
    if !beta.is_finite() || beta < 0.0 {
        return Err(invalid(
            OP,
            format!("beta must be a finite non-negative number, got {beta}"),
        ));
    }
    if beta == 0.0 {
        check_same_shape(OP, input, target, "target")?;
        return reduce(OP, input.sub(target)?.abs()?, reduction);
    }
    reduce(
        OP,
        piecewise(OP, input, target, beta, 1.0 / beta, 1.0 / beta)?,
        reduction,
    )
}

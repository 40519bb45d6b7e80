//! Gradient clipping with PyTorch semantics (`torch.nn.utils.clip_grad_norm_` and
//! `clip_grad_value_`). Clipped gradients are stored as fresh tensors via [`Tensor::set_grad`]
//! rather than written in place, because a gradient tensor may share storage with other values
//! produced during backward.

use ferrograd_core::{Error, Result, Tensor};

const OP: &str = "clipGradNorm";

/// Rescales all gradients together so their combined `norm_type`-norm is at most `max_norm`;
/// returns the total norm before clipping. `norm_type` may be `f32::INFINITY` (max-abs).
///
/// As in PyTorch, the scale is `max_norm / (total_norm + 1e-6)` clamped to 1, parameters
/// without a gradient are ignored, and an empty set returns 0. The norm is accumulated in `f64`.
pub fn clip_grad_norm(params: &[Tensor], max_norm: f32, norm_type: f32) -> Result<f32> {
    if max_norm.is_nan() || max_norm < 0.0 {
        return Err(Error::InvalidArgument {
            op: OP,
            msg: format!("max_norm must be >= 0, got {max_norm}"),
        });
    }
    if norm_type.is_nan() || norm_type <= 0.0 {
        return Err(Error::InvalidArgument {
            op: OP,
            msg: format!("norm_type must be > 0 (or infinity), got {norm_type}"),
        });
    }
    let grads: Vec<(&Tensor, Tensor)> = params
        .iter()
        .filter_map(|p| p.grad().map(|g| (p, g)))
        .collect();
    if grads.is_empty() {
        return Ok(0.0);
    }
    let total = if norm_type.is_infinite() {
        grads
            .iter()
            .map(|(_, g)| g.with_contiguous(|s| s.iter().fold(0.0f32, |m, v| m.max(v.abs()))))
            .fold(0.0f32, f32::max) as f64
    } else {
        let p = norm_type as f64;
        let sum: f64 = grads
            .iter()
            .map(|(_, g)| {
                g.with_contiguous(|s| s.iter().map(|&v| (v.abs() as f64).powf(p)).sum::<f64>())
            })
            .sum();
        sum.powf(1.0 / p)
    };
    let coef = (max_norm as f64 / (total + 1e-6)).min(1.0);
    // coef == 1 means "no clipping": skip the rewrite so gradients stay bit-identical.
    // A NaN/inf total gives a NaN coefficient, which PyTorch also propagates into the grads.
    if coef.is_nan() || coef < 1.0 {
        let c = coef as f32;
        for (p, g) in grads {
            let scaled: Vec<f32> = g.with_contiguous(|s| s.iter().map(|v| v * c).collect());
            p.set_grad(Some(Tensor::from_vec(scaled, g.dims())?));
        }
    }
    Ok(total as f32)
}

/// Clamps every gradient element into `[-clip, clip]` (`clip >= 0`).
pub fn clip_grad_value(params: &[Tensor], clip: f32) -> Result<()> {
    if clip.is_nan() || clip < 0.0 {
        return Err(Error::InvalidArgument {
            op: "clipGradValue",
            msg: format!("clip value must be >= 0, got {clip}"),
        });
    }
    for p in params {
        if let Some(g) = p.grad() {
            let clamped: Vec<f32> =
                g.with_contiguous(|s| s.iter().map(|v| v.clamp(-clip, clip)).collect());
            p.set_grad(Some(Tensor::from_vec(clamped, g.dims())?));
        }
    }
    Ok(())
}

//! Kullback-Leibler divergence.

use ferrograd_core::{Result, Tensor};

use super::{check_same_shape, invalid, reduce, Reduction};

/// Reductions accepted by [`kl_div`]: [`Reduction`]'s plus `BatchMean`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KlReduction {
    /// Mean over all elements (`reduction='mean'`, PyTorch's default, which it warns about
    /// because it is not the mathematical KL divergence).
    #[default]
    Mean,
    /// Sum over all elements divided by the batch size `input.shape[0]`
    /// (`reduction='batchmean'`, the true KL divergence per sample).
    BatchMean,
    /// Sum over all elements (`reduction='sum'`).
    Sum,
    /// Elementwise losses (`reduction='none'`).
    None,
}

/// Options of [`kl_div`].
#[derive(Debug, Clone, Copy, Default)]
pub struct KlDivOptions {
    /// How element losses are combined.
    pub reduction: KlReduction,
    /// Whether `target` holds log-probabilities instead of probabilities (`log_target=`).
    pub log_target: bool,
}

/// KL divergence `KL(target || exp(input))` with `input` holding log-probabilities:
/// `l_i = y_i (log y_i - x_i)` (0 where `y_i = 0`, i.e. `xlogy(y, y) - y x`), or with
/// `log_target`, `l_i = e^{y_i} (y_i - x_i)`.
///
/// PyTorch: `torch.nn.functional.kl_div(input, target, reduction=..., log_target=...)`.
/// Errors when shapes differ, probability targets are negative, or `BatchMean` is asked of a
/// 0-d or empty input.
pub fn kl_div(input: &Tensor, target: &Tensor, options: &KlDivOptions) -> Result<Tensor> {
    const OP: &str = "klDiv";
    check_same_shape(OP, input, target, "target")?;
    let loss = if options.log_target {
        target.exp()?.mul(&target.sub(input)?)?
    } else {
        if let Some(v) = target.to_vec().iter().find(|v| v.is_nan() || **v < 0.0) {
            return Err(invalid(
                OP,
                format!("target probabilities must be non-negative, found {v}"),
            ));
        }
        let pos = target.gt(&Tensor::scalar(0.0))?;
        let safe = Tensor::where_cond(&pos, target, &Tensor::scalar(1.0))?;
        let xlogy = Tensor::where_cond(&pos, &target.mul(&safe.log()?)?, &Tensor::scalar(0.0))?;
        xlogy.sub(&target.mul(input)?)?
    };
    match options.reduction {
        KlReduction::Mean => reduce(OP, loss, Reduction::Mean),
        KlReduction::Sum => reduce(OP, loss, Reduction::Sum),
        KlReduction::None => Ok(loss),
        KlReduction::BatchMean => {
            let batch = match input.dims().first() {
                Some(&n) if n > 0 => n,
                _ => {
                    return Err(invalid(
                        OP,
                        "batchmean needs an input with a non-empty batch dimension",
                    ))
                }
            };
            loss.sum(None, false)?.mul_scalar(1.0 / batch as f32)
        }
    }
}

//! Loss functions built from `ferrograd-core` tensor ops, so first- and higher-order gradients
//! come from autograd. Every loss mirrors a PyTorch functional (`torch.nn.functional.*`) in its
//! formula, options and reductions, and is checked against PyTorch fixtures
//! (`fixtures/torch/losses.json`).
//!
//! Conventions shared by all losses:
//! - `input` is the prediction (logits, probabilities, log-probabilities or embeddings);
//!   `target` holds labels and never needs gradients (it is treated as a constant where
//!   the loss reads its values, e.g. class indices and masks).
//! - Elementwise losses require `target` to have exactly the input's shape (PyTorch would
//!   broadcast with a warning; here it is an error).
//! - Class indices are `f32` tensors holding exact integers (the engine's index convention).
//! - Failures are [`Error`]s naming the loss (`op` is e.g. `"mseLoss"`); nothing panics.
//!
//! Files: [`regression`] (MSE, L1, Huber, SmoothL1), [`binary`] (BCE, BCE with logits),
//! [`categorical`] (cross-entropy, sparse cross-entropy, NLL), [`divergence`] (KL),
//! [`margin`] (hinge, squared hinge), [`embedding`] (cosine embedding, contrastive, triplet).

pub mod binary;
pub mod categorical;
pub mod divergence;
pub mod embedding;
pub mod margin;
mod named;
pub mod regression;

pub use binary::{
    binary_cross_entropy, binary_cross_entropy_with_logits, BceOptions, BceWithLogitsOptions,
};
pub use categorical::{
    cross_entropy, nll_loss, sparse_cross_entropy, CrossEntropyOptions, NllOptions,
    SparseCrossEntropyOptions,
};
pub use divergence::{kl_div, KlDivOptions, KlReduction};
pub use embedding::{
    contrastive_loss, cosine_embedding_loss, triplet_margin_loss, TripletMarginOptions,
    PAIRWISE_DISTANCE_EPS,
};
pub use margin::{hinge_loss, squared_hinge_loss};
pub use named::{named_loss, NAMED_LOSSES};
pub use regression::{huber_loss, l1_loss, mae_loss, mse_loss, smooth_l1_loss};

use ferrograd_core::{Error, Result, Tensor};

/// How per-element losses are combined, like PyTorch's `reduction=` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reduction {
    /// Average over elements (`reduction='mean'`, the PyTorch default). Losses with class
    /// weights (NLL, sparse cross-entropy) divide by the sum of the weights instead, as PyTorch.
    #[default]
    Mean,
    /// Sum over elements (`reduction='sum'`).
    Sum,
    /// No reduction (`reduction='none'`): one loss per element (or per sample).
    None,
}

/// Applies `reduction` to a tensor of per-element losses: mean and sum yield 0-d tensors.
pub(crate) fn reduce(op: &'static str, loss: Tensor, reduction: Reduction) -> Result<Tensor> {
    match reduction {
        Reduction::None => Ok(loss),
        Reduction::Sum => loss.sum(None, false),
        Reduction::Mean => {
            if loss.numel() == 0 {
                return Err(invalid(op, "cannot average an empty loss"));
            }
            loss.mean(None, false)
        }
    }
}

/// `Error::InvalidArgument` for a loss.
pub(crate) fn invalid(op: &'static str, msg: impl Into<String>) -> Error {
    Error::InvalidArgument {
        op,
        msg: msg.into(),
    }
}

/// `Error::ShapeMismatch` for a loss.
pub(crate) fn mismatch(
    op: &'static str,
    lhs: &[usize],
    rhs: &[usize],
    reason: impl Into<String>,
) -> Error {
    Error::ShapeMismatch {
        op,
        lhs: lhs.to_vec(),
        rhs: rhs.to_vec(),
        reason: reason.into(),
    }
}

/// Requires `target` to have exactly the shape of `input`.
pub(crate) fn check_same_shape(
    op: &'static str,
    input: &Tensor,
    target: &Tensor,
    what: &str,
) -> Result<()> {
    if input.dims() != target.dims() {
        return Err(mismatch(
            op,
            input.dims(),
            target.dims(),
            format!("{what} must have the same shape as the input"),
        ));
    }
    Ok(())
}

/// Requires `weight` to broadcast to `shape` without changing it (numpy rules).
pub(crate) fn check_broadcasts_to(
    op: &'static str,
    weight: &Tensor,
    shape: &[usize],
    what: &str,
) -> Result<()> {
    let w = weight.dims();
    let ok = w.len() <= shape.len()
        && w.iter()
            .rev()
            .zip(shape.iter().rev())
            .all(|(&a, &b)| a == b || a == 1);
    if !ok {
        return Err(mismatch(
            op,
            shape,
            w,
            format!("{what} must broadcast to the input's shape"),
        ));
    }
    Ok(())
}

/// Requires every element of `t` to be finite.
pub(crate) fn check_finite(op: &'static str, t: &Tensor, what: &str) -> Result<()> {
    if t.to_vec().iter().any(|v| !v.is_finite()) {
        return Err(invalid(op, format!("{what} must be finite")));
    }
    Ok(())
}

/// Requires every element of `t` to be one of `allowed`.
pub(crate) fn check_values_in(
    op: &'static str,
    t: &Tensor,
    allowed: &[f32],
    what: &str,
) -> Result<()> {
    if let Some(v) = t.to_vec().iter().find(|v| !allowed.contains(v)) {
        return Err(invalid(
            op,
            format!("{what} must contain only {allowed:?}, found {v}"),
        ));
    }
    Ok(())
}

/// Requires a scalar option to be finite and non-negative.
pub(crate) fn check_non_negative(op: &'static str, value: f32, what: &str) -> Result<()> {
    if !value.is_finite() || value < 0.0 {
        return Err(invalid(
            op,
            format!("{what} must be a finite non-negative number, got {value}"),
        ));
    }
    Ok(())
}

/// Weights per-element losses (typically a [`Reduction::None`] result) by `sample_weight`, then
/// reduces: `reduce(loss * w)`.
///
/// `sample_weight` either broadcasts to the loss's shape (numpy rules), or is a vector of one
/// weight per sample whose length is the loss's leading dimension (Keras `sample_weight`); the
/// latter is reshaped to `[N, 1, ..., 1]`. [`Reduction::Mean`] divides the weighted sum by the
/// number of loss elements (Keras' `sum_over_batch_size`), not by the sum of the weights; use
/// [`Reduction::Sum`] and divide yourself for a weight-normalised average.
///
/// PyTorch has no generic equivalent: it is `(loss_none * w).mean()` / `.sum()`.
/// Errors when the weight does not fit the loss or contains non-finite values.
pub fn weighted(loss: &Tensor, sample_weight: &Tensor, reduction: Reduction) -> Result<Tensor> {
    const OP: &str = "weightedLoss";
    check_finite(OP, sample_weight, "sample_weight")?;
    let w = if sample_weight.rank() == 1
        && loss.rank() > 1
        && sample_weight.dims()[0] == loss.dims()[0]
    {
        let mut shape = vec![1usize; loss.rank()];
        shape[0] = loss.dims()[0];
        sample_weight.reshape_to(&shape)?
    } else {
        check_broadcasts_to(OP, sample_weight, loss.dims(), "sample_weight")?;
        sample_weight.clone()
    };
    reduce(OP, loss.mul(&w)?, reduction)
}

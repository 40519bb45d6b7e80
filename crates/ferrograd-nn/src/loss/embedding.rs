//! Embedding / metric-learning losses on pairs and triplets of vectors: cosine embedding,
//! contrastive and triplet margin. Inputs are `[N, D]` batches (or a single `[D]` vector);
//! distances and similarities are taken over the last axis.

use ferrograd_core::{Result, Tensor};

use super::{
    check_non_negative, check_same_shape, check_values_in, invalid, mismatch, reduce, Reduction,
};

/// `eps` added to differences in [`contrastive_loss`] distances, as `torch.pairwise_distance`.
pub const PAIRWISE_DISTANCE_EPS: f32 = 1e-6;

/// Checks that `x` is `[D]` or `[N, D]` with `D > 0`.
fn check_embedding(op: &'static str, x: &Tensor, what: &str) -> Result<()> {
    if !(1..=2).contains(&x.rank()) || x.dims().last().copied() == Some(0) {
        return Err(invalid(
            op,
            format!(
                "{what} must have shape [D] or [N, D] with D > 0, got {:?}",
                x.dims()
            ),
        ));
    }
    Ok(())
}

/// Checks that a per-pair label has the batch shape of `x` (`[N]`, or `[]` for `[D]` inputs).
fn check_labels(op: &'static str, x: &Tensor, y: &Tensor) -> Result<()> {
    let batch = &x.dims()[..x.rank() - 1];
    if y.dims() != batch {
        return Err(mismatch(
            op,
            x.dims(),
            y.dims(),
            format!("target must have shape {batch:?}"),
        ));
    }
    Ok(())
}

/// `||a - b + eps||_p` over the last axis, like `torch.pairwise_distance(a, b, p, eps)`.
fn pairwise_distance(a: &Tensor, b: &Tensor, p: f32, eps: f32) -> Result<Tensor> {
    let d = a.sub(b)?.add_scalar(eps)?;
    if p == 2.0 {
        d.square()?.sum(Some(&[-1]), false)?.sqrt()
    } else if p == 1.0 {
        d.abs()?.sum(Some(&[-1]), false)
    } else {
        d.abs()?
            .pow_scalar(p)?
            .sum(Some(&[-1]), false)?
            .pow_scalar(1.0 / p)
    }
}

/// Cosine embedding loss with labels `y` in `{-1, 1}` and `margin` in `[-1, 1]`:
/// `cos_i = <a_i, b_i> / sqrt((|a_i|^2 + 1e-12)(|b_i|^2 + 1e-12))`,
/// `l_i = 1 - cos_i` if `y_i = 1`, `max(0, cos_i - margin)` if `y_i = -1`.
///
/// PyTorch: `torch.nn.functional.cosine_embedding_loss(x1, x2, target, margin=..., reduction=...)`.
/// Errors on shape mismatches, labels other than -1 and 1, and a margin outside `[-1, 1]`.
pub fn cosine_embedding_loss(
    x1: &Tensor,
    x2: &Tensor,
    target: &Tensor,
    margin: f32,
    reduction: Reduction,
) -> Result<Tensor> {
    const OP: &str = "cosineEmbeddingLoss";
    check_embedding(OP, x1, "x1")?;
    check_same_shape(OP, x1, x2, "x2")?;
    check_labels(OP, x1, target)?;
    check_values_in(OP, target, &[-1.0, 1.0], "target")?;
    if !(-1.0..=1.0).contains(&margin) {
        return Err(invalid(
            OP,
            format!("margin must lie in [-1, 1], got {margin}"),
        ));
    }
    const EPSILON: f32 = 1e-12;
    let dot = x1.mul(x2)?.sum(Some(&[-1]), false)?;
    let m1 = x1.square()?.sum(Some(&[-1]), false)?.add_scalar(EPSILON)?;
    let m2 = x2.square()?.sum(Some(&[-1]), false)?.add_scalar(EPSILON)?;
    let cos = dot.div(&m1.mul(&m2)?.sqrt()?)?;
    let zero = Tensor::scalar(0.0);
    let pos = Tensor::where_cond(
        &target.eq(&Tensor::scalar(1.0))?,
        &cos.neg()?.add_scalar(1.0)?,
        &zero,
    )?;
    let neg = Tensor::where_cond(
        &target.eq(&Tensor::scalar(-1.0))?,
        &cos.add_scalar(-margin)?.relu()?,
        &zero,
    )?;
    reduce(OP, pos.add(&neg)?, reduction)
}

/// Contrastive loss (Hadsell, Chopra & LeCun 2006) on pairs with labels `y` in `{0, 1}`
/// (1 = similar pair):
/// `d_i = ||a_i - b_i + eps||_2` with `eps = 1e-6` ([`PAIRWISE_DISTANCE_EPS`]) and
/// `l_i = y_i d_i^2 + (1 - y_i) max(0, margin - d_i)^2`.
///
/// PyTorch has no built-in; equivalent to
/// `y * d**2 + (1 - y) * torch.clamp_min(margin - d, 0)**2` with
/// `d = torch.pairwise_distance(a, b)`, then reduced.
/// Errors on shape mismatches, labels other than 0 and 1, and a negative or non-finite margin.
pub fn contrastive_loss(
    x1: &Tensor,
    x2: &Tensor,
    target: &Tensor,
    margin: f32,
    reduction: Reduction,
) -> Result<Tensor> {
    const OP: &str = "contrastiveLoss";
    check_embedding(OP, x1, "x1")?;
    check_same_shape(OP, x1, x2, "x2")?;
    check_labels(OP, x1, target)?;
    check_values_in(OP, target, &[0.0, 1.0], "target")?;
    check_non_negative(OP, margin, "margin")?;
    let d = pairwise_distance(x1, x2, 2.0, PAIRWISE_DISTANCE_EPS)?;
    let similar = target.mul(&d.square()?)?;
    let hinge = d.neg()?.add_scalar(margin)?.relu()?.square()?;
    let dissimilar = target.neg()?.add_scalar(1.0)?.mul(&hinge)?;
    reduce(OP, similar.add(&dissimilar)?, reduction)
}

/// Options of [`triplet_margin_loss`]; defaults match PyTorch.
#[derive(Debug, Clone, Copy)]
pub struct TripletMarginOptions {
    /// Required gap between the negative and positive distances (default 1).
    pub margin: f32,
    /// Norm degree of the distance (default 2).
    pub p: f32,
    /// Added to differences before the norm (default 1e-6).
    pub eps: f32,
    /// Use `min(d(a, n), d(p, n))` as the negative distance (default false).
    pub swap: bool,
    /// How per-triplet losses are combined.
    pub reduction: Reduction,
}

impl Default for TripletMarginOptions {
    fn default() -> Self {
        TripletMarginOptions {
            margin: 1.0,
            p: 2.0,
            eps: 1e-6,
            swap: false,
            reduction: Reduction::Mean,
        }
    }
}

/// Triplet margin loss `l_i = max(0, margin + d(a_i, p_i) - d(a_i, n_i))` with
/// `d(u, v) = ||u - v + eps||_p`; with `swap`, `d(a, n)` becomes `min(d(a, n), d(p, n))`.
///
/// PyTorch: `torch.nn.functional.triplet_margin_loss(anchor, positive, negative, margin=...,
/// p=..., eps=..., swap=..., reduction=...)`.
/// Errors on shape mismatches, a negative margin, `p <= 0` or a negative `eps`.
pub fn triplet_margin_loss(
    anchor: &Tensor,
    positive: &Tensor,
    negative: &Tensor,
    options: &TripletMarginOptions,
) -> Result<Tensor> {
    const OP: &str = "tripletMarginLoss";
    check_embedding(OP, anchor, "anchor")?;
    check_same_shape(OP, anchor, positive, "positive")?;
    check_same_shape(OP, anchor, negative, "negative")?;
    check_non_negative(OP, options.margin, "margin")?;
    check_non_negative(OP, options.eps, "eps")?;
    if !options.p.is_finite() || options.p <= 0.0 {
        return Err(invalid(
            OP,
            format!("p must be a finite positive number, got {}", options.p),
        ));
    }
    let d_pos = pairwise_distance(anchor, positive, options.p, options.eps)?;
    let mut d_neg = pairwise_distance(anchor, negative, options.p, options.eps)?;
    if options.swap {
        d_neg = d_neg.minimum(&pairwise_distance(
            positive,
            negative,
            options.p,
            options.eps,
        )?)?;
    }
    reduce(
        OP,
        d_pos.sub(&d_neg)?.add_scalar(options.margin)?.relu()?,
        options.reduction,
    )
}

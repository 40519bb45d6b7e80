//! [`LossKind`]: the Keras-style loss names of `fit`, mapped onto the functional losses of
//! [`crate::loss`].

use ferrograd_core::{Error, Result, Tensor};

use crate::loss::{
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, hinge_loss, huber_loss,
    l1_loss, mse_loss, nll_loss, sparse_cross_entropy, squared_hinge_loss, weighted, BceOptions,
    BceWithLogitsOptions, CrossEntropyOptions, NllOptions, Reduction, SparseCrossEntropyOptions,
};

/// Probabilities are clamped to `[PROB_EPS, 1]` before the log in the non-logit categorical
/// losses (Keras uses `epsilon() = 1e-7` the same way).
const PROB_EPS: f32 = 1e-7;

/// The loss minimised by [`Trainer::fit`](super::Trainer::fit).
///
/// Predictions are `[N, ...]`; targets follow Keras conventions: same shape as the prediction for
/// element-wise losses and one-hot categorical cross-entropy, class indices `[N]` or `[N, 1]`
/// (as exact integers in f32) for the sparse variant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LossKind {
    /// Mean squared error.
    Mse,
    /// Mean absolute error.
    Mae,
    /// Huber loss with threshold `delta > 0`.
    Huber {
        /// Threshold between the quadratic and linear regions.
        delta: f32,
    },
    /// Binary cross-entropy on probabilities in `[0, 1]`.
    BinaryCrossEntropy,
    /// Binary cross-entropy on logits (sigmoid fused in).
    BinaryCrossEntropyWithLogits,
    /// Cross-entropy with one-hot / probability targets of the prediction's shape.
    CategoricalCrossEntropy {
        /// Predictions are logits (softmax fused in) rather than probabilities.
        from_logits: bool,
    },
    /// Cross-entropy with class-index targets.
    SparseCategoricalCrossEntropy {
        /// Predictions are logits (softmax fused in) rather than probabilities.
        from_logits: bool,
    },
    /// Keras' `kld`: `Σ_j y_j log(y_j / p_j)` per sample over the last axis, both clipped to
    /// `[1e-7, 1]` (targets and predictions are probability distributions).
    KlDivergence,
    /// `max(0, 1 - y·p)` per element with labels in `{-1, 1}` (0/1 labels are mapped to -1/1,
    /// as Keras).
    Hinge,
    /// `max(0, 1 - y·p)²` per element, labels as [`LossKind::Hinge`].
    SquaredHinge,
    /// Keras' `cosine_similarity` loss: `-<ŷ, ŷ'>` of the L2-normalised rows (-1 is best).
    CosineSimilarity,
    /// `log(cosh(p - y))` per element: quadratic near 0, linear far away.
    LogCosh,
    /// Poisson negative log-likelihood `p - y·log(p + 1e-7)` per element (`p` is a rate > 0).
    Poisson,
}

impl LossKind {
    /// Keras' name of the loss (`"mse"`, `"sparse_categorical_crossentropy"`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            LossKind::Mse => "mse",
            LossKind::Mae => "mae",
            LossKind::Huber { .. } => "huber",
            LossKind::BinaryCrossEntropy => "binary_crossentropy",
            LossKind::BinaryCrossEntropyWithLogits => "binary_crossentropy_with_logits",
            LossKind::CategoricalCrossEntropy { .. } => "categorical_crossentropy",
            LossKind::SparseCategoricalCrossEntropy { .. } => "sparse_categorical_crossentropy",
            LossKind::KlDivergence => "kl_divergence",
            LossKind::Hinge => "hinge",
            LossKind::SquaredHinge => "squared_hinge",
            LossKind::CosineSimilarity => "cosine_similarity",
            LossKind::LogCosh => "log_cosh",
            LossKind::Poisson => "poisson",
        }
    }

    /// The mean loss over the batch (a 0-d tensor that can be back-propagated).
    pub fn compute(&self, pred: &Tensor, target: &Tensor) -> Result<Tensor> {
        self.per_sample(pred, target)?.mean(None, false)
    }

    /// The loss weighted per sample (`sample_weight` is `[N]`), averaged over the loss elements
    /// as Keras' `sum_over_batch_size` (see [`crate::loss::weighted`]).
    pub fn compute_weighted(
        &self,
        pred: &Tensor,
        target: &Tensor,
        sample_weight: &Tensor,
    ) -> Result<Tensor> {
        weighted(
            &self.per_sample(pred, target)?,
            sample_weight,
            Reduction::Mean,
        )
    }

    /// Unreduced losses: one per element (element-wise losses) or per sample (categorical).
    pub fn per_sample(&self, pred: &Tensor, target: &Tensor) -> Result<Tensor> {
        let none = Reduction::None;
        match *self {
            LossKind::Mse => mse_loss(pred, target, none),
            LossKind::Mae => l1_loss(pred, target, none),
            LossKind::Huber { delta } => huber_loss(pred, target, delta, none),
            LossKind::BinaryCrossEntropy => binary_cross_entropy(
                pred,
                target,
                &BceOptions {
                    reduction: none,
                    ..Default::default()
                },
            ),
            LossKind::BinaryCrossEntropyWithLogits => binary_cross_entropy_with_logits(
                pred,
                target,
                &BceWithLogitsOptions {
                    reduction: none,
                    ..Default::default()
                },
            ),
            LossKind::CategoricalCrossEntropy { from_logits: true } => cross_entropy(
                pred,
                target,
                &CrossEntropyOptions {
                    reduction: none,
                    ..Default::default()
                },
            ),
            LossKind::CategoricalCrossEntropy { from_logits: false } => {
                if pred.dims() != target.dims() || pred.rank() < 2 {
                    return Err(Error::ShapeMismatch {
                        op: "categoricalCrossEntropy",
                        lhs: pred.dims().to_vec(),
                        rhs: target.dims().to_vec(),
                        reason: "targets must have the [N, C] shape of the predictions".into(),
                    });
                }
                let lp = pred.clamp(Some(PROB_EPS), Some(1.0))?.log()?;
                lp.mul(target)?.sum(Some(&[1]), false)?.neg()
            }
            LossKind::SparseCategoricalCrossEntropy { from_logits } if pred.rank() >= 3 => {
                per_step_mean(pred, target, |p, t| {
                    LossKind::SparseCategoricalCrossEntropy { from_logits }.per_sample(p, t)
                })
            }
            LossKind::SparseCategoricalCrossEntropy { from_logits } => {
                let target = sparse_target(pred, target)?;
                if from_logits {
                    sparse_cross_entropy(
                        pred,
                        &target,
                        &SparseCrossEntropyOptions {
                            reduction: none,
                            ..Default::default()
                        },
                    )
                } else {
                    let lp = pred.clamp(Some(PROB_EPS), Some(1.0))?.log()?;
                    nll_loss(
                        &lp,
                        &target,
                        &NllOptions {
                            reduction: none,
                            ..Default::default()
                        },
                    )
                }
            }
            LossKind::KlDivergence => {
                same_shape("klDivergence", pred, target)?;
                let y = target.clamp(Some(PROB_EPS), Some(1.0))?;
                let p = pred.clamp(Some(PROB_EPS), Some(1.0))?;
                y.mul(&y.log()?.sub(&p.log()?)?)?.sum(Some(&[-1]), false)
            }
            LossKind::Hinge => hinge_loss(pred, &signed_labels(target)?, none),
            LossKind::SquaredHinge => squared_hinge_loss(pred, &signed_labels(target)?, none),
            LossKind::CosineSimilarity => {
                same_shape("cosineSimilarity", pred, target)?;
                let unit = |t: &Tensor| -> Result<Tensor> {
                    let norm = t
                        .square()?
                        .sum(Some(&[-1]), true)?
                        .clamp(Some(1e-12), None)?;
                    t.div(&norm.sqrt()?)
                };
                unit(pred)?
                    .mul(&unit(target)?)?
                    .sum(Some(&[-1]), false)?
                    .neg()
            }
            LossKind::LogCosh => {
                same_shape("logCosh", pred, target)?;
                // log cosh x = x + softplus(-2x) - log 2, stable for large |x|.
                let x = pred.sub(target)?;
                x.add(&x.mul_scalar(-2.0)?.softplus()?)?
                    .add_scalar(-std::f32::consts::LN_2)
            }
            LossKind::Poisson => {
                same_shape("poisson", pred, target)?;
                pred.sub(&target.mul(&pred.add_scalar(PROB_EPS)?.log()?)?)
            }
        }
    }
}

fn same_shape(op: &'static str, pred: &Tensor, target: &Tensor) -> Result<()> {
    if pred.dims() != target.dims() {
        return Err(Error::ShapeMismatch {
            op,
            lhs: pred.dims().to_vec(),
            rhs: target.dims().to_vec(),
            reason: "targets must have the shape of the predictions".into(),
        });
    }
    Ok(())
}

/// Maps 0/1 labels to -1/1 (Keras' hinge convention); -1/1 labels pass through.
fn signed_labels(target: &Tensor) -> Result<Tensor> {
    if target.to_vec().iter().all(|&v| v == 0.0 || v == 1.0) {
        target.mul_scalar(2.0)?.add_scalar(-1.0)
    } else {
        Ok(target.clone())
    }
}

/// Accepts class indices shaped `[N]` or `[N, 1]` (Keras allows both) for `[N, C]` predictions.
/// Sequence predictions `[N, T.., C]` with class ids `[N, T..]`: classes are on the last axis (as
/// in Keras, where a model emits one distribution per timestep), every step is scored as a row
/// of `[N*T, C]`, and a sample's loss is the mean over its steps (so sample weights stay `[N]`).
fn per_step_mean(
    pred: &Tensor,
    target: &Tensor,
    rows: impl Fn(&Tensor, &Tensor) -> Result<Tensor>,
) -> Result<Tensor> {
    let dims = pred.dims();
    let (n, c) = (dims[0], dims[dims.len() - 1]);
    if target.dims() != &dims[..dims.len() - 1] {
        return Err(Error::ShapeMismatch {
            op: "sparseCategoricalCrossEntropy",
            lhs: dims.to_vec(),
            rhs: target.dims().to_vec(),
            reason: "per-step predictions [N, T, C] need class ids of shape [N, T]".into(),
        });
    }
    let steps = pred.numel() / c.max(1);
    let flat = rows(
        &pred.reshape_to(&[steps, c])?,
        &target.reshape_to(&[steps])?,
    )?;
    flat.reshape_to(&[n, steps / n.max(1)])?
        .mean(Some(&[1]), false)
}

fn sparse_target(pred: &Tensor, target: &Tensor) -> Result<Tensor> {
    if pred.rank() == 2 && target.rank() == 2 && target.dims()[1] == 1 {
        target.reshape_to(&[target.dims()[0]])
    } else {
        Ok(target.clone())
    }
}

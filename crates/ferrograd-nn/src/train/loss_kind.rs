//! [`LossKind`]: the Keras-style loss names of `fit`, mapped onto the functional losses of
//! [`crate::loss`].

use ferrograd_core::{Error, Result, Tensor};

use crate::loss::{
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, huber_loss, l1_loss,
    mse_loss, nll_loss, sparse_cross_entropy, weighted, BceOptions, BceWithLogitsOptions,
    CrossEntropyOptions, NllOptions, Reduction, SparseCrossEntropyOptions,
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
        }
    }
}

/// Accepts class indices shaped `[N]` or `[N, 1]` (Keras allows both) for `[N, C]` predictions.
fn sparse_target(pred: &Tensor, target: &Tensor) -> Result<Tensor> {
    if pred.rank() == 2 && target.rank() == 2 && target.dims()[1] == 1 {
        target.reshape_to(&[target.dims()[0]])
    } else {
        Ok(target.clone())
    }
}

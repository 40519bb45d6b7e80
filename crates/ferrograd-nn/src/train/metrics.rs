//! Streaming metrics: each [`MetricKind`] makes a [`MetricState`] that accumulates over batches
//! (host-side, on copied data) and reports the running value for the epoch.

use ferrograd_core::{Error, Result, Tensor};

use super::epoch_metrics::{collect, value, Collector, EpochMetric};

/// A metric reported by `fit` / `evaluate`, as in Keras' `metrics=[...]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MetricKind {
    /// Keras' `"accuracy"`: binary when the target has the prediction's shape with one output
    /// (threshold 0.5), sparse categorical when the target has one dimension less than the
    /// prediction (or a trailing 1), categorical (argmax vs argmax) otherwise.
    Accuracy,
    /// Fraction of elements where `(pred > threshold) == (target > 0.5)`.
    BinaryAccuracy {
        /// Decision threshold on the prediction (0.5 for probabilities, 0 for logits).
        threshold: f32,
    },
    /// Argmax of the prediction equals argmax of the one-hot target.
    CategoricalAccuracy,
    /// Argmax of the prediction equals the class-index target.
    SparseCategoricalAccuracy,
    /// The target class (index or one-hot) is among the `k` highest scores.
    TopK {
        /// How many top classes count as a hit (>= 1).
        k: usize,
    },
    /// Mean squared error.
    Mse,
    /// Mean absolute error.
    Mae,
    /// Precision over the epoch: of the positive class for one-output models (threshold as
    /// binary accuracy), macro-averaged over classes (argmax) otherwise.
    Precision,
    /// Recall (sensitivity, TPR) over the epoch, averaged as [`MetricKind::Precision`].
    Recall,
    /// F1 over the epoch, averaged as [`MetricKind::Precision`].
    F1,
    /// ROC-AUC over every score of the epoch (one-vs-rest macro for several classes).
    Auc,
    /// Average precision (PR-AUC) over the epoch (macro one-vs-rest for several classes).
    PrAuc,
    /// `exp(mean negative log-likelihood)` of class-index targets (language models).
    Perplexity,
    /// Specificity (TNR) over the epoch, averaged as [`MetricKind::Precision`].
    Specificity,
    /// Root mean squared error over the epoch.
    Rmse,
    /// Coefficient of determination over the epoch (all outputs pooled).
    R2,
}

impl MetricKind {
    /// Log key of the metric (`"accuracy"`, `"top_5_accuracy"`, ...); validation values are
    /// reported as `"val_" + name`.
    pub fn name(&self) -> String {
        match self {
            MetricKind::Accuracy => "accuracy".into(),
            MetricKind::BinaryAccuracy { .. } => "binary_accuracy".into(),
            MetricKind::CategoricalAccuracy => "categorical_accuracy".into(),
            MetricKind::SparseCategoricalAccuracy => "sparse_categorical_accuracy".into(),
            MetricKind::TopK { k } => format!("top_{k}_accuracy"),
            MetricKind::Mse => "mse".into(),
            MetricKind::Mae => "mae".into(),
            MetricKind::Precision => "precision".into(),
            MetricKind::Recall => "recall".into(),
            MetricKind::F1 => "f1".into(),
            MetricKind::Auc => "auc".into(),
            MetricKind::PrAuc => "pr_auc".into(),
            MetricKind::Perplexity => "perplexity".into(),
            MetricKind::Specificity => "specificity".into(),
            MetricKind::Rmse => "rmse".into(),
            MetricKind::R2 => "r2".into(),
        }
    }

    /// The whole-epoch metric behind this kind, if it is one.
    fn epoch_metric(&self) -> Option<EpochMetric> {
        Some(match self {
            MetricKind::Precision => EpochMetric::Precision,
            MetricKind::Recall => EpochMetric::Recall,
            MetricKind::F1 => EpochMetric::F1,
            MetricKind::Auc => EpochMetric::RocAuc,
            MetricKind::PrAuc => EpochMetric::PrAuc,
            MetricKind::Perplexity => EpochMetric::Perplexity,
            MetricKind::Specificity => EpochMetric::Specificity,
            MetricKind::Rmse => EpochMetric::Rmse,
            MetricKind::R2 => EpochMetric::R2,
            _ => return None,
        })
    }

    /// Whether larger is better (used by `EarlyStopping`'s `auto` mode).
    pub fn higher_is_better(&self) -> bool {
        !matches!(
            self,
            MetricKind::Mse | MetricKind::Mae | MetricKind::Perplexity | MetricKind::Rmse
        )
    }

    /// A fresh accumulator.
    pub fn state(&self) -> MetricState {
        self.state_with_threshold(0.5)
    }

    /// A fresh accumulator whose `Accuracy` uses `threshold` when it resolves to binary
    /// accuracy: 0 when the model outputs logits or margins (a `fromLogits` binary
    /// cross-entropy or a hinge loss), 0.5 for probabilities.
    pub fn state_with_threshold(&self, threshold: f32) -> MetricState {
        MetricState {
            kind: *self,
            total: 0.0,
            count: 0.0,
            binary_threshold: threshold,
            logits: false,
            collector: self.epoch_metric().map(EpochMetric::collector),
        }
    }
}

/// Running sum and count of one metric over the batches seen so far.
#[derive(Debug, Clone)]
pub struct MetricState {
    kind: MetricKind,
    total: f64,
    count: f64,
    binary_threshold: f32,
    logits: bool,
    collector: Option<Collector>,
}

fn invalid(msg: String) -> Error {
    Error::InvalidArgument { op: "metric", msg }
}

/// A shape problem of the predictions and targets given to a metric.
fn mismatch(pred: &Tensor, target: &Tensor, reason: String) -> Error {
    Error::ShapeMismatch {
        op: "metric",
        lhs: pred.dims().to_vec(),
        rhs: target.dims().to_vec(),
        reason,
    }
}

/// Rows of `[N, C]` predictions and their classes from a sparse or one-hot target.
fn rows_and_classes(
    pred: &Tensor,
    target: &Tensor,
    one_hot: bool,
) -> Result<(usize, usize, Vec<f32>, Vec<usize>)> {
    // Per-step predictions [N, T.., C] score every step as a row (token accuracy, as Keras).
    if pred.rank() >= 3 {
        let c = pred.dims()[pred.rank() - 1];
        let rows = pred.numel() / c.max(1);
        let target = if one_hot {
            target.reshape_to(&[rows, c])?
        } else {
            target.reshape_to(&[rows])?
        };
        return rows_and_classes(&pred.reshape_to(&[rows, c])?, &target, one_hot);
    }
    let n = pred.dims().first().copied().unwrap_or(0);
    if pred.rank() != 2 || n == 0 {
        return Err(invalid(format!(
            "categorical metrics need [N, C] predictions, got {:?}",
            pred.dims()
        )));
    }
    let c = pred.dims()[1];
    let p = pred.to_vec();
    let t = target.to_vec();
    let classes = if one_hot {
        if target.dims() != pred.dims() {
            return Err(mismatch(
                pred,
                target,
                "categorical accuracy: one-hot targets must have the prediction's shape".into(),
            ));
        }
        t.chunks(c).map(argmax).collect()
    } else {
        if t.len() != n {
            return Err(mismatch(
                pred,
                target,
                format!(
                    "sparse categorical accuracy: targets must hold one class per sample ({n})"
                ),
            ));
        }
        t.iter()
            .map(|&v| {
                if v >= 0.0 && v.fract() == 0.0 && (v as usize) < c {
                    Ok(v as usize)
                } else {
                    Err(invalid(format!("class index {v} is not in [0, {c})")))
                }
            })
            .collect::<Result<Vec<_>>>()?
    };
    Ok((n, c, p, classes))
}

/// Index of the first maximum.
fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = i;
        }
    }
    best
}

/// Whether the target is sparse for a categorical prediction (Keras' shape inference).
fn is_sparse(pred: &Tensor, target: &Tensor) -> bool {
    target.rank() + 1 == pred.rank()
        || (target.rank() == pred.rank()
            && target.dims().last() == Some(&1)
            && pred.dims().last().is_some_and(|&c| c > 1))
}

impl MetricState {
    /// The metric this state accumulates.
    pub fn kind(&self) -> MetricKind {
        self.kind
    }

    /// Whether the running value is cheap to read after every batch (false for AUC and PR-AUC,
    /// which rank every score of the epoch).
    pub fn is_incremental(&self) -> bool {
        !matches!(self.kind, MetricKind::Auc | MetricKind::PrAuc)
    }

    /// Marks multi-class scores as logits (softmax is applied before AUC and perplexity).
    pub fn with_logits(mut self, logits: bool) -> Self {
        self.logits = logits;
        self
    }

    /// Adds one batch of predictions and targets.
    pub fn update(&mut self, pred: &Tensor, target: &Tensor) -> Result<()> {
        if let Some(c) = &mut self.collector {
            return collect(c, pred, target, self.binary_threshold, self.logits);
        }
        let kind = match self.kind {
            MetricKind::Accuracy => {
                let binary = pred.dims() == target.dims()
                    && (pred.rank() == 1 || pred.dims().last() == Some(&1));
                if binary {
                    MetricKind::BinaryAccuracy {
                        threshold: self.binary_threshold,
                    }
                } else if is_sparse(pred, target) {
                    MetricKind::SparseCategoricalAccuracy
                } else {
                    MetricKind::CategoricalAccuracy
                }
            }
            other => other,
        };
        self.update_as(kind, pred, target)
    }

    fn update_as(&mut self, kind: MetricKind, pred: &Tensor, target: &Tensor) -> Result<()> {
        let (sum, count): (f64, f64) = match kind {
            MetricKind::Accuracy => return Err(invalid("accuracy must be resolved".into())),
            MetricKind::Precision
            | MetricKind::Recall
            | MetricKind::F1
            | MetricKind::Auc
            | MetricKind::PrAuc
            | MetricKind::Perplexity
            | MetricKind::Specificity
            | MetricKind::Rmse
            | MetricKind::R2 => {
                return Err(invalid(format!("{} is collected per epoch", kind.name())))
            }
            MetricKind::BinaryAccuracy { threshold } => {
                if pred.numel() != target.numel() {
                    return Err(mismatch(
                        pred,
                        target,
                        "binary accuracy needs targets of the prediction's size".into(),
                    ));
                }
                let p = pred.to_vec();
                let t = target.to_vec();
                let hits = p
                    .iter()
                    .zip(&t)
                    .filter(|(&p, &t)| (p > threshold) == (t > 0.5))
                    .count();
                (hits as f64, p.len() as f64)
            }
            MetricKind::CategoricalAccuracy | MetricKind::SparseCategoricalAccuracy => {
                let one_hot = kind == MetricKind::CategoricalAccuracy;
                let (n, c, p, classes) = rows_and_classes(pred, target, one_hot)?;
                let hits = p
                    .chunks(c)
                    .zip(&classes)
                    .filter(|(row, &cls)| argmax(row) == cls)
                    .count();
                (hits as f64, n as f64)
            }
            MetricKind::TopK { k } => {
                if k == 0 {
                    return Err(invalid("top-k accuracy needs k >= 1".into()));
                }
                let one_hot = !is_sparse(pred, target);
                let (n, c, p, classes) = rows_and_classes(pred, target, one_hot)?;
                let hits = p
                    .chunks(c)
                    .zip(&classes)
                    .filter(|(row, &cls)| {
                        let score = row[cls];
                        row.iter().filter(|&&v| v > score).count() < k
                    })
                    .count();
                (hits as f64, n as f64)
            }
            MetricKind::Mse | MetricKind::Mae => {
                if pred.dims() != target.dims() {
                    return Err(mismatch(
                        pred,
                        target,
                        format!("{} needs targets of the prediction's shape", kind.name()),
                    ));
                }
                let p = pred.to_vec();
                let t = target.to_vec();
                let sum = p
                    .iter()
                    .zip(&t)
                    .map(|(&a, &b)| {
                        let d = (a - b) as f64;
                        if kind == MetricKind::Mse {
                            d * d
                        } else {
                            d.abs()
                        }
                    })
                    .sum();
                (sum, p.len() as f64)
            }
        };
        self.total += sum;
        self.count += count;
        Ok(())
    }

    /// The running value (0 before any update).
    pub fn value(&self) -> f64 {
        if let (Some(m), Some(c)) = (self.kind.epoch_metric(), &self.collector) {
            return value(m, c);
        }
        if self.count == 0.0 {
            0.0
        } else {
            self.total / self.count
        }
    }

    /// Forgets every batch seen.
    pub fn reset(&mut self) {
        self.total = 0.0;
        self.count = 0.0;
        self.collector = self.kind.epoch_metric().map(EpochMetric::collector);
    }
}

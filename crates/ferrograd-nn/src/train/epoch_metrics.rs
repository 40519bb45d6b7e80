//! Metrics that need the whole epoch rather than a running mean: precision, recall and F1 (from
//! a confusion matrix), ROC-AUC and PR-AUC (from every score), and perplexity (exp of the mean
//! negative log-likelihood). Collected on the host by [`super::MetricState`].

use ferrograd_core::{Error, Result, Tensor};

use crate::eval::{
    average_precision, precision_recall_fscore, roc_auc, roc_auc_ovr, Average, ConfusionMatrix,
};

/// What a whole-epoch metric keeps between batches.
#[derive(Debug, Clone)]
pub(super) enum Collector {
    /// Predicted vs true classes (sized at the first batch: 2 for one-output models).
    Confusion(Option<ConfusionMatrix>),
    /// Every score row and its true class (`classes == 1`: one binary score per sample).
    Ranked {
        scores: Vec<f64>,
        labels: Vec<usize>,
        classes: usize,
    },
    /// Summed negative log-likelihood and token count.
    Nll { total: f64, count: f64 },
    /// Running sums of targets, squared targets and squared errors (for R² and RMSE).
    Moments {
        n: f64,
        sum: f64,
        sum_sq: f64,
        sse: f64,
    },
}

/// The kinds of whole-epoch metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EpochMetric {
    Precision,
    Recall,
    F1,
    RocAuc,
    PrAuc,
    Perplexity,
    Specificity,
    Rmse,
    R2,
}

impl EpochMetric {
    pub(super) fn collector(self) -> Collector {
        match self {
            EpochMetric::Precision
            | EpochMetric::Recall
            | EpochMetric::F1
            | EpochMetric::Specificity => Collector::Confusion(None),
            EpochMetric::Rmse | EpochMetric::R2 => Collector::Moments {
                n: 0.0,
                sum: 0.0,
                sum_sq: 0.0,
                sse: 0.0,
            },
            EpochMetric::RocAuc | EpochMetric::PrAuc => Collector::Ranked {
                scores: Vec::new(),
                labels: Vec::new(),
                classes: 0,
            },
            EpochMetric::Perplexity => Collector::Nll {
                total: 0.0,
                count: 0.0,
            },
        }
    }
}

fn mismatch(pred: &Tensor, target: &Tensor, reason: &str) -> Error {
    Error::ShapeMismatch {
        op: "metric",
        lhs: pred.dims().to_vec(),
        rhs: target.dims().to_vec(),
        reason: reason.into(),
    }
}

/// A one-output (binary) prediction: `[N]` or `[N, 1]` with a target of the same size.
fn is_binary(pred: &Tensor, target: &Tensor) -> bool {
    (pred.rank() == 1 || pred.dims().last() == Some(&1)) && pred.numel() == target.numel()
}

/// True class per row of `[N, C]` scores from sparse (`[N]`/`[N, 1]`) or one-hot targets.
fn classes_of(pred: &Tensor, target: &Tensor) -> Result<(usize, Vec<usize>)> {
    let (n, c) = match pred.dims() {
        [n, c] if *n > 0 && *c >= 2 => (*n, *c),
        _ => {
            return Err(mismatch(
                pred,
                target,
                "needs [N, C] scores (C >= 2) or one output per sample",
            ))
        }
    };
    let t = target.to_vec();
    let labels = if t.len() == n {
        t.iter()
            .map(|&v| {
                if v >= 0.0 && v.fract() == 0.0 && (v as usize) < c {
                    Ok(v as usize)
                } else {
                    Err(Error::InvalidArgument {
                        op: "metric",
                        msg: format!("class index {v} is not in [0, {c})"),
                    })
                }
            })
            .collect::<Result<Vec<_>>>()?
    } else if t.len() == n * c {
        t.chunks(c)
            .map(|row| {
                (0..c)
                    .max_by(|&a, &b| row[a].total_cmp(&row[b]).then(b.cmp(&a)))
                    .unwrap_or(0)
            })
            .collect()
    } else {
        return Err(mismatch(
            pred,
            target,
            "targets must be class indices or one-hot rows",
        ));
    };
    Ok((c, labels))
}

fn softmax_rows(values: &mut [f64], c: usize) {
    for row in values.chunks_mut(c) {
        let max = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = row.iter().map(|v| (v - max).exp()).sum();
        for v in row.iter_mut() {
            *v = (*v - max).exp() / sum;
        }
    }
}

/// Adds one batch. `threshold` splits binary scores; `logits` says scores are pre-softmax.
pub(super) fn collect(
    collector: &mut Collector,
    pred: &Tensor,
    target: &Tensor,
    threshold: f32,
    logits: bool,
) -> Result<()> {
    match collector {
        Collector::Confusion(cm) => {
            let (c, truth, predicted) = if is_binary(pred, target) {
                let p = pred.to_vec();
                let t = target.to_vec();
                (
                    2,
                    t.iter().map(|&v| usize::from(v > 0.5)).collect::<Vec<_>>(),
                    p.iter()
                        .map(|&v| usize::from(v > threshold))
                        .collect::<Vec<_>>(),
                )
            } else {
                let (c, truth) = classes_of(pred, target)?;
                let p = pred.to_vec();
                let predicted = p
                    .chunks(c)
                    .map(|row| {
                        (0..c)
                            .max_by(|&a, &b| row[a].total_cmp(&row[b]).then(b.cmp(&a)))
                            .unwrap_or(0)
                    })
                    .collect();
                (c, truth, predicted)
            };
            let m = match cm {
                Some(m) if m.classes() == c => m,
                Some(m) => {
                    return Err(Error::InvalidArgument {
                        op: "metric",
                        msg: format!(
                            "batches disagree on the number of classes ({} vs {c})",
                            m.classes()
                        ),
                    })
                }
                None => cm.insert(ConfusionMatrix::new(c)?),
            };
            m.update(&truth, &predicted)
        }
        Collector::Ranked {
            scores,
            labels,
            classes,
        } => {
            let (c, truth, mut values) = if is_binary(pred, target) {
                let t = target.to_vec();
                let truth = t.iter().map(|&v| usize::from(v > 0.5)).collect();
                (
                    1,
                    truth,
                    pred.to_vec().iter().map(|&v| v as f64).collect::<Vec<_>>(),
                )
            } else {
                let (c, truth) = classes_of(pred, target)?;
                (
                    c,
                    truth,
                    pred.to_vec().iter().map(|&v| v as f64).collect::<Vec<_>>(),
                )
            };
            if *classes != 0 && *classes != c {
                return Err(Error::InvalidArgument {
                    op: "metric",
                    msg: format!("batches disagree on the number of classes ({classes} vs {c})"),
                });
            }
            if c > 1 && logits {
                softmax_rows(&mut values, c);
            }
            *classes = c;
            scores.extend(values);
            labels.extend(truth);
            Ok(())
        }
        Collector::Moments {
            n,
            sum,
            sum_sq,
            sse,
        } => {
            if pred.dims() != target.dims() {
                return Err(mismatch(
                    pred,
                    target,
                    "regression metrics need targets of the prediction's shape",
                ));
            }
            for (&p, &t) in pred.to_vec().iter().zip(&target.to_vec()) {
                let (p, t) = (p as f64, t as f64);
                *n += 1.0;
                *sum += t;
                *sum_sq += t * t;
                *sse += (t - p) * (t - p);
            }
            Ok(())
        }
        Collector::Nll { total, count } => {
            let v = *pred.dims().last().unwrap_or(&0);
            if v < 2 || pred.numel() != target.numel() * v {
                return Err(mismatch(
                    pred,
                    target,
                    "perplexity needs [..., V] scores and one class index per position",
                ));
            }
            let mut p: Vec<f64> = pred.to_vec().iter().map(|&x| x as f64).collect();
            if logits {
                softmax_rows(&mut p, v);
            }
            for (row, &t) in p.chunks(v).zip(&target.to_vec()) {
                if !(t >= 0.0 && t.fract() == 0.0 && (t as usize) < v) {
                    return Err(Error::InvalidArgument {
                        op: "metric",
                        msg: format!("class index {t} is not in [0, {v})"),
                    });
                }
                *total -= row[t as usize].max(1e-12).ln();
                *count += 1.0;
            }
            Ok(())
        }
    }
}

/// The metric over everything collected (0 before any batch, and for an AUC whose batches held
/// a single class, as Keras).
pub(super) fn value(metric: EpochMetric, collector: &Collector) -> f64 {
    match (metric, collector) {
        (_, Collector::Confusion(None)) => 0.0,
        (m, Collector::Confusion(Some(cm))) => {
            let average = if cm.classes() == 2 {
                Average::Binary { positive: 1 }
            } else {
                Average::Macro
            };
            let Ok(s) = precision_recall_fscore(cm, 1.0, average, None) else {
                return 0.0;
            };
            match m {
                EpochMetric::Precision => s.average.0,
                EpochMetric::Recall => s.average.1,
                EpochMetric::Specificity => crate::eval::specificity(cm, average, None)
                    .map(|(_, v)| v)
                    .unwrap_or(0.0),
                _ => s.average.2,
            }
        }
        (
            m,
            Collector::Ranked {
                scores,
                labels,
                classes,
            },
        ) => {
            if labels.is_empty() {
                return 0.0;
            }
            let result = if *classes == 1 {
                let truth: Vec<bool> = labels.iter().map(|&l| l == 1).collect();
                if m == EpochMetric::RocAuc {
                    roc_auc(&truth, scores)
                } else {
                    average_precision(&truth, scores)
                }
            } else if m == EpochMetric::RocAuc {
                roc_auc_ovr(labels, scores, *classes, false)
            } else {
                // Macro average precision, one class against the rest.
                (0..*classes)
                    .map(|k| {
                        let truth: Vec<bool> = labels.iter().map(|&l| l == k).collect();
                        let column: Vec<f64> =
                            scores.iter().skip(k).step_by(*classes).copied().collect();
                        average_precision(&truth, &column)
                    })
                    .collect::<Result<Vec<_>>>()
                    .map(|v| v.iter().sum::<f64>() / v.len() as f64)
            };
            result.unwrap_or(0.0)
        }
        (
            m,
            Collector::Moments {
                n,
                sum,
                sum_sq,
                sse,
            },
        ) => {
            if *n == 0.0 {
                return 0.0;
            }
            if m == EpochMetric::Rmse {
                return (sse / n).sqrt();
            }
            // R² over all elements seen (one output, or all outputs pooled).
            let ss_tot = sum_sq - sum * sum / n;
            if ss_tot <= 0.0 {
                return if *sse == 0.0 { 1.0 } else { 0.0 };
            }
            1.0 - sse / ss_tot
        }
        (_, Collector::Nll { total, count }) => {
            if *count == 0.0 {
                0.0
            } else {
                (total / count).exp()
            }
        }
    }
}

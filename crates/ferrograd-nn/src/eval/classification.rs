//! Classification scores from a [`ConfusionMatrix`], with scikit-learn's definitions:
//! precision, recall (sensitivity, TPR), specificity (selectivity, TNR), F-beta, with binary,
//! micro, macro and weighted averaging; Matthews correlation and Cohen's kappa.
//!
//! As scikit-learn, a ratio whose denominator is 0 counts as 0 (`zero_division=0`), and averages
//! run over the classes that occur in the truth or the predictions unless classes are listed.

use ferrograd_core::{Error, Result};

use super::ConfusionMatrix;

/// How per-class scores are combined (scikit-learn's `average=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Average {
    /// The score of one class, the positive one (scikit-learn's `average='binary'`).
    Binary {
        /// The positive class.
        positive: usize,
    },
    /// Scores from the total TP/FP/FN over classes (equals accuracy for single-label data).
    Micro,
    /// Unweighted mean of the per-class scores.
    Macro,
    /// Mean of the per-class scores weighted by their support.
    Weighted,
}

/// Per-class precision, recall, F-beta and support, and their average.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// The classes the per-class vectors describe, in order.
    pub classes: Vec<usize>,
    /// Precision `TP / (TP + FP)` per class.
    pub precision: Vec<f64>,
    /// Recall `TP / (TP + FN)` per class.
    pub recall: Vec<f64>,
    /// F-beta per class.
    pub fscore: Vec<f64>,
    /// True samples per class.
    pub support: Vec<u64>,
    /// The averaged `(precision, recall, fscore)`.
    pub average: (f64, f64, f64),
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

fn fbeta(p: f64, r: f64, beta: f64) -> f64 {
    let b2 = beta * beta;
    let den = b2 * p + r;
    if den == 0.0 {
        0.0
    } else {
        (1.0 + b2) * p * r / den
    }
}

/// The classes scored when none are listed: those occurring in the truth or the predictions.
pub fn present_classes(cm: &ConfusionMatrix) -> Vec<usize> {
    (0..cm.classes())
        .filter(|&c| cm.support(c) > 0 || cm.true_positives(c) + cm.false_positives(c) > 0)
        .collect()
}

/// Precision, recall and F-beta (`beta = 1` for F1) over `classes` (default: those present),
/// averaged by `average`.
pub fn precision_recall_fscore(
    cm: &ConfusionMatrix,
    beta: f64,
    average: Average,
    classes: Option<&[usize]>,
) -> Result<Scores> {
    if !(beta.is_finite() && beta > 0.0) {
        return Err(Error::InvalidArgument {
            op: "fbetaScore",
            msg: format!("beta must be finite and > 0, got {beta}"),
        });
    }
    let classes: Vec<usize> = match (average, classes) {
        (Average::Binary { positive }, _) => {
            if positive >= cm.classes() {
                return Err(Error::InvalidArgument {
                    op: "precisionRecallFscore",
                    msg: format!("positive class {positive} is not in [0, {})", cm.classes()),
                });
            }
            vec![positive]
        }
        (_, Some(list)) => {
            if let Some(&bad) = list.iter().find(|&&c| c >= cm.classes()) {
                return Err(Error::InvalidArgument {
                    op: "precisionRecallFscore",
                    msg: format!("class {bad} is not in [0, {})", cm.classes()),
                });
            }
            list.to_vec()
        }
        (_, None) => present_classes(cm),
    };
    let mut s = Scores {
        classes: classes.clone(),
        precision: Vec::new(),
        recall: Vec::new(),
        fscore: Vec::new(),
        support: Vec::new(),
        average: (0.0, 0.0, 0.0),
    };
    for &c in &classes {
        let (tp, fp, fn_) = (
            cm.true_positives(c),
            cm.false_positives(c),
            cm.false_negatives(c),
        );
        let (p, r) = (ratio(tp, tp + fp), ratio(tp, tp + fn_));
        s.precision.push(p);
        s.recall.push(r);
        s.fscore.push(fbeta(p, r, beta));
        s.support.push(cm.support(c));
    }
    let mean = |v: &[f64], w: Option<&[u64]>| -> f64 {
        match w {
            None if v.is_empty() => 0.0,
            None => v.iter().sum::<f64>() / v.len() as f64,
            Some(w) => {
                let total: u64 = w.iter().sum();
                if total == 0 {
                    0.0
                } else {
                    v.iter().zip(w).map(|(x, &n)| x * n as f64).sum::<f64>() / total as f64
                }
            }
        }
    };
    s.average = match average {
        Average::Binary { .. } => (s.precision[0], s.recall[0], s.fscore[0]),
        Average::Micro => {
            let tp: u64 = classes.iter().map(|&c| cm.true_positives(c)).sum();
            let fp: u64 = classes.iter().map(|&c| cm.false_positives(c)).sum();
            let fn_: u64 = classes.iter().map(|&c| cm.false_negatives(c)).sum();
            let (p, r) = (ratio(tp, tp + fp), ratio(tp, tp + fn_));
            (p, r, fbeta(p, r, beta))
        }
        Average::Macro => (
            mean(&s.precision, None),
            mean(&s.recall, None),
            mean(&s.fscore, None),
        ),
        Average::Weighted => (
            mean(&s.precision, Some(&s.support)),
            mean(&s.recall, Some(&s.support)),
            mean(&s.fscore, Some(&s.support)),
        ),
    };
    Ok(s)
}

/// Specificity (selectivity, TNR) `TN / (TN + FP)` of each class in `classes` (default: those
/// present) and their average (`Binary`: the positive class; `Micro`: pooled counts; `Macro`;
/// `Weighted` by support).
pub fn specificity(
    cm: &ConfusionMatrix,
    average: Average,
    classes: Option<&[usize]>,
) -> Result<(Vec<f64>, f64)> {
    let classes: Vec<usize> = match (average, classes) {
        (Average::Binary { positive }, _) if positive < cm.classes() => vec![positive],
        (Average::Binary { positive }, _) => {
            return Err(Error::InvalidArgument {
                op: "specificity",
                msg: format!("positive class {positive} is not in [0, {})", cm.classes()),
            })
        }
        (_, Some(list)) => list.to_vec(),
        (_, None) => present_classes(cm),
    };
    let per: Vec<f64> = classes
        .iter()
        .map(|&c| {
            ratio(
                cm.true_negatives(c),
                cm.true_negatives(c) + cm.false_positives(c),
            )
        })
        .collect();
    let avg = match average {
        Average::Binary { .. } => per[0],
        Average::Micro => {
            let tn: u64 = classes.iter().map(|&c| cm.true_negatives(c)).sum();
            let fp: u64 = classes.iter().map(|&c| cm.false_positives(c)).sum();
            ratio(tn, tn + fp)
        }
        Average::Macro if per.is_empty() => 0.0,
        Average::Macro => per.iter().sum::<f64>() / per.len() as f64,
        Average::Weighted => {
            let w: Vec<u64> = classes.iter().map(|&c| cm.support(c)).collect();
            let total: u64 = w.iter().sum();
            if total == 0 {
                0.0
            } else {
                per.iter().zip(&w).map(|(x, &n)| x * n as f64).sum::<f64>() / total as f64
            }
        }
    };
    Ok((per, avg))
}

/// Row sums (true counts), column sums (predicted counts), trace and total, as f64.
fn marginals(cm: &ConfusionMatrix) -> (Vec<f64>, Vec<f64>, f64, f64) {
    let n = cm.classes();
    let t: Vec<f64> = (0..n).map(|c| cm.support(c) as f64).collect();
    let p: Vec<f64> = (0..n)
        .map(|c| (0..n).map(|r| cm.get(r, c)).sum::<u64>() as f64)
        .collect();
    let trace = (0..n).map(|c| cm.get(c, c)).sum::<u64>() as f64;
    (t, p, trace, cm.total() as f64)
}

/// Matthews correlation coefficient (multi-class form, as scikit-learn); 0 when undefined.
pub fn matthews_corrcoef(cm: &ConfusionMatrix) -> f64 {
    let (t, p, c, s) = marginals(cm);
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let cov_tp = c * s - dot(&t, &p);
    let cov_pp = s * s - dot(&p, &p);
    let cov_tt = s * s - dot(&t, &t);
    let den = (cov_tt * cov_pp).sqrt();
    if den == 0.0 {
        0.0
    } else {
        cov_tp / den
    }
}

/// Cohen's kappa `(p_o - p_e) / (1 - p_e)` (agreement beyond chance); NaN when `p_e = 1`, as
/// scikit-learn.
pub fn cohen_kappa(cm: &ConfusionMatrix) -> f64 {
    let (t, p, c, s) = marginals(cm);
    if s == 0.0 {
        return f64::NAN;
    }
    let po = c / s;
    let pe = t.iter().zip(&p).map(|(a, b)| a * b).sum::<f64>() / (s * s);
    if pe == 1.0 {
        return f64::NAN;
    }
    (po - pe) / (1.0 - pe)
}

//! [`ConfusionMatrix`]: counts of (true class, predicted class) pairs, accumulated over batches.

use ferrograd_core::{Error, Result};

fn invalid(msg: String) -> Error {
    Error::InvalidArgument {
        op: "confusionMatrix",
        msg,
    }
}

/// `counts[t * n + p]` = number of samples of true class `t` predicted as `p` (rows are the
/// truth, columns the prediction, as scikit-learn's `confusion_matrix`).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfusionMatrix {
    n: usize,
    counts: Vec<u64>,
}

impl ConfusionMatrix {
    /// An empty matrix over `n >= 1` classes.
    pub fn new(n: usize) -> Result<Self> {
        if n == 0 {
            return Err(invalid("needs at least one class".into()));
        }
        let len = n
            .checked_mul(n)
            .filter(|&l| l <= 1 << 24)
            .ok_or_else(|| invalid(format!("{n} classes is too many")))?;
        Ok(ConfusionMatrix {
            n,
            counts: vec![0; len],
        })
    }

    /// A matrix from paired labels in `0..n`.
    pub fn from_labels(y_true: &[usize], y_pred: &[usize], n: usize) -> Result<Self> {
        let mut m = ConfusionMatrix::new(n)?;
        m.update(y_true, y_pred)?;
        Ok(m)
    }

    /// Adds pairs of labels (same length, each in `0..n`).
    pub fn update(&mut self, y_true: &[usize], y_pred: &[usize]) -> Result<()> {
        if y_true.len() != y_pred.len() {
            return Err(invalid(format!(
                "{} true labels but {} predicted labels",
                y_true.len(),
                y_pred.len()
            )));
        }
        if let Some(&bad) = y_true.iter().chain(y_pred).find(|&&c| c >= self.n) {
            return Err(invalid(format!(
                "label {bad} is not in [0, {}) (pass the number of classes)",
                self.n
            )));
        }
        for (&t, &p) in y_true.iter().zip(y_pred) {
            self.counts[t * self.n + p] += 1;
        }
        Ok(())
    }

    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.n
    }

    /// Samples of true class `t` predicted as `p`.
    pub fn get(&self, t: usize, p: usize) -> u64 {
        self.counts[t * self.n + p]
    }

    /// The counts, row-major (`[true][predicted]`).
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// All samples counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Samples of class `c` predicted as `c`.
    pub fn true_positives(&self, c: usize) -> u64 {
        self.get(c, c)
    }

    /// Samples of other classes predicted as `c`.
    pub fn false_positives(&self, c: usize) -> u64 {
        (0..self.n)
            .filter(|&t| t != c)
            .map(|t| self.get(t, c))
            .sum()
    }

    /// Samples of class `c` predicted as another class.
    pub fn false_negatives(&self, c: usize) -> u64 {
        (0..self.n)
            .filter(|&p| p != c)
            .map(|p| self.get(c, p))
            .sum()
    }

    /// Samples neither of class `c` nor predicted as `c`.
    pub fn true_negatives(&self, c: usize) -> u64 {
        self.total() - self.true_positives(c) - self.false_positives(c) - self.false_negatives(c)
    }

    /// Samples whose true class is `c`.
    pub fn support(&self, c: usize) -> u64 {
        (0..self.n).map(|p| self.get(c, p)).sum()
    }

    /// Fraction of samples on the diagonal (0 for an empty matrix).
    pub fn accuracy(&self) -> f64 {
        let total = self.total();
        if total == 0 {
            return 0.0;
        }
        (0..self.n).map(|c| self.get(c, c)).sum::<u64>() as f64 / total as f64
    }
}

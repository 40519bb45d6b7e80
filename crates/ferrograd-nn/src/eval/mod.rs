//! Evaluation metrics computed on the host from labels and scores (f64), with scikit-learn's
//! definitions: confusion matrices, precision/recall/specificity/F-beta with averaging, Matthews
//! correlation, Cohen's kappa, ROC and precision-recall curves with their areas, log-loss,
//! regression scores, and BLEU. The streaming forms used by `fit` live in [`crate::train`].

mod classification;
mod confusion;
mod curves;
mod regression;
mod text;

pub use classification::{
    cohen_kappa, matthews_corrcoef, precision_recall_fscore, present_classes, specificity, Average,
    Scores,
};
pub use confusion::ConfusionMatrix;
pub use curves::{
    auc, average_precision, precision_recall_curve, roc_auc, roc_auc_ovr, roc_curve, Curve,
};
pub use regression::{
    log_loss, mean_absolute_error, mean_absolute_percentage_error, mean_squared_error, r2_score,
    root_mean_squared_error,
};
pub use text::{bleu, modified_precision, perplexity, Bleu, BleuOptions, RefLength};

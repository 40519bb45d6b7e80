#!/usr/bin/env python3
"""Generates fixtures/sklearn/metrics.json: scikit-learn reference values for every evaluation
metric in crates/ferrograd-nn/src/eval/ (checked by crates/ferrograd-nn/tests/eval_parity.rs and
the ava suite), plus corpus BLEU from NLTK.

Run with Debian's interpreter after `apt-get install python3-sklearn python3-nltk`
(scikit-learn 1.2.1, NLTK 3.8):

    /usr/bin/python3 scripts/gen_sklearn_fixtures.py

Deterministic: rerunning produces an identical file.
"""
import json
import os
import warnings

import numpy as np
import sklearn
from sklearn import metrics as M

warnings.filterwarnings("ignore")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "sklearn", "metrics.json")
RNG = np.random.default_rng(20261122)


def f(x):
    return [float(v) for v in np.asarray(x, dtype=np.float64).reshape(-1)]


def i(x):
    return [int(v) for v in np.asarray(x).reshape(-1)]


classification = []


def add_classification(name, y_true, y_pred, classes):
    case = {"name": name, "y_true": i(y_true), "y_pred": i(y_pred), "classes": classes}
    labels = list(range(classes))
    case["confusion"] = i(M.confusion_matrix(y_true, y_pred, labels=labels))
    case["accuracy"] = float(M.accuracy_score(y_true, y_pred))
    case["mcc"] = float(M.matthews_corrcoef(y_true, y_pred))
    case["kappa"] = float(M.cohen_kappa_score(y_true, y_pred))
    scores = {}
    averages = ["micro", "macro", "weighted"] + (["binary"] if classes == 2 else [])
    for avg in averages:
        for beta in [1.0, 0.5, 2.0]:
            p, r, fb, _ = M.precision_recall_fscore_support(y_true, y_pred, beta=beta, average=avg, zero_division=0)
            scores[f"{avg}/{beta}"] = [float(p), float(r), float(fb)]
    p, r, fb, s = M.precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=0)
    present = sorted(set(i(y_true)) | set(i(y_pred)))
    case["per_class"] = {"classes": present, "precision": f(p), "recall": f(r), "f1": f(fb), "support": i(s)}
    case["scores"] = scores
    case["report"] = M.classification_report(y_true, y_pred, digits=2, zero_division=0)
    if classes == 2:
        # Specificity is the recall of the negative class.
        case["specificity"] = float(M.recall_score(y_true, y_pred, pos_label=0, zero_division=0))
    classification.append(case)


# The course notes' cancer example: 8 cancer (positive) patients, 4 healthy; TP 6, FN 2, FP 1, TN 3.
add_classification("course_notes_cancer", [1] * 8 + [0] * 4, [1] * 6 + [0] * 2 + [1] + [0] * 3, 2)
add_classification("binary_random", RNG.integers(0, 2, 40), RNG.integers(0, 2, 40), 2)
add_classification("three_classes", RNG.integers(0, 3, 60), RNG.integers(0, 3, 60), 3)
# Class 3 never occurs (neither true nor predicted): averages skip it.
add_classification("four_classes_one_absent", RNG.integers(0, 3, 50), RNG.integers(0, 3, 50), 4)

curves = []


def add_curve(name, y_true, scores):
    fpr, tpr, thr = M.roc_curve(y_true, scores)
    p, r, pthr = M.precision_recall_curve(y_true, scores)
    curves.append({
        "name": name, "y_true": i(y_true), "scores": f(scores),
        "roc": {"fpr": f(fpr), "tpr": f(tpr), "thresholds": f(thr)},
        "roc_auc": float(M.roc_auc_score(y_true, scores)),
        "pr": {"precision": f(p), "recall": f(r), "thresholds": f(pthr)},
        "average_precision": float(M.average_precision_score(y_true, scores)),
    })


add_curve("distinct_scores", RNG.integers(0, 2, 30), RNG.random(30))
add_curve("tied_scores", RNG.integers(0, 2, 40), np.round(RNG.random(40) * 5) / 5)
add_curve("sklearn_doc_example", [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])

multiclass = []
y = RNG.integers(0, 3, 45)
logits = RNG.normal(size=(45, 3)) + np.eye(3)[y] * 1.5
probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
multiclass.append({
    "name": "ovr_three_classes", "labels": i(y), "probs": f(probs), "classes": 3,
    "roc_auc_macro": float(M.roc_auc_score(y, probs, multi_class="ovr", average="macro")),
    "roc_auc_weighted": float(M.roc_auc_score(y, probs, multi_class="ovr", average="weighted")),
    "log_loss": float(M.log_loss(y, probs, labels=[0, 1, 2])),
})
yb = RNG.integers(0, 2, 20)
pb = np.clip(RNG.random(20), 0.0, 1.0)
pb[0] = 0.0  # exercises the clipping
multiclass.append({
    "name": "binary_log_loss", "labels": i(yb), "probs": f(np.stack([1 - pb, pb], 1)), "classes": 2,
    "log_loss": float(M.log_loss(yb, pb, labels=[0, 1])),
})

regression = []


def add_regression(name, y_true, y_pred):
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    outputs = 1 if y_true.ndim == 1 else y_true.shape[1]
    mse = M.mean_squared_error(y_true, y_pred)
    rmse = M.mean_squared_error(y_true, y_pred, squared=False)
    regression.append({
        "name": name, "y_true": f(y_true), "y_pred": f(y_pred), "outputs": outputs,
        "mse": float(mse), "rmse": float(rmse), "mae": float(M.mean_absolute_error(y_true, y_pred)),
        "mape": float(M.mean_absolute_percentage_error(y_true, y_pred)), "r2": float(M.r2_score(y_true, y_pred)),
    })


yt = RNG.normal(size=25) * 3 + 1
add_regression("one_output", yt, yt + RNG.normal(size=25))
yt2 = RNG.normal(size=(20, 3))
add_regression("three_outputs", yt2, yt2 * 0.8 + RNG.normal(size=(20, 3)) * 0.3)
add_regression("constant_target", [2.0] * 6, [2.0, 2.1, 1.9, 2.0, 2.0, 2.2])

bleu = []
try:
    from nltk.translate.bleu_score import corpus_bleu

    def add_bleu(name, candidates, references):
        c = [s.split() for s in candidates]
        r = [[x.split() for x in refs] for refs in references]
        bleu.append({"name": name, "candidates": candidates, "references": references,
                     "bleu4": float(corpus_bleu(r, c)),
                     "bleu2": float(corpus_bleu(r, c, weights=(0.5, 0.5)))})

    add_bleu("two_sentences",
             ["the cat sat on the mat today", "there is a small cat on the red mat"],
             [["the cat sat on the mat", "a cat was sitting on the mat today"],
              ["there is a cat on the mat", "a small cat is on the red mat"]])
    add_bleu("short_candidate", ["the cat is on the mat"], [["the cat is on the mat and it sleeps", "there is a cat on the mat"]])
except ImportError:
    print("nltk not installed: no BLEU cases")

with open(OUT, "w") as fh:
    json.dump({"generator": "scripts/gen_sklearn_fixtures.py", "sklearn": sklearn.__version__,
               "classification": classification, "curves": curves, "multiclass": multiclass,
               "regression": regression, "bleu": bleu}, fh, indent=1)
print(f"wrote {OUT}")

//! Evaluation metrics against scikit-learn 1.2 (and NLTK's corpus BLEU):
//! `fixtures/sklearn/metrics.json` from `scripts/gen_sklearn_fixtures.py`, plus the course
//! notes' worked examples.

use ferrograd_nn::eval::*;
use serde_json::Value;

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/sklearn/metrics.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

fn close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-9 + 1e-9 * want.abs(),
        "{what}: {got} vs {want}"
    );
}

fn close_all(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths {got:?} vs {want:?}");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        close(*g, *w, &format!("{what}[{k}]"));
    }
}

#[test]
fn classification_scores_match_scikit_learn() {
    let fx = fixture();
    let cases = fx["classification"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let n = case["classes"].as_u64().unwrap() as usize;
        let cm =
            ConfusionMatrix::from_labels(&usizes(&case["y_true"]), &usizes(&case["y_pred"]), n)
                .unwrap();
        let counts: Vec<usize> = cm.counts().iter().map(|&c| c as usize).collect();
        assert_eq!(counts, usizes(&case["confusion"]), "{name}");
        close(
            cm.accuracy(),
            case["accuracy"].as_f64().unwrap(),
            &format!("{name} accuracy"),
        );
        close(
            matthews_corrcoef(&cm),
            case["mcc"].as_f64().unwrap(),
            &format!("{name} mcc"),
        );
        close(
            cohen_kappa(&cm),
            case["kappa"].as_f64().unwrap(),
            &format!("{name} kappa"),
        );
        for (key, want) in case["scores"].as_object().unwrap() {
            let (avg, beta) = key.split_once('/').unwrap();
            let average = match avg {
                "micro" => Average::Micro,
                "macro" => Average::Macro,
                "weighted" => Average::Weighted,
                "binary" => Average::Binary { positive: 1 },
                other => panic!("{other}"),
            };
            let s = precision_recall_fscore(&cm, beta.parse().unwrap(), average, None).unwrap();
            close_all(
                &[s.average.0, s.average.1, s.average.2],
                &f64s(want),
                &format!("{name} {key}"),
            );
        }
        let per = precision_recall_fscore(&cm, 1.0, Average::Macro, None).unwrap();
        assert_eq!(per.classes, usizes(&case["per_class"]["classes"]), "{name}");
        close_all(&per.precision, &f64s(&case["per_class"]["precision"]), name);
        close_all(&per.recall, &f64s(&case["per_class"]["recall"]), name);
        close_all(&per.fscore, &f64s(&case["per_class"]["f1"]), name);
        if let Some(want) = case.get("specificity") {
            let (_, spec) = specificity(&cm, Average::Binary { positive: 1 }, None).unwrap();
            close(spec, want.as_f64().unwrap(), &format!("{name} specificity"));
        }
    }
}

#[test]
fn the_course_notes_cancer_example_gives_f1_exactly_0_8() {
    // TP 6, FN 2, FP 1, TN 3 (positive = cancer = class 1).
    let y_true = [vec![1; 8], vec![0; 4]].concat();
    let y_pred = [vec![1; 6], vec![0; 2], vec![1], vec![0; 3]].concat();
    let cm = ConfusionMatrix::from_labels(&y_true, &y_pred, 2).unwrap();
    assert_eq!(
        (
            cm.true_positives(1),
            cm.false_negatives(1),
            cm.false_positives(1),
            cm.true_negatives(1)
        ),
        (6, 2, 1, 3)
    );
    let s = precision_recall_fscore(&cm, 1.0, Average::Binary { positive: 1 }, None).unwrap();
    assert_eq!(s.average.1, 0.75, "TPR");
    assert_eq!(s.average.0, 6.0 / 7.0, "precision");
    assert!((s.average.2 - 0.8).abs() < 1e-15, "F1 {}", s.average.2);
    assert_eq!(
        specificity(&cm, Average::Binary { positive: 1 }, None)
            .unwrap()
            .1,
        0.75,
        "TNR"
    );
}

#[test]
fn curves_and_areas_match_scikit_learn() {
    let fx = fixture();
    for case in fx["curves"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let y: Vec<bool> = usizes(&case["y_true"]).iter().map(|&v| v == 1).collect();
        let s = f64s(&case["scores"]);
        let roc = roc_curve(&y, &s).unwrap();
        close_all(&roc.x, &f64s(&case["roc"]["fpr"]), &format!("{name} fpr"));
        close_all(&roc.y, &f64s(&case["roc"]["tpr"]), &format!("{name} tpr"));
        close_all(
            &roc.thresholds,
            &f64s(&case["roc"]["thresholds"]),
            &format!("{name} thresholds"),
        );
        close(
            roc_auc(&y, &s).unwrap(),
            case["roc_auc"].as_f64().unwrap(),
            &format!("{name} auc"),
        );
        let pr = precision_recall_curve(&y, &s).unwrap();
        close_all(
            &pr.y,
            &f64s(&case["pr"]["precision"]),
            &format!("{name} precision"),
        );
        close_all(
            &pr.x,
            &f64s(&case["pr"]["recall"]),
            &format!("{name} recall"),
        );
        close_all(
            &pr.thresholds,
            &f64s(&case["pr"]["thresholds"]),
            &format!("{name} pr thresholds"),
        );
        close(
            average_precision(&y, &s).unwrap(),
            case["average_precision"].as_f64().unwrap(),
            &format!("{name} ap"),
        );
    }
    for case in fx["multiclass"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let labels = usizes(&case["labels"]);
        let probs = f64s(&case["probs"]);
        let k = case["classes"].as_u64().unwrap() as usize;
        close(
            log_loss(&labels, &probs, k, 1e-15).unwrap(),
            case["log_loss"].as_f64().unwrap(),
            &format!("{name} log loss"),
        );
        if let Some(want) = case.get("roc_auc_macro") {
            close(
                roc_auc_ovr(&labels, &probs, k, false).unwrap(),
                want.as_f64().unwrap(),
                name,
            );
            close(
                roc_auc_ovr(&labels, &probs, k, true).unwrap(),
                case["roc_auc_weighted"].as_f64().unwrap(),
                name,
            );
        }
    }
    assert!(
        roc_curve(&[true, true], &[0.1, 0.2]).is_err(),
        "one class only"
    );
}

#[test]
fn regression_scores_match_scikit_learn() {
    for case in fixture()["regression"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (t, p) = (f64s(&case["y_true"]), f64s(&case["y_pred"]));
        let k = case["outputs"].as_u64().unwrap() as usize;
        close(
            mean_squared_error(&t, &p, k).unwrap(),
            case["mse"].as_f64().unwrap(),
            &format!("{name} mse"),
        );
        close(
            root_mean_squared_error(&t, &p, k).unwrap(),
            case["rmse"].as_f64().unwrap(),
            &format!("{name} rmse"),
        );
        close(
            mean_absolute_error(&t, &p, k).unwrap(),
            case["mae"].as_f64().unwrap(),
            &format!("{name} mae"),
        );
        close(
            mean_absolute_percentage_error(&t, &p, k).unwrap(),
            case["mape"].as_f64().unwrap(),
            &format!("{name} mape"),
        );
        close(
            r2_score(&t, &p, k).unwrap(),
            case["r2"].as_f64().unwrap(),
            &format!("{name} r2"),
        );
    }
}

fn tokens(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

#[test]
fn bleu_matches_nltk_and_the_course_notes_examples() {
    for case in fixture()["bleu"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let cands: Vec<Vec<String>> = case["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| tokens(c.as_str().unwrap()))
            .collect();
        let refs: Vec<Vec<Vec<String>>> = case["references"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|s| tokens(s.as_str().unwrap()))
                    .collect()
            })
            .collect();
        let b4 = bleu(&cands, &refs, &BleuOptions::default()).unwrap();
        close(
            b4.score,
            case["bleu4"].as_f64().unwrap(),
            &format!("{name} bleu4"),
        );
        let b2 = bleu(
            &cands,
            &refs,
            &BleuOptions {
                max_n: 2,
                ..BleuOptions::default()
            },
        )
        .unwrap();
        close(
            b2.score,
            case["bleu2"].as_f64().unwrap(),
            &format!("{name} bleu2"),
        );
    }
    // The notes: "the the the the the the the" against "the cat is on the mat" and "there is a cat
    // on the mat": plain unigram precision 7/7, modified (clipped) precision 2/7.
    let refs = vec![
        tokens("the cat is on the mat"),
        tokens("there is a cat on the mat"),
    ];
    let sevens = tokens("the the the the the the the");
    assert_eq!(modified_precision(&sevens, &refs, 1), (2, 7));
    // "the the cat": unigram (1 + 1 + 1) / 3 = 1, bigram (0 + 1) / 2.
    let ttc = tokens("the the cat");
    assert_eq!(modified_precision(&ttc, &refs, 1), (3, 3));
    assert_eq!(modified_precision(&ttc, &refs, 2), (1, 2));
    let b = bleu(
        &[ttc],
        &[refs],
        &BleuOptions {
            max_n: 2,
            ..BleuOptions::default()
        },
    )
    .unwrap();
    assert_eq!(b.precisions, vec![1.0, 0.5]);
    // c = 3 < r = 6: B = exp(1 - 6/3).
    close(b.brevity_penalty, (-1.0f64).exp(), "brevity");
    close(b.score, (-1.0f64).exp() * 0.5f64.sqrt(), "bleu2");
}

use ferrograd_core::Tensor;
use ferrograd_nn::train::MetricKind;

fn t(v: Vec<f32>, shape: &[usize]) -> Tensor {
    Tensor::from_vec(v, shape).unwrap()
}

#[test]
fn streaming_epoch_metrics_equal_the_whole_data_scores() {
    // The cancer example, fed in two batches of probabilities (threshold 0.5).
    let truth: Vec<f32> = [vec![1.0; 8], vec![0.0; 4]].concat();
    let probs: Vec<f32> = [vec![0.9; 6], vec![0.2; 2], vec![0.7], vec![0.1; 3]].concat();
    let mut states: Vec<_> = [
        MetricKind::Precision,
        MetricKind::Recall,
        MetricKind::F1,
        MetricKind::Specificity,
    ]
    .iter()
    .map(|k| k.state())
    .collect();
    for s in &mut states {
        s.update(
            &t(probs[..5].to_vec(), &[5, 1]),
            &t(truth[..5].to_vec(), &[5, 1]),
        )
        .unwrap();
        s.update(
            &t(probs[5..].to_vec(), &[7, 1]),
            &t(truth[5..].to_vec(), &[7, 1]),
        )
        .unwrap();
    }
    assert_eq!(states[0].value(), 6.0 / 7.0);
    assert_eq!(states[1].value(), 0.75);
    assert!((states[2].value() - 0.8).abs() < 1e-15);
    assert_eq!(states[3].value(), 0.75);

    // RMSE and R² over batches equal scikit-learn's on the whole set.
    let reg = &fixture()["regression"][0];
    let (yt, yp) = (f64s(&reg["y_true"]), f64s(&reg["y_pred"]));
    for (kind, key) in [(MetricKind::Rmse, "rmse"), (MetricKind::R2, "r2")] {
        let mut state = kind.state();
        for (a, b) in yt.chunks(10).zip(yp.chunks(10)) {
            let ta: Vec<f32> = a.iter().map(|&v| v as f32).collect();
            let tb: Vec<f32> = b.iter().map(|&v| v as f32).collect();
            state
                .update(&t(tb, &[b.len()]), &t(ta, &[a.len()]))
                .unwrap();
        }
        assert!(
            (state.value() - reg[key].as_f64().unwrap()).abs() < 1e-5,
            "{key}: {}",
            state.value()
        );
    }

    // ROC-AUC and PR-AUC over batches equal scikit-learn's on the whole set.
    let fx = fixture();
    let case = &fx["curves"][1];
    let y: Vec<f32> = usizes(&case["y_true"]).iter().map(|&v| v as f32).collect();
    let s: Vec<f32> = f64s(&case["scores"]).iter().map(|&v| v as f32).collect();
    for (kind, key) in [
        (MetricKind::Auc, "roc_auc"),
        (MetricKind::PrAuc, "average_precision"),
    ] {
        let mut state = kind.state();
        for (ys, ss) in y.chunks(16).zip(s.chunks(16)) {
            state
                .update(&t(ss.to_vec(), &[ss.len()]), &t(ys.to_vec(), &[ys.len()]))
                .unwrap();
        }
        assert!(
            (state.value() - case[key].as_f64().unwrap()).abs() < 1e-6,
            "{key}"
        );
    }

    // Multi-class: macro OvR AUC of logits (softmax applied) matches scikit-learn on probabilities.
    let mc = &fx["multiclass"][0];
    let probs = f64s(&mc["probs"]);
    let logits: Vec<f32> = probs.iter().map(|p| p.ln() as f32).collect();
    let labels: Vec<f32> = usizes(&mc["labels"]).iter().map(|&v| v as f32).collect();
    let mut auc = MetricKind::Auc.state().with_logits(true);
    auc.update(&t(logits, &[45, 3]), &t(labels, &[45])).unwrap();
    assert!((auc.value() - mc["roc_auc_macro"].as_f64().unwrap()).abs() < 1e-6);

    // Perplexity of uniform predictions over V classes is V.
    let mut ppl = MetricKind::Perplexity.state().with_logits(true);
    ppl.update(
        &Tensor::zeros(&[2, 3, 7]),
        &t(vec![0.0, 1.0, 2.0, 3.0, 4.0, 6.0], &[2, 3]),
    )
    .unwrap();
    assert!((ppl.value() - 7.0).abs() < 1e-9);
}

//! Invalid arguments come back as typed `ferrograd_core::Error`s naming the loss.

use ferrograd_core::{Error, Result, Tensor};
use ferrograd_nn::loss::*;

fn t(data: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_vec(data.to_vec(), shape).unwrap()
}

/// Asserts `r` failed with the given JS error code and an `op` naming `loss`.
fn expect_err(r: Result<Tensor>, loss: &str, code: &str) {
    let e = match r {
        Ok(v) => panic!("{loss}: expected an error, got {:?}", v.to_vec()),
        Err(e) => e,
    };
    let op = match &e {
        Error::ShapeMismatch { op, .. }
        | Error::Shape { op, .. }
        | Error::InvalidArgument { op, .. }
        | Error::DType { op, .. }
        | Error::Autograd { op, .. } => *op,
        Error::Kernel(_) => "kernel",
    };
    assert_eq!(op, loss, "{e}");
    assert_eq!(e.code(), code, "{e}");
}

#[test]
fn shape_mismatches() {
    let x = t(&[0.1; 6], &[2, 3]);
    let y = t(&[0.1; 3], &[3]);
    let r = Reduction::Mean;
    expect_err(mse_loss(&x, &y, r), "mseLoss", "ShapeError");
    expect_err(l1_loss(&x, &y, r), "l1Loss", "ShapeError");
    expect_err(huber_loss(&x, &y, 1.0, r), "huberLoss", "ShapeError");
    expect_err(smooth_l1_loss(&x, &y, 1.0, r), "smoothL1Loss", "ShapeError");
    expect_err(
        binary_cross_entropy(&x, &y, &BceOptions::default()),
        "binaryCrossEntropy",
        "ShapeError",
    );
    expect_err(
        binary_cross_entropy_with_logits(&x, &y, &BceWithLogitsOptions::default()),
        "binaryCrossEntropyWithLogits",
        "ShapeError",
    );
    let o = BceWithLogitsOptions {
        pos_weight: Some(t(&[1.0, 2.0], &[2])),
        ..Default::default()
    };
    expect_err(
        binary_cross_entropy_with_logits(&x, &x, &o),
        "binaryCrossEntropyWithLogits",
        "ShapeError",
    );
    let o = BceOptions {
        weight: Some(t(&[1.0; 4], &[4])),
        ..Default::default()
    };
    expect_err(
        binary_cross_entropy(&x, &x, &o),
        "binaryCrossEntropy",
        "ShapeError",
    );
    expect_err(
        cross_entropy(&x, &y, &CrossEntropyOptions::default()),
        "crossEntropy",
        "ShapeError",
    );
    let o = CrossEntropyOptions {
        weight: Some(t(&[1.0; 2], &[2])),
        ..Default::default()
    };
    expect_err(cross_entropy(&x, &x, &o), "crossEntropy", "ShapeError");
    // Sparse targets must be [N] for [N, C] logits.
    expect_err(
        sparse_cross_entropy(
            &x,
            &t(&[0.0; 3], &[3]),
            &SparseCrossEntropyOptions::default(),
        ),
        "sparseCrossEntropy",
        "ShapeError",
    );
    let o = NllOptions {
        weight: Some(t(&[1.0; 4], &[4])),
        ..Default::default()
    };
    expect_err(
        nll_loss(&x, &t(&[0.0, 1.0], &[2]), &o),
        "nllLoss",
        "ShapeError",
    );
    expect_err(
        kl_div(&x, &y, &KlDivOptions::default()),
        "klDiv",
        "ShapeError",
    );
    expect_err(hinge_loss(&x, &y, r), "hingeLoss", "ShapeError");
    expect_err(
        squared_hinge_loss(&x, &y, r),
        "squaredHingeLoss",
        "ShapeError",
    );
    let lab = t(&[1.0, -1.0], &[2]);
    expect_err(
        cosine_embedding_loss(&x, &x, &t(&[1.0; 3], &[3]), 0.0, r),
        "cosineEmbeddingLoss",
        "ShapeError",
    );
    expect_err(
        cosine_embedding_loss(&x, &y, &lab, 0.0, r),
        "cosineEmbeddingLoss",
        "ShapeError",
    );
    expect_err(
        contrastive_loss(&x, &y, &t(&[1.0, 0.0], &[2]), 1.0, r),
        "contrastiveLoss",
        "ShapeError",
    );
    expect_err(
        triplet_margin_loss(&x, &x, &y, &TripletMarginOptions::default()),
        "tripletMarginLoss",
        "ShapeError",
    );
    expect_err(
        weighted(&x, &t(&[1.0; 4], &[4]), r),
        "weightedLoss",
        "ShapeError",
    );
}

#[test]
fn class_targets() {
    let x = t(&[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], &[2, 3]);
    let opts = SparseCrossEntropyOptions::default();
    // Out of range, negative, fractional, and ignore_index without ignore_index set.
    for bad in [
        [0.0, 3.0],
        [-1.0, 0.0],
        [0.5, 1.0],
        [-100.0, 1.0],
        [f32::NAN, 0.0],
    ] {
        expect_err(
            sparse_cross_entropy(&x, &t(&bad, &[2]), &opts),
            "sparseCrossEntropy",
            "ValueError",
        );
        expect_err(
            nll_loss(&x, &t(&bad, &[2]), &NllOptions::default()),
            "nllLoss",
            "ValueError",
        );
    }
    // With ignore_index, the ignored value is fine but others are still checked.
    let o = SparseCrossEntropyOptions {
        ignore_index: Some(-100),
        ..Default::default()
    };
    assert!(sparse_cross_entropy(&x, &t(&[-100.0, 1.0], &[2]), &o).is_ok());
    expect_err(
        sparse_cross_entropy(&x, &t(&[-100.0, 7.0], &[2]), &o),
        "sparseCrossEntropy",
        "ValueError",
    );
    expect_err(
        sparse_cross_entropy(&Tensor::scalar(1.0), &Tensor::scalar(0.0), &o),
        "sparseCrossEntropy",
        "ValueError",
    );
}

#[test]
fn invalid_options_and_values() {
    let x = t(&[0.1, 0.2, 0.3, 0.4], &[2, 2]);
    let r = Reduction::Mean;
    expect_err(huber_loss(&x, &x, 0.0, r), "huberLoss", "ValueError");
    expect_err(huber_loss(&x, &x, f32::NAN, r), "huberLoss", "ValueError");
    expect_err(
        smooth_l1_loss(&x, &x, -1.0, r),
        "smoothL1Loss",
        "ValueError",
    );
    expect_err(
        binary_cross_entropy(
            &t(&[0.5, 1.5], &[2]),
            &t(&[1.0, 0.0], &[2]),
            &BceOptions::default(),
        ),
        "binaryCrossEntropy",
        "ValueError",
    );
    let o = BceWithLogitsOptions {
        weight: Some(t(&[1.0, f32::INFINITY], &[2])),
        ..Default::default()
    };
    expect_err(
        binary_cross_entropy_with_logits(&x, &x, &o),
        "binaryCrossEntropyWithLogits",
        "ValueError",
    );
    for s in [-0.1, 1.5, f32::NAN] {
        let o = CrossEntropyOptions {
            label_smoothing: s,
            ..Default::default()
        };
        expect_err(cross_entropy(&x, &x, &o), "crossEntropy", "ValueError");
        let o = SparseCrossEntropyOptions {
            label_smoothing: s,
            ..Default::default()
        };
        expect_err(
            sparse_cross_entropy(&x, &t(&[0.0, 1.0], &[2]), &o),
            "sparseCrossEntropy",
            "ValueError",
        );
    }
    expect_err(
        kl_div(
            &x,
            &t(&[0.5, -0.1, 0.3, 0.3], &[2, 2]),
            &KlDivOptions::default(),
        ),
        "klDiv",
        "ValueError",
    );
    let bm = KlDivOptions {
        reduction: KlReduction::BatchMean,
        log_target: false,
    };
    expect_err(
        kl_div(&Tensor::scalar(0.1), &Tensor::scalar(0.5), &bm),
        "klDiv",
        "ValueError",
    );
    expect_err(
        hinge_loss(&x, &t(&[1.0, 0.0, -1.0, 1.0], &[2, 2]), r),
        "hingeLoss",
        "ValueError",
    );
    expect_err(
        squared_hinge_loss(&x, &t(&[1.0, 2.0, -1.0, 1.0], &[2, 2]), r),
        "squaredHingeLoss",
        "ValueError",
    );
    let pm = t(&[1.0, -1.0], &[2]);
    expect_err(
        cosine_embedding_loss(&x, &x, &pm, 1.5, r),
        "cosineEmbeddingLoss",
        "ValueError",
    );
    expect_err(
        cosine_embedding_loss(&x, &x, &t(&[1.0, 0.0], &[2]), 0.0, r),
        "cosineEmbeddingLoss",
        "ValueError",
    );
    expect_err(
        contrastive_loss(&x, &x, &t(&[1.0, 0.0], &[2]), -1.0, r),
        "contrastiveLoss",
        "ValueError",
    );
    expect_err(
        contrastive_loss(&x, &x, &pm, 1.0, r),
        "contrastiveLoss",
        "ValueError",
    );
    expect_err(
        contrastive_loss(
            &Tensor::scalar(1.0),
            &Tensor::scalar(1.0),
            &Tensor::scalar(1.0),
            1.0,
            r,
        ),
        "contrastiveLoss",
        "ValueError",
    );
    for o in [
        TripletMarginOptions {
            margin: -0.5,
            ..Default::default()
        },
        TripletMarginOptions {
            p: 0.0,
            ..Default::default()
        },
        TripletMarginOptions {
            eps: -1.0,
            ..Default::default()
        },
    ] {
        expect_err(
            triplet_margin_loss(&x, &x, &x, &o),
            "tripletMarginLoss",
            "ValueError",
        );
    }
    expect_err(
        weighted(&x, &t(&[1.0, f32::NAN], &[2]), r),
        "weightedLoss",
        "ValueError",
    );
    expect_err(
        mse_loss(&t(&[], &[0]), &t(&[], &[0]), r),
        "mseLoss",
        "ValueError",
    );
}

#[test]
fn reductions_and_defaults() {
    let x = t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let y = t(&[0.0, 0.0, 0.0, 0.0], &[2, 2]);
    assert_eq!(
        mse_loss(&x, &y, Reduction::Sum).unwrap().item().unwrap(),
        30.0
    );
    assert_eq!(
        mse_loss(&x, &y, Reduction::Mean).unwrap().item().unwrap(),
        7.5
    );
    let none = mse_loss(&x, &y, Reduction::None).unwrap();
    assert_eq!(none.dims(), &[2, 2]);
    assert_eq!(Reduction::default(), Reduction::Mean);
    assert_eq!(KlReduction::default(), KlReduction::Mean);
    let o = TripletMarginOptions::default();
    assert_eq!((o.margin, o.p, o.eps, o.swap), (1.0, 2.0, 1e-6, false));
    // Extreme logits stay finite.
    let logits = t(&[1000.0, -1000.0, 0.0, 88.0], &[2, 2]);
    let targets = t(&[1.0, 0.0, 0.0, 1.0], &[2, 2]);
    let v = binary_cross_entropy_with_logits(&logits, &targets, &BceWithLogitsOptions::default())
        .unwrap();
    assert!(v.item().unwrap().is_finite());
    let v = sparse_cross_entropy(
        &logits,
        &t(&[1.0, 0.0], &[2]),
        &SparseCrossEntropyOptions::default(),
    )
    .unwrap();
    assert!((v.item().unwrap() - (2000.0 + 88.0) / 2.0).abs() < 1e-2);
    // All targets ignored: NaN (0 / 0), as PyTorch.
    let o = NllOptions {
        ignore_index: Some(-100),
        ..Default::default()
    };
    assert!(nll_loss(&x, &t(&[-100.0, -100.0], &[2]), &o)
        .unwrap()
        .item()
        .unwrap()
        .is_nan());
}

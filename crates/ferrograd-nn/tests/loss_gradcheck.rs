//! Finite-difference gradient checks (first and second order) for every loss.

use ferrograd_core::grad_check::check_gradients;
use ferrograd_core::{BackwardOptions, Result, Tensor};
use ferrograd_nn::loss::*;

const EPS: f32 = 1e-3;
const ATOL: f32 = 5e-3;
const RTOL: f32 = 1e-2;

fn t(data: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_vec(data.to_vec(), shape).unwrap()
}

fn randn(shape: &[usize], seed: u64) -> Tensor {
    Tensor::randn(shape, 0.0, 1.0, Some(seed)).unwrap()
}

fn check(name: &str, f: impl Fn(&[Tensor]) -> Result<Tensor>, inputs: Vec<Tensor>) {
    if let Err(e) = check_gradients(f, &inputs, EPS, ATOL, RTOL) {
        panic!("{name}: {e}");
    }
}

/// Checks the gradient of `f` (built with `create_graph`) against finite differences of that
/// gradient: a second-order check.
fn check_second_order(name: &str, f: impl Fn(&Tensor) -> Result<Tensor>, input: &Tensor) {
    let grad_fn = |xs: &[Tensor]| -> Result<Tensor> {
        // Finite-difference probes pass plain tensors: give them a tracked copy so the inner
        // gradient exists (only its value matters there).
        let x = if xs[0].requires_grad() {
            xs[0].clone()
        } else {
            let leaf = xs[0].detach();
            leaf.set_requires_grad(true)?;
            leaf
        };
        let loss = f(&x)?;
        let g = loss.grad_wrt(
            std::slice::from_ref(&x),
            BackwardOptions {
                gradient: None,
                create_graph: true,
            },
        )?;
        Ok(g.into_iter()
            .next()
            .flatten()
            .unwrap_or_else(|| xs[0].zeros_like()))
    };
    if let Err(e) = check_gradients(grad_fn, std::slice::from_ref(input), EPS, ATOL, RTOL) {
        panic!("{name} (second order): {e}");
    }
}

const ALL: [Reduction; 3] = [Reduction::None, Reduction::Mean, Reduction::Sum];

#[test]
fn regression_losses() {
    let x = t(&[0.3, -1.2, 2.5, 0.9, -0.4, 1.7], &[2, 3]);
    let y = t(&[0.1, 0.4, -0.3, 1.6, -2.0, 1.1], &[2, 3]);
    for r in ALL {
        check("mse", |xs| mse_loss(&xs[0], &y, r), vec![x.clone()]);
        check("l1", |xs| l1_loss(&xs[0], &y, r), vec![x.clone()]);
        check("mae", |xs| mae_loss(&xs[0], &y, r), vec![x.clone()]);
        check(
            "huber",
            |xs| huber_loss(&xs[0], &y, 1.0, r),
            vec![x.clone()],
        );
        check(
            "smoothL1",
            |xs| smooth_l1_loss(&xs[0], &y, 0.5, r),
            vec![x.clone()],
        );
        check(
            "smoothL1 beta 0",
            |xs| smooth_l1_loss(&xs[0], &y, 0.0, r),
            vec![x.clone()],
        );
    }
    check_second_order("mse", |x| mse_loss(x, &y, Reduction::Mean), &x);
    check_second_order("huber", |x| huber_loss(x, &y, 1.0, Reduction::Sum), &x);
}

#[test]
fn binary_losses() {
    let p = t(&[0.2, 0.7, 0.95, 0.4, 0.05, 0.6], &[2, 3]);
    let logits = t(&[0.0, -2.0, 3.5, 1.2, -0.7, 8.0], &[2, 3]);
    let y = t(&[1.0, 0.0, 1.0, 0.3, 0.0, 1.0], &[2, 3]);
    let w = t(&[0.5, 1.0, 2.0], &[3]);
    let pw = t(&[3.0, 0.5, 1.5], &[3]);
    for r in ALL {
        let bce = BceOptions {
            weight: Some(w.clone()),
            reduction: r,
        };
        check(
            "bce",
            |xs| binary_cross_entropy(&xs[0], &y, &bce),
            vec![p.clone()],
        );
        let o = BceWithLogitsOptions {
            weight: Some(w.clone()),
            pos_weight: Some(pw.clone()),
            reduction: r,
        };
        check(
            "bceLogits",
            |xs| binary_cross_entropy_with_logits(&xs[0], &y, &o),
            vec![logits.clone()],
        );
        let plain = BceWithLogitsOptions {
            reduction: r,
            ..Default::default()
        };
        check(
            "bceLogits plain",
            |xs| binary_cross_entropy_with_logits(&xs[0], &y, &plain),
            vec![logits.clone()],
        );
    }
    let o = BceWithLogitsOptions {
        pos_weight: Some(pw.clone()),
        ..Default::default()
    };
    check_second_order(
        "bceLogits",
        |x| binary_cross_entropy_with_logits(x, &y, &o),
        &logits,
    );
    check_second_order(
        "bce",
        |x| binary_cross_entropy(x, &y, &BceOptions::default()),
        &p,
    );
}

#[test]
fn categorical_losses() {
    let x = randn(&[4, 5], 7);
    let target = t(&[1.0, 4.0, -100.0, 0.0], &[4]);
    let probs = x
        .mul_scalar(0.7)
        .unwrap()
        .add_scalar(0.1)
        .unwrap()
        .softmax(1)
        .unwrap()
        .detach();
    let w = t(&[0.5, 1.0, 2.0, 1.5, 0.8], &[5]);
    for r in ALL {
        for s in [0.0, 0.2] {
            let o = SparseCrossEntropyOptions {
                weight: Some(w.clone()),
                ignore_index: Some(-100),
                label_smoothing: s,
                reduction: r,
            };
            check(
                "sparseCE",
                |xs| sparse_cross_entropy(&xs[0], &target, &o),
                vec![x.clone()],
            );
            let o = CrossEntropyOptions {
                weight: Some(w.clone()),
                label_smoothing: s,
                reduction: r,
            };
            check(
                "CE",
                |xs| cross_entropy(&xs[0], &probs, &o),
                vec![x.clone()],
            );
        }
        let o = NllOptions {
            weight: Some(w.clone()),
            ignore_index: Some(-100),
            reduction: r,
        };
        check("nll", |xs| nll_loss(&xs[0], &target, &o), vec![x.clone()]);
    }
    // K-dimensional input [N, C, d].
    let xk = randn(&[2, 3, 4], 11);
    let tk = t(&[0.0, 1.0, 2.0, 1.0, 2.0, 2.0, 0.0, 1.0], &[2, 4]);
    let o = SparseCrossEntropyOptions {
        label_smoothing: 0.1,
        ..Default::default()
    };
    check(
        "sparseCE kdim",
        |xs| sparse_cross_entropy(&xs[0], &tk, &o),
        vec![xk.clone()],
    );
    let o = SparseCrossEntropyOptions {
        weight: Some(w.clone()),
        ignore_index: Some(-100),
        label_smoothing: 0.1,
        reduction: Reduction::Mean,
    };
    check_second_order("sparseCE", |x| sparse_cross_entropy(x, &target, &o), &x);
    let o = CrossEntropyOptions {
        label_smoothing: 0.1,
        ..Default::default()
    };
    check_second_order("CE", |x| cross_entropy(x, &probs, &o), &x);
}

#[test]
fn kl_divergence() {
    let x = randn(&[3, 4], 3).log_softmax(1).unwrap();
    let p = t(
        &[0.1, 0.2, 0.3, 0.4, 0.0, 0.5, 0.25, 0.25, 0.7, 0.1, 0.1, 0.1],
        &[3, 4],
    );
    let lt = randn(&[3, 4], 4).log_softmax(1).unwrap();
    for reduction in [
        KlReduction::None,
        KlReduction::Mean,
        KlReduction::BatchMean,
        KlReduction::Sum,
    ] {
        for log_target in [false, true] {
            let o = KlDivOptions {
                reduction,
                log_target,
            };
            let target = if log_target { &lt } else { &p };
            check("klDiv", |xs| kl_div(&xs[0], target, &o), vec![x.clone()]);
        }
    }
    let o = KlDivOptions {
        reduction: KlReduction::BatchMean,
        log_target: false,
    };
    check(
        "klDiv wrt target",
        |xs| kl_div(&x, &xs[0], &o),
        vec![p.add_scalar(0.05).unwrap()],
    );
}

#[test]
fn margin_losses() {
    let x = t(&[0.3, -1.2, 2.5, 0.9, -0.4, 1.7], &[2, 3]);
    let y = t(&[1.0, -1.0, -1.0, 1.0, 1.0, -1.0], &[2, 3]);
    for r in ALL {
        check("hinge", |xs| hinge_loss(&xs[0], &y, r), vec![x.clone()]);
        check(
            "squaredHinge",
            |xs| squared_hinge_loss(&xs[0], &y, r),
            vec![x.clone()],
        );
    }
    check_second_order(
        "squaredHinge",
        |x| squared_hinge_loss(x, &y, Reduction::Mean),
        &x,
    );
}

#[test]
fn embedding_losses() {
    let a = randn(&[4, 3], 21);
    let b = randn(&[4, 3], 22);
    let c = randn(&[4, 3], 23);
    let pm = t(&[1.0, -1.0, -1.0, 1.0], &[4]);
    let ab = t(&[1.0, 0.0, 0.0, 1.0], &[4]);
    for r in ALL {
        check(
            "cosine",
            |xs| cosine_embedding_loss(&xs[0], &xs[1], &pm, -0.5, r),
            vec![a.clone(), b.clone()],
        );
        check(
            "contrastive",
            |xs| contrastive_loss(&xs[0], &xs[1], &ab, 3.0, r),
            vec![a.clone(), b.clone()],
        );
        for (p, swap) in [(2.0, false), (1.0, true), (3.0, false)] {
            let o = TripletMarginOptions {
                margin: 5.0,
                p,
                swap,
                reduction: r,
                ..Default::default()
            };
            check(
                "triplet",
                |xs| triplet_margin_loss(&xs[0], &xs[1], &xs[2], &o),
                vec![a.clone(), b.clone(), c.clone()],
            );
        }
    }
    check_second_order(
        "cosine",
        |x| cosine_embedding_loss(x, &b, &pm, -0.5, Reduction::Mean),
        &a,
    );
    check_second_order(
        "contrastive",
        |x| contrastive_loss(x, &b, &ab, 3.0, Reduction::Sum),
        &a,
    );
    let o = TripletMarginOptions {
        margin: 5.0,
        ..Default::default()
    };
    check_second_order("triplet", |x| triplet_margin_loss(x, &b, &c, &o), &a);
}

#[test]
fn sample_weights() {
    let x = t(&[0.3, -1.2, 2.5, 0.9, -0.4, 1.7], &[2, 3]);
    let y = t(&[0.1, 0.4, -0.3, 1.6, -2.0, 1.1], &[2, 3]);
    let per_sample = t(&[0.5, 2.0], &[2]);
    let per_elem = t(&[0.5, 2.0, 1.0, 0.0, 1.0, 3.0], &[2, 3]);
    for r in ALL {
        check(
            "weighted per-sample",
            |xs| weighted(&mse_loss(&xs[0], &y, Reduction::None)?, &per_sample, r),
            vec![x.clone()],
        );
        check(
            "weighted per-element",
            |xs| weighted(&l1_loss(&xs[0], &y, Reduction::None)?, &per_elem, r),
            vec![x.clone()],
        );
    }
    // Values: per-sample weights scale whole rows; Mean divides by the element count.
    let l = mse_loss(&x, &y, Reduction::None).unwrap().to_vec();
    let expect: f32 = l[..3].iter().sum::<f32>() * 0.5 + l[3..].iter().sum::<f32>() * 2.0;
    let got = weighted(
        &mse_loss(&x, &y, Reduction::None).unwrap(),
        &per_sample,
        Reduction::Sum,
    )
    .unwrap()
    .item()
    .unwrap();
    assert!((got - expect).abs() < 1e-5, "{got} vs {expect}");
    let mean = weighted(
        &mse_loss(&x, &y, Reduction::None).unwrap(),
        &per_sample,
        Reduction::Mean,
    )
    .unwrap()
    .item()
    .unwrap();
    assert!((mean - expect / 6.0).abs() < 1e-5);
    // Per-sample weights on a sparse cross-entropy `None` result ([N]).
    let logits = randn(&[3, 4], 5);
    let tg = t(&[0.0, 3.0, 1.0], &[3]);
    let sw = t(&[1.0, 0.0, 2.0], &[3]);
    let none = SparseCrossEntropyOptions {
        reduction: Reduction::None,
        ..Default::default()
    };
    let per = sparse_cross_entropy(&logits, &tg, &none).unwrap().to_vec();
    let got = weighted(
        &sparse_cross_entropy(&logits, &tg, &none).unwrap(),
        &sw,
        Reduction::Sum,
    )
    .unwrap()
    .item()
    .unwrap();
    assert!((got - (per[0] + 2.0 * per[2])).abs() < 1e-5);
}

//! Autograd semantics: accumulation, seeds, detach, no-grad scopes, higher order, errors.

mod common;

use common::{assert_close, t};
use ferrograd_core::{no_grad, BackwardOptions, Tensor};

fn leaf(data: &[f32], shape: &[usize]) -> Tensor {
    let x = t(data, shape);
    x.set_requires_grad(true).unwrap();
    x
}

#[test]
fn gradients_accumulate_across_backward_calls_until_zeroed() {
    // y = sum(x^2 + 5x): dy/dx = 2x + 5
    let x = leaf(&[1.0, -2.0, 3.0], &[3]);
    let y = || {
        x.square()
            .unwrap()
            .add(&x.mul_scalar(5.0).unwrap())
            .unwrap()
            .sum(None, false)
            .unwrap()
    };
    y().backward().unwrap();
    assert_close(
        &x.grad().unwrap().to_vec(),
        &[7.0, 1.0, 11.0],
        0.0,
        1e-6,
        "first",
    );
    y().backward().unwrap();
    assert_close(
        &x.grad().unwrap().to_vec(),
        &[14.0, 2.0, 22.0],
        0.0,
        1e-6,
        "accumulated",
    );
    x.zero_grad();
    assert!(x.grad().is_none());
}

#[test]
fn non_scalar_backward_needs_a_seed_gradient() {
    let x = leaf(&[1.0, 2.0], &[2]);
    let y = x.mul_scalar(3.0).unwrap();
    let err = y.backward().unwrap_err();
    assert_eq!(err.code(), "AutogradError");
    assert!(err.to_string().contains("shape [2]"), "{err}");
    let seed = t(&[1.0, 10.0], &[2]);
    y.backward_with(BackwardOptions {
        gradient: Some(seed),
        create_graph: false,
    })
    .unwrap();
    assert_close(
        &x.grad().unwrap().to_vec(),
        &[3.0, 30.0],
        0.0,
        1e-6,
        "seeded",
    );
    let bad = y.backward_with(BackwardOptions {
        gradient: Some(t(&[1.0], &[1])),
        create_graph: false,
    });
    assert_eq!(bad.unwrap_err().code(), "ShapeError");
}

#[test]
fn backward_on_untracked_tensor_is_an_error() {
    let x = t(&[1.0], &[1]);
    let err = x.sum(None, false).unwrap().backward().unwrap_err();
    assert!(err.to_string().contains("does not require grad"), "{err}");
}

#[test]
fn detach_and_no_grad_cut_the_graph() {
    let x = leaf(&[2.0], &[1]);
    assert!(!x.mul_scalar(2.0).unwrap().detach().requires_grad());
    let inside = no_grad(|| x.mul_scalar(2.0).unwrap());
    assert!(!inside.requires_grad());
    assert!(
        x.mul_scalar(2.0).unwrap().requires_grad(),
        "grad mode restored after the scope"
    );
    let err = x
        .mul_scalar(2.0)
        .unwrap()
        .set_requires_grad(false)
        .unwrap_err();
    assert_eq!(err.code(), "AutogradError");
}

#[test]
fn shared_subexpressions_sum_their_gradients() {
    // y = a*b + a: dy/da = b + 1, dy/db = a
    let a = leaf(&[3.0], &[1]);
    let b = leaf(&[4.0], &[1]);
    let y = a
        .mul(&b)
        .unwrap()
        .add(&a)
        .unwrap()
        .sum(None, false)
        .unwrap();
    y.backward().unwrap();
    assert_eq!(a.grad().unwrap().to_vec(), vec![5.0]);
    assert_eq!(b.grad().unwrap().to_vec(), vec![3.0]);
}

#[test]
fn gradient_with_respect_to_inputs_for_adversarial_examples() {
    // loss = sum(w * x): d loss / dx = w; x is an input, not a parameter.
    let w = t(&[0.5, -1.0], &[2]);
    let x = leaf(&[1.0, 1.0], &[2]);
    let loss = x.mul(&w).unwrap().sum(None, false).unwrap();
    let g = loss
        .grad_wrt(std::slice::from_ref(&x), BackwardOptions::default())
        .unwrap();
    assert_eq!(g[0].as_ref().unwrap().to_vec(), vec![0.5, -1.0]);
    assert!(
        x.grad().is_none(),
        "grad_wrt returns gradients without accumulating"
    );
}

#[test]
fn second_order_gradients_with_create_graph() {
    // y = x^3: dy/dx = 3x^2, d2y/dx2 = 6x
    let x = leaf(&[2.0, -1.0], &[2]);
    let y = x.pow_scalar(3.0).unwrap().sum(None, false).unwrap();
    let g = y
        .grad_wrt(
            std::slice::from_ref(&x),
            BackwardOptions {
                gradient: None,
                create_graph: true,
            },
        )
        .unwrap();
    let g = g[0].clone().unwrap();
    assert_close(&g.to_vec(), &[12.0, 3.0], 0.0, 1e-5, "first");
    assert!(g.requires_grad());
    g.sum(None, false).unwrap().backward().unwrap();
    assert_close(
        &x.grad().unwrap().to_vec(),
        &[12.0, -6.0],
        0.0,
        1e-5,
        "second",
    );
}

#[test]
fn gradient_penalty_through_matmul_and_tanh() {
    // A WGAN-GP-style penalty: ||d f(x)/dx||^2 differentiated w.r.t. the weights.
    let w = leaf(&[0.3, -0.2, 0.5, 0.1], &[2, 2]);
    let x = leaf(&[1.0, 2.0], &[1, 2]);
    let f = x
        .matmul(&w)
        .unwrap()
        .tanh()
        .unwrap()
        .sum(None, false)
        .unwrap();
    let gx = f
        .grad_wrt(
            std::slice::from_ref(&x),
            BackwardOptions {
                gradient: None,
                create_graph: true,
            },
        )
        .unwrap()[0]
        .clone()
        .unwrap();
    let penalty = gx.square().unwrap().sum(None, false).unwrap();
    penalty.backward().unwrap();
    let gw = w.grad().unwrap().to_vec();
    // Finite differences on the same penalty.
    let base = w.to_vec();
    for j in 0..4 {
        let eval = |delta: f32| {
            let mut d = base.clone();
            d[j] += delta;
            let w2 = Tensor::from_vec(d, &[2, 2]).unwrap();
            let x2 = leaf(&[1.0, 2.0], &[1, 2]);
            let f2 = x2
                .matmul(&w2)
                .unwrap()
                .tanh()
                .unwrap()
                .sum(None, false)
                .unwrap();
            let g2 = f2.grad_wrt(&[x2], BackwardOptions::default()).unwrap()[0]
                .clone()
                .unwrap();
            g2.square()
                .unwrap()
                .sum(None, false)
                .unwrap()
                .item()
                .unwrap()
        };
        let numeric = (eval(1e-3) - eval(-1e-3)) / 2e-3;
        assert!(
            (numeric - gw[j]).abs() < 2e-2,
            "w[{j}]: analytic {} numeric {numeric}",
            gw[j]
        );
    }
}

#[test]
fn deep_graphs_do_not_overflow_the_stack() {
    let x = leaf(&[1.0], &[1]);
    let mut y = x.clone();
    for _ in 0..20_000 {
        y = y.mul_scalar(1.0).unwrap();
    }
    y.sum(None, false).unwrap().backward().unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), vec![1.0]);
}

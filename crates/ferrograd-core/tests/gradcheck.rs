//! Finite-difference gradient checks: one per differentiable primitive and composite.

mod common;

use common::{away_from_zero, positive, t};
use ferrograd_core::grad_check::check_gradients;
use ferrograd_core::{Result, Tensor};

const EPS: f32 = 1e-3;
const ATOL: f32 = 2e-2;
const RTOL: f32 = 2e-2;

fn check(name: &str, inputs: Vec<Tensor>, f: impl Fn(&[Tensor]) -> Result<Tensor>) {
    if let Err(e) = check_gradients(f, &inputs, EPS, ATOL, RTOL) {
        panic!("{name}: {e}");
    }
}

#[test]
fn binary_ops_with_broadcasting() {
    let a = away_from_zero(&[2, 1, 4], 1);
    let b = away_from_zero(&[3, 1], 2);
    check("add", vec![a.clone(), b.clone()], |x| x[0].add(&x[1]));
    check("sub", vec![a.clone(), b.clone()], |x| x[0].sub(&x[1]));
    check("mul", vec![a.clone(), b.clone()], |x| x[0].mul(&x[1]));
    check("div", vec![a.clone(), positive(&[3, 1], 3)], |x| {
        x[0].div(&x[1])
    });
    check(
        "pow",
        vec![positive(&[2, 3], 4), away_from_zero(&[3], 5)],
        |x| x[0].pow(&x[1]),
    );
    // a and b come from different seeds: no ties, so maximum/minimum are differentiable here.
    check("maximum", vec![a.clone(), b.clone()], |x| {
        x[0].maximum(&x[1])
    });
    check("minimum", vec![a, b], |x| x[0].minimum(&x[1]));
}

#[test]
fn unary_ops() {
    let x = away_from_zero(&[3, 4], 11);
    let p = positive(&[3, 4], 12);
    check("neg", vec![x.clone()], |v| v[0].neg());
    check("exp", vec![x.clone()], |v| v[0].exp());
    check("log", vec![p.clone()], |v| v[0].log());
    check("sqrt", vec![p.clone()], |v| v[0].sqrt());
    check("abs", vec![x.clone()], |v| v[0].abs());
    check("recip", vec![p.clone()], |v| v[0].recip());
    check("square", vec![x.clone()], |v| v[0].square());
    check("sin", vec![x.clone()], |v| v[0].sin());
    check("cos", vec![x.clone()], |v| v[0].cos());
    check("erf", vec![x.clone()], |v| v[0].erf());
    check("pow_scalar", vec![p.clone()], |v| v[0].pow_scalar(-1.5));
    check("pow_scalar_3", vec![x.clone()], |v| v[0].pow_scalar(3.0));
    check("add_scalar", vec![x.clone()], |v| v[0].add_scalar(2.5));
    check("mul_scalar", vec![x.clone()], |v| v[0].mul_scalar(-3.0));
    check("clamp", vec![x.clone()], |v| {
        v[0].clamp(Some(-0.5), Some(0.7))
    });
}

#[test]
fn activations() {
    let x = away_from_zero(&[4, 5], 21);
    check("sigmoid", vec![x.clone()], |v| v[0].sigmoid());
    check("tanh", vec![x.clone()], |v| v[0].tanh());
    check("relu", vec![x.clone()], |v| v[0].relu());
    check("leaky_relu", vec![x.clone()], |v| v[0].leaky_relu(0.1));
    check("elu", vec![x.clone()], |v| v[0].elu(1.3));
    check("softplus", vec![x.clone()], |v| v[0].softplus());
    check("softsign", vec![x.clone()], |v| v[0].softsign());
    check("gelu", vec![x.clone()], |v| v[0].gelu(false));
    check("gelu_tanh", vec![x.clone()], |v| v[0].gelu(true));
    check("silu", vec![x.clone()], |v| v[0].silu());
    check("log_sigmoid", vec![x], |v| v[0].log_sigmoid());
}

#[test]
fn reductions_and_softmax() {
    let x = away_from_zero(&[2, 3, 4], 31);
    check("sum_all", vec![x.clone()], |v| v[0].sum(None, false));
    check("sum_axes", vec![x.clone()], |v| {
        v[0].sum(Some(&[0, 2]), false)
    });
    check("mean", vec![x.clone()], |v| v[0].mean(Some(&[-1]), true));
    check("max", vec![x.clone()], |v| v[0].max(Some(&[1]), false));
    check("min", vec![x.clone()], |v| v[0].min(Some(&[0, 2]), true));
    check("logsumexp", vec![x.clone()], |v| {
        v[0].logsumexp(Some(&[2]), false)
    });
    check("var", vec![x.clone()], |v| v[0].var(Some(&[1]), false, 1));
    check("std", vec![x.clone()], |v| v[0].std(None, false, 0));
    check("softmax", vec![x.clone()], |v| v[0].softmax(1));
    check("log_softmax", vec![x], |v| v[0].log_softmax(-1));
}

#[test]
fn matmul_variants() {
    check(
        "matmul_2d",
        vec![away_from_zero(&[3, 4], 41), away_from_zero(&[4, 5], 42)],
        |v| v[0].matmul(&v[1]),
    );
    check(
        "matmul_batched_broadcast",
        vec![
            away_from_zero(&[2, 1, 3, 4], 43),
            away_from_zero(&[3, 4, 2], 44),
        ],
        |v| v[0].matmul(&v[1]),
    );
    check(
        "matmul_vec_mat",
        vec![away_from_zero(&[4], 45), away_from_zero(&[4, 3], 46)],
        |v| v[0].matmul(&v[1]),
    );
    check(
        "matmul_mat_vec",
        vec![away_from_zero(&[3, 4], 47), away_from_zero(&[4], 48)],
        |v| v[0].matmul(&v[1]),
    );
    check(
        "matmul_dot",
        vec![away_from_zero(&[4], 49), away_from_zero(&[4], 50)],
        |v| v[0].matmul(&v[1]),
    );
    check(
        "matmul_transposed_view",
        vec![away_from_zero(&[4, 3], 51), away_from_zero(&[4, 5], 52)],
        |v| v[0].transpose(0, 1)?.matmul(&v[1]),
    );
}

#[test]
fn views_and_joins() {
    let x = away_from_zero(&[2, 3, 4], 61);
    check("reshape", vec![x.clone()], |v| {
        v[0].reshape(&[4, -1])?.mul(&v[0].reshape(&[4, 6])?)
    });
    check("permute", vec![x.clone()], |v| {
        v[0].permute(&[2, 0, 1])?.mul_scalar(2.0)
    });
    check("narrow", vec![x.clone()], |v| v[0].narrow(1, 1, 2));
    check("slice_step", vec![x.clone()], |v| v[0].slice(2, 0, 4, 2));
    check("expand", vec![away_from_zero(&[3, 1], 62)], |v| {
        v[0].expand(&[2, 3, 4])
    });
    check("contiguous", vec![x.clone()], |v| {
        v[0].transpose(0, 2)?.contiguous()?.square()
    });
    check("pad", vec![x.clone()], |v| {
        v[0].pad(&[(1, 0), (0, 2), (1, 1)], 0.5)?.square()
    });
    check(
        "concat",
        vec![x.clone(), away_from_zero(&[2, 1, 4], 63)],
        |v| Tensor::concat(&[v[0].clone(), v[1].clone()], 1)?.square(),
    );
    check(
        "stack",
        vec![x.clone(), away_from_zero(&[2, 3, 4], 64)],
        |v| Tensor::stack(&[v[0].clone(), v[1].clone()], 0)?.square(),
    );
    check("split", vec![x.clone()], |v| {
        let parts = v[0].split(&[1, 3], 2)?;
        parts[0]
            .sum(None, false)?
            .mul(&parts[1].square()?.sum(None, false)?)
    });
    check("squeeze_unsqueeze_flatten", vec![x], |v| {
        v[0].unsqueeze(1)?.flatten(2, 3)?.squeeze(Some(1))?.square()
    });
}

#[test]
fn indexing_and_where() {
    let x = away_from_zero(&[3, 4], 71);
    let idx = t(&[2.0, 0.0, 2.0], &[3]);
    check("index_select", vec![x.clone()], |v| {
        v[0].index_select(0, &idx)?.square()
    });
    check(
        "index_add",
        vec![x.clone(), away_from_zero(&[3, 3], 72)],
        |v| v[0].index_add(1, &idx, &v[1])?.square(),
    );
    let gidx = t(&[0.0, 3.0, 1.0, 1.0, 2.0, 0.0], &[3, 2]);
    check("gather", vec![x.clone()], |v| {
        v[0].gather(1, &gidx)?.square()
    });
    check(
        "scatter_add",
        vec![x.clone(), away_from_zero(&[3, 2], 73)],
        |v| v[0].scatter_add(1, &gidx, &v[1])?.square(),
    );
    let cond = t(&[1.0, 0.0, 0.0, 1.0], &[4]);
    check("where", vec![x, away_from_zero(&[1, 4], 74)], |v| {
        Tensor::where_cond(&cond, &v[0], &v[1])?.square()
    });
}

#[test]
fn gradcheck_catches_a_wrong_gradient() {
    // The harness must be able to fail: a function whose forward uses a detached factor has a
    // different autograd gradient than its finite difference.
    let x = away_from_zero(&[5], 81);
    let wrong = check_gradients(|v| v[0].mul(&v[0].detach()), &[x], EPS, ATOL, RTOL);
    assert!(wrong.is_err());
}

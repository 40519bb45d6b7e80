//! Central finite-difference gradient checking, used by the tests of every differentiable op.

use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Outcome of a gradient check: the worst disagreement seen.
#[derive(Debug, Clone)]
pub struct GradCheckReport {
    /// Largest `|analytic - numeric|` over all checked elements.
    pub max_abs_error: f32,
    /// Index of the input and element where it happened.
    pub worst: (usize, usize),
    pub analytic: f32,
    pub numeric: f32,
}

/// Compares autograd gradients of `sum(f(inputs) * weights)` with central differences
/// `(L(x+eps) - L(x-eps)) / 2eps`, evaluated in f64 from f32 forward passes. `weights` is a fixed
/// pseudo-random projection so every output element matters. Fails when an element differs by more
/// than `atol + rtol * |numeric|`.
pub fn check_gradients(
    f: impl Fn(&[Tensor]) -> Result<Tensor>,
    inputs: &[Tensor],
    eps: f32,
    atol: f32,
    rtol: f32,
) -> Result<GradCheckReport> {
    let leaves: Vec<Tensor> = inputs
        .iter()
        .map(|t| {
            let leaf = Tensor::from_vec(t.to_vec(), t.dims())?;
            leaf.set_requires_grad(true)?;
            Ok(leaf)
        })
        .collect::<Result<_>>()?;
    let out = f(&leaves)?;
    let weights: Vec<f32> = (0..out.numel())
        .map(|i| 0.5 + ((i * 7919 % 13) as f32) / 13.0)
        .collect();
    let w = Tensor::from_vec(weights, out.dims())?;
    let loss = |xs: &[Tensor]| -> Result<f64> {
        let y = f(xs)?;
        let (yv, wv) = (y.to_vec(), w.to_vec());
        Ok(yv.iter().zip(&wv).map(|(&a, &b)| a as f64 * b as f64).sum())
    };
    out.mul(&w)?.sum(None, false)?.backward()?;

    let mut report = GradCheckReport {
        max_abs_error: 0.0,
        worst: (0, 0),
        analytic: 0.0,
        numeric: 0.0,
    };
    for (i, leaf) in leaves.iter().enumerate() {
        let analytic = leaf
            .grad()
            .map(|g| g.to_vec())
            .unwrap_or_else(|| vec![0.0; leaf.numel()]);
        let base = leaf.to_vec();
        for j in 0..base.len() {
            let probe = |delta: f32| -> Result<f64> {
                let mut data = base.clone();
                data[j] += delta;
                let mut xs: Vec<Tensor> = leaves.iter().map(|t| t.detach()).collect();
                xs[i] = Tensor::from_vec(data, leaf.dims())?;
                loss(&xs)
            };
            let numeric = ((probe(eps)? - probe(-eps)?) / (2.0 * eps as f64)) as f32;
            let err = (analytic[j] - numeric).abs();
            if err > report.max_abs_error {
                report = GradCheckReport {
                    max_abs_error: err,
                    worst: (i, j),
                    analytic: analytic[j],
                    numeric,
                };
            }
            if err > atol + rtol * numeric.abs() {
                return Err(Error::Autograd {
                    op: "gradCheck",
                    msg: format!(
                        "input {i} element {j}: analytic {} vs numeric {numeric}",
                        analytic[j]
                    ),
                });
            }
        }
    }
    Ok(report)
}

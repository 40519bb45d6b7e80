//! Tensor factories: constants, ranges, identity and random draws.

use ferrograd_kernels::{fill_normal, fill_uniform};

use crate::alloc;
use crate::error::{Error, Result};
use crate::random;
use crate::shape::numel;
use crate::tensor::Tensor;

impl Tensor {
    /// Every element equal to `value`.
    pub fn full(shape: &[usize], value: f32) -> Tensor {
        // Infallible by contract (internal shapes); user shapes go through `try_full`.
        let n = numel(shape);
        let data = alloc::filled("full", n, value).unwrap_or_else(|_| vec![value; n]);
        Tensor::from_contiguous(data, shape.to_vec())
    }

    /// Like [`Tensor::full`], but returns a `ValueError` instead of aborting when the shape's
    /// element count overflows or cannot be allocated (user-supplied shapes).
    pub fn try_full(shape: &[usize], value: f32) -> Result<Tensor> {
        let n = checked_numel("full", shape)?;
        Ok(Tensor::from_contiguous(
            alloc::filled("full", n, value)?,
            shape.to_vec(),
        ))
    }

    /// All zeros.
    pub fn zeros(shape: &[usize]) -> Tensor {
        Tensor::full(shape, 0.0)
    }

    /// All ones.
    pub fn ones(shape: &[usize]) -> Tensor {
        Tensor::full(shape, 1.0)
    }

    /// Values `start, start+step, ...` below `end` (above it for negative steps), like `torch.arange`.
    pub fn arange(start: f32, end: f32, step: f32) -> Result<Tensor> {
        if step == 0.0 || !step.is_finite() || !start.is_finite() || !end.is_finite() {
            return Err(Error::invalid("arange", format!("needs finite bounds and a non-zero step, got start={start} end={end} step={step}")));
        }
        let count = ((end as f64 - start as f64) / step as f64).ceil().max(0.0) as usize;
        // Computed in f64 from the index so long ranges do not accumulate rounding.
        let mut data = alloc::filled("arange", count, 0.0)?;
        for (i, v) in data.iter_mut().enumerate() {
            *v = (start as f64 + i as f64 * step as f64) as f32;
        }
        Ok(Tensor::from_contiguous(data, vec![count]))
    }

    /// `steps` evenly spaced values from `start` to `end` inclusive.
    pub fn linspace(start: f32, end: f32, steps: usize) -> Result<Tensor> {
        if !start.is_finite() || !end.is_finite() {
            return Err(Error::invalid(
                "linspace",
                format!("needs finite bounds, got start={start} end={end}"),
            ));
        }
        let mut data = alloc::filled("linspace", steps, start)?;
        if steps > 1 {
            let step = (end as f64 - start as f64) / (steps - 1) as f64;
            for (i, v) in data.iter_mut().enumerate() {
                *v = if i == steps - 1 {
                    end
                } else {
                    (start as f64 + i as f64 * step) as f32
                };
            }
        }
        Ok(Tensor::from_contiguous(data, vec![steps]))
    }

    /// A `rows x cols` matrix with ones on the main diagonal.
    pub fn eye(rows: usize, cols: usize) -> Result<Tensor> {
        let mut data = alloc::filled("eye", checked_numel("eye", &[rows, cols])?, 0.0)?;
        for i in 0..rows.min(cols) {
            data[i * cols + i] = 1.0;
        }
        Ok(Tensor::from_contiguous(data, vec![rows, cols]))
    }

    /// Uniform draws in `[low, high)` from the global generator, or from `seed` when given.
    pub fn rand(shape: &[usize], low: f32, high: f32, seed: Option<u64>) -> Result<Tensor> {
        if !(low.is_finite() && high.is_finite() && low <= high) {
            return Err(Error::invalid(
                "rand",
                format!("needs finite low <= high, got low={low} high={high}"),
            ));
        }
        let n = checked_numel("rand", shape)?;
        let (seed, offset) = match seed {
            Some(s) => (s, 0),
            None => random::reserve(n as u64),
        };
        let mut data = alloc::filled("rand", n, 0.0)?;
        fill_uniform(&mut data, seed, offset, low, high);
        Ok(Tensor::from_contiguous(data, shape.to_vec()))
    }

    /// Normal draws with `mean` and `std` from the global generator, or from `seed` when given.
    pub fn randn(shape: &[usize], mean: f32, std: f32, seed: Option<u64>) -> Result<Tensor> {
        if !(mean.is_finite() && std.is_finite() && std >= 0.0) {
            return Err(Error::invalid(
                "randn",
                format!("needs a finite mean and std >= 0, got mean={mean} std={std}"),
            ));
        }
        let n = checked_numel("randn", shape)?;
        let (seed, offset) = match seed {
            Some(s) => (s, 0),
            // Box-Muller may consume two uniforms per output: reserve both.
            None => random::reserve(2 * n as u64),
        };
        let mut data = alloc::filled("randn", n, 0.0)?;
        fill_normal(&mut data, seed, offset, mean, std);
        Ok(Tensor::from_contiguous(data, shape.to_vec()))
    }

    /// Zeros with this tensor's shape.
    pub fn zeros_like(&self) -> Tensor {
        Tensor::zeros(self.dims())
    }

    /// Ones with this tensor's shape.
    pub fn ones_like(&self) -> Tensor {
        Tensor::ones(self.dims())
    }
}

/// Element count of a user-supplied shape, rejecting overflow.
fn checked_numel(op: &'static str, shape: &[usize]) -> Result<usize> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| Error::invalid(op, format!("shape {shape:?} has too many elements")))
}

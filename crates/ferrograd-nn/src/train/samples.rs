//! [`Samples`]: the tensors of a training or evaluation set — one per model input, one per
//! model output target, and optional per-sample weights — sliced and gathered together.

use ferrograd_core::{Error, Result, Tensor};

/// Inputs, targets and optional sample weights sharing their first (sample) axis.
#[derive(Debug, Clone)]
pub struct Samples {
    /// One tensor per model input.
    pub xs: Vec<Tensor>,
    /// One target tensor per model output.
    pub ys: Vec<Tensor>,
    /// Per-sample loss weights `[N]`.
    pub weights: Option<Tensor>,
}

impl Samples {
    /// Checks that every tensor is a non-empty batch of the same length and that the counts
    /// match the model (`inputs`, `outputs`); `op` names the caller in errors.
    pub fn new(
        op: &'static str,
        xs: Vec<Tensor>,
        ys: Vec<Tensor>,
        weights: Option<Tensor>,
        inputs: usize,
        outputs: usize,
    ) -> Result<Samples> {
        if xs.len() != inputs || ys.len() != outputs {
            return Err(Error::InvalidArgument {
                op,
                msg: format!(
                    "the model has {inputs} input(s) and {outputs} output(s), got {} input tensor(s) and {} target tensor(s)",
                    xs.len(),
                    ys.len()
                ),
            });
        }
        let n = xs[0].dims().first().copied().unwrap_or(0);
        let all = xs.iter().chain(&ys).chain(weights.iter());
        for t in all {
            let m = t.dims().first().copied().unwrap_or(0);
            if n == 0 || m != n {
                return Err(Error::ShapeMismatch {
                    op,
                    lhs: xs[0].dims().to_vec(),
                    rhs: t.dims().to_vec(),
                    reason: "inputs, targets and sample weights must be non-empty batches with the same number of samples".into(),
                });
            }
        }
        if let Some(w) = &weights {
            if w.rank() != 1 {
                return Err(Error::InvalidArgument {
                    op,
                    msg: format!("sample weights must be 1-D [N], got shape {:?}", w.dims()),
                });
            }
            if w.to_vec().iter().any(|v| !v.is_finite() || *v < 0.0) {
                return Err(Error::InvalidArgument {
                    op,
                    msg: "sample weights must be finite and >= 0".into(),
                });
            }
        }
        Ok(Samples { xs, ys, weights })
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.xs[0].dims()[0]
    }

    /// Always false (construction rejects empty sets); here for API symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn map(&self, f: impl Fn(&Tensor) -> Result<Tensor>) -> Result<Samples> {
        Ok(Samples {
            xs: self.xs.iter().map(&f).collect::<Result<_>>()?,
            ys: self.ys.iter().map(&f).collect::<Result<_>>()?,
            weights: self.weights.as_ref().map(&f).transpose()?,
        })
    }

    /// Samples `start..start + len` (views, no copy).
    pub fn rows(&self, start: usize, len: usize) -> Result<Samples> {
        self.map(|t| t.narrow(0, start, len))
    }

    /// The samples at `indices`, in that order.
    pub fn gather(&self, indices: &[usize]) -> Result<Samples> {
        let idx: Vec<f32> = indices.iter().map(|&i| i as f32).collect();
        let idx = Tensor::from_vec(idx, &[indices.len()])?;
        self.map(|t| t.index_select(0, &idx))
    }
}

//! Batch normalisation (running statistics, train vs eval) and layer normalisation.

use ferrograd_core::{no_grad, Error, Result, Tensor};

use super::leaf_mode;
use crate::module::{parameter, Module, Slot};

/// `torch.nn.BatchNorm1d`: normalises each channel of `[N, C]` or `[N, C, L]` input with the
/// batch statistics in training (biased variance) and the running statistics in eval mode.
/// Running statistics use the unbiased batch variance and `momentum` (PyTorch's convention:
/// `running = (1 - momentum) · running + momentum · batch`).
pub struct BatchNorm1d {
    pub weight: Tensor,
    pub bias: Tensor,
    pub running_mean: Tensor,
    pub running_var: Tensor,
    pub num_batches_tracked: Tensor,
    pub eps: f32,
    pub momentum: f32,
    training: bool,
}

impl BatchNorm1d {
    /// `num_features` channels, `eps` 1e-5 and `momentum` 0.1 as PyTorch's defaults.
    pub fn new(num_features: usize, eps: f32, momentum: f32) -> Result<Self> {
        if num_features == 0 || eps.is_nan() || eps <= 0.0 || !(0.0..=1.0).contains(&momentum) {
            return Err(Error::InvalidArgument {
                op: "BatchNorm1d",
                msg: format!("needs num_features > 0, eps > 0, momentum in [0, 1]; got {num_features}, {eps}, {momentum}"),
            });
        }
        Ok(BatchNorm1d {
            weight: parameter(Tensor::ones(&[num_features]))?,
            bias: parameter(Tensor::zeros(&[num_features]))?,
            running_mean: Tensor::zeros(&[num_features]),
            running_var: Tensor::ones(&[num_features]),
            num_batches_tracked: Tensor::scalar(0.0),
            eps,
            momentum,
            training: true,
        })
    }
}

impl Module for BatchNorm1d {
    fn type_name(&self) -> &'static str {
        "BatchNorm1d"
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let channels = self.weight.numel();
        if !matches!(x.rank(), 2 | 3) || x.dims()[1] != channels {
            return Err(Error::ShapeMismatch {
                op: "BatchNorm1d",
                lhs: x.dims().to_vec(),
                rhs: vec![channels],
                reason: format!("expected input [N, {channels}] or [N, {channels}, L]"),
            });
        }
        let axes: &[isize] = if x.rank() == 2 { &[0] } else { &[0, 2] };
        // Per-channel tensors broadcast against [N, C] as [C], against [N, C, L] as [C, 1].
        let per_channel = |t: &Tensor| {
            if x.rank() == 2 {
                Ok(t.clone())
            } else {
                t.unsqueeze(-1)
            }
        };
        let (mean, var) = if self.training {
            let count = x.numel() / channels;
            if count < 2 {
                return Err(Error::InvalidArgument {
                    op: "BatchNorm1d",
                    msg: format!("expected more than 1 value per channel when training, got input of shape {:?}", x.dims()),
                });
            }
            let mean = x.mean(Some(axes), true)?;
            let var = x.var(Some(axes), true, 0)?;
            no_grad(|| -> Result<()> {
                let m = self.momentum;
                let batch_mean = mean.reshape_to(&[channels])?;
                let unbiased = var
                    .reshape_to(&[channels])?
                    .mul_scalar(count as f32 / (count - 1) as f32)?;
                let rm = self
                    .running_mean
                    .mul_scalar(1.0 - m)?
                    .add(&batch_mean.mul_scalar(m)?)?;
                let rv = self
                    .running_var
                    .mul_scalar(1.0 - m)?
                    .add(&unbiased.mul_scalar(m)?)?;
                self.running_mean.assign_data(&rm.to_vec())?;
                self.running_var.assign_data(&rv.to_vec())?;
                self.num_batches_tracked
                    .assign_data(&[self.num_batches_tracked.item()? + 1.0])
            })?;
            (mean, var)
        } else {
            let shape: Vec<usize> = if x.rank() == 2 {
                vec![1, channels]
            } else {
                vec![1, channels, 1]
            };
            (
                self.running_mean.reshape_to(&shape)?,
                self.running_var.reshape_to(&shape)?,
            )
        };
        let normalized = x.sub(&mean)?.div(&var.add_scalar(self.eps)?.sqrt()?)?;
        normalized
            .mul(&per_channel(&self.weight)?)?
            .add(&per_channel(&self.bias)?)
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Slot<'_>)) {
        f("weight", Slot::Parameter(&self.weight));
        f("bias", Slot::Parameter(&self.bias));
        f("running_mean", Slot::Buffer(&self.running_mean));
        f("running_var", Slot::Buffer(&self.running_var));
        f(
            "num_batches_tracked",
            Slot::Buffer(&self.num_batches_tracked),
        );
    }

    fn config(&self) -> Option<serde_json::Value> {
        Some(
            serde_json::json!({"type": "BatchNorm1d", "num_features": self.weight.numel(), "eps": self.eps, "momentum": self.momentum}),
        )
    }

    leaf_mode!();
}

/// `torch.nn.LayerNorm`: normalises over the trailing `normalized_shape` dimensions of each
/// sample (biased variance), then applies an element-wise affine transform.
pub struct LayerNorm {
    pub weight: Tensor,
    pub bias: Tensor,
    pub eps: f32,
    training: bool,
}

impl LayerNorm {
    /// `eps` 1e-5 is PyTorch's default.
    pub fn new(normalized_shape: &[usize], eps: f32) -> Result<Self> {
        if normalized_shape.is_empty()
            || normalized_shape.contains(&0)
            || eps.is_nan()
            || eps <= 0.0
        {
            return Err(Error::InvalidArgument {
                op: "LayerNorm",
                msg: format!(
                    "needs a non-empty positive shape and eps > 0, got {normalized_shape:?}, {eps}"
                ),
            });
        }
        Ok(LayerNorm {
            weight: parameter(Tensor::ones(normalized_shape))?,
            bias: parameter(Tensor::zeros(normalized_shape))?,
            eps,
            training: true,
        })
    }
}

impl Module for LayerNorm {
    fn type_name(&self) -> &'static str {
        "LayerNorm"
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let k = self.weight.rank();
        if x.rank() < k || x.dims()[x.rank() - k..] != *self.weight.dims() {
            return Err(Error::ShapeMismatch {
                op: "LayerNorm",
                lhs: x.dims().to_vec(),
                rhs: self.weight.dims().to_vec(),
                reason: "the input must end with normalized_shape".into(),
            });
        }
        let axes: Vec<isize> = (1..=k as isize).map(|i| -i).collect();
        let mean = x.mean(Some(&axes), true)?;
        let var = x.var(Some(&axes), true, 0)?;
        let normalized = x.sub(&mean)?.div(&var.add_scalar(self.eps)?.sqrt()?)?;
        normalized.mul(&self.weight)?.add(&self.bias)
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Slot<'_>)) {
        f("weight", Slot::Parameter(&self.weight));
        f("bias", Slot::Parameter(&self.bias));
    }

    fn config(&self) -> Option<serde_json::Value> {
        Some(
            serde_json::json!({"type": "LayerNorm", "normalized_shape": self.weight.dims(), "eps": self.eps}),
        )
    }

    leaf_mode!();
}

/// `torch.nn.BatchNorm2d`: per-channel batch normalisation of `[N, C, H, W]` input (statistics
/// over N, H and W), with [`BatchNorm1d`]'s running statistics and parameter names.
pub struct BatchNorm2d {
    inner: BatchNorm1d,
}

impl BatchNorm2d {
    /// `num_features` channels (PyTorch defaults: `eps` 1e-5, `momentum` 0.1).
    pub fn new(num_features: usize, eps: f32, momentum: f32) -> Result<Self> {
        Ok(BatchNorm2d {
            inner: BatchNorm1d::new(num_features, eps, momentum)?,
        })
    }
}

impl Module for BatchNorm2d {
    fn type_name(&self) -> &'static str {
        "BatchNorm2d"
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let channels = self.inner.weight.numel();
        let d = x.dims();
        if d.len() != 4 || d[1] != channels {
            return Err(Error::ShapeMismatch {
                op: "BatchNorm2d",
                lhs: d.to_vec(),
                rhs: vec![channels],
                reason: format!("expected input [N, {channels}, H, W]"),
            });
        }
        // [N, C, H·W] is BatchNorm1d's [N, C, L] case: the same statistics over N, H, W.
        let flat = x.reshape_to(&[d[0], d[1], d[2] * d[3]])?;
        self.inner.forward(&flat)?.reshape_to(d)
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Slot<'_>)) {
        self.inner.visit(f)
    }

    fn set_training(&mut self, training: bool) {
        self.inner.set_training(training)
    }

    fn is_training(&self) -> bool {
        self.inner.is_training()
    }

    fn config(&self) -> Option<serde_json::Value> {
        Some(serde_json::json!({
            "type": "BatchNorm2d",
            "num_features": self.inner.weight.numel(),
            "eps": self.inner.eps,
            "momentum": self.inner.momentum,
        }))
    }
}

//! Pooling and resizing layers (NCHW): max / average / sum pooling in 1-D and 2-D, global and
//! adaptive pooling, and upsampling. Parameter-free.

use ferrograd_core::{Error, Pool1dOptions, Pool2dOptions, Result, Tensor, UpsampleSize};
use serde_json::{json, Value};

use super::leaf_mode;
use crate::module::{Module, Slot};

/// What a pooling window computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolKind {
    /// Largest value (padding counts as -inf).
    Max,
    /// Mean (padding counted in the divisor unless `count_include_pad` is off).
    Avg,
    /// Sum.
    Sum,
}

impl PoolKind {
    fn name(self) -> &'static str {
        match self {
            PoolKind::Max => "max",
            PoolKind::Avg => "avg",
            PoolKind::Sum => "sum",
        }
    }

    /// Parses `"max"`, `"avg"`, `"sum"`.
    pub fn from_name(s: &str) -> Option<PoolKind> {
        Some(match s {
            "max" => PoolKind::Max,
            "avg" => PoolKind::Avg,
            "sum" => PoolKind::Sum,
            _ => return None,
        })
    }
}

/// A pooling window over the spatial axes: `Pool2d` for `[N, C, H, W]`, `Pool1d` for `[N, C, L]`.
pub struct Pool {
    /// Max, average or sum.
    pub kind: PoolKind,
    /// Window, stride, padding, ceil mode, divisor rule (1-D layers use the second components).
    pub options: Pool2dOptions,
    one_d: bool,
    training: bool,
}

impl Pool {
    /// A 2-D pooling layer.
    pub fn new_2d(kind: PoolKind, options: Pool2dOptions) -> Result<Pool> {
        Pool::check(kind, &options)?;
        Ok(Pool {
            kind,
            options,
            one_d: false,
            training: true,
        })
    }

    /// A 1-D pooling layer (`options.kernel.0`, `stride.0` must be 1 and `padding.0` 0).
    pub fn new_1d(kind: PoolKind, options: Pool2dOptions) -> Result<Pool> {
        Pool::check(kind, &options)?;
        if (options.kernel.0, options.stride.0, options.padding.0) != (1, 1, 0) {
            return Err(Error::InvalidArgument {
                op: "Pool1d",
                msg: "1-D pooling keeps its window, stride and padding in the second component"
                    .into(),
            });
        }
        Ok(Pool {
            kind,
            options,
            one_d: true,
            training: true,
        })
    }

    fn check(kind: PoolKind, o: &Pool2dOptions) -> Result<()> {
        if [o.kernel.0, o.kernel.1, o.stride.0, o.stride.1].contains(&0) {
            return Err(Error::InvalidArgument {
                op: "Pool",
                msg: format!(
                    "{} pooling needs a positive window and stride, got {o:?}",
                    kind.name()
                ),
            });
        }
        Ok(())
    }
}

impl Module for Pool {
    fn type_name(&self) -> &'static str {
        if self.one_d {
            "Pool1d"
        } else {
            "Pool2d"
        }
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let o = &self.options;
        if self.one_d {
            let p = Pool1dOptions {
                kernel: o.kernel.1,
                stride: o.stride.1,
                padding: o.padding.1,
                ceil_mode: o.ceil_mode,
                count_include_pad: o.count_include_pad,
            };
            match self.kind {
                PoolKind::Max => x.max_pool1d(&p),
                PoolKind::Avg => x.avg_pool1d(&p),
                PoolKind::Sum => x.sum_pool1d(&p),
            }
        } else {
            match self.kind {
                PoolKind::Max => x.max_pool2d(o),
                PoolKind::Avg => x.avg_pool2d(o),
                PoolKind::Sum => x.sum_pool2d(o),
            }
        }
    }

    fn visit(&self, _f: &mut dyn FnMut(&str, Slot<'_>)) {}

    fn config(&self) -> Option<Value> {
        let o = &self.options;
        Some(json!({
            "type": self.type_name(),
            "kind": self.kind.name(),
            "kernel": [o.kernel.0, o.kernel.1],
            "stride": [o.stride.0, o.stride.1],
            "padding": [o.padding.0, o.padding.1],
            "ceil_mode": o.ceil_mode,
            "count_include_pad": o.count_include_pad,
        }))
    }

    leaf_mode!();
}

/// Global pooling (mean or max over every spatial position) or adaptive average pooling to a
/// fixed output size.
pub struct GlobalPool {
    /// `Max` or `Avg` (global), or `Avg` with a target size (adaptive).
    pub kind: PoolKind,
    /// `Some((h, w))`: adaptive pooling to that size, keeping the spatial axes.
    pub output: Option<(usize, usize)>,
    /// Global pooling of `[N, ...steps, C]` (features last, as recurrent and transformer layers
    /// emit) instead of `[N, C, ...spatial]`.
    pub channels_last: bool,
    training: bool,
}

impl GlobalPool {
    /// Global pooling `[N, C, ...spatial] -> [N, C]` (max or average).
    pub fn global(kind: PoolKind) -> Result<GlobalPool> {
        if kind == PoolKind::Sum {
            return Err(Error::InvalidArgument {
                op: "GlobalPool",
                msg: "global pooling is max or avg".into(),
            });
        }
        Ok(GlobalPool {
            kind,
            output: None,
            channels_last: false,
            training: true,
        })
    }

    /// Global pooling over the steps of `[N, ...steps, C]` to `[N, C]` (a sequence's mean or max).
    pub fn global_channels_last(kind: PoolKind) -> Result<GlobalPool> {
        Ok(GlobalPool {
            channels_last: true,
            ..GlobalPool::global(kind)?
        })
    }

    /// Adaptive pooling of `[N, C, H, W]` to `[N, C, h, w]` (PyTorch's bins).
    pub fn adaptive(kind: PoolKind, h: usize, w: usize) -> Result<GlobalPool> {
        if h == 0 || w == 0 || kind == PoolKind::Sum {
            return Err(Error::InvalidArgument {
                op: "AdaptivePool2d",
                msg: format!(
                    "needs a positive output size and max/avg, got {h}x{w} {}",
                    kind.name()
                ),
            });
        }
        Ok(GlobalPool {
            kind,
            output: Some((h, w)),
            channels_last: false,
            training: true,
        })
    }
}

impl Module for GlobalPool {
    fn type_name(&self) -> &'static str {
        if self.output.is_some() {
            "AdaptivePool2d"
        } else {
            "GlobalPool"
        }
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if let Some((h, w)) = self.output {
            return match self.kind {
                PoolKind::Max => x.adaptive_max_pool2d(h, w),
                _ => x.adaptive_avg_pool2d(h, w),
            };
        }
        if x.rank() < 3 {
            return Err(Error::ShapeMismatch {
                op: "GlobalPool",
                lhs: x.dims().to_vec(),
                rhs: vec![],
                reason: if self.channels_last {
                    "expected [N, ...steps, C] input".into()
                } else {
                    "expected [N, C, ...spatial] input".into()
                },
            });
        }
        let axes: Vec<isize> = if self.channels_last {
            (1..x.rank() as isize - 1).collect()
        } else {
            (2..x.rank() as isize).collect()
        };
        match self.kind {
            PoolKind::Max => x.max(Some(&axes), false),
            _ => x.mean(Some(&axes), false),
        }
    }

    fn visit(&self, _f: &mut dyn FnMut(&str, Slot<'_>)) {}

    fn config(&self) -> Option<Value> {
        Some(match self.output {
            Some((h, w)) => {
                json!({"type": "AdaptivePool2d", "kind": self.kind.name(), "output": [h, w]})
            }
            None if self.channels_last => {
                json!({"type": "GlobalPool", "kind": self.kind.name(), "channels_last": true})
            }
            None => json!({"type": "GlobalPool", "kind": self.kind.name()}),
        })
    }

    leaf_mode!();
}

/// Upsampling of `[N, C, H, W]` by integer factors, nearest or bilinear (`align_corners=false`).
pub struct Upsample {
    /// `(fh, fw)` factors.
    pub scale: (usize, usize),
    /// Bilinear instead of nearest.
    pub bilinear: bool,
    training: bool,
}

impl Upsample {
    /// Upsampling by positive integer factors.
    pub fn new(scale: (usize, usize), bilinear: bool) -> Result<Upsample> {
        if scale.0 == 0 || scale.1 == 0 {
            return Err(Error::InvalidArgument {
                op: "Upsample",
                msg: format!("scale factors must be positive, got {scale:?}"),
            });
        }
        Ok(Upsample {
            scale,
            bilinear,
            training: true,
        })
    }
}

impl Module for Upsample {
    fn type_name(&self) -> &'static str {
        "Upsample"
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let to = UpsampleSize::Scale(self.scale.0 as f64, self.scale.1 as f64);
        if self.bilinear {
            x.upsample_bilinear2d(to, false)
        } else {
            x.upsample_nearest2d(to)
        }
    }

    fn visit(&self, _f: &mut dyn FnMut(&str, Slot<'_>)) {}

    fn config(&self) -> Option<Value> {
        Some(
            json!({"type": "Upsample", "scale": [self.scale.0, self.scale.1], "mode": if self.bilinear { "bilinear" } else { "nearest" }}),
        )
    }

    leaf_mode!();
}

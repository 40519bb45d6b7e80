//! Shape-only layers.

use ferrograd_core::{Result, Tensor};

use super::leaf_mode;
use crate::module::{Module, Slot};

/// Merges dimensions `start..=end` (default `1..=-1`: everything but the batch axis).
pub struct Flatten {
    pub start: isize,
    pub end: isize,
    training: bool,
}

impl Flatten {
    /// Flattens `start..=end`.
    pub fn new(start: isize, end: isize) -> Self {
        Flatten {
            start,
            end,
            training: true,
        }
    }
}

impl Default for Flatten {
    fn default() -> Self {
        Flatten::new(1, -1)
    }
}

impl Module for Flatten {
    fn type_name(&self) -> &'static str {
        "Flatten"
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.flatten(self.start, self.end)
    }

    fn visit(&self, _f: &mut dyn FnMut(&str, Slot<'_>)) {}

    fn config(&self) -> Option<serde_json::Value> {
        Some(serde_json::json!({"type": "Flatten", "start": self.start, "end": self.end}))
    }

    leaf_mode!();
}

/// Reshapes each sample to `shape` (the batch axis is kept; one entry may be -1), as Keras'
/// `Reshape`.
pub struct Reshape {
    pub shape: Vec<isize>,
    training: bool,
}

impl Reshape {
    /// Per-sample target shape.
    pub fn new(shape: Vec<isize>) -> Self {
        Reshape {
            shape,
            training: true,
        }
    }
}

impl Module for Reshape {
    fn type_name(&self) -> &'static str {
        "Reshape"
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let batch = x.dims().first().copied().unwrap_or(1) as isize;
        let mut full = vec![batch];
        full.extend_from_slice(&self.shape);
        x.reshape(&full)
    }

    fn visit(&self, _f: &mut dyn FnMut(&str, Slot<'_>)) {}

    fn config(&self) -> Option<serde_json::Value> {
        Some(serde_json::json!({"type": "Reshape", "shape": self.shape}))
    }

    leaf_mode!();
}

/// Permutes the per-sample axes: `dims` lists sample axes 1-based (Keras' `Permute((2, 1))`
/// swaps the two axes after the batch axis).
pub struct Permute {
    pub dims: Vec<usize>,
    training: bool,
}

impl Permute {
    /// `dims` must be a permutation of `1..=dims.len()`.
    pub fn new(dims: Vec<usize>) -> Result<Self> {
        let mut sorted = dims.clone();
        sorted.sort_unstable();
        if sorted != (1..=dims.len()).collect::<Vec<_>>() {
            return Err(ferrograd_core::Error::InvalidArgument {
                op: "Permute",
                msg: format!(
                    "dims must be a permutation of 1..={}, got {dims:?}",
                    dims.len()
                ),
            });
        }
        Ok(Permute {
            dims,
            training: true,
        })
    }
}

impl Module for Permute {
    fn type_name(&self) -> &'static str {
        "Permute"
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut perm = vec![0isize];
        perm.extend(self.dims.iter().map(|&d| d as isize));
        x.permute(&perm)?.contiguous()
    }

    fn visit(&self, _f: &mut dyn FnMut(&str, Slot<'_>)) {}

    fn config(&self) -> Option<serde_json::Value> {
        Some(serde_json::json!({"type": "Permute", "dims": self.dims}))
    }

    leaf_mode!();
}

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

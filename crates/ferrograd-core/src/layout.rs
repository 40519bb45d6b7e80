//! Where a tensor's elements live inside its storage: shape, strides (in elements) and offset.
//! Views (reshape of contiguous data, permute, narrow, expand) only build a new `Layout`.

use crate::shape::{contiguous_strides, numel};

/// Shape, element strides and starting offset of a tensor inside its storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    shape: Vec<usize>,
    strides: Vec<usize>,
    offset: usize,
}

impl Layout {
    /// A row-major layout starting at offset 0.
    pub fn contiguous(shape: Vec<usize>) -> Self {
        let strides = contiguous_strides(&shape);
        Layout {
            shape,
            strides,
            offset: 0,
        }
    }

    pub(crate) fn new(shape: Vec<usize>, strides: Vec<usize>, offset: usize) -> Self {
        Layout {
            shape,
            strides,
            offset,
        }
    }

    /// The dimensions.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Element strides per dimension (0 for broadcast dimensions).
    pub fn strides(&self) -> &[usize] {
        &self.strides
    }

    /// Index of the first element in the storage.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        numel(&self.shape)
    }

    /// True when elements are laid out row-major without gaps, so `storage[offset..offset+numel]`
    /// is the tensor. Size-1 dimensions may have any stride.
    pub fn is_contiguous(&self) -> bool {
        let mut expected = 1;
        for (&d, &s) in self.shape.iter().zip(&self.strides).rev() {
            if d != 1 && s != expected {
                return false;
            }
            expected *= d;
        }
        true
    }

    /// Strides to read this layout as if broadcast to `target` (right-aligned, 0 where broadcast).
    /// The caller has checked that the shapes broadcast.
    pub fn broadcast_strides(&self, target: &[usize]) -> Vec<usize> {
        let lead = target.len() - self.shape.len();
        let mut out = vec![0; target.len()];
        for (i, (&d, &s)) in self.shape.iter().zip(&self.strides).enumerate() {
            out[lead + i] = if d == 1 && target[lead + i] != 1 {
                0
            } else {
                s
            };
        }
        out
    }

    /// Largest storage index touched, plus one (0 for empty tensors).
    pub fn storage_extent(&self) -> usize {
        if self.numel() == 0 {
            return 0;
        }
        self.offset
            + self
                .shape
                .iter()
                .zip(&self.strides)
                .map(|(&d, &s)| (d - 1) * s)
                .sum::<usize>()
            + 1
    }
}

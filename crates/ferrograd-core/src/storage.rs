//! Reference-counted element buffer shared by a tensor and its views.

use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::dtype::DType;

/// The elements behind one or more tensors. Reads take a recursive read lock, so an op whose two
/// inputs share a buffer (`x * x`) never deadlocks against a queued writer.
#[derive(Debug)]
pub struct Storage {
    data: RwLock<Vec<f32>>,
    dtype: DType,
}

impl Drop for Storage {
    fn drop(&mut self) {
        crate::alloc::recycle(std::mem::take(self.data.get_mut()));
    }
}

impl Storage {
    pub fn from_vec(data: Vec<f32>) -> Self {
        Storage {
            data: RwLock::new(data),
            dtype: DType::F32,
        }
    }

    pub fn dtype(&self) -> DType {
        self.dtype
    }

    pub fn read(&self) -> RwLockReadGuard<'_, Vec<f32>> {
        self.data.read_recursive()
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, Vec<f32>> {
        self.data.write()
    }

    /// Bytes held, for external-memory accounting in the binding.
    pub fn byte_len(&self) -> usize {
        self.data.read_recursive().len() * self.dtype.size_in_bytes()
    }
}

//! Error type shared by every kernel.
//!
//! Kernels validate all lengths, strides and shapes *before* touching memory,
//! so the SIMD code behind them can use unchecked loads soundly.

/// Errors returned by kernels when their inputs are inconsistent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KernelError {
    /// A buffer does not have the exact length the kernel needs.
    #[error("{kernel}: bad length: expected {expected}, got {got}")]
    BadLength {
        /// Kernel that rejected the input.
        kernel: &'static str,
        /// Required length.
        expected: usize,
        /// Length that was passed.
        got: usize,
    },
    /// A strided view would read (or write) past the end of its buffer.
    #[error("{kernel}: out of bounds: the view needs {needed} elements but the buffer has {got}")]
    OutOfBounds {
        /// Kernel that rejected the input.
        kernel: &'static str,
        /// Minimum buffer length required by the view.
        needed: usize,
        /// Actual buffer length.
        got: usize,
    },
    /// `shape` and a stride / offset array disagree in length.
    #[error("{kernel}: rank mismatch: shape has {expected} dims, got {got}")]
    RankMismatch {
        /// Kernel that rejected the input.
        kernel: &'static str,
        /// Rank of `shape`.
        expected: usize,
        /// Length of the mismatching array.
        got: usize,
    },
    /// A thread count of zero or above [`MAX_THREADS`](crate::MAX_THREADS) was requested.
    #[error("invalid thread count {0}: must be between 1 and 1024")]
    InvalidThreads(usize),
    /// A reduction without identity (max, min, argmax, logsumexp, softmax) over an empty axis.
    #[error("{kernel}: cannot reduce over an empty axis")]
    EmptyReduction {
        /// Kernel that rejected the input.
        kernel: &'static str,
    },
    /// A workspace buffer could not be allocated (the caller maps this to a user-facing error).
    #[error("{kernel}: cannot allocate a workspace of {elements} elements")]
    Alloc {
        /// Kernel that needed the buffer.
        kernel: &'static str,
        /// Number of f32 elements requested.
        elements: usize,
    },
    /// Convolution / pooling parameters that do not describe a valid geometry.
    #[error("{kernel}: invalid geometry: {reason}")]
    InvalidGeometry {
        /// Kernel that rejected the input.
        kernel: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// A size or index computation overflowed `usize`.
    #[error("{kernel}: size computation overflowed")]
    Overflow {
        /// Kernel that rejected the input.
        kernel: &'static str,
    },
}

use ferrograd_kernels::KernelError;

/// Every failure the tensor core can report. Variants name the op and carry the offending values,
/// so the binding can surface a typed JS error (`ShapeError`, `DTypeError`, ...) without parsing text.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Two shapes that had to broadcast (or match) do not.
    #[error("{op}: shapes {lhs:?} and {rhs:?} are not compatible ({reason})")]
    ShapeMismatch {
        op: &'static str,
        lhs: Vec<usize>,
        rhs: Vec<usize>,
        reason: String,
    },

    /// A shape, axis or size argument is invalid for this tensor.
    #[error("{op}: {msg}")]
    Shape { op: &'static str, msg: String },

    /// The op does not support this dtype.
    #[error("{op}: dtype {got} is not supported (expected {expected})")]
    DType {
        op: &'static str,
        expected: &'static str,
        got: &'static str,
    },

    /// A non-shape argument is out of range (negative count, index out of bounds, NaN bound, ...).
    #[error("{op}: {msg}")]
    InvalidArgument { op: &'static str, msg: String },

    /// Misuse of autograd: backward on a tensor that does not require grad, non-scalar without seed, ...
    #[error("{op}: {msg}")]
    Autograd { op: &'static str, msg: String },

    /// A kernel rejected its arguments; this is an engine bug if it ever reaches a user.
    #[error("internal kernel error: {0}")]
    Kernel(#[from] KernelError),
}

impl Error {
    /// Stable code string the binding maps to a JS error class.
    pub fn code(&self) -> &'static str {
        match self {
            Error::ShapeMismatch { .. } | Error::Shape { .. } => "ShapeError",
            Error::DType { .. } => "DTypeError",
            Error::InvalidArgument { .. } => "ValueError",
            Error::Autograd { .. } => "AutogradError",
            Error::Kernel(_) => "InternalError",
        }
    }

    pub(crate) fn shape(op: &'static str, msg: impl Into<String>) -> Self {
        Error::Shape {
            op,
            msg: msg.into(),
        }
    }

    pub(crate) fn invalid(op: &'static str, msg: impl Into<String>) -> Self {
        Error::InvalidArgument {
            op,
            msg: msg.into(),
        }
    }

    /// Wraps a kernel error for `op`: a workspace that cannot be allocated is the caller's
    /// (too large a shape, `ValueError`); anything else is an engine bug.
    pub(crate) fn from_kernel(op: &'static str, e: KernelError) -> Self {
        match e {
            KernelError::Alloc { elements, .. } => Error::invalid(
                op,
                format!(
                    "cannot allocate a workspace of {elements} elements ({} bytes); use smaller inputs",
                    elements.saturating_mul(4)
                ),
            ),
            e => Error::Kernel(e),
        }
    }

    pub(crate) fn mismatch(
        op: &'static str,
        lhs: &[usize],
        rhs: &[usize],
        reason: impl Into<String>,
    ) -> Self {
        Error::ShapeMismatch {
            op,
            lhs: lhs.to_vec(),
            rhs: rhs.to_vec(),
            reason: reason.into(),
        }
    }
}

/// Result alias used across the crate.
pub type Result<T> = std::result::Result<T, Error>;

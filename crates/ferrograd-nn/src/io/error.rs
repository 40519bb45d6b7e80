//! The error type of the persistence module.

use std::path::PathBuf;

/// Every failure the persistence primitives can report.
///
/// Like [`ferrograd_core::Error`], each variant maps to a stable [`code`](IoError::code) string the
/// binding turns into a JS error class without parsing the message:
///
/// | variant              | `code()`        |
/// |----------------------|-----------------|
/// | [`IoError::Io`]      | `"IOError"`     |
/// | [`IoError::Format`]  | `"FormatError"` |
/// | [`IoError::UnsupportedDType`] | `"DTypeError"` |
/// | [`IoError::NotFound`] | `"KeyError"`   |
/// | [`IoError::Tensor`]  | the wrapped core error's code |
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// A filesystem operation failed. `op` says which step (`"create temp file"`, `"rename"`, ...),
    /// `path` is the file the caller asked for (or the directory being synced).
    #[error("{op} {path}: {source}", path = path.display())]
    Io {
        /// The step that failed.
        op: &'static str,
        /// The path the caller passed (or the directory, for the directory sync).
        path: PathBuf,
        /// The underlying OS error.
        #[source]
        source: std::io::Error,
    },

    /// The bytes are not a valid safetensors file, or the tensors/metadata to write cannot be
    /// represented in one.
    #[error("safetensors: {msg}")]
    Format {
        /// What is wrong, naming the offending tensor/field and values.
        msg: String,
    },

    /// The file is well formed but the tensor's dtype cannot be converted to f32.
    #[error("safetensors: tensor '{name}' has dtype {dtype}, which cannot be loaded as f32 (supported: F32, F64, F16, BF16)")]
    UnsupportedDType {
        /// The tensor's name.
        name: String,
        /// Its safetensors dtype (`"I64"`, `"BOOL"`, ...).
        dtype: String,
    },

    /// No tensor of that name in the file.
    #[error("safetensors: no tensor named '{name}'")]
    NotFound {
        /// The name that was asked for.
        name: String,
    },

    /// Building the in-memory tensor failed (should not happen for a validated file).
    #[error(transparent)]
    Tensor(#[from] ferrograd_core::Error),
}

impl IoError {
    /// Stable code string the binding maps to a JS error class (see the table on [`IoError`]).
    pub fn code(&self) -> &'static str {
        match self {
            IoError::Io { .. } => "IOError",
            IoError::Format { .. } => "FormatError",
            IoError::UnsupportedDType { .. } => "DTypeError",
            IoError::NotFound { .. } => "KeyError",
            IoError::Tensor(e) => e.code(),
        }
    }

    pub(crate) fn format(msg: impl Into<String>) -> Self {
        IoError::Format { msg: msg.into() }
    }

    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        IoError::Io {
            op,
            path: path.into(),
            source,
        }
    }
}

/// Result alias of the persistence module.
pub type Result<T> = std::result::Result<T, IoError>;

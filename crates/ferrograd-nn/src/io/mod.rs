//! Model persistence primitives: crash-safe file replacement ([`write_atomic`]) and the
//! [safetensors](https://github.com/huggingface/safetensors) format ([`serialize`], [`deserialize`],
//! [`save_file`], [`load_file`]).
//!
//! Errors are [`IoError`]; its [`code`](IoError::code) gives `"IOError"`, `"FormatError"`,
//! `"DTypeError"` or `"KeyError"` for the binding.

mod atomic;
mod error;
mod safetensors;

pub use atomic::{write_atomic, write_atomic_with};
pub use error::{IoError, Result};
pub use safetensors::{
    deserialize, load_file, save_file, serialize, SafeTensors, TensorInfo, MAX_HEADER_LEN,
};

use std::fmt;

/// Element type of a tensor.
///
/// `F32` is the working type of the engine today; the other variants reserve their names so that
/// adding f64, bf16, integer indices or booleans later changes no public signature. Ops given a
/// dtype they do not implement return [`Error::DType`](crate::Error::DType).
/// Index-valued results (argmax, comparisons, one-hot) are `F32` tensors holding exact integers,
/// exact up to 2^24.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    F32,
    F64,
    BF16,
    I32,
    I64,
    Bool,
}

impl DType {
    /// The name used in the TypeScript API and in error messages (`'float32'`, ...).
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::BF16 => "bfloat16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::Bool => "bool",
        }
    }

    /// Size of one element in bytes.
    pub fn size_in_bytes(self) -> usize {
        match self {
            DType::F32 | DType::I32 => 4,
            DType::F64 | DType::I64 => 8,
            DType::BF16 => 2,
            DType::Bool => 1,
        }
    }

    /// Parses a dtype name as the TypeScript API spells it.
    pub fn parse(name: &str) -> Option<DType> {
        Some(match name {
            "float32" => DType::F32,
            "float64" => DType::F64,
            "bfloat16" => DType::BF16,
            "int32" => DType::I32,
            "int64" => DType::I64,
            "bool" => DType::Bool,
            _ => return None,
        })
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

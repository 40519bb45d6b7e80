//! Reading and writing the [safetensors](https://github.com/huggingface/safetensors) format.
//!
//! Layout of a file:
//!
//! ```text
//! [8 bytes]  N, the header length, unsigned little-endian
//! [N bytes]  UTF-8 JSON object, padded with trailing spaces to a multiple of 8 bytes:
//!            {"__metadata__": {"key": "value", ...},              (optional, string values only)
//!             "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
//! [rest]     the byte buffer; offsets are relative to its start, data is little-endian row-major
//! ```
//!
//! **Writing** ([`serialize`], [`save_file`]) produces exactly the bytes the reference
//! implementation (`safetensors` 0.4+, Python and Rust) writes for the same f32 tensors and
//! metadata: compact JSON, `__metadata__` first (omitted when the map is empty), tensors in sorted
//! name order (byte-wise) both in the header and in the buffer, header padded with spaces to
//! 8-byte alignment. Metadata keys are written in `BTreeMap` (sorted) order.
//!
//! **Reading** ([`deserialize`], [`load_file`]) validates the whole header before touching the
//! data and never allocates from an unchecked header value. It rejects, with
//! [`IoError::Format`]: input shorter than 8 bytes; a header length over [`MAX_HEADER_LEN`] or
//! past the end of the input; a header that is not UTF-8, not JSON, or not an object; duplicate
//! keys (at any depth); a non-object or non-string-valued `__metadata__`; a tensor entry missing
//! `dtype`, `shape` or `data_offsets` or with a wrongly typed one; an unknown dtype; a shape whose
//! element count (or whose row-major strides) overflow `usize`; `data_offsets` whose length differs
//! from `numel × dtype size`, that end before they begin or that lie outside the buffer; regions
//! that overlap, leave gaps, or do not cover the buffer exactly (as the reference requires).
//! Unknown fields inside a tensor entry are ignored, like the reference does.
//!
//! [`SafeTensors::get`] converts to the engine's f32 tensors: `F32` is exact; `F16` and `BF16`
//! widen exactly (subnormals, infinities and NaN preserved); `F64` is rounded to nearest f32
//! (values beyond the f32 range become ±inf). Other known dtypes (`BOOL`, integer and 8-bit
//! float types, `C64`) parse fine but `get` returns [`IoError::UnsupportedDType`].

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use ferrograd_core::{DType, Tensor};
use serde_json::Value;

use super::atomic::write_atomic;
use super::error::{IoError, Result};

/// Largest header accepted, in bytes (100 MB, the reference implementation's limit).
pub const MAX_HEADER_LEN: usize = 100_000_000;

const METADATA_KEY: &str = "__metadata__";

/// Header entry of one tensor, as stored in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    /// The safetensors dtype name (`"F32"`, `"F16"`, `"BF16"`, `"F64"`, `"I64"`, ...).
    pub dtype: String,
    /// Dimensions, outermost first; empty for a scalar.
    pub shape: Vec<usize>,
    /// `[begin, end)` byte range of the data, relative to the start of the byte buffer.
    pub data_offsets: (usize, usize),
}

/// A parsed, fully validated safetensors file. Borrowed from the input of [`deserialize`], or
/// owning the data read by [`load_file`]. Tensors are converted to f32 on [`get`](Self::get).
#[derive(Debug, Clone)]
pub struct SafeTensors<'data> {
    data: Cow<'data, [u8]>,
    tensors: BTreeMap<String, TensorInfo>,
    metadata: BTreeMap<String, String>,
}

impl<'data> SafeTensors<'data> {
    /// Tensor names in sorted (byte-wise) order.
    pub fn names(&self) -> Vec<&str> {
        self.tensors.keys().map(String::as_str).collect()
    }

    /// Number of tensors in the file.
    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    /// True when the file holds no tensor.
    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }

    /// The `__metadata__` map (empty when the file has none).
    pub fn metadata(&self) -> &BTreeMap<String, String> {
        &self.metadata
    }

    /// The header entry of `name`, if present.
    pub fn info(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors.get(name)
    }

    /// Loads tensor `name` as a new f32 tensor (see the module docs for the dtype conversions).
    /// Errors: [`IoError::NotFound`], [`IoError::UnsupportedDType`].
    pub fn get(&self, name: &str) -> Result<Tensor> {
        let info = self.tensors.get(name).ok_or_else(|| IoError::NotFound {
            name: name.to_string(),
        })?;
        let (begin, end) = info.data_offsets;
        let bytes = self.data.get(begin..end).ok_or_else(|| {
            IoError::format(format!("tensor '{name}': data_offsets outside the buffer"))
        })?;
        let values: Vec<f32> = match info.dtype.as_str() {
            "F32" => bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            "F64" => bytes
                .chunks_exact(8)
                .map(|c| {
                    f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32
                })
                .collect(),
            "F16" => bytes
                .chunks_exact(2)
                .map(|c| f16_to_f32(u16::from_le_bytes([c[0], c[1]])))
                .collect(),
            "BF16" => bytes
                .chunks_exact(2)
                .map(|c| f32::from_bits(u32::from(u16::from_le_bytes([c[0], c[1]])) << 16))
                .collect(),
            other => {
                return Err(IoError::UnsupportedDType {
                    name: name.to_string(),
                    dtype: other.to_string(),
                })
            }
        };
        Ok(Tensor::from_vec(values, &info.shape)?)
    }

    /// Loads every tensor, in sorted name order.
    pub fn tensors(&self) -> Result<Vec<(String, Tensor)>> {
        self.tensors
            .keys()
            .map(|name| Ok((name.clone(), self.get(name)?)))
            .collect()
    }
}

/// Widens an IEEE 754 binary16 value exactly.
fn f16_to_f32(h: u16) -> f32 {
    let negative = h & 0x8000 != 0;
    let sign = u32::from(h & 0x8000) << 16;
    let exp = u32::from((h >> 10) & 0x1f);
    let mant = u32::from(h & 0x3ff);
    if exp == 0 {
        // Zero or subnormal: mant × 2^-24, exact in f32.
        let v = mant as f32 * (1.0 / 16_777_216.0);
        return if negative { -v } else { v };
    }
    let bits = if exp == 0x1f {
        sign | 0x7f80_0000 | (mant << 13)
    } else {
        sign | ((exp + 127 - 15) << 23) | (mant << 13)
    };
    f32::from_bits(bits)
}

/// Element size of every dtype the format defines (sub-byte `F4`/`F6_*` are not supported).
fn dtype_size(dtype: &str) -> Option<usize> {
    Some(match dtype {
        "BOOL" | "U8" | "I8" | "F8_E5M2" | "F8_E4M3" | "F8_E8M0" => 1,
        "I16" | "U16" | "F16" | "BF16" => 2,
        "I32" | "U32" | "F32" => 4,
        "I64" | "U64" | "F64" | "C64" => 8,
        _ => return None,
    })
}

/// Serializes f32 tensors and string metadata into safetensors bytes, byte-identical to the
/// reference writer (see the module docs). Errors ([`IoError::Format`]): duplicate names, a tensor
/// named `__metadata__`, a non-f32 tensor, or a size that overflows `usize`.
pub fn serialize(
    tensors: &[(String, &Tensor)],
    metadata: &BTreeMap<String, String>,
) -> Result<Vec<u8>> {
    let mut sorted: Vec<&(String, &Tensor)> = tensors.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    for pair in sorted.windows(2) {
        if pair[0].0 == pair[1].0 {
            return Err(IoError::format(format!(
                "duplicate tensor name '{}'",
                pair[0].0
            )));
        }
    }

    let mut header = String::from("{");
    if !metadata.is_empty() {
        header.push_str("\"__metadata__\":{");
        for (i, (k, v)) in metadata.iter().enumerate() {
            if i > 0 {
                header.push(',');
            }
            header.push_str(&json_string(k)?);
            header.push(':');
            header.push_str(&json_string(v)?);
        }
        header.push('}');
    }
    let mut offset = 0usize;
    for (i, (name, t)) in sorted.iter().enumerate() {
        if name == METADATA_KEY {
            return Err(IoError::format("a tensor cannot be named '__metadata__'"));
        }
        if t.dtype() != DType::F32 {
            return Err(IoError::format(format!(
                "tensor '{name}' has dtype {}, only float32 can be saved",
                t.dtype()
            )));
        }
        let nbytes = t
            .numel()
            .checked_mul(4)
            .ok_or_else(|| IoError::format(format!("tensor '{name}' is too large")))?;
        let end = offset
            .checked_add(nbytes)
            .ok_or_else(|| IoError::format("total tensor size overflows"))?;
        if i > 0 || !metadata.is_empty() {
            header.push(',');
        }
        let shape: Vec<String> = t.dims().iter().map(usize::to_string).collect();
        header.push_str(&format!(
            "{}:{{\"dtype\":\"F32\",\"shape\":[{}],\"data_offsets\":[{offset},{end}]}}",
            json_string(name)?,
            shape.join(",")
        ));
        offset = end;
    }
    header.push('}');
    let pad = (8 - header.len() % 8) % 8;
    header.extend(std::iter::repeat_n(' ', pad));

    let total = offset
        .checked_add(header.len())
        .and_then(|n| n.checked_add(8))
        .ok_or_else(|| IoError::format("total file size overflows"))?;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for (_, t) in &sorted {
        t.with_contiguous(|data| {
            for v in data {
                out.extend_from_slice(&v.to_le_bytes());
            }
        });
    }
    Ok(out)
}

fn json_string(s: &str) -> Result<String> {
    serde_json::to_string(s).map_err(|e| IoError::format(format!("cannot encode {s:?}: {e}")))
}

/// Parses and validates safetensors bytes, borrowing the tensor data from `bytes`.
/// See the module docs for everything that is checked; failures are [`IoError::Format`].
pub fn deserialize(bytes: &[u8]) -> Result<SafeTensors<'_>> {
    let prefix: [u8; 8] = bytes
        .get(..8)
        .and_then(|p| p.try_into().ok())
        .ok_or_else(|| {
            IoError::format(format!(
                "input is {} bytes, shorter than the 8-byte header length",
                bytes.len()
            ))
        })?;
    let rest = bytes.len() - 8;
    let n = check_header_len(u64::from_le_bytes(prefix), rest as u64)?;
    let (header, data) = bytes[8..].split_at(n);
    let (tensors, metadata) = parse_header(header, data.len())?;
    Ok(SafeTensors {
        data: Cow::Borrowed(data),
        tensors,
        metadata,
    })
}

/// Checks the header length against the limit and the bytes that follow it.
fn check_header_len(n: u64, available: u64) -> Result<usize> {
    if n > MAX_HEADER_LEN as u64 {
        return Err(IoError::format(format!(
            "header length {n} exceeds the {MAX_HEADER_LEN}-byte limit"
        )));
    }
    if n > available {
        return Err(IoError::format(format!(
            "header length {n} is larger than the {available} bytes that follow it"
        )));
    }
    usize::try_from(n).map_err(|_| IoError::format(format!("header length {n} overflows usize")))
}

type Parsed = (BTreeMap<String, TensorInfo>, BTreeMap<String, String>);

/// Parses and validates the JSON header against a byte buffer of `buffer_len` bytes.
fn parse_header(header: &[u8], buffer_len: usize) -> Result<Parsed> {
    let text = std::str::from_utf8(header)
        .map_err(|e| IoError::format(format!("header is not valid UTF-8: {e}")))?;
    let value: Value = serde_json::from_str(text)
        .map_err(|e| IoError::format(format!("header is not valid JSON: {e}")))?;
    let Value::Object(entries) = value else {
        return Err(IoError::format("header is not a JSON object"));
    };
    check_duplicate_keys(text)?;

    let mut tensors = BTreeMap::new();
    let mut metadata = BTreeMap::new();
    for (name, entry) in entries {
        if name == METADATA_KEY {
            let Value::Object(map) = entry else {
                return Err(IoError::format("__metadata__ is not an object"));
            };
            for (k, v) in map {
                let Value::String(v) = v else {
                    return Err(IoError::format(format!(
                        "__metadata__ value of '{k}' is not a string"
                    )));
                };
                metadata.insert(k, v);
            }
            continue;
        }
        let info = parse_entry(&name, &entry)?;
        tensors.insert(name, info);
    }

    // Regions must tile [0, buffer_len) exactly: sorted by offsets, each begins where the
    // previous ended (zero-sized tensors may sit anywhere on that chain).
    let mut regions: Vec<(&String, &TensorInfo)> = tensors.iter().collect();
    regions.sort_by_key(|(_, info)| info.data_offsets);
    let mut expected = 0usize;
    for (name, info) in regions {
        let (begin, end) = info.data_offsets;
        if end > buffer_len {
            return Err(IoError::format(format!(
                "tensor '{name}': data_offsets [{begin}, {end}] lie outside the {buffer_len}-byte buffer"
            )));
        }
        if begin != expected {
            let what = if begin < expected {
                "overlaps"
            } else {
                "leaves a gap before"
            };
            return Err(IoError::format(format!(
                "tensor '{name}': data_offsets [{begin}, {end}] {what} the previous tensor's data (expected to begin at {expected})"
            )));
        }
        expected = end;
    }
    if expected != buffer_len {
        return Err(IoError::format(format!(
            "tensors cover {expected} bytes but the buffer holds {buffer_len} bytes"
        )));
    }
    Ok((tensors, metadata))
}

fn parse_entry(name: &str, entry: &Value) -> Result<TensorInfo> {
    let bad = |msg: &str| IoError::format(format!("tensor '{name}': {msg}"));
    let Value::Object(fields) = entry else {
        return Err(bad("entry is not an object"));
    };
    let dtype = match fields.get("dtype") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(bad("dtype is not a string")),
        None => return Err(bad("missing field 'dtype'")),
    };
    let elem = dtype_size(&dtype).ok_or_else(|| bad(&format!("unknown dtype {dtype:?}")))?;
    let shape = match fields.get("shape") {
        Some(Value::Array(dims)) => dims
            .iter()
            .map(|d| {
                d.as_u64()
                    .and_then(|d| usize::try_from(d).ok())
                    .ok_or_else(|| bad(&format!("shape entry {d} is not a non-negative integer")))
            })
            .collect::<Result<Vec<usize>>>()?,
        Some(_) => return Err(bad("shape is not an array")),
        None => return Err(bad("missing field 'shape'")),
    };
    let offsets = match fields.get("data_offsets") {
        Some(Value::Array(o)) if o.len() == 2 => {
            let get = |v: &Value| {
                v.as_u64()
                    .and_then(|v| usize::try_from(v).ok())
                    .ok_or_else(|| bad(&format!("data_offsets entry {v} is not a valid offset")))
            };
            (get(&o[0])?, get(&o[1])?)
        }
        Some(_) => return Err(bad("data_offsets is not an array of two integers")),
        None => return Err(bad("missing field 'data_offsets'")),
    };

    // Both the element count and the row-major strides (product of the non-zero dims) must fit.
    let overflow = || bad(&format!("shape {shape:?} overflows"));
    let mut numel = 1usize;
    let mut span = 1usize;
    for &d in &shape {
        numel = numel.checked_mul(d).ok_or_else(overflow)?;
        span = span.checked_mul(d.max(1)).ok_or_else(overflow)?;
    }
    let nbytes = numel.checked_mul(elem).ok_or_else(overflow)?;
    let (begin, end) = offsets;
    if end < begin {
        return Err(bad(&format!(
            "data_offsets [{begin}, {end}] end before they begin"
        )));
    }
    if end - begin != nbytes {
        return Err(bad(&format!(
            "data_offsets [{begin}, {end}] span {} bytes but shape {shape:?} of {dtype} needs {nbytes}",
            end - begin
        )));
    }
    Ok(TensorInfo {
        dtype,
        shape,
        data_offsets: offsets,
    })
}

/// Rejects JSON objects with a repeated key (serde_json would silently keep the last one).
/// `text` must already be valid JSON.
fn check_duplicate_keys(text: &str) -> Result<()> {
    // One frame per open container: `Some((keys, expecting_key))` for objects, `None` for arrays.
    let mut stack: Vec<Option<(HashSet<String>, bool)>> = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => stack.push(Some((HashSet::new(), true))),
            b'[' => stack.push(None),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => {
                if let Some(Some((_, expecting))) = stack.last_mut() {
                    *expecting = true;
                }
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if let Some(Some((keys, expecting))) = stack.last_mut() {
                    if *expecting {
                        let raw = text
                            .get(start..=i)
                            .ok_or_else(|| IoError::format("header is not valid JSON"))?;
                        let key: String = serde_json::from_str(raw).map_err(|e| {
                            IoError::format(format!("header is not valid JSON: {e}"))
                        })?;
                        if !keys.insert(key.clone()) {
                            return Err(IoError::format(format!(
                                "duplicate key '{key}' in header"
                            )));
                        }
                        *expecting = false;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Serializes (see [`serialize`]) and writes the file with [`write_atomic`], so an existing file
/// at `path` is replaced only by a complete new one.
pub fn save_file(
    path: impl AsRef<Path>,
    tensors: &[(String, &Tensor)],
    metadata: &BTreeMap<String, String>,
) -> Result<()> {
    let bytes = serialize(tensors, metadata)?;
    write_atomic(path, &bytes)
}

/// Reads and validates a safetensors file. The header length is checked against the file size
/// and [`MAX_HEADER_LEN`], and the whole header is validated against the file size, before the
/// data buffer is allocated. Errors: [`IoError::Io`] (naming `path`) or [`IoError::Format`]
/// (message prefixed with `path`).
pub fn load_file(path: impl AsRef<Path>) -> Result<SafeTensors<'static>> {
    let path = path.as_ref();
    let io_err = |op: &'static str| move |e: io::Error| IoError::io(op, path, e);
    let in_file = |e: IoError| match e {
        IoError::Format { msg } => IoError::format(format!("{}: {msg}", path.display())),
        other => other,
    };
    let mut file = File::open(path).map_err(io_err("open"))?;
    let file_len = file.metadata().map_err(io_err("stat"))?.len();
    if file_len < 8 {
        return Err(in_file(IoError::format(format!(
            "file is {file_len} bytes, shorter than the 8-byte header length"
        ))));
    }
    let mut prefix = [0u8; 8];
    file.read_exact(&mut prefix).map_err(io_err("read"))?;
    let n = check_header_len(u64::from_le_bytes(prefix), file_len - 8).map_err(in_file)?;
    let mut header = vec![0u8; n];
    file.read_exact(&mut header).map_err(io_err("read"))?;
    let buffer_len = usize::try_from(file_len - 8 - n as u64)
        .map_err(|_| in_file(IoError::format("file too large for this platform")))?;
    let (tensors, metadata) = parse_header(&header, buffer_len).map_err(in_file)?;
    drop(header);

    let mut data = Vec::new();
    data.try_reserve_exact(buffer_len).map_err(|e| {
        IoError::io(
            "allocate buffer for",
            path,
            io::Error::new(io::ErrorKind::OutOfMemory, e),
        )
    })?;
    data.resize(buffer_len, 0);
    file.read_exact(&mut data).map_err(io_err("read"))?;
    Ok(SafeTensors {
        data: Cow::Owned(data),
        tensors,
        metadata,
    })
}

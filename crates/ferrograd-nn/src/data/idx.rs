//! The IDX format of MNIST and Fashion-MNIST (optionally gzipped).
//!
//! Layout: 2 zero bytes, a type byte (0x08 = u8, the only type these datasets use), the number of
//! dimensions, then one big-endian u32 per dimension and the row-major data. A split file (MNIST's
//! training images ship as six parts here) is the concatenation of parts along the first axis.

use std::io::Read;
use std::path::Path;

use ferrograd_core::{Error, Result, Tensor};
use flate2::read::GzDecoder;

/// Largest file accepted after decompression (MNIST train images are 47 MB): a malformed or
/// hostile gzip stream must not make us allocate without bound.
const MAX_BYTES: u64 = 1 << 30;

/// A decoded IDX array of unsigned bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// Dimensions, e.g. `[10000, 28, 28]` for images or `[10000]` for labels.
    pub dims: Vec<usize>,
    /// Row-major elements.
    pub data: Vec<u8>,
}

fn bad(path: &str, msg: impl Into<String>) -> Error {
    Error::InvalidArgument {
        op: "loadIdx",
        msg: format!("{path}: {}", msg.into()),
    }
}

/// Parses IDX bytes (already decompressed). `name` is used in error messages.
pub fn parse_idx(bytes: &[u8], name: &str) -> Result<IdxArray> {
    if bytes.len() < 4 || bytes[0] != 0 || bytes[1] != 0 {
        return Err(bad(name, "not an IDX file (bad magic number)"));
    }
    if bytes[2] != 0x08 {
        return Err(bad(
            name,
            format!(
                "element type 0x{:02x} is not supported (only 0x08, unsigned byte)",
                bytes[2]
            ),
        ));
    }
    let rank = bytes[3] as usize;
    let header = 4 + 4 * rank;
    if rank == 0 || bytes.len() < header {
        return Err(bad(
            name,
            format!(
                "truncated header ({} bytes for {rank} dimensions)",
                bytes.len()
            ),
        ));
    }
    let dims: Vec<usize> = bytes[4..header]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let count = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| bad(name, "dimensions overflow"))?;
    let payload = &bytes[header..];
    if payload.len() != count {
        return Err(bad(
            name,
            format!(
                "dimensions {dims:?} need {count} bytes of data, the file has {}",
                payload.len()
            ),
        ));
    }
    Ok(IdxArray {
        dims,
        data: payload.to_vec(),
    })
}

/// Reads an IDX file, gunzipping it when its name ends in `.gz`.
pub fn read_idx_file(path: &Path) -> Result<IdxArray> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| bad(&name, e.to_string()))?;
    let mut bytes = Vec::new();
    let read = if name.ends_with(".gz") {
        GzDecoder::new(file)
            .take(MAX_BYTES + 1)
            .read_to_end(&mut bytes)
    } else {
        file.take(MAX_BYTES + 1).read_to_end(&mut bytes)
    };
    read.map_err(|e| bad(&name, format!("cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(bad(&name, format!("larger than {MAX_BYTES} bytes")));
    }
    parse_idx(&bytes, &name)
}

/// Reads several IDX files and concatenates them along the first axis (their other dimensions
/// must agree), e.g. the six parts of MNIST's training images.
pub fn read_idx_parts(paths: &[&Path]) -> Result<IdxArray> {
    let mut out: Option<IdxArray> = None;
    for path in paths {
        let part = read_idx_file(path)?;
        out = Some(match out {
            None => part,
            Some(mut acc) => {
                if acc.dims[1..] != part.dims[1..] {
                    return Err(bad(
                        &path.display().to_string(),
                        format!("dimensions {:?} do not continue {:?}", part.dims, acc.dims),
                    ));
                }
                acc.dims[0] += part.dims[0];
                acc.data.extend_from_slice(&part.data);
                acc
            }
        });
    }
    out.ok_or_else(|| bad("readIdxParts", "no files given"))
}

impl IdxArray {
    /// The bytes as an f32 tensor multiplied by `scale` (e.g. `1/255` for pixels in [0, 1]).
    pub fn to_tensor(&self, scale: f32) -> Result<Tensor> {
        Tensor::from_vec(
            self.data.iter().map(|&b| b as f32 * scale).collect(),
            &self.dims,
        )
    }
}

//! Robustness of the safetensors reader: corrupted input must give an error, never a panic or a
//! huge allocation.

use std::collections::BTreeMap;

use ferrograd_core::Tensor;
use ferrograd_nn::io::{deserialize, load_file, serialize};

fn sample() -> Vec<u8> {
    let w = Tensor::from_vec((0..12).map(|i| i as f32).collect(), &[3, 4]).unwrap();
    let b = Tensor::from_vec(vec![0.5, -0.5], &[2]).unwrap();
    let s = Tensor::scalar(7.0);
    let e = Tensor::from_vec(vec![], &[0, 3]).unwrap();
    let meta = BTreeMap::from([("format".to_string(), "pt".to_string())]);
    serialize(
        &[
            ("w".into(), &w),
            ("b".into(), &b),
            ("s".into(), &s),
            ("e".into(), &e),
        ],
        &meta,
    )
    .unwrap()
}

/// Either an error, or a file whose every tensor can be read without panicking.
fn exercise(bytes: &[u8]) -> bool {
    match deserialize(bytes) {
        Err(e) => {
            assert!(!e.to_string().is_empty());
            false
        }
        Ok(st) => {
            for name in st.names() {
                let _ = st.get(name);
            }
            true
        }
    }
}

#[test]
fn every_truncation_is_rejected() {
    let good = sample();
    assert!(exercise(&good));
    for len in 0..good.len() {
        let e = deserialize(&good[..len]).unwrap_err();
        assert_eq!(e.code(), "FormatError", "len {len}: {e}");
    }
}

#[test]
fn appended_bytes_are_rejected() {
    let mut b = sample();
    b.push(0);
    assert_eq!(deserialize(&b).unwrap_err().code(), "FormatError");
}

#[test]
fn flipping_any_header_byte_never_panics() {
    let good = sample();
    let n = u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
    let mut accepted = 0;
    for i in 0..8 + n {
        for mask in [0x01u8, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff] {
            let mut b = good.clone();
            b[i] ^= mask;
            if exercise(&b) {
                accepted += 1;
            }
        }
    }
    // Some flips are harmless (e.g. inside a metadata value or name); most are not.
    assert!(accepted < (8 + n) * 9 / 2, "{accepted}");
}

#[test]
fn replacing_header_bytes_with_json_punctuation_never_panics() {
    let good = sample();
    let n = u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
    for i in 8..8 + n {
        for c in *b"{}[]\",:\\0 9e-" {
            let mut b = good.clone();
            b[i] = c;
            exercise(&b);
        }
    }
}

#[test]
fn random_mutations_never_panic() {
    let good = sample();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..20_000 {
        let mut b = good.clone();
        let edits = 1 + next() % 4;
        for _ in 0..edits {
            let i = (next() % b.len() as u64) as usize;
            match next() % 3 {
                0 => b[i] = next() as u8,
                1 => {
                    b.remove(i);
                }
                _ => b.insert(i, next() as u8),
            }
        }
        exercise(&b);
    }
}

#[test]
fn huge_header_lengths_are_rejected_without_allocating() {
    let good = sample();
    for n in [
        u64::MAX,
        u64::MAX - 7,
        1 << 63,
        100_000_001,
        100_000_000,
        good.len() as u64,
        (good.len() - 7) as u64,
    ] {
        let mut b = good.clone();
        b[..8].copy_from_slice(&n.to_le_bytes());
        assert_eq!(deserialize(&b).unwrap_err().code(), "FormatError", "{n}");
    }
}

fn with_header(header: &str, data_len: usize) -> Vec<u8> {
    let mut b = (header.len() as u64).to_le_bytes().to_vec();
    b.extend_from_slice(header.as_bytes());
    b.resize(b.len() + data_len, 0);
    b
}

#[test]
fn overflowing_offsets_and_shapes_are_rejected() {
    let max = u64::MAX;
    let cases = [
        format!(
            r#"{{"a":{{"dtype":"F32","shape":[1],"data_offsets":[{},{max}]}}}}"#,
            max - 3
        ),
        format!(r#"{{"a":{{"dtype":"F32","shape":[{max}],"data_offsets":[0,4]}}}}"#),
        r#"{"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}}"#.to_string(),
        format!(r#"{{"a":{{"dtype":"U8","shape":[{max},{max}],"data_offsets":[0,1]}}}}"#),
        format!(r#"{{"a":{{"dtype":"U8","shape":[0,{max},2],"data_offsets":[0,0]}}}}"#),
        r#"{"a":{"dtype":"F32","shape":[1e30],"data_offsets":[0,4]}}"#.to_string(),
        r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4e0]}}"#.to_string(),
        r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,99999999999999999999999]}}"#
            .to_string(),
        format!(r#"{{"a":{{"dtype":"F32","shape":[1],"data_offsets":[{max},3]}}}}"#),
    ];
    for h in &cases {
        let e = deserialize(&with_header(h, 4)).unwrap_err();
        assert_eq!(e.code(), "FormatError", "{h}: {e}");
    }
}

#[test]
fn deeply_nested_json_is_rejected() {
    let h = format!(
        r#"{{"__metadata__":{}1{}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert_eq!(
        deserialize(&with_header(&h, 0)).unwrap_err().code(),
        "FormatError"
    );
}

#[test]
fn truncated_files_on_disk_are_rejected() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("io_fuzz_files");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let good = sample();
    let p = dir.join("t.safetensors");
    for len in (0..good.len()).step_by(5) {
        std::fs::write(&p, &good[..len]).unwrap();
        assert_eq!(load_file(&p).unwrap_err().code(), "FormatError", "{len}");
    }
    std::fs::write(&p, &good).unwrap();
    assert_eq!(load_file(&p).unwrap().len(), 4);
}

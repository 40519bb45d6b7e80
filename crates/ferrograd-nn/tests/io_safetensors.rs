//! Format and validation tests of `ferrograd_nn::io` safetensors support.

use std::collections::BTreeMap;
use std::path::Path;

use ferrograd_core::Tensor;
use ferrograd_nn::io::{
    deserialize, load_file, save_file, serialize, IoError, TensorInfo, MAX_HEADER_LEN,
};

/// Builds a file from a header string (padded like the reference) and a data buffer.
fn build(header: &str, data: &[u8]) -> Vec<u8> {
    let mut h = header.to_string();
    while !h.len().is_multiple_of(8) {
        h.push(' ');
    }
    let mut out = (h.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    out
}

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

#[track_caller]
fn format_err(bytes: &[u8], needle: &str) {
    match deserialize(bytes) {
        Ok(_) => panic!("expected a FormatError containing {needle:?}"),
        Err(e) => {
            assert_eq!(e.code(), "FormatError", "{e}");
            assert!(matches!(e, IoError::Format { .. }));
            assert!(e.to_string().contains(needle), "{e:?} lacks {needle:?}");
        }
    }
}

fn no_meta() -> BTreeMap<String, String> {
    BTreeMap::new()
}

#[test]
fn exact_bytes_of_a_small_file() {
    let a = Tensor::from_vec(vec![1.0, 2.0], &[2]).unwrap();
    let s = Tensor::scalar(-0.5);
    let meta = BTreeMap::from([("k".to_string(), "v".to_string())]);
    let bytes = serialize(&[("s".into(), &s), ("a".into(), &a)], &meta).unwrap();
    let header = r#"{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"s":{"dtype":"F32","shape":[],"data_offsets":[8,12]}}"#;
    let expected = build(header, &f32_bytes(&[1.0, 2.0, -0.5]));
    assert_eq!(bytes, expected);
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap());
    assert_eq!(n % 8, 0);
}

#[test]
fn round_trip_preserves_everything() {
    let w = Tensor::from_vec((0..24).map(|i| i as f32 * 0.1 - 1.0).collect(), &[2, 3, 4]).unwrap();
    let e = Tensor::from_vec(vec![], &[0, 3]).unwrap();
    let s = Tensor::scalar(f32::NAN);
    let v = Tensor::from_vec(vec![f32::INFINITY, -0.0, f32::MIN_POSITIVE / 2.0], &[3]).unwrap();
    let meta = BTreeMap::from([
        ("epoch".to_string(), "3".to_string()),
        ("note".to_string(), "ü \"quoted\"\n\t\u{1}".to_string()),
    ]);
    let tensors = vec![
        ("w".to_string(), &w),
        ("empty".to_string(), &e),
        ("nan".to_string(), &s),
        ("ünï\"code".to_string(), &v),
    ];
    let bytes = serialize(&tensors, &meta).unwrap();
    let st = deserialize(&bytes).unwrap();
    assert_eq!(st.names(), vec!["empty", "nan", "w", "ünï\"code"]);
    assert_eq!(st.len(), 4);
    assert!(!st.is_empty());
    assert_eq!(st.metadata(), &meta);
    for (name, t) in &tensors {
        let got = st.get(name).unwrap();
        assert_eq!(got.dims(), t.dims());
        let a: Vec<u32> = got.to_vec().iter().map(|x| x.to_bits()).collect();
        let b: Vec<u32> = t.to_vec().iter().map(|x| x.to_bits()).collect();
        assert_eq!(a, b, "{name}");
    }
    assert_eq!(
        st.info("w"),
        Some(&TensorInfo {
            dtype: "F32".into(),
            shape: vec![2, 3, 4],
            data_offsets: (4, 100)
        })
    );
    let all = st.tensors().unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(all[2].0, "w");
}

#[test]
fn non_contiguous_views_are_written_in_logical_order() {
    let t = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
    let tt = t.transpose(0, 1).unwrap();
    let bytes = serialize(&[("t".into(), &tt)], &no_meta()).unwrap();
    let got = deserialize(&bytes).unwrap().get("t").unwrap();
    assert_eq!(got.dims(), &[3, 2]);
    assert_eq!(got.to_vec(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
}

#[test]
fn empty_file_round_trips() {
    let bytes = serialize(&[], &no_meta()).unwrap();
    assert_eq!(bytes, build("{}", &[]));
    let st = deserialize(&bytes).unwrap();
    assert!(st.is_empty());
    assert!(st.metadata().is_empty());
}

#[test]
fn serialize_rejects_bad_input() {
    let a = Tensor::scalar(1.0);
    let e = serialize(&[("x".into(), &a), ("x".into(), &a)], &no_meta()).unwrap_err();
    assert_eq!(e.code(), "FormatError");
    assert!(e.to_string().contains("duplicate tensor name 'x'"), "{e}");
    let e = serialize(&[("__metadata__".into(), &a)], &no_meta()).unwrap_err();
    assert!(e.to_string().contains("__metadata__"), "{e}");
}

#[test]
fn get_errors() {
    let a = Tensor::scalar(1.0);
    let bytes = serialize(&[("a".into(), &a)], &no_meta()).unwrap();
    let st = deserialize(&bytes).unwrap();
    let e = st.get("b").unwrap_err();
    assert_eq!(e.code(), "KeyError");
    assert!(e.to_string().contains("'b'"));

    let bytes = build(
        r#"{"i":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"b":{"dtype":"BOOL","shape":[3],"data_offsets":[16,19]}}"#,
        &[0u8; 19],
    );
    let st = deserialize(&bytes).unwrap();
    for name in ["i", "b"] {
        let e = st.get(name).unwrap_err();
        assert_eq!(e.code(), "DTypeError");
        assert!(matches!(e, IoError::UnsupportedDType { .. }));
    }
}

#[test]
fn converts_f16_bf16_f64() {
    // f16: 1.0, -2.0, smallest subnormal, inf, 65504; bf16: 1.0, -0.0; f64: 0.1, 1e300
    let mut data = Vec::new();
    for h in [0x3c00u16, 0xc000, 0x0001, 0x7c00, 0x7bff] {
        data.extend_from_slice(&h.to_le_bytes());
    }
    for b in [0x3f80u16, 0x8000] {
        data.extend_from_slice(&b.to_le_bytes());
    }
    for d in [0.1f64, 1e300] {
        data.extend_from_slice(&d.to_le_bytes());
    }
    let bytes = build(
        r#"{"h":{"dtype":"F16","shape":[5],"data_offsets":[0,10]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[10,14]},"d":{"dtype":"F64","shape":[2,1],"data_offsets":[14,30]}}"#,
        &data,
    );
    let st = deserialize(&bytes).unwrap();
    assert_eq!(
        st.get("h").unwrap().to_vec(),
        vec![1.0, -2.0, 2f32.powi(-24), f32::INFINITY, 65504.0]
    );
    let b = st.get("b").unwrap().to_vec();
    assert_eq!(b[0], 1.0);
    assert!(b[1] == 0.0 && b[1].is_sign_negative());
    let d = st.get("d").unwrap();
    assert_eq!(d.dims(), &[2, 1]);
    assert_eq!(d.to_vec(), vec![0.1f32, f32::INFINITY]);
}

#[test]
fn rejects_short_input_and_bad_header_lengths() {
    format_err(&[], "shorter than the 8-byte");
    format_err(&[1, 2, 3, 4, 5, 6, 7], "shorter than the 8-byte");
    let mut b = 100u64.to_le_bytes().to_vec();
    b.extend_from_slice(b"{}");
    format_err(&b, "larger than the 2 bytes");
    let b = u64::MAX.to_le_bytes().to_vec();
    format_err(&b, "exceeds");
    let mut b = ((MAX_HEADER_LEN + 1) as u64).to_le_bytes().to_vec();
    b.extend_from_slice(&[b' '; 64]);
    format_err(&b, "exceeds");
}

#[test]
fn rejects_malformed_headers() {
    let d4 = [0u8; 4];
    let mut b = 4u64.to_le_bytes().to_vec();
    b.extend_from_slice(&[0xff, 0xfe, b'{', b'}']);
    format_err(&b, "UTF-8");
    format_err(&build("{\"a\":", &[]), "not valid JSON");
    format_err(&build("[1,2]", &[]), "not a JSON object");
    format_err(&build("", &[]), "not valid JSON");
    format_err(&build(r#"{"a":1}"#, &[]), "entry is not an object");
    format_err(
        &build(r#"{"a":{"shape":[1],"data_offsets":[0,4]}}"#, &d4),
        "missing field 'dtype'",
    );
    format_err(
        &build(r#"{"a":{"dtype":"F32","data_offsets":[0,4]}}"#, &d4),
        "missing field 'shape'",
    );
    format_err(
        &build(r#"{"a":{"dtype":"F32","shape":[1]}}"#, &d4),
        "missing field 'data_offsets'",
    );
    format_err(
        &build(r#"{"a":{"dtype":7,"shape":[1],"data_offsets":[0,4]}}"#, &d4),
        "dtype is not a string",
    );
    format_err(
        &build(
            r#"{"a":{"dtype":"F32","shape":1,"data_offsets":[0,4]}}"#,
            &d4,
        ),
        "shape is not an array",
    );
    format_err(
        &build(
            r#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#,
            &d4,
        ),
        "non-negative integer",
    );
    format_err(
        &build(
            r#"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#,
            &d4,
        ),
        "non-negative integer",
    );
    format_err(
        &build(
            r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#,
            &d4,
        ),
        "two integers",
    );
    format_err(
        &build(
            r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,-4]}}"#,
            &d4,
        ),
        "not a valid offset",
    );
    format_err(
        &build(
            r#"{"a":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}}"#,
            &d4,
        ),
        "unknown dtype",
    );
    format_err(
        &build(
            r#"{"__metadata__":[],"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
            &d4,
        ),
        "__metadata__ is not an object",
    );
    format_err(&build(r#"{"__metadata__":{"k":1}}"#, &[]), "not a string");
}

#[test]
fn rejects_duplicate_keys() {
    let d = [0u8; 8];
    format_err(
        &build(
            r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
            &d,
        ),
        "duplicate key 'a'",
    );
    // Same key spelled with an escape.
    format_err(
        &build(
            r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\u0061":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
            &d,
        ),
        "duplicate key 'a'",
    );
    format_err(
        &build(r#"{"__metadata__":{"k":"1","k":"2"}}"#, &[]),
        "duplicate key 'k'",
    );
    format_err(
        &build(
            r#"{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
            &d[..4],
        ),
        "duplicate key 'dtype'",
    );
    // Keys that only look alike in a string value are fine.
    let ok = build(r#"{"__metadata__":{"k":"\"k\":","x":"k"}}"#, &[]);
    assert_eq!(deserialize(&ok).unwrap().metadata()["k"], "\"k\":");
}

#[test]
fn rejects_bad_offsets() {
    let d8 = [0u8; 8];
    format_err(
        &build(
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#,
            &d8[..4],
        ),
        "needs 8",
    );
    format_err(
        &build(
            r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#,
            &d8,
        ),
        "end before they begin",
    );
    format_err(
        &build(
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
            &d8[..4],
        ),
        "outside",
    );
    format_err(
        &build(
            r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
            &d8,
        ),
        "gap",
    );
    format_err(
        &build(
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
            &d8,
        ),
        "overlaps",
    );
    format_err(
        &build(
            r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
            &d8,
        ),
        "cover 4 bytes but the buffer holds 8",
    );
    format_err(
        &build(
            r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[18446744073709551612,18446744073709551615]}}"#,
            &d8,
        ),
        "span",
    );
    format_err(
        &build(
            r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551616]}}"#,
            &d8,
        ),
        "not a valid offset",
    );
    // Zero-sized tensors may sit at the chain's current offset.
    let ok = build(
        r#"{"z":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
        &d8,
    );
    assert_eq!(deserialize(&ok).unwrap().get("z").unwrap().dims(), &[0]);
}

#[test]
fn rejects_shape_overflow() {
    let big = u64::MAX / 2;
    format_err(
        &build(
            &format!(r#"{{"a":{{"dtype":"F32","shape":[{big},4],"data_offsets":[0,0]}}}}"#),
            &[],
        ),
        "overflows",
    );
    format_err(
        &build(
            &format!(r#"{{"a":{{"dtype":"F64","shape":[{big}],"data_offsets":[0,0]}}}}"#),
            &[],
        ),
        "overflows",
    );
    // numel 0 but strides would overflow: still rejected rather than building a broken layout.
    format_err(
        &build(
            &format!(r#"{{"a":{{"dtype":"F32","shape":[0,{big},{big}],"data_offsets":[0,0]}}}}"#),
            &[],
        ),
        "overflows",
    );
    // Large but representable empty shape is fine.
    let ok = build(
        r#"{"a":{"dtype":"F32","shape":[0,1000000000],"data_offsets":[0,0]}}"#,
        &[],
    );
    assert_eq!(deserialize(&ok).unwrap().get("a").unwrap().numel(), 0);
}

#[test]
fn save_and_load_file() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("io_safetensors_files");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("m.safetensors");
    let w = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]).unwrap();
    let meta = BTreeMap::from([("a".to_string(), "b".to_string())]);
    save_file(&p, &[("w".into(), &w)], &meta).unwrap();
    let st = load_file(&p).unwrap();
    assert_eq!(st.get("w").unwrap().to_vec(), vec![1.0, 2.0, 3.0]);
    assert_eq!(st.metadata(), &meta);
    assert_eq!(
        std::fs::read(&p).unwrap(),
        serialize(&[("w".into(), &w)], &meta).unwrap()
    );

    let e = load_file(dir.join("missing.safetensors")).unwrap_err();
    assert_eq!(e.code(), "IOError");
    assert!(e.to_string().contains("missing.safetensors"), "{e}");

    let bad = dir.join("bad.safetensors");
    std::fs::write(&bad, u64::MAX.to_le_bytes()).unwrap();
    let e = load_file(&bad).unwrap_err();
    assert_eq!(e.code(), "FormatError");
    assert!(e.to_string().contains("bad.safetensors"), "{e}");
    std::fs::write(&bad, [1, 2, 3]).unwrap();
    assert_eq!(load_file(&bad).unwrap_err().code(), "FormatError");
    // A failed save keeps the previous file.
    let e = save_file(&p, &[("x".into(), &w), ("x".into(), &w)], &meta).unwrap_err();
    assert_eq!(e.code(), "FormatError");
    assert_eq!(load_file(&p).unwrap().names(), vec!["w"]);
}

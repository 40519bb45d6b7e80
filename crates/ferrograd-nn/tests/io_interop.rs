//! Interop with the reference `safetensors` implementation.
//!
//! * `from_python.safetensors` / `from_python.json` are written by
//!   `scripts/gen_safetensors_fixtures.py` with `safetensors.torch.save_file`; we read them back.
//! * `from_rust.safetensors` is written by this crate and committed; the test checks our output is
//!   still byte-identical to it (format drift is caught without Python), and the Python script
//!   verifies it loads in numpy/torch and matches the reference writer. Regenerate after an
//!   intentional change with `FERROGRAD_UPDATE_FIXTURES=1 cargo test -p ferrograd-nn --test io_interop`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ferrograd_core::Tensor;
use ferrograd_nn::io::{deserialize, load_file, serialize};
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/safetensors")
}

fn decode(v: &Value) -> f32 {
    match v {
        Value::String(s) if s == "inf" => f32::INFINITY,
        Value::String(s) if s == "-inf" => f32::NEG_INFINITY,
        Value::String(s) if s == "nan" => f32::NAN,
        Value::Number(n) => n.as_f64().unwrap() as f32,
        other => panic!("bad expected value {other}"),
    }
}

#[test]
fn reads_file_written_by_python() {
    let dir = fixtures();
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("from_python.json")).unwrap())
            .unwrap();
    let st = load_file(dir.join("from_python.safetensors")).unwrap();
    let bytes = std::fs::read(dir.join("from_python.safetensors")).unwrap();
    let st2 = deserialize(&bytes).unwrap();

    let meta: BTreeMap<String, String> =
        serde_json::from_value(expected["metadata"].clone()).unwrap();
    assert_eq!(st.metadata(), &meta);
    let tensors = expected["tensors"].as_object().unwrap();
    let mut names: Vec<&str> = tensors.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(st.names(), names);
    assert_eq!(names.len(), 8);

    let mut checked = 0;
    for (name, want) in tensors {
        let info = st.info(name).unwrap();
        assert_eq!(info.dtype, want["dtype"].as_str().unwrap(), "{name}");
        let shape: Vec<usize> = want["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(info.shape, shape, "{name}");
        if want.get("unsupported").is_some() {
            assert_eq!(st.get(name).unwrap_err().code(), "DTypeError");
            continue;
        }
        let got = st.get(name).unwrap();
        assert_eq!(got.dims(), &shape[..], "{name}");
        let values: Vec<f32> = want["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(decode)
            .collect();
        let got = got.to_vec();
        assert_eq!(got.len(), values.len(), "{name}");
        for (i, (g, w)) in got.iter().zip(&values).enumerate() {
            assert!(
                g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
                "{name}[{i}]: got {g:e}, want {w:e}"
            );
        }
        assert_eq!(st2.get(name).unwrap().to_vec().len(), values.len());
        checked += 1;
    }
    assert_eq!(checked, 7);
}

/// Mirrors `rust_expected()` in scripts/gen_safetensors_fixtures.py.
fn rust_fixture_tensors() -> (Vec<(String, Tensor)>, BTreeMap<String, String>) {
    let tensors = vec![
        (
            "conv.weight".to_string(),
            Tensor::from_vec((0..12).map(|i| i as f32 * 0.25 - 1.5).collect(), &[2, 2, 3]).unwrap(),
        ),
        (
            "bias".to_string(),
            Tensor::from_vec(vec![0.5, -1.25, 3.0], &[3]).unwrap(),
        ),
        ("scalar".to_string(), Tensor::scalar(0.1)),
        (
            "empty".to_string(),
            Tensor::from_vec(vec![], &[0, 3]).unwrap(),
        ),
        (
            "layer \"1\".\u{3b2}".to_string(),
            Tensor::from_vec(vec![1e-7, -3.5e20], &[1, 2]).unwrap(),
        ),
    ];
    let meta = BTreeMap::from([
        ("format".to_string(), "pt".to_string()),
        (
            "note".to_string(),
            "ferrograd \"test\" \u{fc}\n".to_string(),
        ),
    ]);
    (tensors, meta)
}

#[test]
fn rust_output_matches_committed_fixture() {
    let (tensors, meta) = rust_fixture_tensors();
    let refs: Vec<(String, &Tensor)> = tensors.iter().map(|(n, t)| (n.clone(), t)).collect();
    let bytes = serialize(&refs, &meta).unwrap();
    // Deterministic: same input, same bytes, whatever the input order.
    let mut reversed = refs.clone();
    reversed.reverse();
    assert_eq!(serialize(&reversed, &meta).unwrap(), bytes);

    let path = fixtures().join("from_rust.safetensors");
    if std::env::var_os("FERROGRAD_UPDATE_FIXTURES").is_some() {
        ferrograd_nn::io::write_atomic(&path, &bytes).unwrap();
    }
    let committed = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; regenerate with FERROGRAD_UPDATE_FIXTURES=1 cargo test -p ferrograd-nn --test io_interop",
            path.display()
        )
    });
    assert!(
        committed == bytes,
        "serialize output drifted from {}; if intentional, regenerate it (see module docs) and rerun the Python check",
        path.display()
    );

    let st = deserialize(&committed).unwrap();
    assert_eq!(st.metadata(), &meta);
    for (name, t) in &tensors {
        let got = st.get(name).unwrap();
        assert_eq!(got.dims(), t.dims());
        assert_eq!(got.to_vec(), t.to_vec());
    }
}

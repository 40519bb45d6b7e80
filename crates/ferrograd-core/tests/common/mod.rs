#![allow(dead_code)]
use ferrograd_core::Tensor;

/// Seeded normal values pushed at least 0.2 away from zero, so kinks (relu, abs, max ties) are
/// never within a finite-difference step.
pub fn away_from_zero(shape: &[usize], seed: u64) -> Tensor {
    let t = Tensor::randn(shape, 0.0, 1.0, Some(seed)).unwrap();
    let data = t
        .to_vec()
        .iter()
        .map(|&v| if v >= 0.0 { v + 0.2 } else { v - 0.2 })
        .collect();
    Tensor::from_vec(data, shape).unwrap()
}

/// Seeded values in [0.5, 2): valid for log, sqrt, pow bases.
pub fn positive(shape: &[usize], seed: u64) -> Tensor {
    Tensor::rand(shape, 0.5, 2.0, Some(seed)).unwrap()
}

pub fn t(data: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_vec(data.to_vec(), shape).unwrap()
}

pub fn assert_close(actual: &[f32], expected: &[f32], rtol: f32, atol: f32, what: &str) {
    assert_eq!(
        actual.len(),
        expected.len(),
        "{what}: length {} vs {}",
        actual.len(),
        expected.len()
    );
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        let ok = (a - e).abs() <= atol + rtol * e.abs() || (a.is_nan() && e.is_nan()) || (a == e);
        assert!(ok, "{what}: element {i}: got {a}, expected {e}");
    }
}

//! Initializers: fans, gains, the spread of each distribution, orthogonality, reproducibility.

use ferrograd_nn::init::{calculate_gain, fans, FanMode, Initializer, Nonlinearity};

fn stats(v: &[f32]) -> (f64, f64, f32, f32) {
    let n = v.len() as f64;
    let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n;
    let var = v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n;
    let lo = v.iter().copied().fold(f32::INFINITY, f32::min);
    let hi = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    (mean, var.sqrt(), lo, hi)
}

#[test]
fn fans_follow_pytorch_for_dense_and_conv_weights() {
    assert_eq!(fans(&[30, 20]).unwrap(), (20, 30));
    assert_eq!(fans(&[16, 3, 5, 5]).unwrap(), (75, 400));
    assert!(fans(&[7]).is_err());
}

#[test]
fn gains_match_torch_calculate_gain() {
    assert_eq!(calculate_gain(Nonlinearity::Linear), 1.0);
    assert!((calculate_gain(Nonlinearity::Tanh) - 5.0 / 3.0).abs() < 1e-7);
    assert!((calculate_gain(Nonlinearity::Relu) - 2f32.sqrt()).abs() < 1e-7);
    assert!((calculate_gain(Nonlinearity::LeakyRelu(0.2)) - (2.0f32 / 1.04).sqrt()).abs() < 1e-7);
}

#[test]
fn each_distribution_has_the_documented_spread() {
    let shape = [400, 300]; // fan_in 300, fan_out 400
    let relu = Nonlinearity::Relu;
    let cases: Vec<(Initializer, f64, Option<f32>)> = vec![
        // (initializer, expected std, expected |bound| for uniform ones)
        (
            Initializer::XavierUniform { gain: 1.0 },
            (2.0f64 / 700.0).sqrt(),
            Some((6.0f32 / 700.0).sqrt()),
        ),
        (
            Initializer::XavierNormal { gain: 1.0 },
            (2.0f64 / 700.0).sqrt(),
            None,
        ),
        (
            Initializer::KaimingUniform {
                mode: FanMode::FanIn,
                nonlinearity: relu,
            },
            (2.0f64 / 300.0).sqrt(),
            Some((6.0f32 / 300.0).sqrt()),
        ),
        (
            Initializer::KaimingNormal {
                mode: FanMode::FanOut,
                nonlinearity: relu,
            },
            (2.0f64 / 400.0).sqrt(),
            None,
        ),
        (
            Initializer::LecunUniform,
            (1.0f64 / 300.0).sqrt(),
            Some((3.0f32 / 300.0).sqrt()),
        ),
        (Initializer::LecunNormal, (1.0f64 / 300.0).sqrt(), None),
        (
            Initializer::Normal {
                mean: 0.0,
                std: 0.05,
            },
            0.05,
            None,
        ),
        (
            Initializer::Uniform {
                low: -0.05,
                high: 0.05,
            },
            0.05 / 3f64.sqrt(),
            Some(0.05),
        ),
    ];
    for (init, std, bound) in cases {
        let w = init.init(&shape, None, Some(7)).unwrap().to_vec();
        let (mean, s, lo, hi) = stats(&w);
        assert!(mean.abs() < 0.02 * std, "{init:?}: mean {mean}");
        assert!(
            (s / std - 1.0).abs() < 0.02,
            "{init:?}: std {s}, expected {std}"
        );
        if let Some(b) = bound {
            assert!(
                lo >= -b && hi < b && hi > 0.98 * b,
                "{init:?}: range [{lo}, {hi}] vs ±{b}"
            );
        }
    }
}

#[test]
fn constants_and_explicit_fans() {
    assert!(Initializer::Zeros
        .init(&[3, 2], None, None)
        .unwrap()
        .to_vec()
        .iter()
        .all(|&v| v == 0.0));
    assert!(Initializer::Constant(0.5)
        .init(&[4], None, None)
        .unwrap()
        .to_vec()
        .iter()
        .all(|&v| v == 0.5));
    // A dense layer storing [in, out] passes its fans explicitly: 1-D shapes then work too.
    let w = Initializer::XavierUniform { gain: 1.0 }
        .init(&[20, 10], Some((20, 10)), Some(1))
        .unwrap();
    assert_eq!(w.dims(), &[20, 10]);
    assert!(Initializer::XavierUniform { gain: 1.0 }
        .init(&[5], None, None)
        .is_err());
}

#[test]
fn orthogonal_matrices_are_orthonormal_both_ways() {
    for shape in [[6usize, 4], [4, 6], [5, 5]] {
        let gain = 1.5f64;
        let w = Initializer::Orthogonal { gain: gain as f32 }
            .init(&shape, None, Some(3))
            .unwrap()
            .to_vec();
        let (r, c) = (shape[0], shape[1]);
        // The short side is orthonormal (times gain²): WᵀW = g²I for tall W, WWᵀ = g²I for wide W.
        let short = r.min(c);
        for i in 0..short {
            for j in 0..short {
                let dot: f64 = if r >= c {
                    (0..r)
                        .map(|k| w[k * c + i] as f64 * w[k * c + j] as f64)
                        .sum()
                } else {
                    (0..c)
                        .map(|k| w[i * c + k] as f64 * w[j * c + k] as f64)
                        .sum()
                };
                let expected = if i == j { gain * gain } else { 0.0 };
                assert!((dot - expected).abs() < 1e-5, "{shape:?} ({i},{j}): {dot}");
            }
        }
    }
}

#[test]
fn seeds_reproduce_and_names_resolve() {
    let a = Initializer::from_name("heNormal")
        .unwrap()
        .init(&[8, 8], None, Some(11))
        .unwrap()
        .to_vec();
    let b = Initializer::from_name("kaimingNormal")
        .unwrap()
        .init(&[8, 8], None, Some(11))
        .unwrap()
        .to_vec();
    assert_eq!(a, b);
    let err = Initializer::from_name("glorot").unwrap_err().to_string();
    assert!(err.contains("unknown initializer 'glorot'"), "{err}");
}

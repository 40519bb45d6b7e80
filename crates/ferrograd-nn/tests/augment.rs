//! Seeded batch augmentation on [N, C, H, W] images.

use ferrograd_core::Tensor;
use ferrograd_nn::data::augment::{augment, Augmentation};

fn batch(n: usize) -> Tensor {
    let data: Vec<f32> = (0..n * 2 * 4 * 5).map(|v| (v % 97) as f32 + 1.0).collect();
    Tensor::from_vec(data, &[n, 2, 4, 5]).unwrap()
}

fn sample(t: &[f32], s: usize) -> &[f32] {
    &t[s * 40..(s + 1) * 40]
}

fn mirror(x: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0; 40];
    for ch in 0..2 {
        for i in 0..4 {
            for j in 0..5 {
                out[ch * 20 + i * 5 + j] = x[ch * 20 + i * 5 + 4 - j];
            }
        }
    }
    out
}

#[test]
fn flips_mirror_some_samples_and_are_reproducible_by_seed() {
    let x = batch(32);
    let aug = Augmentation::RandomFlip {
        horizontal: true,
        vertical: false,
    };
    let a = augment(&x, &aug, 7).unwrap().to_vec();
    assert_eq!(
        a,
        augment(&x, &aug, 7).unwrap().to_vec(),
        "same seed, same batch"
    );
    assert_ne!(
        a,
        augment(&x, &aug, 8).unwrap().to_vec(),
        "another seed, another batch"
    );
    let xs = x.to_vec();
    let (mut flipped, mut kept) = (0, 0);
    for s in 0..32 {
        if sample(&a, s) == sample(&xs, s) {
            kept += 1;
        } else {
            assert_eq!(
                sample(&a, s),
                mirror(sample(&xs, s)).as_slice(),
                "sample {s}"
            );
            flipped += 1;
        }
    }
    assert!(flipped > 5 && kept > 5, "{flipped} flipped, {kept} kept");
}

#[test]
fn crops_and_translations_shift_with_zero_fill() {
    let x = batch(16);
    let xs = x.to_vec();
    for aug in [
        Augmentation::RandomCrop { padding: 2 },
        Augmentation::RandomTranslation {
            height: 0.5,
            width: 0.4,
        },
    ] {
        let out = augment(&x, &aug, 3).unwrap().to_vec();
        let mut moved = 0;
        for s in 0..16 {
            // Find the shift that explains the sample.
            let found = (-2isize..=2)
                .flat_map(|dy| (-2isize..=2).map(move |dx| (dy, dx)))
                .find(|&(dy, dx)| {
                    (0..2).all(|ch| {
                        (0..4).all(|i| {
                            (0..5).all(|j| {
                                let (si, sj) = (i as isize - dy, j as isize - dx);
                                let want = if (0..4).contains(&si) && (0..5).contains(&sj) {
                                    xs[s * 40 + ch * 20 + si as usize * 5 + sj as usize]
                                } else {
                                    0.0
                                };
                                out[s * 40 + ch * 20 + i * 5 + j] == want
                            })
                        })
                    })
                });
            let (dy, dx) = found.unwrap_or_else(|| panic!("{aug:?}: sample {s} is not a shift"));
            if (dy, dx) != (0, 0) {
                moved += 1;
            }
        }
        assert!(moved > 8, "{aug:?}: only {moved} samples moved");
    }
}

#[test]
fn rotation_noise_and_normalisation() {
    let x = batch(4);
    let same = augment(&x, &Augmentation::RandomRotation { degrees: 0.0 }, 1).unwrap();
    assert_eq!(
        same.to_vec(),
        x.to_vec(),
        "a zero-degree rotation is the identity"
    );
    // A constant image keeps its value at the centre under any rotation.
    let ones = Tensor::ones(&[8, 1, 9, 9]);
    let r = augment(&ones, &Augmentation::RandomRotation { degrees: 30.0 }, 2)
        .unwrap()
        .to_vec();
    for s in 0..8 {
        assert!((r[s * 81 + 40] - 1.0).abs() < 1e-6);
    }
    assert!(
        r.iter().any(|&v| v < 0.99),
        "corners rotate out of the image"
    );

    let z = Tensor::zeros(&[64, 1, 16, 16]);
    let noisy = augment(&z, &Augmentation::GaussianNoise { stddev: 0.5 }, 4)
        .unwrap()
        .to_vec();
    let mean = noisy.iter().sum::<f32>() / noisy.len() as f32;
    let std =
        (noisy.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / noisy.len() as f32).sqrt();
    assert!(
        mean.abs() < 0.02 && (std - 0.5).abs() < 0.02,
        "{mean} {std}"
    );

    let norm = Augmentation::Normalize {
        mean: vec![1.0, 2.0],
        std: vec![2.0, 4.0],
    };
    let y = augment(&x, &norm, 0).unwrap().to_vec();
    let xs = x.to_vec();
    assert_eq!(y[0], (xs[0] - 1.0) / 2.0);
    assert_eq!(y[20], (xs[20] - 2.0) / 4.0);
    assert!(augment(
        &x,
        &Augmentation::Normalize {
            mean: vec![0.0],
            std: vec![1.0]
        },
        0
    )
    .is_err());
    let e = augment(&Tensor::zeros(&[2, 3]), &norm, 0)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("[N, C, H, W]"), "{e}");
}

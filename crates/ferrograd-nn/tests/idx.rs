//! IDX loading on the bundled MNIST and Fashion-MNIST files, plus malformed input.

use std::path::{Path, PathBuf};

use ferrograd_nn::data::idx::{parse_idx, read_idx_file, read_idx_parts};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(rel)
}

fn class_counts(labels: &[u8]) -> Vec<usize> {
    let mut counts = vec![0; 10];
    for &l in labels {
        counts[l as usize] += 1;
    }
    counts
}

#[test]
fn mnist_test_set_loads_with_the_published_class_counts() {
    let images = read_idx_file(&data("mnist/t10k-images-idx3-ubyte.gz")).unwrap();
    let labels = read_idx_file(&data("mnist/t10k-labels-idx1-ubyte.gz")).unwrap();
    assert_eq!(images.dims, vec![10_000, 28, 28]);
    assert_eq!(labels.dims, vec![10_000]);
    assert_eq!(
        class_counts(&labels.data),
        vec![980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
    let t = images.to_tensor(1.0 / 255.0).unwrap();
    assert_eq!(t.dims(), &[10_000, 28, 28]);
    let first = t.narrow(0, 0, 1).unwrap().to_vec();
    assert!(first.iter().all(|&v| (0.0..=1.0).contains(&v)) && first.iter().any(|&v| v > 0.9));
}

#[test]
fn mnist_training_images_rebuild_from_their_six_parts() {
    let parts: Vec<PathBuf> = (0..6)
        .map(|k| data(&format!("mnist/train-images-idx3-ubyte.part{k}.gz")))
        .collect();
    let refs: Vec<&Path> = parts.iter().map(|p| p.as_path()).collect();
    let images = read_idx_parts(&refs).unwrap();
    assert_eq!(images.dims, vec![60_000, 28, 28]);
    let labels = read_idx_file(&data("mnist/train-labels-idx1-ubyte.gz")).unwrap();
    assert_eq!(
        class_counts(&labels.data),
        vec![5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    );
}

#[test]
fn fashion_mnist_slice_loads() {
    let images = read_idx_file(&data("fashion-mnist/t10k-images-idx3-ubyte.first2000.gz")).unwrap();
    assert_eq!(images.dims, vec![2000, 28, 28]);
}

#[test]
fn malformed_files_are_errors() {
    assert!(parse_idx(&[], "x").is_err());
    assert!(parse_idx(&[0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0], "x")
        .unwrap_err()
        .to_string()
        .contains("0x0d"));
    let err = parse_idx(&[0, 0, 8, 1, 0, 0, 0, 5, 1, 2], "x")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("need 5 bytes of data, the file has 2"),
        "{err}"
    );
    assert!(parse_idx(
        &[0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255],
        "x"
    )
    .is_err());
    assert!(read_idx_file(Path::new("/nonexistent.idx")).is_err());
    assert_eq!(
        parse_idx(&[0, 0, 8, 1, 0, 0, 0, 2, 7, 9], "x")
            .unwrap()
            .data,
        vec![7, 9]
    );
}

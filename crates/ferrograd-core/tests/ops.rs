//! Forward values, views, broadcasting, creation, randomness and error reporting.

mod common;

use common::{assert_close, t};
use ferrograd_core::{manual_seed, set_num_threads, Tensor};

#[test]
fn views_share_storage_and_copy_only_when_needed() {
    let x = Tensor::arange(0.0, 24.0, 1.0)
        .unwrap()
        .reshape(&[2, 3, 4])
        .unwrap();
    let p = x.permute(&[2, 0, 1]).unwrap();
    assert_eq!(p.dims(), &[4, 2, 3]);
    assert!(!p.layout().is_contiguous());
    assert_eq!(
        p.narrow(0, 1, 1).unwrap().to_vec(),
        vec![1.0, 5.0, 9.0, 13.0, 17.0, 21.0]
    );
    let e = t(&[1.0, 2.0], &[2, 1]).expand(&[2, 3]).unwrap();
    assert_eq!(e.layout().strides(), &[1, 0]);
    assert_eq!(e.to_vec(), vec![1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
    assert_eq!(
        x.slice(2, -3, 4, 2).unwrap().to_vec(),
        vec![1.0, 3.0, 5.0, 7.0, 9.0, 11.0, 13.0, 15.0, 17.0, 19.0, 21.0, 23.0]
    );
    // A reshape of a transposed view has to copy, and must still be right.
    let r = x.transpose(0, 2).unwrap().reshape(&[-1]).unwrap();
    assert_eq!(&r.to_vec()[..4], &[0.0, 12.0, 4.0, 16.0]);
}

#[test]
fn broadcasting_binary_ops_and_comparisons() {
    let a = t(&[1.0, 2.0, 3.0], &[3, 1]);
    let b = t(&[10.0, 20.0], &[2]);
    assert_eq!(
        a.add(&b).unwrap().to_vec(),
        vec![11.0, 21.0, 12.0, 22.0, 13.0, 23.0]
    );
    assert_eq!(a.gt(&t(&[2.0], &[])).unwrap().to_vec(), vec![0.0, 0.0, 1.0]);
    let w = Tensor::where_cond(&t(&[1.0, 0.0], &[2]), &a, &b).unwrap();
    assert_eq!(w.to_vec(), vec![1.0, 20.0, 2.0, 20.0, 3.0, 20.0]);
    let err = t(&[1.0, 2.0, 3.0], &[3])
        .add(&t(&[1.0, 2.0], &[2]))
        .unwrap_err();
    assert_eq!(err.code(), "ShapeError");
    assert!(
        err.to_string().starts_with("add: shapes [3] and [2]"),
        "{err}"
    );
}

#[test]
fn reductions_over_any_axes() {
    let x = Tensor::arange(0.0, 24.0, 1.0)
        .unwrap()
        .reshape(&[2, 3, 4])
        .unwrap();
    assert_eq!(
        x.sum(Some(&[0, 2]), false).unwrap().to_vec(),
        vec![60.0, 92.0, 124.0]
    );
    assert_eq!(x.sum(Some(&[1]), true).unwrap().dims(), &[2, 1, 4]);
    assert_eq!(x.max(None, false).unwrap().item().unwrap(), 23.0);
    assert_eq!(x.argmax(Some(1), false).unwrap().to_vec(), vec![2.0; 8]);
    assert_eq!(x.argmin(None, false).unwrap().item().unwrap(), 0.0);
    assert_close(
        &x.mean(Some(&[-1]), false).unwrap().to_vec()[..2],
        &[1.5, 5.5],
        0.0,
        1e-6,
        "mean",
    );
    assert_close(
        &t(&[1.0, 2.0, 3.0, 4.0], &[4])
            .var(None, false, 1)
            .unwrap()
            .to_vec(),
        &[5.0 / 3.0],
        1e-6,
        0.0,
        "var",
    );
    let big = t(&[1000.0, 1000.0], &[2]);
    assert_close(
        &big.logsumexp(None, false).unwrap().to_vec(),
        &[1000.0 + 2f32.ln()],
        1e-6,
        0.0,
        "lse",
    );
    let s = t(&[1000.0, 0.0, -1000.0], &[3])
        .softmax(0)
        .unwrap()
        .to_vec();
    assert_eq!(s, vec![1.0, 0.0, 0.0]);
    let ls = t(&[1000.0, 0.0], &[2]).log_softmax(0).unwrap().to_vec();
    assert_eq!(ls, vec![0.0, -1000.0]);
    assert_eq!(x.max(Some(&[5]), false).unwrap_err().code(), "ShapeError");
}

#[test]
fn matmul_broadcasts_batches_and_promotes_vectors() {
    let a = Tensor::arange(0.0, 6.0, 1.0)
        .unwrap()
        .reshape(&[2, 3])
        .unwrap();
    let b = Tensor::arange(0.0, 6.0, 1.0)
        .unwrap()
        .reshape(&[3, 2])
        .unwrap();
    assert_eq!(a.matmul(&b).unwrap().to_vec(), vec![10.0, 13.0, 28.0, 40.0]);
    assert_eq!(
        a.matmul(&t(&[1.0, 1.0, 1.0], &[3])).unwrap().to_vec(),
        vec![3.0, 12.0]
    );
    let batched = Tensor::ones(&[4, 1, 2, 3])
        .matmul(&Tensor::ones(&[5, 3, 2]))
        .unwrap();
    assert_eq!(batched.dims(), &[4, 5, 2, 2]);
    assert!(batched.to_vec().iter().all(|&v| v == 3.0));
    let err = a.matmul(&a).unwrap_err();
    assert!(
        err.to_string().contains("inner dimensions differ: 3"),
        "{err}"
    );
}

#[test]
fn joins_pads_and_indexing() {
    let a = t(&[1.0, 2.0], &[1, 2]);
    let b = t(&[3.0, 4.0, 5.0, 6.0], &[2, 2]);
    assert_eq!(
        Tensor::concat(&[a.clone(), b.clone()], 0).unwrap().to_vec(),
        vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    );
    assert_eq!(
        Tensor::stack(&[a.clone(), a.clone()], 0).unwrap().dims(),
        &[2, 1, 2]
    );
    let parts = b.split(&[1, 1], 1).unwrap();
    assert_eq!(parts[1].to_vec(), vec![4.0, 6.0]);
    assert_eq!(b.chunk(3, 0).unwrap().len(), 2);
    assert_eq!(
        a.pad(&[(0, 1), (1, 0)], 9.0).unwrap().to_vec(),
        vec![9.0, 1.0, 2.0, 9.0, 9.0, 9.0]
    );
    let labels = t(&[2.0, 0.0], &[2]);
    assert_eq!(
        labels.one_hot(3).unwrap().to_vec(),
        vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0]
    );
    let err = t(&[3.0], &[1]).one_hot(3).unwrap_err();
    assert_eq!(err.code(), "ValueError");
    assert!(
        err.to_string()
            .contains("index 3 is not an integer in [0, 3)"),
        "{err}"
    );
    assert_eq!(
        b.gather(1, &t(&[1.0, 0.0], &[2, 1])).unwrap().to_vec(),
        vec![4.0, 5.0]
    );
    assert!(Tensor::concat(&[a, t(&[1.0], &[1, 1, 1])], 0).is_err());
}

#[test]
fn creation_functions() {
    assert_eq!(
        Tensor::arange(0.0, 1.0, 0.25).unwrap().to_vec(),
        vec![0.0, 0.25, 0.5, 0.75]
    );
    assert_eq!(
        Tensor::linspace(-1.0, 1.0, 5).unwrap().to_vec(),
        vec![-1.0, -0.5, 0.0, 0.5, 1.0]
    );
    assert_eq!(
        Tensor::eye(2, 3).unwrap().to_vec(),
        vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    );
    assert_eq!(Tensor::full(&[2], 7.0).to_vec(), vec![7.0, 7.0]);
    assert!(Tensor::arange(0.0, 1.0, 0.0).is_err());
    assert!(Tensor::from_vec(vec![1.0], &[2]).is_err());
}

#[test]
fn random_draws_are_reproducible_for_any_thread_count() {
    manual_seed(7);
    let a = Tensor::randn(&[100_000], 0.0, 1.0, None).unwrap().to_vec();
    set_num_threads(1).unwrap();
    manual_seed(7);
    let b = Tensor::randn(&[100_000], 0.0, 1.0, None).unwrap().to_vec();
    set_num_threads(2).unwrap();
    assert_eq!(a, b);
    let c = Tensor::randn(&[100_000], 0.0, 1.0, None).unwrap().to_vec();
    assert_ne!(b, c, "the generator advances between draws");
    let mean = a.iter().map(|&v| v as f64).sum::<f64>() / a.len() as f64;
    let var = a.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / a.len() as f64;
    assert!(
        mean.abs() < 0.02 && (var - 1.0).abs() < 0.02,
        "mean {mean} var {var}"
    );
    let u = Tensor::rand(&[10_000], -2.0, 3.0, Some(1))
        .unwrap()
        .to_vec();
    assert!(u.iter().all(|&v| (-2.0..3.0).contains(&v)));
    assert_eq!(
        u,
        Tensor::rand(&[10_000], -2.0, 3.0, Some(1))
            .unwrap()
            .to_vec()
    );
}

#[test]
fn invalid_arguments_name_the_op_and_values() {
    let x = t(&[1.0, 2.0], &[2]);
    assert!(x
        .clamp(Some(2.0), Some(1.0))
        .unwrap_err()
        .to_string()
        .contains("clamp: needs min <= max, got min=2 max=1"));
    assert!(x
        .reshape(&[3])
        .unwrap_err()
        .to_string()
        .contains("reshape: shape [3] has 3 elements but the tensor has 2"));
    assert!(x
        .narrow(0, 1, 2)
        .unwrap_err()
        .to_string()
        .contains("exceeds size 2"));
    assert!(x.permute(&[0, 0]).is_err());
    assert!(x.item().is_err());
    assert!(Tensor::randn(&[2], 0.0, -1.0, None).is_err());
}

#[test]
fn axis_lists_are_normalised_and_checked() {
    let x = Tensor::zeros(&[2, 3, 4]);
    assert_eq!(x.sum(Some(&[-1, 0]), false).unwrap().dims(), &[3]);
    let dup = x.sum(Some(&[1, -2]), false).unwrap_err().to_string();
    assert!(dup.contains("appears more than once"), "{dup}");
    assert!(x
        .sum(Some(&[3]), false)
        .unwrap_err()
        .to_string()
        .contains("axis 3 is out of range for a tensor of rank 3"));
    assert!(Tensor::scalar(1.0).softmax(0).is_err());
    assert!(x
        .reshape(&[-1, -1])
        .unwrap_err()
        .to_string()
        .contains("only one dimension can be -1"));
    assert!(x
        .reshape(&[5, -1])
        .unwrap_err()
        .to_string()
        .contains("cannot infer -1"));
}

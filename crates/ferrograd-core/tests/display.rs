//! PyTorch-style printing of tensors.

use ferrograd_core::Tensor;

#[test]
fn prints_like_pytorch() {
    let t = Tensor::from_vec(vec![1.0, 2.5, -3.0, 4.0], &[2, 2]).unwrap();
    assert_eq!(
        t.to_string(),
        "tensor([[ 1.0000,  2.5000],\n        [-3.0000,  4.0000]])"
    );
    let i = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]).unwrap();
    assert_eq!(i.to_string(), "tensor([1., 2., 3.])");
    assert_eq!(Tensor::scalar(0.5).to_string(), "tensor(0.5000)");
    let s = Tensor::from_vec(vec![1e-5, 1.0], &[2]).unwrap();
    assert_eq!(s.to_string(), "tensor([1.0000e-05, 1.0000e+00])");
    let x = Tensor::from_vec(vec![1.0, 2.0], &[2]).unwrap();
    x.set_requires_grad(true).unwrap();
    assert_eq!(x.to_string(), "tensor([1., 2.], requires_grad=True)");
    assert_eq!(
        x.mul(&x).unwrap().to_string(),
        "tensor([1., 4.], grad_fn=<MulBackward0>)"
    );
    assert_eq!(
        x.leaky_relu(0.1).unwrap().to_string(),
        "tensor([1., 2.], grad_fn=<LeakyReluBackward0>)"
    );
    assert_eq!(
        x.sum(None, false).unwrap().to_string(),
        "tensor(3., grad_fn=<SumBackward0>)"
    );
    let big = Tensor::zeros(&[2000]);
    assert_eq!(big.to_string(), "tensor([0., 0., 0., ..., 0., 0., 0.])");
}

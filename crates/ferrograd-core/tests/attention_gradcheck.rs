//! Scaled dot-product attention: finite-difference gradient checks of the fused op (every mask
//! kind, causal, Lq != Lk, Dv != D), the fused path against the materialised one on multi-tile
//! inputs, dropout reproducibility, fully masked rows and argument errors.

mod common;

use common::assert_close;
use ferrograd_core::grad_check::check_gradients;
use ferrograd_core::{AttentionOptions, AttnMask, Tensor};

const EPS: f32 = 1e-3;
const ATOL: f32 = 1e-2;
const RTOL: f32 = 1e-2;

fn randn(shape: &[usize], seed: u64) -> Tensor {
    Tensor::randn(shape, 0.0, 1.0, Some(seed)).unwrap()
}

fn qkv(b: usize, h: usize, lq: usize, lk: usize, d: usize, dv: usize) -> Vec<Tensor> {
    vec![
        randn(&[b, h, lq, d], 1),
        randn(&[b, h, lk, d], 2),
        randn(&[b, h, lk, dv], 3),
    ]
}

fn gradcheck(name: &str, inputs: Vec<Tensor>, o: AttentionOptions) {
    let f = |x: &[Tensor]| Tensor::scaled_dot_product_attention(&x[0], &x[1], &x[2], &o);
    if let Err(e) = check_gradients(f, &inputs, EPS, ATOL, RTOL) {
        panic!("{name}: {e}");
    }
}

/// `[B, Lk]` padding: the last `pad[b]` keys of batch `b` are padding.
fn padding(b: usize, lk: usize, pad: &[usize]) -> Tensor {
    let data = (0..b * lk)
        .map(|e| if e % lk >= lk - pad[e / lk] { 1.0 } else { 0.0 })
        .collect();
    Tensor::from_vec(data, &[b, lk]).unwrap()
}

/// A boolean `[Lq, Lk]` mask hiding a scattered pattern but never a whole row.
fn scattered(lq: usize, lk: usize) -> Tensor {
    let data = (0..lq * lk)
        .map(|e| {
            if (e * 7) % 5 == 1 && e % lk != 0 {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    Tensor::from_vec(data, &[lq, lk]).unwrap()
}

#[test]
fn gradcheck_plain() {
    gradcheck("plain", qkv(2, 2, 5, 5, 4, 4), AttentionOptions::default());
}

#[test]
fn gradcheck_cross_lengths_and_value_dim() {
    gradcheck(
        "lq!=lk, dv!=d",
        qkv(1, 2, 3, 6, 4, 5),
        AttentionOptions::default(),
    );
}

#[test]
fn gradcheck_causal_square_and_rectangular() {
    let o = AttentionOptions {
        causal: true,
        ..Default::default()
    };
    gradcheck("causal", qkv(2, 1, 5, 5, 3, 3), o.clone());
    gradcheck("causal lq<lk", qkv(1, 2, 3, 6, 3, 2), o.clone());
    gradcheck("causal lq>lk", qkv(1, 1, 6, 4, 3, 2), o);
}

#[test]
fn gradcheck_boolean_and_additive_masks() {
    let o = AttentionOptions {
        mask: Some(AttnMask::Boolean(scattered(4, 6))),
        ..Default::default()
    };
    gradcheck("boolean [Lq,Lk]", qkv(2, 2, 4, 6, 3, 3), o);
    let add = randn(&[2, 1, 4, 6], 9);
    let o = AttentionOptions {
        mask: Some(AttnMask::Additive(add)),
        scale: Some(0.7),
        ..Default::default()
    };
    gradcheck("additive [B,1,Lq,Lk]", qkv(2, 2, 4, 6, 3, 3), o);
}

#[test]
fn gradcheck_key_padding_with_causal() {
    let o = AttentionOptions {
        key_padding_mask: Some(padding(2, 5, &[0, 2])),
        causal: true,
        ..Default::default()
    };
    gradcheck("padding+causal", qkv(2, 2, 5, 5, 3, 4), o);
}

#[test]
fn gradcheck_dropout_uses_the_forward_mask() {
    let o = AttentionOptions {
        dropout_p: 0.3,
        seed: 42,
        ..Default::default()
    };
    gradcheck("dropout", qkv(1, 2, 4, 5, 3, 3), o);
}

fn compare(name: &str, x: &[Tensor], o: &AttentionOptions) {
    let leaves: Vec<Tensor> = x
        .iter()
        .map(|t| {
            let l = t.detach();
            l.set_requires_grad(true).unwrap();
            l
        })
        .collect();
    let fused =
        Tensor::scaled_dot_product_attention(&leaves[0], &leaves[1], &leaves[2], o).unwrap();
    let w = randn(fused.dims(), 77);
    fused
        .mul(&w)
        .unwrap()
        .sum(None, false)
        .unwrap()
        .backward()
        .unwrap();
    let g1: Vec<Vec<f32>> = leaves.iter().map(|l| l.grad().unwrap().to_vec()).collect();
    for l in &leaves {
        l.zero_grad();
    }
    let (mat, _) =
        Tensor::scaled_dot_product_attention_with_weights(&leaves[0], &leaves[1], &leaves[2], o)
            .unwrap();
    mat.mul(&w)
        .unwrap()
        .sum(None, false)
        .unwrap()
        .backward()
        .unwrap();
    assert_close(
        &fused.to_vec(),
        &mat.to_vec(),
        1e-4,
        1e-5,
        &format!("{name} output"),
    );
    for (i, l) in leaves.iter().enumerate() {
        let g2 = l.grad().unwrap().to_vec();
        assert_close(&g1[i], &g2, 1e-3, 1e-4, &format!("{name} grad {i}"));
    }
}

#[test]
fn fused_matches_materialised_over_many_tiles() {
    // 150 queries and 300 keys span several 64-query and 128-key tiles.
    let x = qkv(2, 2, 150, 300, 16, 8);
    compare("plain", &x, &AttentionOptions::default());
    let causal = AttentionOptions {
        causal: true,
        ..Default::default()
    };
    compare("causal", &x, &causal);
    let masked = AttentionOptions {
        mask: Some(AttnMask::Additive(randn(&[150, 300], 5))),
        key_padding_mask: Some(padding(2, 300, &[0, 170])),
        ..Default::default()
    };
    compare("additive+padding", &x, &masked);
    let bool_heads = AttentionOptions {
        mask: Some(AttnMask::Boolean(
            Tensor::rand(&[1, 2, 150, 300], 0.0, 1.0, Some(3))
                .unwrap()
                .gt(&Tensor::scalar(0.6))
                .unwrap(),
        )),
        causal: true,
        dropout_p: 0.25,
        seed: 7,
        ..Default::default()
    };
    compare("boolean per head+causal+dropout", &x, &bool_heads);
}

#[test]
fn dropout_is_reproducible_and_seed_dependent() {
    let x = qkv(1, 2, 70, 140, 8, 8);
    let o = |seed| AttentionOptions {
        dropout_p: 0.5,
        seed,
        ..Default::default()
    };
    let run = |seed| {
        Tensor::scaled_dot_product_attention(&x[0], &x[1], &x[2], &o(seed))
            .unwrap()
            .to_vec()
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
}

#[test]
fn fully_masked_rows_give_zero_output_and_gradients() {
    let x = qkv(1, 1, 3, 4, 2, 2);
    let mut m = vec![0.0; 12];
    m[4..8].fill(1.0); // query 1 sees no key
    let o = AttentionOptions {
        mask: Some(AttnMask::Boolean(Tensor::from_vec(m, &[3, 4]).unwrap())),
        ..Default::default()
    };
    let q = x[0].detach();
    q.set_requires_grad(true).unwrap();
    let out = Tensor::scaled_dot_product_attention(&q, &x[1], &x[2], &o).unwrap();
    let v = out.to_vec();
    assert!(v.iter().all(|x| x.is_finite()));
    assert_eq!(&v[2..4], &[0.0, 0.0]);
    out.sum(None, false).unwrap().backward().unwrap();
    let g = q.grad().unwrap().to_vec();
    assert!(g.iter().all(|x| x.is_finite()));
    assert_eq!(&g[2..4], &[0.0, 0.0]);
    let w = Tensor::attention_weights(&x[0], &x[1], &o)
        .unwrap()
        .to_vec();
    assert_eq!(&w[4..8], &[0.0; 4]);
}

#[test]
fn bad_arguments_are_errors() {
    let x = qkv(2, 2, 3, 4, 2, 2);
    let bad_mask = AttentionOptions {
        mask: Some(AttnMask::Additive(Tensor::zeros(&[3, 5]))),
        ..Default::default()
    };
    let e = Tensor::scaled_dot_product_attention(&x[0], &x[1], &x[2], &bad_mask).unwrap_err();
    assert!(e.to_string().contains("attention mask"), "{e}");
    let bad_pad = AttentionOptions {
        key_padding_mask: Some(Tensor::zeros(&[2, 3])),
        ..Default::default()
    };
    assert!(Tensor::scaled_dot_product_attention(&x[0], &x[1], &x[2], &bad_pad).is_err());
    let bad_p = AttentionOptions {
        dropout_p: 1.0,
        ..Default::default()
    };
    assert!(Tensor::scaled_dot_product_attention(&x[0], &x[1], &x[2], &bad_p).is_err());
    let k3 = randn(&[2, 2, 4, 3], 1);
    assert!(Tensor::scaled_dot_product_attention(&x[0], &k3, &x[2], &bad_p).is_err());
}

#[test]
fn rotary_embedding_gradcheck_and_relative_property() {
    let x = randn(&[1, 2, 5, 4], 11);
    if let Err(e) = check_gradients(|t| t[0].rotary_embedding(0, 10000.0), &[x], EPS, ATOL, RTOL) {
        panic!("rotary: {e}");
    }
    // q_m · k_n depends on m - n only: shifting both positions keeps the scores.
    let q = randn(&[1, 1, 3, 6], 1);
    let k = randn(&[1, 1, 3, 6], 2);
    let s = |off| {
        q.rotary_embedding(off, 100.0)
            .unwrap()
            .matmul(
                &k.rotary_embedding(off, 100.0)
                    .unwrap()
                    .transpose(-1, -2)
                    .unwrap(),
            )
            .unwrap()
            .to_vec()
    };
    assert_close(&s(0), &s(9), 1e-4, 1e-4, "rotary relative");
}

#[test]
fn fused_matches_composed_primitives() {
    // Reference written with plain ops: softmax(scale·QKᵀ + mask + padding) V.
    let x = qkv(2, 3, 70, 130, 8, 4);
    let add = randn(&[2, 3, 70, 130], 4);
    let pad = padding(2, 130, &[3, 60]);
    let o = AttentionOptions {
        mask: Some(AttnMask::Additive(add.clone())),
        key_padding_mask: Some(pad.clone()),
        scale: Some(0.3),
        ..Default::default()
    };
    let pad_add = pad
        .mul_scalar(-1e30)
        .unwrap()
        .reshape(&[2, 1, 1, 130])
        .unwrap();
    let s = x[0]
        .matmul(&x[1].transpose(-1, -2).unwrap())
        .unwrap()
        .mul_scalar(0.3)
        .unwrap()
        .add(&add)
        .unwrap()
        .add(&pad_add)
        .unwrap();
    let want = s.softmax(-1).unwrap().matmul(&x[2]).unwrap();
    let got = Tensor::scaled_dot_product_attention(&x[0], &x[1], &x[2], &o).unwrap();
    assert_close(&got.to_vec(), &want.to_vec(), 1e-4, 1e-5, "composed");
}

#[test]
fn fused_layer_norm_gradcheck_and_matches_composed() {
    let x = randn(&[5, 7], 1);
    let w = randn(&[7], 2);
    let b = randn(&[7], 3);
    let f = |t: &[Tensor]| t[0].layer_norm(Some(&t[1]), Some(&t[2]), 1e-5);
    if let Err(e) = check_gradients(f, &[x.clone(), w.clone(), b.clone()], EPS, ATOL, RTOL) {
        panic!("layer_norm: {e}");
    }
    if let Err(e) = check_gradients(
        |t| t[0].layer_norm(None, None, 1e-5),
        std::slice::from_ref(&x),
        EPS,
        ATOL,
        RTOL,
    ) {
        panic!("layer_norm without affine: {e}");
    }
    let mean = x.mean(Some(&[-1]), true).unwrap();
    let var = x.var(Some(&[-1]), true, 0).unwrap();
    let want = x
        .sub(&mean)
        .unwrap()
        .div(&var.add_scalar(1e-5).unwrap().sqrt().unwrap())
        .unwrap()
        .mul(&w)
        .unwrap()
        .add(&b)
        .unwrap();
    let got = x.layer_norm(Some(&w), Some(&b), 1e-5).unwrap();
    assert_close(&got.to_vec(), &want.to_vec(), 1e-5, 1e-5, "layer_norm");
    assert!(x
        .layer_norm(Some(&b.narrow(0, 0, 3).unwrap()), None, 1e-5)
        .is_err());
}

#[test]
fn packed_self_attention_matches_the_head_layout_and_gradchecks() {
    let (b, l, h, d) = (2, 5, 2, 3);
    let qkv = randn(&[b, l, 3 * h * d], 1);
    let o = AttentionOptions {
        key_padding_mask: Some(padding(b, l, &[0, 2])),
        causal: true,
        ..Default::default()
    };
    let got = Tensor::packed_self_attention(&qkv, h, &o).unwrap();
    let parts = qkv
        .reshape(&[b as isize, l as isize, 3, h as isize, d as isize])
        .unwrap()
        .permute(&[2, 0, 3, 1, 4])
        .unwrap();
    let part = |i| parts.narrow(0, i, 1).unwrap().squeeze(Some(0)).unwrap();
    let want = Tensor::scaled_dot_product_attention(&part(0), &part(1), &part(2), &o)
        .unwrap()
        .permute(&[0, 2, 1, 3])
        .unwrap()
        .reshape(&[b as isize, l as isize, (h * d) as isize])
        .unwrap();
    assert_close(&got.to_vec(), &want.to_vec(), 1e-5, 1e-6, "packed");
    let f = |x: &[Tensor]| Tensor::packed_self_attention(&x[0], h, &o);
    if let Err(e) = check_gradients(f, &[qkv], EPS, ATOL, RTOL) {
        panic!("packed: {e}");
    }
    assert!(Tensor::packed_self_attention(&randn(&[2, 5, 10], 1), 2, &o).is_err());
}

#[test]
fn fused_linear_gradcheck_and_matches_matmul() {
    let x = randn(&[2, 3, 4], 1);
    let w = randn(&[5, 4], 2);
    let b = randn(&[5], 3);
    let f = |t: &[Tensor]| t[0].linear(&t[1], Some(&t[2]));
    if let Err(e) = check_gradients(f, &[x.clone(), w.clone(), b.clone()], EPS, ATOL, RTOL) {
        panic!("linear: {e}");
    }
    let g = |t: &[Tensor]| t[0].linear(&t[1], None);
    if let Err(e) = check_gradients(g, &[x.clone(), w.clone()], EPS, ATOL, RTOL) {
        panic!("linear without bias: {e}");
    }
    let want = x
        .matmul(&w.transpose(0, 1).unwrap())
        .unwrap()
        .add(&b)
        .unwrap();
    let got = x.linear(&w, Some(&b)).unwrap();
    assert_eq!(got.dims(), [2, 3, 5]);
    assert_close(&got.to_vec(), &want.to_vec(), 1e-5, 1e-6, "linear");
    assert!(x.linear(&w.transpose(0, 1).unwrap(), None).is_err());
    assert!(x.linear(&w, Some(&x)).is_err());
}

#[test]
fn fused_linear_relu_gradcheck_and_matches() {
    let x = common::away_from_zero(&[3, 4], 1);
    let w = randn(&[5, 4], 2);
    let b = randn(&[5], 3);
    let want = x.linear(&w, Some(&b)).unwrap().relu().unwrap();
    let got = x.linear_relu(&w, Some(&b)).unwrap();
    assert_close(&got.to_vec(), &want.to_vec(), 1e-6, 1e-6, "linear_relu");
    let f = |t: &[Tensor]| t[0].linear_relu(&t[1], Some(&t[2]));
    if let Err(e) = check_gradients(f, &[x, w, b], EPS, ATOL, RTOL) {
        panic!("linear_relu: {e}");
    }
}

#[test]
fn fused_layer_norm_wide_rows_match_composed_forward_and_backward() {
    // 40 columns: full SIMD vectors plus a tail at every vector width.
    for cols in [40usize, 128] {
        let x = randn(&[1100, cols], 1)
            .mul_scalar(3.0)
            .unwrap()
            .add_scalar(1.0)
            .unwrap();
        let w = randn(&[cols], 2);
        let b = randn(&[cols], 3);
        let gy = randn(&[1100, cols], 4);
        let run = |fused: bool| {
            let leaves: Vec<Tensor> = [&x, &w, &b]
                .iter()
                .map(|t| {
                    let l = t.detach();
                    l.set_requires_grad(true).unwrap();
                    l
                })
                .collect();
            let y = if fused {
                leaves[0]
                    .layer_norm(Some(&leaves[1]), Some(&leaves[2]), 1e-5)
                    .unwrap()
            } else {
                let mean = leaves[0].mean(Some(&[-1]), true).unwrap();
                let var = leaves[0].var(Some(&[-1]), true, 0).unwrap();
                leaves[0]
                    .sub(&mean)
                    .unwrap()
                    .div(&var.add_scalar(1e-5).unwrap().sqrt().unwrap())
                    .unwrap()
                    .mul(&leaves[1])
                    .unwrap()
                    .add(&leaves[2])
                    .unwrap()
            };
            y.mul(&gy)
                .unwrap()
                .sum(None, false)
                .unwrap()
                .backward()
                .unwrap();
            let mut out = vec![y.to_vec()];
            out.extend(leaves.iter().map(|l| l.grad().unwrap().to_vec()));
            out
        };
        let (f, c) = (run(true), run(false));
        for (i, (a, e)) in f.iter().zip(&c).enumerate() {
            assert_close(
                a,
                e,
                1e-3,
                1e-4,
                &format!("layer_norm cols {cols} result {i}"),
            );
        }
    }
}

#[test]
fn packed_self_attention_many_heads_matches_the_head_layout() {
    // 64 heads: the layout copies split across threads.
    let (b, l, h, d) = (16, 20, 4, 8);
    let qkv = randn(&[b, l, 3 * h * d], 5);
    qkv.set_requires_grad(true).unwrap();
    let o = AttentionOptions::default();
    let got = Tensor::packed_self_attention(&qkv, h, &o).unwrap();
    let gy = randn(got.dims(), 6);
    got.mul(&gy)
        .unwrap()
        .sum(None, false)
        .unwrap()
        .backward()
        .unwrap();
    let g1 = qkv.grad().unwrap().to_vec();
    qkv.zero_grad();
    let parts = qkv
        .reshape(&[b as isize, l as isize, 3, h as isize, d as isize])
        .unwrap()
        .permute(&[2, 0, 3, 1, 4])
        .unwrap();
    let part = |i| parts.narrow(0, i, 1).unwrap().squeeze(Some(0)).unwrap();
    let want = Tensor::scaled_dot_product_attention(&part(0), &part(1), &part(2), &o)
        .unwrap()
        .permute(&[0, 2, 1, 3])
        .unwrap()
        .reshape(&[b as isize, l as isize, (h * d) as isize])
        .unwrap();
    want.mul(&gy)
        .unwrap()
        .sum(None, false)
        .unwrap()
        .backward()
        .unwrap();
    assert_close(&got.to_vec(), &want.to_vec(), 1e-5, 1e-6, "packed output");
    assert_close(
        &g1,
        &qkv.grad().unwrap().to_vec(),
        1e-4,
        1e-5,
        "packed grad",
    );
}

#[test]
fn degenerate_sizes_are_errors_or_empty_not_panics() {
    let q0 = Tensor::zeros(&[1, 1, 2, 0]);
    let v = Tensor::zeros(&[1, 1, 2, 3]);
    let o = AttentionOptions::default();
    assert!(Tensor::scaled_dot_product_attention(&q0, &q0, &v, &o).is_err());
    // An empty value dimension gives an empty output and zero gradients.
    let q = randn(&[1, 2, 3, 4], 1);
    q.set_requires_grad(true).unwrap();
    let v0 = Tensor::zeros(&[1, 2, 3, 0]);
    let out = Tensor::scaled_dot_product_attention(&q, &q, &v0, &o).unwrap();
    assert_eq!(out.dims(), [1, 2, 3, 0]);
    out.sum(None, false).unwrap().backward().unwrap();
    assert!(q.grad().unwrap().to_vec().iter().all(|&g| g == 0.0));
    assert!(Tensor::packed_self_attention(&Tensor::zeros(&[1, 2, 0]), 1, &o).is_err());
    assert!(randn(&[2, 3], 1)
        .linear(&Tensor::zeros(&[0, 3]), None)
        .is_err());
    assert!(Tensor::zeros(&[2, 0]).layer_norm(None, None, 1e-5).is_err());
}

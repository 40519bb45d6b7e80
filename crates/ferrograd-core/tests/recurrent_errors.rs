//! Argument errors of `Tensor::rnn_sequence` / `rnn_cell`: each names the op and the offending
//! shape or value.

use ferrograd_core::{RnnCell, RnnOptions, RnnWeights, Tensor};

fn z(shape: &[usize]) -> Tensor {
    Tensor::zeros(shape)
}

fn err(x: &Tensor, w: &RnnWeights<'_>, o: &RnnOptions<'_>) -> String {
    let e = x.rnn_sequence(w, o).err().unwrap();
    let s = e.to_string();
    assert!(s.starts_with("rnnSequence"), "{s}");
    s
}

#[test]
fn shapes_and_values_are_checked() {
    let lstm = RnnCell::Lstm {
        peephole: false,
        coupled: false,
    };
    let (w_ih, w_hh, b) = (z(&[8, 3]), z(&[8, 2]), z(&[8]));
    let w = RnnWeights {
        w_ih: &w_ih,
        w_hh: &w_hh,
        b_ih: Some(&b),
        b_hh: Some(&b),
        peephole: None,
    };
    let x = z(&[2, 4, 3]);
    let o = RnnOptions::new(lstm);
    assert!(err(&z(&[2, 3]), &w, &o).contains("[batch, steps, features]"));
    assert!(err(&z(&[2, 0, 3]), &w, &o).contains("zero time steps"));
    assert!(err(&z(&[2, 4, 5]), &w, &o).contains("weight_ih must be [8, 5]"));
    let gru = RnnOptions::new(RnnCell::Gru);
    assert!(err(&x, &w, &gru).contains("weight_hh must be [3·hidden, hidden]"));
    let bad_b = z(&[7]);
    let wb = RnnWeights {
        b_hh: Some(&bad_b),
        ..w
    };
    assert!(err(&x, &wb, &o).contains("bias_hh must have shape [8]"));
    let peep = RnnOptions::new(RnnCell::Lstm {
        peephole: true,
        coupled: false,
    });
    assert!(err(&x, &w, &peep).contains("needs peephole weights"));
    let h0 = z(&[3, 2]);
    let mut oh = o;
    oh.h0 = Some(&h0);
    assert!(err(&x, &w, &oh).contains("h0 must have shape [2, 2]"));
    let lens = [4, 5];
    let mut ol = o;
    ol.lengths = Some(&lens);
    assert!(err(&x, &w, &ol).contains("lengths[1] = 5 is outside 1..=4"));
    let zero = [0, 1];
    ol.lengths = Some(&zero);
    assert!(err(&x, &w, &ol).contains("lengths[0] = 0"));
    let v = [1u8; 8];
    ol.valid = Some(&v);
    assert!(err(&x, &w, &ol).contains("either lengths or a validity mask"));
    let (gi, gh) = (z(&[6, 3]), z(&[6, 2]));
    let wg = RnnWeights {
        w_ih: &gi,
        w_hh: &gh,
        b_ih: None,
        b_hh: None,
        peephole: None,
    };
    let c0 = z(&[2, 2]);
    let mut oc = gru;
    oc.c0 = Some(&c0);
    assert!(err(&x, &wg, &oc).contains("c0 given but Gru has no cell state"));
    let e = z(&[2, 4, 3])
        .rnn_cell(&wg, RnnCell::Gru, None, None)
        .err()
        .unwrap();
    assert!(e.to_string().contains("[batch, features]"), "{e}");
}

#!/usr/bin/env python3
"""Generate PyTorch parity fixtures for ferrograd's recurrent layers (nn.RNN, nn.LSTM, nn.GRU).

Usage (torch 1.13; on the dev box use Debian's interpreter):

    /usr/bin/python3 scripts/gen_torch_rnn_fixtures.py              # writes fixtures/torch/recurrent.json
    /usr/bin/python3 scripts/gen_torch_rnn_fixtures.py --out FILE    # write elsewhere

Every case: float32 inputs and weights (drawn from one RNG stream per case name), references
computed by torch in float64 from exactly those values, batch_first=True. Variable lengths use
pack_padded_sequence(enforce_sorted=False) and pad_packed_sequence(total_length=T), so padded
outputs are zero. The loss whose gradients are stored is
sum(y * wy) + sum(h_n * wh) [+ sum(c_n * wc)] with fixed random projections (stored too).
Read by crates/ferrograd-nn/tests/recurrent_parity.rs, which loads the weights by their
PyTorch names into the ferrograd layer.
"""

import argparse
import hashlib
import json
import os

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

GENERATOR = "scripts/gen_torch_rnn_fixtures.py"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def enc(t):
    t = t.detach().to(torch.float64)
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def f32(t):
    """Round to float32 and back so torch computes in float64 from the exact stored values."""
    return t.to(torch.float32).to(torch.float64)


def case(name, kind, b=3, t=5, i=4, h=6, layers=1, bidir=False, nonlinearity="tanh",
         init_states=False, lengths=None, bias=True):
    seed = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
    g = torch.Generator().manual_seed(seed)
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
    kw = dict(num_layers=layers, bidirectional=bidir, batch_first=True, bias=bias)
    if kind == "rnn":
        kw["nonlinearity"] = nonlinearity
    m = cls(i, h, **kw).to(torch.float64)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(f32(torch.rand(p.shape, generator=g, dtype=torch.float64) * 1.2 - 0.6))
    d = 2 if bidir else 1
    x = f32(torch.randn(b, t, i, generator=g, dtype=torch.float64)).requires_grad_()
    h0 = c0 = None
    if init_states:
        h0 = f32(torch.randn(layers * d, b, h, generator=g, dtype=torch.float64) * 0.5).requires_grad_()
        if kind == "lstm":
            c0 = f32(torch.randn(layers * d, b, h, generator=g, dtype=torch.float64) * 0.5).requires_grad_()
    state = None
    if h0 is not None:
        state = (h0, c0) if kind == "lstm" else h0
    if lengths is not None:
        packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
        out, st = m(packed, state)
        y, _ = pad_packed_sequence(out, batch_first=True, total_length=t)
    else:
        y, st = m(x, state)
    hn, cn = (st if kind == "lstm" else (st, None))
    wy = f32(torch.randn(y.shape, generator=g, dtype=torch.float64))
    wh = f32(torch.randn(hn.shape, generator=g, dtype=torch.float64))
    loss = (y * wy).sum() + (hn * wh).sum()
    wc = None
    if cn is not None:
        wc = f32(torch.randn(cn.shape, generator=g, dtype=torch.float64))
        loss = loss + (cn * wc).sum()
    loss.backward()
    rec = {
        "name": name,
        "kind": kind,
        "nonlinearity": nonlinearity,
        "input_size": i,
        "hidden_size": h,
        "num_layers": layers,
        "bidirectional": bidir,
        "bias": bias,
        "lengths": lengths,
        "x": enc(x),
        "weights": {k: enc(v) for k, v in m.named_parameters()},
        "y": enc(y),
        "h_n": enc(hn),
        "wy": enc(wy),
        "wh": enc(wh),
        "grad_x": enc(x.grad),
        "grads": {k: enc(v.grad) for k, v in m.named_parameters()},
    }
    if h0 is not None:
        rec["h0"] = enc(h0)
        rec["grad_h0"] = enc(h0.grad)
    if c0 is not None:
        rec["c0"] = enc(c0)
        rec["grad_c0"] = enc(c0.grad)
    if cn is not None:
        rec["c_n"] = enc(cn)
        rec["wc"] = enc(wc)
    return rec


def cases():
    out = []
    kinds = [("rnn_tanh", "rnn", "tanh"), ("rnn_relu", "rnn", "relu"), ("lstm", "lstm", "tanh"),
             ("gru", "gru", "tanh")]
    for label, kind, nl in kinds:
        out.append(case(f"{label}_uni", kind, nonlinearity=nl))
        out.append(case(f"{label}_bidir", kind, nonlinearity=nl, bidir=True))
        out.append(case(f"{label}_2layers", kind, nonlinearity=nl, layers=2))
        out.append(case(f"{label}_2layers_bidir_states", kind, nonlinearity=nl, layers=2, bidir=True,
                        init_states=True))
        out.append(case(f"{label}_init_states", kind, nonlinearity=nl, init_states=True))
        out.append(case(f"{label}_lengths", kind, nonlinearity=nl, lengths=[5, 2, 4]))
        out.append(case(f"{label}_lengths_bidir_states", kind, nonlinearity=nl, bidir=True,
                        init_states=True, lengths=[3, 5, 1]))
    out.append(case("lstm_nobias_big", "lstm", b=2, t=3, i=5, h=20, bias=False))
    out.append(case("gru_big_2layers_bidir_lengths", "gru", b=4, t=6, i=3, h=19, layers=2, bidir=True,
                    lengths=[6, 3, 1, 5]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "fixtures", "torch", "recurrent.json"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    data = {"generator": GENERATOR, "torch_version": torch.__version__, "cases": cases()}
    with open(args.out, "w") as f:
        json.dump(data, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(data['cases'])} cases to {args.out}")


if __name__ == "__main__":
    main()

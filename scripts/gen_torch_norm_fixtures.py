#!/usr/bin/env python3
"""Generates fixtures/torch/batchnorm.json: torch.nn.BatchNorm1d / BatchNorm2d outputs, input and
affine-parameter gradients in training mode, the updated running statistics, and eval-mode
outputs from those statistics (checked by crates/ferrograd-nn/tests/batchnorm_parity.rs).

Run with `/usr/bin/python3 scripts/gen_torch_norm_fixtures.py` (torch 1.13). Deterministic.
"""
import json
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "torch", "batchnorm.json")
GEN = torch.Generator().manual_seed(20261122)


def enc(t):
    t = t.detach().to(torch.float64)
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


CASES = []


def add(name, module, shape):
    x = (torch.randn(*shape, generator=GEN) * 2 + 0.5).to(torch.float32)
    w = (torch.rand(shape[1], generator=GEN) + 0.5).to(torch.float32)
    b = torch.randn(shape[1], generator=GEN).to(torch.float32)
    upstream = torch.randn(*shape, generator=GEN).to(torch.float32)
    m = module(shape[1], eps=1e-5, momentum=0.1).double()
    with torch.no_grad():
        m.weight.copy_(w.double())
        m.bias.copy_(b.double())
    m.train()
    xd = x.double().clone().requires_grad_(True)
    y = m(xd)
    (y * upstream.double()).sum().backward()
    m.eval()
    y_eval = m(x.double())
    CASES.append({
        "name": name, "module": module.__name__, "x": enc(x), "weight": enc(w), "bias": enc(b), "upstream": enc(upstream),
        "y": enc(y), "grad_x": enc(xd.grad), "grad_weight": enc(m.weight.grad), "grad_bias": enc(m.bias.grad),
        "running_mean": enc(m.running_mean), "running_var": enc(m.running_var), "y_eval": enc(y_eval),
    })


add("bn1d_features", torch.nn.BatchNorm1d, (8, 3))
add("bn1d_sequence", torch.nn.BatchNorm1d, (4, 3, 5))
add("bn2d", torch.nn.BatchNorm2d, (3, 4, 5, 6))
add("bn2d_odd", torch.nn.BatchNorm2d, (2, 2, 3, 1))

with open(OUT, "w") as f:
    json.dump({"generator": "scripts/gen_torch_norm_fixtures.py", "torch": torch.__version__, "cases": CASES}, f, indent=1)
print(f"wrote {len(CASES)} cases to {OUT}")

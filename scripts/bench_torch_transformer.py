#!/usr/bin/env python3
"""PyTorch timing of the workload of crates/ferrograd-nn/examples/transformer_bench.rs.

Run: /usr/bin/python3 scripts/bench_torch_transformer.py [steps]

Input [32, 128, 128] -> nn.TransformerEncoder (2 layers, d_model 128, 4 heads, FF 512, ReLU,
post-norm, dropout 0, batch_first) -> mean over the sequence -> Linear(128, 10) -> cross-entropy;
Adam lr 1e-3. Median ms per training step after 3 warm-up steps, for 1 and 2 threads.
"""

import sys
import time

import torch
import torch.nn as nn


def bench(threads, steps):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(128, 4, 512, dropout=0.0, batch_first=True)
    enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    head = nn.Linear(128, 10)
    params = list(enc.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)
    x = torch.randn(32, 128, 128)
    y = torch.arange(32) % 10
    times = []
    for step in range(steps + 3):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = nn.functional.cross_entropy(head(enc(x).mean(1)), y)
        loss.backward()
        opt.step()
        if step >= 3:
            times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    ms = times[len(times) // 2]
    print(f"torch {torch.__version__} threads={threads}: {ms:.2f} ms/step, {32e3 / ms:.0f} samples/s (median of {steps}; final loss {loss.item():.4f})")


if __name__ == "__main__":
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    for t in (1, 2):
        bench(t, steps)

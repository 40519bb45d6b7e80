#!/usr/bin/env python3
"""PyTorch CPU baseline for crates/ferrograd-nn/examples/lstm_bench.rs: one training step
(forward, backward, Adam) of LSTM(64 -> 256, batch_first) over 64 steps, batch 32, classifying
the last step with Linear(256 -> 10) + cross-entropy. Prints ms/step and samples/s for
torch.set_num_threads(1) and (2).

    /usr/bin/python3 scripts/bench_torch_lstm.py
"""

import time

import torch

B, T, I, H, C = 32, 64, 64, 256, 10


def bench(threads, steps=40, warmup=5):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(I, H, batch_first=True)
    head = torch.nn.Linear(H, C)
    opt = torch.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=1e-3)
    x = torch.randn(B, T, I)
    y = torch.arange(B) % C

    def step():
        opt.zero_grad()
        out, (hn, cn) = lstm(x)
        loss = torch.nn.functional.cross_entropy(head(out[:, -1]), y)
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(warmup):
        step()
    # Median step, as the Rust bench (the box is shared with concurrent builds).
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - start)
    times.sort()
    per = times[steps // 2]
    print(f"torch {torch.__version__} LSTM threads={threads}: median {per * 1e3:.2f} ms/step "
          f"(min {times[0] * 1e3:.2f}), {B / per:.0f} samples/s (loss {loss:.4f})")


if __name__ == "__main__":
    for n in (1, 2):
        bench(n)

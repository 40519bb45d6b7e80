#!/usr/bin/env python3
"""PyTorch timings for the shapes of crates/ferrograd-core/examples/conv_bench.rs.

Run: /usr/bin/python3 scripts/bench_torch_conv.py [reps]

Benchmark CNN feature extractor, float32, NCHW: input [64, 1, 28, 28] -> conv 5x5x32 'same' +
relu + maxpool 2 -> conv 5x5x64 'same' + relu + maxpool 2. Rows (median ms over `reps` runs after
a warm-up) match the Rust example: each layer forward + backward with a fixed upstream gradient,
the whole network forward + backward, and the forward alone under no_grad.
"""

import sys
import time

import torch
import torch.nn.functional as F


def median_ms(reps, f):
    f()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return times[len(times) // 2]


def fwd_bwd(f, grad):
    def run():
        y = f()
        y.backward(grad)

    return run


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    g = torch.Generator().manual_seed(0)

    def randn(*shape, scale=1.0, rg=False):
        t = torch.randn(*shape, generator=g) * scale
        return t.requires_grad_(rg)

    x = randn(64, 1, 28, 28)
    w1, b1 = randn(32, 1, 5, 5, scale=0.2, rg=True), randn(32, scale=0.1, rg=True)
    w2, b2 = randn(64, 32, 5, 5, scale=0.035, rg=True), randn(64, scale=0.1, rg=True)
    with torch.no_grad():
        a1 = F.conv2d(x, w1, b1, padding=2)
        p1 = F.max_pool2d(F.relu(a1), 2)
        a2 = F.conv2d(p1, w2, b2, padding=2)
    a1, p1, a2 = (t.clone().requires_grad_(True) for t in (a1, p1, a2))
    g1, gp1 = randn(64, 32, 28, 28), randn(64, 32, 14, 14)
    g2, gp2 = randn(64, 64, 14, 14), randn(64, 64, 7, 7)

    def net():
        h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, padding=2)), 2)
        y = F.max_pool2d(F.relu(F.conv2d(h, w2, b2, padding=2)), 2)
        y.backward(gp2)

    def fwd_only():
        with torch.no_grad():
            h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, padding=2)), 2)
            F.max_pool2d(F.relu(F.conv2d(h, w2, b2, padding=2)), 2)

    print("torch %s, %s" % (torch.__version__, torch.backends.mkldnn.is_available() and "mkldnn available" or "no mkldnn"))
    for threads in (1, 2):
        torch.set_num_threads(threads)
        print("threads = %d (median of %d)" % (threads, reps))
        rows = [
            ("conv1 fwd+bwd", fwd_bwd(lambda: F.conv2d(x, w1, b1, padding=2), g1)),
            ("relu+pool1 fwd+bwd", fwd_bwd(lambda: F.max_pool2d(F.relu(a1), 2), gp1)),
            ("conv2 fwd+bwd", fwd_bwd(lambda: F.conv2d(p1, w2, b2, padding=2), g2)),
            ("relu+pool2 fwd+bwd", fwd_bwd(lambda: F.max_pool2d(F.relu(a2), 2), gp2)),
            ("network fwd+bwd", net),
            ("network forward only", fwd_only),
        ]
        for name, f in rows:
            for t in (w1, b1, w2, b2, a1, p1, a2):
                t.grad = None
            print("  %-22s %7.2f ms" % (name, median_ms(reps, f)))


if __name__ == "__main__":
    main()

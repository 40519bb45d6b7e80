#!/usr/bin/env python3
"""PyTorch CPU peer of the ferrograd bench harness (benches/run.ts).

    python3 benches/peers/torch_bench.py <workload> --threads N [--quick]

Mirrors benches/workloads/*.ts: same shapes, same seeded data (mulberry32, see benches/lib/data.ts),
same timing rule (benches/lib/stats.ts). Prints one `@@BENCH_RESULT {json}` line on stdout.
`--probe` prints the interpreter's torch version, BLAS configuration and default thread count.
"""
import json
import resource
import sys
import time

import numpy as np
import torch

MARKER = "@@BENCH_RESULT "
MLP = [784, 512, 256, 10]
LR = 0.01
TRAIN_BATCH = 128


def seeded_uniform(n, seed, scale=1.0):
    with np.errstate(over="ignore"):
        i = np.arange(1, n + 1, dtype=np.uint64)
        a = ((np.uint64(seed & 0xFFFFFFFF) + i * np.uint64(0x6D2B79F5)) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        t = (a ^ (a >> np.uint32(15))) * (a | np.uint32(1))
        t = (t + (t ^ (t >> np.uint32(7))) * (t | np.uint32(61))) ^ t
        u = (t ^ (t >> np.uint32(14))).astype(np.float64) / 4294967296.0
    return torch.from_numpy(((2 * u - 1) * scale).astype(np.float32))


def seeded_labels(n, classes, seed):
    u = seeded_uniform(n, seed).double()
    return torch.clamp(((u + 1) / 2 * classes).floor().long(), max=classes - 1)


def mlp_params():
    ps = []
    for l in range(len(MLP) - 1):
        fi, fo = MLP[l], MLP[l + 1]
        ps.append(seeded_uniform(fi * fo, 100 + l, (6 / fi) ** 0.5).reshape(fi, fo))
        ps.append(seeded_uniform(fo, 200 + l, 0.01))
    return ps


def measure(fn, quick, budget_ms=3000.0, min_rep=3, max_rep=25):
    t0 = time.perf_counter()
    fn()
    first = (time.perf_counter() - t0) * 1e3
    warm = 0
    if quick:
        reps = 2
    elif first > 10_000:
        reps = 1
    else:
        warm = 0 if first > 1000 else 2
        reps = max(min_rep, min(max_rep, int(budget_ms // max(first, 1e-3))))
    for _ in range(warm):
        fn()
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1e3)
    return out


def ok(name, samples, **kw):
    r = {"case": name, "status": "ok", "samples": samples}
    r.update(kw)
    return r


def gemm(quick):
    sizes = [256, 512] if quick else [1024, 4096]
    res, prev_ms, prev_n = [], 0.0, 0
    for n in sizes:
        name = f"matmul {n}x{n}x{n}"
        flops = 2 * n ** 3
        est = prev_ms * (n / max(prev_n, 1)) ** 3
        if prev_n and est > 60_000:
            res.append({"case": name, "status": "skipped", "flops": flops, "note": f"too slow: est. {est/1000:.0f} s per run (limit 60 s)"})
            continue
        a = seeded_uniform(n * n, 1).reshape(n, n)
        b = seeded_uniform(n * n, 2).reshape(n, n)
        s = measure(lambda: torch.matmul(a, b), quick)
        res.append(ok(name, s, flops=flops))
        prev_ms, prev_n = sorted(s)[len(s) // 2], n
    return res


def elementwise(quick):
    x = seeded_uniform(1024 * 1024, 3).reshape(1024, 1024)
    y = seeded_uniform(1024 * 1024, 4).reshape(1024, 1024)
    ops = [
        ("add [1024,1024] + [1024,1024]", lambda: x + y),
        ("exp [1024,1024]", lambda: torch.exp(x)),
        ("softmax rows of [1024,1024]", lambda: torch.softmax(x, -1)),
        ("sum axis 0 of [1024,1024]", lambda: x.sum(0)),
    ]
    return [ok(name, measure(fn, quick, 1500), items=1024 * 1024) for name, fn in ops]


def forward(ps, x):
    h = x
    layers = len(ps) // 2
    for l in range(layers):
        z = h @ ps[2 * l] + ps[2 * l + 1]
        h = torch.relu(z) if l < layers - 1 else z
    return h


def mlp_inference(quick):
    ps = mlp_params()
    res = []
    with torch.no_grad():
        for batch in (1, 64):
            x = seeded_uniform(batch * MLP[0], 10 + batch).reshape(batch, MLP[0])
            res.append(ok(f"forward batch {batch}", measure(lambda: forward(ps, x), quick, 1500), items=batch))
    return res


def mlp_train(quick):
    ps = [p.requires_grad_() for p in mlp_params()]
    x = seeded_uniform(TRAIN_BATCH * MLP[0], 20).reshape(TRAIN_BATCH, MLP[0])
    y = torch.nn.functional.one_hot(seeded_labels(TRAIN_BATCH, MLP[3], 21), MLP[3]).float()

    def step():
        loss = -(y * torch.log_softmax(forward(ps, x), -1)).sum(1).mean()
        grads = torch.autograd.grad(loss, ps)
        with torch.no_grad():
            for p, g in zip(ps, grads):
                p.sub_(g * LR)

    return [ok(f"forward+backward+SGD, batch {TRAIN_BATCH}", measure(step, quick, 3000), items=TRAIN_BATCH)]


def fit_epoch(model, x, y, batch, lr):
    """One training epoch of a standard PyTorch loop, as a callable: torch.optim.Adam, a fresh
    random permutation every epoch, F.cross_entropy on logits (the fit workloads' peer)."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(0)
    model.train()
    n = x.shape[0]

    def epoch():
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()

    return epoch


FIT_SAMPLES, FIT_SAMPLES_QUICK, FIT_BATCH, FIT_LR = 8192, 256, 128, 1e-3


def mlp_fit(quick):
    """A standard PyTorch training loop: nn.Sequential, torch.optim.Adam, F.cross_entropy on logits,
    a fresh random permutation every epoch. One timed call = one epoch (mirrors workloads/mlp_fit.ts)."""
    n = FIT_SAMPLES_QUICK if quick else FIT_SAMPLES
    torch.manual_seed(0)
    x = seeded_uniform(n * MLP[0], 30).reshape(n, MLP[0])
    y = seeded_labels(n, MLP[3], 31)
    model = torch.nn.Sequential(torch.nn.Linear(MLP[0], MLP[1]), torch.nn.ReLU(), torch.nn.Linear(MLP[1], MLP[2]),
                                torch.nn.ReLU(), torch.nn.Linear(MLP[2], MLP[3]))
    epoch = fit_epoch(model, x, y, FIT_BATCH, FIT_LR)

    name = f"fit 1 epoch of {n} samples, batch {FIT_BATCH}, Adam {FIT_LR:g}"
    return [ok(name, measure(epoch, quick, 5000, 2, 15), items=n,
               note="torch: nn.Sequential + torch.optim.Adam + F.cross_entropy loop")]


CNN_SAMPLES, CNN_SAMPLES_QUICK, CNN_BATCH, CNN_LR = 1024, 128, 64, 1e-3


def cnn(quick):
    """The benchmark CNN through a standard PyTorch loop (mirrors workloads/cnn.ts): NCHW input,
    nn.Sequential of Conv2d/ReLU/MaxPool2d/Linear, Adam, F.cross_entropy on logits."""
    n = CNN_SAMPLES_QUICK if quick else CNN_SAMPLES
    torch.manual_seed(0)
    x = seeded_uniform(n * 784, 40).reshape(n, 1, 28, 28)
    y = seeded_labels(n, 10, 41)
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(64 * 7 * 7, 256), nn.ReLU(), nn.Linear(256, 10))
    epoch = fit_epoch(model, x, y, CNN_BATCH, CNN_LR)

    name = f"fit 1 epoch of {n} 28x28x1 images, batch {CNN_BATCH}, Adam {CNN_LR:g}"
    return [ok(name, measure(epoch, quick, 5000, 2, 10), items=n,
               note="torch: nn.Sequential (Conv2d, MaxPool2d; oneDNN) + torch.optim.Adam + F.cross_entropy loop")]


LSTM_SAMPLES, LSTM_SAMPLES_QUICK, LSTM_BATCH, LSTM_LR = 512, 64, 32, 1e-3
LSTM_T, LSTM_IN, LSTM_HIDDEN, LSTM_CLASSES = 64, 64, 256, 10


def lstm(quick):
    """The benchmark LSTM through a standard PyTorch loop (mirrors workloads/lstm.ts): batch-first
    nn.LSTM(64 -> 256), the last step's output into nn.Linear(256, 10), Adam, F.cross_entropy."""
    n = LSTM_SAMPLES_QUICK if quick else LSTM_SAMPLES
    torch.manual_seed(0)
    x = seeded_uniform(n * LSTM_T * LSTM_IN, 50).reshape(n, LSTM_T, LSTM_IN)
    y = seeded_labels(n, LSTM_CLASSES, 51)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(LSTM_IN, LSTM_HIDDEN, batch_first=True)
            self.head = torch.nn.Linear(LSTM_HIDDEN, LSTM_CLASSES)

        def forward(self, x):
            out, _ = self.lstm(x)
            return self.head(out[:, -1])

    model = Net()
    epoch = fit_epoch(model, x, y, LSTM_BATCH, LSTM_LR)

    name = f"fit 1 epoch of {n} sequences of {LSTM_T}x{LSTM_IN}, batch {LSTM_BATCH}, Adam {LSTM_LR:g}"
    return [ok(name, measure(epoch, quick, 5000, 2, 10), items=n,
               note="torch: nn.LSTM(batch_first) + nn.Linear on the last step + torch.optim.Adam + F.cross_entropy loop")]


TF_SAMPLES, TF_SAMPLES_QUICK, TF_BATCH, TF_LR = 512, 64, 32, 1e-3
TF_T, TF_D, TF_HEADS, TF_FF, TF_LAYERS, TF_CLASSES = 128, 128, 4, 512, 2, 10


def transformer(quick):
    """The benchmark transformer encoder through a standard PyTorch loop (mirrors
    workloads/transformer.ts): nn.TransformerEncoder of 2 post-norm ReLU layers (d_model 128,
    4 heads, feed-forward 512, dropout 0, batch_first), mean over the sequence, nn.Linear(128, 10),
    Adam, F.cross_entropy."""
    n = TF_SAMPLES_QUICK if quick else TF_SAMPLES
    torch.manual_seed(0)
    x = seeded_uniform(n * TF_T * TF_D, 60).reshape(n, TF_T, TF_D)
    y = seeded_labels(n, TF_CLASSES, 61)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            layer = torch.nn.TransformerEncoderLayer(TF_D, TF_HEADS, TF_FF, dropout=0.0, batch_first=True)
            self.encoder = torch.nn.TransformerEncoder(layer, TF_LAYERS, enable_nested_tensor=False)
            self.head = torch.nn.Linear(TF_D, TF_CLASSES)

        def forward(self, x):
            return self.head(self.encoder(x).mean(dim=1))

    model = Net()
    epoch = fit_epoch(model, x, y, TF_BATCH, TF_LR)

    name = f"fit 1 epoch of {n} sequences of {TF_T}x{TF_D}, batch {TF_BATCH}, Adam {TF_LR:g}"
    return [ok(name, measure(epoch, quick, 5000, 2, 10), items=n,
               note="torch: nn.TransformerEncoder (2 x TransformerEncoderLayer, batch_first) + mean + nn.Linear + torch.optim.Adam + F.cross_entropy loop")]


WORKLOADS = {"lstm": lstm, "transformer": transformer, "cnn": cnn, "gemm": gemm, "elementwise": elementwise, "mlp-inference": mlp_inference, "mlp-train-step-eager": mlp_train,
             "mlp-fit": mlp_fit}


def main():
    args = sys.argv[1:]
    if "--probe" in args:
        cfg = torch.__config__.show()
        blas = [l.strip() for l in cfg.splitlines() if "BLAS_INFO" in l or "MKL" in l or "CPU capability" in l]
        build = cfg.split("BLAS_INFO=")[1].split(",")[0] if "BLAS_INFO=" in cfg else "?"
        # The BLAS actually loaded (Debian's torch links libblas.so.3, which the alternatives system
        # may point at the reference BLAS or at OpenBLAS): run a matmul, then read the mappings.
        torch.randn(64, 64) @ torch.randn(64, 64)
        try:
            with open("/proc/self/maps") as maps:
                libs = sorted({line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line})
            import os.path
            loaded = ", ".join(os.path.realpath(l) for l in libs) or "none mapped"
        except OSError:
            loaded = "unknown"
        build = f"{build} (loaded: {loaded})"
        print(MARKER + json.dumps({"version": torch.__version__, "python": sys.version.split()[0], "executable": sys.executable,
                                   "blas": build, "config": " | ".join(l[:160] for l in blas),
                                   "defaultThreads": torch.get_num_threads(), "mkldnn": torch.backends.mkldnn.is_available()}))
        return
    workload = args[0]
    threads = int(args[args.index("--threads") + 1]) if "--threads" in args else torch.get_num_threads()
    quick = "--quick" in args
    torch.set_num_threads(threads)
    try:
        results = WORKLOADS[workload](quick)
    except Exception as e:  # reported, not fatal
        results = [{"case": "*", "status": "error", "note": str(e)[:200]}]
    run = {"engine": "torch", "workload": workload, "threads": torch.get_num_threads(), "results": results,
           "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "info": {"version": torch.__version__, "threads": torch.get_num_threads()}}
    print("\n" + MARKER + json.dumps(run), flush=True)


if __name__ == "__main__":
    main()

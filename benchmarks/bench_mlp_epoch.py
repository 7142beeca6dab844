"""Time one training epoch of the NumPy 1024-64-36 sigmoid MLP (issue 2's benchmark).

One epoch = 10,800 random samples in shuffled mini-batches of 32, each batch forward,
softmax cross-entropy, backward and an SGD step. Goal: ≤ 1 s per epoch on the 2-core
machine. Rows compare float64/float32 and BLAS threads (1, train_epoch's default, vs the
library's own default); the
median of ``--repeats`` epochs is reported.

Usage: python benchmarks/bench_mlp_epoch.py [--repeats 3]
"""
import argparse
import statistics
import time

import numpy as np
from ocr_cli.nn import SGD, SoftmaxCrossEntropy, build_mlp, train_epoch

N, BATCH, SIZES = 10_800, 32, (1024, 64, 36)


def time_epochs(dtype, threads, repeats):
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(N, SIZES[0])).astype(dtype)
    y = rng.integers(0, SIZES[-1], N)
    model, loss, opt = build_mlp(SIZES, hidden="sigmoid", seed=0, dtype=dtype), SoftmaxCrossEntropy(), SGD(lr=0.01)
    times = []
    for epoch in range(repeats):
        t = time.perf_counter()
        train_epoch(model, loss, opt, X, y, batch_size=BATCH, rng=epoch, threads=threads)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(f"1024-64-36 sigmoid MLP, {N} samples, batch {BATCH}, SGD; median of {args.repeats} epochs")
    print(f"{'dtype':<8} {'BLAS threads':<13} {'s/epoch':>8} {'samples/s':>10}  goal ≤ 1 s")
    for dtype in (np.float64, np.float32):
        for threads in (1, None):
            s = time_epochs(dtype, threads, args.repeats)
            label = "1" if threads else "default"
            print(f"{np.dtype(dtype).name:<8} {label:<13} {s:8.3f} {N / s:10.0f}  {'ok' if s <= 1 else 'SLOW'}")


if __name__ == "__main__":
    main()

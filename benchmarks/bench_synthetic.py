"""Synthetic engine speed: canonical samples per second from generate() (1 and 2 processes).

Usage: python benchmarks/bench_synthetic.py [N]
"""
import sys
import time

import numpy as np

from ocr_cli.data.synthetic import generate, render_glyph

n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
generate(100, seed=99)  # warm caches (skeletons, Hershey font)
rows = []
for seed in (1, 2, 3):
    t = time.perf_counter()
    generate(n, seed=seed)
    rows.append(("generate (canonical 32×32)", n / (time.perf_counter() - t)))
t = time.perf_counter()
generate(4 * n, seed=4, workers=2)
rows.append(("generate, workers=2", 4 * n / (time.perf_counter() - t)))
rng = np.random.default_rng(0)
t = time.perf_counter()
for i in range(1000):
    render_glyph("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[i % 36], rng, height=64)
rows.append(("render_glyph (page, height 64)", 1000 / (time.perf_counter() - t)))
print("| what | samples/s |")
print("|---|---|")
for what, rate in rows:
    print(f"| {what} | {rate:,.0f} |")

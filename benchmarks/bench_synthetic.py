"""Synthetic engine speed: samples per second from generate() (1 and 2 processes) and render_glyph.

"per CPU second" divides by the process's own CPU time, so it stays meaningful on a machine
shared with other jobs; "wall" is what a caller waits. Usage: python benchmarks/bench_synthetic.py [N]
"""
import sys
import time

import numpy as np

from ocr_cli.charset import CLASSES
from ocr_cli.data.synthetic import generate, render_glyph


def timed(fn, n):
    w, c = time.perf_counter(), time.process_time()
    fn()
    return n / (time.perf_counter() - w), n / max(time.process_time() - c, 1e-9)


n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
generate(100, seed=99)  # warm caches (skeletons, Hershey font)
rows = [("generate, canonical 32×32, 1 process", *timed(lambda: generate(n, seed=1), n))]
wall, _ = timed(lambda: generate(2 * n, seed=2, workers=2), 2 * n)
rows.append(("generate, canonical 32×32, 2 processes", wall, None))
rng = np.random.default_rng(0)
rows.append(("render_glyph, page glyph of height 64", *timed(
    lambda: [render_glyph(CLASSES[i % 36], rng, height=64) for i in range(n)], n)))
print("| what | samples/s (wall) | samples per CPU second |")
print("|---|---|---|")
for what, wall, cpu in rows:
    print(f"| {what} | {wall:,.0f} | {'' if cpu is None else f'{cpu:,.0f}'} |")

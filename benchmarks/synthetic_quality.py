"""How well does the synthetic engine stand in for real handwriting?

Trains the project's ``cnn`` architecture on synthetic samples only (with ``ocr train``'s
batch augmentation), then scores it 36-way on real NIST capitals (``nist26_valid.mat``:
letters only, but the model may answer any of the 36 classes): as ``load_dataset`` gives
them (normalized like page crops) and as stored in the file. Prints accuracy, the worst
classes and the most common confusions.

Usage: python benchmarks/synthetic_quality.py [--n 60000] [--epochs 6] [--seed 0]
       [--nist ../shared/data/nist/nist26_valid.mat] [--threads 1]
"""
from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch

from ocr_cli.charset import CLASSES
from ocr_cli.data import load_dataset
from ocr_cli.data.synthetic import generate
from ocr_cli.data.augment import augment as augment_batch
from ocr_cli.data.nist import read_nist_mat
from ocr_cli.recognizers.torch_nets import CNNRecognizer

REPO = Path(__file__).resolve().parents[1]


def train(X, y, epochs, seed, batch=128, lr=0.05, augment=True):
    torch.manual_seed(seed)
    rec = CNNRecognizer(CLASSES)
    net = rec.net
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4, nesterov=True)
    steps = epochs * (len(y) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    net.train()
    for epoch in range(epochs):
        perm = torch.randperm(len(yt), generator=gen)
        total = 0.0
        for i in range(len(yt) // batch):
            idx = perm[i * batch:(i + 1) * batch]
            xb = torch.as_tensor(augment_batch(X[idx.numpy()], rng)) if augment else Xt[idx]
            loss = torch.nn.functional.cross_entropy(net(xb), yt[idx], label_smoothing=0.1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        print(f"  epoch {epoch + 1}/{epochs}  loss {total / (len(yt) // batch):.3f}", flush=True)
    return rec


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=60000, help="synthetic training samples")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-augment", action="store_true", help="skip ocr train's batch augmentation")
    ap.add_argument("--save", help="also save the trained model here (e.g. /tmp/syn_cnn.pt)")
    ap.add_argument("--nist", default=str(REPO.parent / "shared" / "data" / "nist" / "nist26_valid.mat"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    t0 = time.time()
    X, y = generate(args.n, seed=args.seed)
    t_gen = time.time() - t0
    t0 = time.time()
    rec = train(X, y, args.epochs, args.seed, augment=not args.no_augment)
    t_train = time.time() - t0

    # canonical samples as load_dataset gives them (normalized like page crops) ...
    Xv, yv, _ = load_dataset("nist26", "valid", path=args.nist)
    pred = rec.predict_proba(Xv).argmax(axis=1)
    acc = float((pred == yv).mean())
    # ... and the images exactly as stored in the file (glyph sizes 17-31 px)
    Xr, _ = read_nist_mat(args.nist, "valid", 26, normalize=False)
    acc_raw = float((rec.predict_proba(Xr).argmax(axis=1) == yv).mean())
    if args.save:
        rec.save(args.save, {"trained_on": f"synthetic n={args.n} seed={args.seed}", "nist26_valid_acc": acc})
    per_class = {CLASSES[c]: float((pred[yv == c] == c).mean()) for c in np.unique(yv)}
    confusions = Counter((CLASSES[t], CLASSES[p]) for t, p in zip(yv, pred) if t != p)

    print("\n| synthetic samples | epochs | augment | generate s | train s | nist26_valid 36-way acc | same, images as stored |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {args.n} | {args.epochs} | {'no' if args.no_augment else 'yes'} | {t_gen:.0f} | {t_train:.0f} | {acc:.2%} | {acc_raw:.2%} |")
    worst = sorted(per_class.items(), key=lambda kv: kv[1])[:8]
    print("worst classes:", ", ".join(f"{c} {a:.0%}" for c, a in worst))
    print("top confusions (true->pred):", ", ".join(f"{t}->{p} {k}" for (t, p), k in confusions.most_common(12)))


if __name__ == "__main__":
    main()

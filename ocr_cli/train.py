"""Training recognizers: the data mix, the epoch loop and the results folder of ``ocr train``.

Data. Each ``--dataset`` source contributes a training part and a *held-out* part:

* ``synthetic``: ``synthetic_n`` fresh samples every epoch (never the same twice); held out is
  a fixed set of ``SYNTHETIC_HELDOUT`` samples from a stream training never draws from.
* a real source (``nist26``, ``mnist5k``, ...): a fixed, stratified ``HELDOUT_FRACTION`` of
  it is never trained on. The split depends only on the labels, never on ``--seed``, so every
  run and every model reports on exactly the same samples. ``repeat_real`` shows the
  training part that many times per epoch (each time differently augmented), so a few hundred
  real samples are not drowned by tens of thousands of synthetic ones.

Validation (the curves, the best-model choice) averages loss and accuracy over the held-out
parts of the real sources (so 390 letters weigh as much as 1,200 digits), or uses the synthetic
one when training is synthetic only; every source's held-out accuracy is reported as well. ``val`` names further sources to evaluate on (their held-out part) without
training on them, e.g. a synthetic-only model measured on real NIST letters.

Loop. SGD with momentum, a cosine learning-rate decay over the whole run, augmentation per
batch (:mod:`ocr_cli.augment`). After every epoch that improves validation accuracy the model
is written (atomically), so Ctrl-C at any moment keeps the best model so far.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ocr_cli.charset import CLASSES
from ocr_cli.errors import OcrError

HELDOUT_FRACTION = 0.3
HELDOUT_SEED = 1234  # fixed on purpose: the held-out part must not move with --seed
SYNTHETIC_HELDOUT = 2000
# The split `ocr train` reads from each source; the course's nist26 file that exists here is
# its validation split (nist26_valid.mat). Other sources default to "train".
SOURCE_SPLIT = {"nist26": "valid"}

# Per-model defaults: optimisation settings that train each architecture well.
DEFAULTS = {
    "mlp": {"lr": 0.05, "batch_size": 32, "epochs": 20, "weight_decay": 0.0, "hidden": (64,)},
    "fc": {"lr": 0.05, "batch_size": 32, "epochs": 20, "weight_decay": 0.0, "hidden": (64,)},
    "cnn": {"lr": 0.05, "batch_size": 64, "epochs": 10, "weight_decay": 5e-4, "hidden": 128},
}
MOMENTUM = 0.9


def heldout_mask(y: np.ndarray, fraction: float = HELDOUT_FRACTION) -> np.ndarray:
    """Boolean mask of a fixed, stratified ``fraction`` of the samples (per class, rounded).

    Deterministic for given labels: the same file always yields the same held-out samples.
    """
    rng = np.random.default_rng(HELDOUT_SEED)
    mask = np.zeros(len(y), bool)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        mask[rng.permutation(idx)[:round(fraction * len(idx))]] = True
    return mask


@dataclass
class Source:
    """One ``--dataset`` entry: its training part (None for synthetic) and held-out part."""

    spec: str
    train: tuple | None
    heldout: tuple

    @property
    def name(self) -> str:
        return self.spec.partition(":")[0].strip().lower()

    @property
    def synthetic(self) -> bool:
        return self.name == "synthetic"


def load_source(spec: str, data_dir=None) -> Source:
    """Load a source and split it into its training and fixed held-out parts."""
    from ocr_cli.data import load_dataset

    name = spec.partition(":")[0].strip().lower()
    if name == "synthetic":
        X, y, _ = load_dataset("synthetic", "test", n=SYNTHETIC_HELDOUT, seed=0)
        return Source(spec, None, (X, y))
    X, y, _ = load_dataset(spec, SOURCE_SPLIT.get(name, "train"), data_dir=data_dir)
    if len(y) < 2:
        raise OcrError(f"dataset {spec!r} has {len(y)} samples; too few to hold out a validation part")
    held = heldout_mask(y)
    return Source(spec, (X[~held], y[~held]), (X[held], y[held]))


@dataclass
class DataMix:
    """The training sources and the validation sources of a run."""

    sources: list
    val_sources: list
    synthetic_n: int = 10_000
    repeat_real: int = 1

    @classmethod
    def load(cls, datasets: str, val: str | None = None, data_dir=None, **kw) -> "DataMix":
        specs = [s.strip() for s in datasets.split(",") if s.strip()]
        if not specs:
            raise OcrError("no dataset given")
        sources = [load_source(s, data_dir) for s in specs]
        extra = [load_source(s, data_dir) for s in (val or "").split(",") if s.strip() and s.strip() not in specs]
        real = [s for s in sources + extra if not s.synthetic]
        return cls(sources, real or [s for s in sources if s.synthetic], **kw)

    def epoch_size(self) -> int:
        return sum(self.synthetic_n if s.synthetic else self.repeat_real * len(s.train[1]) for s in self.sources)

    def epoch(self, epoch: int, seed: int = 0):
        """This epoch's training samples (unshuffled): fresh synthetic ones plus the real parts."""
        from ocr_cli.data.synthetic import generate

        Xs, ys = [], []
        for s in self.sources:
            if s.synthetic:
                X, y = generate(self.synthetic_n, seed=[seed, 100 + epoch])
            else:
                X, y = (np.concatenate([a] * self.repeat_real) for a in s.train)
            Xs.append(X)
            ys.append(y)
        return np.concatenate(Xs), np.concatenate(ys)

    def validation(self):
        """``(X, y)``: all validation sources' held-out parts together."""
        return (np.concatenate([s.heldout[0] for s in self.val_sources]),
                np.concatenate([s.heldout[1] for s in self.val_sources]))

    def heldout_scores(self, rec) -> dict:
        """``{source name: {"loss", "acc"}}`` on every source's held-out part."""
        scores = {}
        for s in self.sources + self.val_sources:
            r = evaluate(rec, *s.heldout)
            scores[s.name] = {"loss": r["loss"], "acc": r["acc"]}
        return scores

    def describe(self) -> dict:
        return {
            "train": [{"source": s.spec, "samples_per_epoch": self.synthetic_n if s.synthetic
                       else self.repeat_real * len(s.train[1]), "distinct": None if s.synthetic else len(s.train[1])}
                      for s in self.sources],
            "heldout": {s.name: len(s.heldout[1]) for s in self.sources + self.val_sources},
            "validation": [s.name for s in self.val_sources],
            "heldout_rule": f"fixed stratified {HELDOUT_FRACTION:.0%} of each real source "
                            f"(seed {HELDOUT_SEED}, independent of --seed); synthetic: {SYNTHETIC_HELDOUT} fixed samples",
        }


def evaluate(rec, X: np.ndarray, y: np.ndarray) -> dict:
    """Mean cross-entropy and accuracy of a recognizer, from its probabilities."""
    p = rec.predict_proba(X)
    loss = float(-np.mean(np.log(np.maximum(p[np.arange(len(y)), y], 1e-12))))
    return {"loss": loss, "acc": float(np.mean(p.argmax(axis=1) == y)), "pred": p.argmax(axis=1)}


class NumpyStep:
    """One SGD-with-momentum step of an ``mlp`` recognizer (:mod:`ocr_cli.nn`)."""

    def __init__(self, rec, lr: float, weight_decay: float = 0.0):
        from ocr_cli.nn import Momentum, SoftmaxCrossEntropy

        self.model, self.loss = rec.model, SoftmaxCrossEntropy()
        self.opt = Momentum(lr, MOMENTUM)
        self.weight_decay = weight_decay

    def set_lr(self, lr: float) -> None:
        self.opt.lr = lr

    def __call__(self, X, y):
        out = self.model.forward(X)
        loss = self.loss.forward(out, y)
        self.model.backward(self.loss.backward())
        grads = self.model.grads
        if self.weight_decay:
            for name, p in self.model.params.items():
                grads[name] += self.weight_decay * p
        self.opt.step(self.model.params, grads)
        return loss * len(y), int(np.sum(out.argmax(axis=1) == y))


class TorchStep:
    """One SGD-with-momentum step of a torch recognizer (``rec.net``)."""

    def __init__(self, rec, lr: float, weight_decay: float = 0.0):
        import torch

        self.torch, self.net = torch, rec.net
        trainable = [p for p in self.net.parameters() if p.requires_grad]  # fine-tuning may freeze some
        self.opt = torch.optim.SGD(trainable, lr=lr, momentum=MOMENTUM, weight_decay=weight_decay)
        # a frozen BatchNorm must also keep its running statistics: it stays in eval mode
        self.frozen_norms = [m for m in self.net.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
                             and not any(p.requires_grad for p in m.parameters())]

    def set_lr(self, lr: float) -> None:
        for g in self.opt.param_groups:
            g["lr"] = lr

    def __call__(self, X, y):
        torch = self.torch
        self.net.train()
        for m in self.frozen_norms:
            m.eval()
        logits = self.net(torch.from_numpy(X))
        target = torch.from_numpy(y)
        loss = torch.nn.functional.cross_entropy(logits, target)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return float(loss.detach()) * len(y), int((logits.argmax(1) == target).sum())


def make_recognizer(model: str, hidden=None, seed: int = 0, init_from=None):
    """A fresh recognizer of kind ``model`` (or one loaded from ``init_from`` to continue training)."""
    from ocr_cli.recognizers import get_recognizer_class, load_recognizer

    cls = get_recognizer_class(model)
    if init_from is not None:
        rec = load_recognizer(init_from)
        if rec.name != model:
            raise OcrError(f"--init-from {init_from} is a {rec.name} model, not {model}")
        if rec.classes != CLASSES:
            raise OcrError(f"--init-from {init_from} has classes {rec.classes!r}, training needs {CLASSES!r}")
        if hidden is not None and rec.arch().get("hidden") != hidden:
            raise OcrError(f"--hidden {hidden} differs from --init-from's hidden {rec.arch().get('hidden')}")
        return rec
    if cls.name in ("mlp", "fc"):
        hidden = list(hidden or DEFAULTS[model]["hidden"])
        if model == "mlp":
            return cls(CLASSES, hidden=hidden, seed=seed)
        import torch

        torch.manual_seed(seed)
        return cls(CLASSES, hidden=hidden)
    if model == "cnn":
        import torch

        torch.manual_seed(seed)
        return cls(CLASSES, hidden=int(hidden if hidden is not None else DEFAULTS["cnn"]["hidden"]))
    return cls(CLASSES)


@dataclass
class RunResult:
    """What one training run produced."""

    model_path: Path | None
    history: list
    metrics: dict = field(default_factory=dict)
    confused: list = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0


def _first_layer(rec):
    return rec.model.params["layer0.W"].copy() if rec.name == "mlp" else None


def train(model: str, mix: DataMix, out, epochs: int | None = None, lr: float | None = None,
          batch_size: int | None = None, hidden=None, seed: int = 0, init_from=None,
          augment: bool = True, threads: int | None = None, command: str | None = None,
          progress: bool = True, log=print, rec=None) -> RunResult:
    """Train one recognizer on ``mix``; write the model, its sidecar and the figures into ``out``.

    Returns a :class:`RunResult`. Ctrl-C stops after the current batch: the best model so far
    stays on disk and the figures are drawn from the epochs completed. ``rec`` trains that
    recognizer (e.g. one prepared by :mod:`ocr_cli.finetune`) instead of making one.
    """
    from tqdm import tqdm

    from ocr_cli import train_plots
    from ocr_cli.augment import augment as augment_batch

    d = DEFAULTS.get(model, DEFAULTS["cnn"])
    epochs, lr = epochs or d["epochs"], lr or d["lr"]
    batch_size = batch_size or d["batch_size"]
    if epochs < 1 or batch_size < 1 or lr <= 0:
        raise OcrError("--epochs and --batch-size must be >= 1 and --lr > 0")
    out = Path(out)
    rec = rec if rec is not None else make_recognizer(model, hidden, seed, init_from)
    if rec.name != "mlp":
        import torch

        if threads:
            torch.set_num_threads(threads)
        step = TorchStep(rec, lr, d["weight_decay"])
    else:
        step = NumpyStep(rec, lr, d["weight_decay"])
    W_init = _first_layer(rec)
    rng = np.random.default_rng(seed)
    n = mix.epoch_size()
    total_steps, t_step = epochs * math.ceil(n / batch_size), 0
    info = {"command": command, "data": mix.describe(), "seed": seed, "init_from": str(init_from) if init_from else None,
            "training": {"epochs": epochs, "lr": lr, "schedule": "cosine", "momentum": MOMENTUM,
                         "weight_decay": d["weight_decay"], "batch_size": batch_size, "augment": augment}}
    history, best, model_path, interrupted = [], -1.0, None, False
    t0 = time.time()
    try:
        for epoch in range(1, epochs + 1):
            X, y = mix.epoch(epoch, seed)
            order = rng.permutation(len(y))
            total, correct = 0.0, 0
            bar = tqdm(range(0, len(y), batch_size), desc=f"epoch {epoch}/{epochs}", leave=False,
                       disable=not progress, unit="batch")
            for start in bar:
                idx = order[start:start + batch_size]
                xb = augment_batch(X[idx], rng) if augment else X[idx]
                step.set_lr(lr * 0.5 * (1 + math.cos(math.pi * t_step / total_steps)))
                t_step += 1
                batch_loss, batch_correct = step(xb, y[idx])
                total, correct = total + batch_loss, correct + batch_correct
                done = start + len(idx)
                bar.set_postfix(loss=f"{total / done:.3f}", acc=f"{correct / done:.3f}", refresh=False)
            held = mix.heldout_scores(rec)
            val_names = [s.name for s in mix.val_sources]
            stats = {"epoch": epoch, "loss": total / len(y), "acc": correct / len(y),
                     "val_loss": float(np.mean([held[k]["loss"] for k in val_names])),
                     "val_acc": float(np.mean([held[k]["acc"] for k in val_names])),
                     "heldout_acc": {k: v["acc"] for k, v in held.items()},
                     "seconds": round(time.time() - t0, 1)}
            history.append(stats)
            line = (f"epoch {epoch:>2}/{epochs}  train loss {stats['loss']:.4f} acc {stats['acc']:.2%}  "
                    f"val loss {stats['val_loss']:.4f} acc {stats['val_acc']:.2%}  "
                    + "  ".join(f"{k} {v:.2%}" for k, v in stats["heldout_acc"].items()) + f"  [{stats['seconds']:.0f}s]")
            if stats["val_acc"] > best:
                best = stats["val_acc"]
                model_path = rec.save(out / rec.name, {**info, "metrics": _metrics(stats), "history": history,
                                                       "train_seconds": stats["seconds"]})
                line += "  *saved"
            log(line)
    except KeyboardInterrupt:
        interrupted = True
        log("interrupted: keeping the best model so far" if model_path else "interrupted before the first epoch ended: no model written")
    seconds = time.time() - t0
    result = RunResult(model_path, history, interrupted=interrupted, seconds=seconds)
    if not history:
        return result
    train_plots.plot_curves({"": history}, out / "curves.png", title=f"{model} on {', '.join(s.spec for s in mix.sources)}")
    from ocr_cli.recognizers import load_recognizer

    best_rec = load_recognizer(model_path)
    X_val, y_val = mix.validation()
    val = evaluate(best_rec, X_val, y_val)
    cm = train_plots.confusion_matrix(y_val, val["pred"], len(CLASSES))
    train_plots.plot_confusion(cm, CLASSES, out / "confusion.png",
                               title=f"{model}: validation ({', '.join(s.spec for s in mix.val_sources)})")
    result.confused = train_plots.most_confused(cm, CLASSES)
    result.metrics = best_rec.info["metrics"]
    if W_init is not None:
        train_plots.plot_first_layer(W_init, _first_layer(best_rec), out / "first_layer.png")
    return result


def _metrics(stats: dict) -> dict:
    return {"epoch": stats["epoch"], "val_loss": round(stats["val_loss"], 4), "val_acc": round(stats["val_acc"], 4),
            "heldout_acc": {k: round(v, 4) for k, v in stats["heldout_acc"].items()}}


def train_lrs(lrs, model: str, mix: DataMix, out, log=print, **kw) -> dict:
    """One run per learning rate into ``out/lr_<lr>/``, plus ``out/lr_comparison.png`` of all curves.

    The seed's study: the best rate next to ×10 and ÷10 shows too-fast divergence and too-slow crawl.
    """
    from ocr_cli import train_plots

    out, results = Path(out), {}
    for lr in lrs:
        log(f"== lr {lr:g}")
        results[lr] = train(model, mix, out / f"lr_{lr:g}", lr=lr, log=log, **kw)
        if results[lr].interrupted:
            break
    runs = {f"lr={lr:g}": r.history for lr, r in results.items() if r.history}
    if runs:
        train_plots.plot_curves(runs, out / "lr_comparison.png", title=f"{model}: learning-rate comparison")
    return results

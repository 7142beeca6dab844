"""Training recognizers: the data mix, the epoch loop and the results folder of ``ocr train``.

Data. Each ``--dataset`` source contributes a training part and a *held-out* part:

* ``synthetic``: ``synthetic_n`` fresh samples every epoch (never the same twice); held out is
  a fixed set of ``SYNTHETIC_HELDOUT`` samples from a stream training never draws from.
* a real source (``nist26``, ``mnist5k``, ...): a fixed, stratified ``HELDOUT_FRACTION`` of
  it is never trained on. The split depends only on the labels, never on ``--seed``, so every
  run and every model reports on exactly the same samples. ``repeat_real`` (or ``NAME*K`` for
  one source) shows the training part that many times per epoch, each time differently
  augmented, so a few hundred real samples are not drowned by tens of thousands of synthetic ones.

Validation (the curves, the best-model choice) averages loss and accuracy over the held-out
parts of the real sources (so 390 letters weigh as much as 1,200 digits), or uses the synthetic
one when training is synthetic only; every source's held-out accuracy is reported as well.
``val`` names further sources to evaluate on (their held-out part) without training on them,
e.g. a synthetic-only model measured on real NIST letters. Training loss and accuracy are
measured on the augmented batches as they are trained on.

Loop. SGD with momentum (mlp, fc) or AdamW (cnn), a short warm-up then cosine decay of the
learning rate over the whole run, augmentation per batch (:mod:`ocr_cli.augment`). After every
epoch that improves validation accuracy the model is written (atomically), so Ctrl-C at any
moment keeps the best model so far.
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

# Per-model defaults. The fully connected nets use the seed's SGD with momentum; the cnn uses
# AdamW: SGD with momentum at lr 0.05 left the cnn stuck at chance on a 720-sample set, AdamW
# trains it from a few hundred samples up to hundreds of thousands.
DEFAULTS = {
    "mlp": {"optimizer": "sgd", "lr": 0.05, "batch_size": 32, "epochs": 20, "weight_decay": 0.0, "hidden": (64,)},
    "fc": {"optimizer": "sgd", "lr": 0.05, "batch_size": 32, "epochs": 20, "weight_decay": 0.0, "hidden": (64,)},
    "cnn": {"optimizer": "adamw", "lr": 2e-3, "batch_size": 64, "epochs": 10, "weight_decay": 0.01, "hidden": 128},
}
MOMENTUM = 0.9


def lr_at(step: int, total: int, peak: float) -> float:
    """Linear warm-up over the first 2% of the steps, then cosine decay to 0 at ``total``."""
    warm = max(1, total // 50)
    if step < warm:
        return peak * (step + 1) / warm
    return peak * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))


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
    repeat: int | None = None  # times per epoch (``NAME*K``); None: the mix's ``repeat_real``

    @property
    def name(self) -> str:
        return self.spec.partition(":")[0].strip().lower()

    @property
    def synthetic(self) -> bool:
        return self.name == "synthetic"


def load_source(spec: str, data_dir=None) -> Source:
    """Load a source and split it into its training and fixed held-out parts.

    ``NAME*K`` (e.g. ``nist26*6``) shows the training part K times per epoch.
    """
    from ocr_cli.data import load_dataset

    spec, star, times = spec.partition("*")
    repeat = None
    if star:
        if not times.strip().isdigit() or int(times) < 1:
            raise OcrError(f"dataset {spec}*{times}: the repeat count after '*' must be a positive integer")
        repeat = int(times)
    name = spec.partition(":")[0].strip().lower()
    if name == "synthetic":
        X, y, _ = load_dataset("synthetic", "test", n=SYNTHETIC_HELDOUT, seed=0)
        return Source(spec, None, (X, y))
    X, y, _ = load_dataset(spec, SOURCE_SPLIT.get(name, "train"), data_dir=data_dir)
    if len(y) < 2:
        raise OcrError(f"dataset {spec!r} has {len(y)} samples; too few to hold out a validation part")
    held = heldout_mask(y)
    return Source(spec, (X[~held], y[~held]), (X[held], y[held]), repeat)


@dataclass
class DataMix:
    """The training sources and the validation sources of a run."""

    sources: list
    val_sources: list
    synthetic_n: int = 10_000
    repeat_real: int = 1
    _pending: dict = field(default_factory=dict, init=False, repr=False)  # (epoch, seed) -> Future
    _executor: object = field(default=None, init=False, repr=False)

    @classmethod
    def load(cls, datasets: str, val: str | None = None, data_dir=None, **kw) -> "DataMix":
        specs = [s.strip() for s in datasets.split(",") if s.strip()]
        if not specs:
            raise OcrError("no dataset given")
        sources = [load_source(s, data_dir) for s in specs]
        trained = {x.partition("*")[0].strip() for x in specs}
        extra = [load_source(s, data_dir) for s in (val or "").split(",") if s.strip() and s.strip() not in trained]
        real = [s for s in sources + extra if not s.synthetic]
        return cls(sources, real or [s for s in sources if s.synthetic], **kw)

    def times(self, source: Source) -> int:
        return source.repeat or self.repeat_real

    def epoch_size(self) -> int:
        return sum(self.synthetic_n if s.synthetic else self.times(s) * len(s.train[1]) for s in self.sources)

    def epoch(self, epoch: int, seed: int = 0, last: bool = True):
        """This epoch's training samples (unshuffled): fresh synthetic ones plus the real parts.

        Unless ``last``, the next epoch's synthetic samples start generating in a worker
        process at once, so rendering (CPU-bound, as slow as training) overlaps training.
        """
        Xs, ys = [], []
        for s in self.sources:
            if s.synthetic:
                X, y = self._synthetic(epoch, seed, prefetch_next=not last)
            else:
                X, y = (np.concatenate([a] * self.times(s)) for a in s.train)
            Xs.append(X)
            ys.append(y)
        return np.concatenate(Xs), np.concatenate(ys)

    def _synthetic(self, epoch: int, seed: int, prefetch_next: bool):
        from ocr_cli.data.synthetic import generate

        job = self._pending.pop((epoch, seed), None)
        if prefetch_next:
            self._pending[(epoch + 1, seed)] = self._pool().submit(generate, self.synthetic_n, [seed, 101 + epoch])
        return job.result() if job is not None else generate(self.synthetic_n, seed=[seed, 100 + epoch])

    def _pool(self):
        import signal
        from concurrent.futures import ProcessPoolExecutor

        if self._executor is None:  # the worker ignores Ctrl-C: the trainer handles it
            self._executor = ProcessPoolExecutor(1, initializer=signal.signal, initargs=(signal.SIGINT, signal.SIG_IGN))
        return self._executor

    def close(self) -> None:
        """Stop the synthetic-data worker, if one was started."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
        self._pending.clear()

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
                       else self.times(s) * len(s.train[1]), "distinct": None if s.synthetic else len(s.train[1])}
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
    """One optimiser step of a torch recognizer (``rec.net``): SGD with momentum or AdamW."""

    def __init__(self, rec, lr: float, weight_decay: float = 0.0, optimizer: str = "sgd",
                 label_smoothing: float = 0.0):
        import torch

        self.torch, self.net = torch, rec.net
        self.label_smoothing = label_smoothing
        # fine-tuning may freeze parameters, or mark some with ``lr_scale`` to learn more slowly
        groups = {}
        for p in self.net.parameters():
            if p.requires_grad:
                groups.setdefault(getattr(p, "lr_scale", 1.0), []).append(p)
        trainable = [{"params": ps, "lr_scale": scale, "lr": lr * scale} for scale, ps in groups.items()]
        if optimizer == "adamw":
            self.opt = torch.optim.AdamW(trainable, lr=lr, weight_decay=weight_decay)
        else:
            self.opt = torch.optim.SGD(trainable, lr=lr, momentum=MOMENTUM, weight_decay=weight_decay)
        # a frozen BatchNorm must also keep its running statistics: it stays in eval mode
        self.frozen_norms = [m for m in self.net.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
                             and not any(p.requires_grad for p in m.parameters())]

    def set_lr(self, lr: float) -> None:
        for g in self.opt.param_groups:
            g["lr"] = lr * g["lr_scale"]

    def __call__(self, X, y):
        torch = self.torch
        self.net.train()
        for m in self.frozen_norms:
            m.eval()
        logits = self.net(torch.from_numpy(X))
        target = torch.from_numpy(y)
        loss = torch.nn.functional.cross_entropy(logits, target, label_smoothing=self.label_smoothing)
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


def code_version() -> str:
    """``ocr-cli <version>`` plus the git commit when run from a checkout: the synthetic engine
    and the loaders evolve, so a model is reproducible only together with the code it saw."""
    import subprocess

    from ocr_cli import __version__

    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).parent,
                             capture_output=True, text=True, timeout=5)
        commit = out.stdout.strip() if out.returncode == 0 else ""
    except OSError:
        commit = ""
    return f"ocr-cli {__version__}" + (f" (git {commit})" if commit else "")


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
          progress: bool = True, log=print, rec=None, label_smoothing: float = 0.0) -> RunResult:
    """Train one recognizer on ``mix``; write the model, its sidecar and the figures into ``out``.

    Returns a :class:`RunResult`. Ctrl-C stops after the current batch: the best model so far
    stays on disk and the figures are drawn from the epochs completed. ``rec`` trains that
    recognizer (e.g. one prepared by :mod:`ocr_cli.finetune`) instead of making one.
    ``label_smoothing`` (torch models) trains towards 1 - s on the true class and s spread over
    all classes instead of a one-hot target, which keeps the net from over-confident logits.
    """
    from threadpoolctl import threadpool_limits
    from tqdm import tqdm

    from ocr_cli import train_plots
    from ocr_cli.augment import augment as augment_batch

    d = DEFAULTS.get(model, DEFAULTS["cnn"])
    epochs, lr = epochs or d["epochs"], lr or d["lr"]
    batch_size = batch_size or d["batch_size"]
    if epochs < 1 or batch_size < 1 or lr <= 0:
        raise OcrError("--epochs and --batch-size must be >= 1 and --lr > 0")
    if not 0.0 <= label_smoothing < 1.0:
        raise OcrError("--label-smoothing must be in [0, 1)")
    out = Path(out)
    rec = rec if rec is not None else make_recognizer(model, hidden, seed, init_from)
    if rec.name != "mlp":
        import torch

        if threads:
            torch.set_num_threads(threads)
        step = TorchStep(rec, lr, d["weight_decay"], d["optimizer"], label_smoothing)
    else:
        if label_smoothing:
            raise OcrError("--label-smoothing is for the torch models (fc, cnn), not mlp")
        step = NumpyStep(rec, lr, d["weight_decay"])
    W_init = _first_layer(rec)
    rng = np.random.default_rng(seed)
    n = mix.epoch_size()
    total_steps, t_step = epochs * math.ceil(n / batch_size), 0
    # a model trained in stages records every stage's command: its own and its starting model's
    start_info = getattr(rec, "info", {}) if init_from else {}
    started = {k: start_info.get(k) for k in ("command", "code", "metrics", "init_from_model")} if init_from else None
    info = {"command": command, "code": code_version(), "data": mix.describe(), "seed": seed,
            "init_from": str(init_from) if init_from else None, "init_from_model": started,
            "training": {"epochs": epochs, "optimizer": d["optimizer"], "lr": lr, "schedule": "warm-up 2%, cosine",
                         "momentum": MOMENTUM if d["optimizer"] == "sgd" else None,
                         "weight_decay": d["weight_decay"], "batch_size": batch_size, "augment": augment,
                         "label_smoothing": label_smoothing}}
    history, best, model_path, interrupted = [], -1.0, None, False
    t0 = time.time()
    # BLAS threads: mini-batch matmuls are too small to share out, and on a busy machine
    # idle-spinning BLAS threads make them ten times slower.
    blas = threadpool_limits(threads or 1, user_api="blas")
    try:
        for epoch in range(1, epochs + 1):
            X, y = mix.epoch(epoch, seed, last=epoch == epochs)
            order = rng.permutation(len(y))
            total, correct = 0.0, 0
            bar = tqdm(range(0, len(y), batch_size), desc=f"epoch {epoch}/{epochs}", leave=False,
                       disable=not progress, unit="batch")
            for start in bar:
                idx = order[start:start + batch_size]
                xb = augment_batch(X[idx], rng) if augment else X[idx]
                step.set_lr(lr_at(t_step, total_steps, lr))
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
    finally:
        mix.close()
        blas.restore_original_limits()
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


def run_training(model: str, datasets: str, out, lrs=(), val: str | None = None, data_dir=None,
                 synthetic_n: int = 10_000, repeat_real: int = 1, init_from=None, log=print, **kw) -> dict:
    """What ``ocr train`` does: check ``init_from``, load the data, train once or once per rate.

    Returns ``{lr: RunResult}`` (key None for a single run at the model's default rate).
    """
    if synthetic_n < 0 or repeat_real < 1:
        raise OcrError("--synthetic must be >= 0 and --repeat-real >= 1")
    if init_from is not None:  # fail on a bad model file before spending time on data
        from ocr_cli.recognizers import load_recognizer

        load_recognizer(init_from)
    mix = DataMix.load(datasets, val=val, data_dir=data_dir, synthetic_n=synthetic_n, repeat_real=repeat_real)
    lrs = list(lrs)
    if len(lrs) > 1:
        return train_lrs(lrs, model, mix, out, init_from=init_from, log=log, **kw)
    return {lrs[0] if lrs else None: train(model, mix, out, lr=lrs[0] if lrs else None, init_from=init_from, log=log, **kw)}

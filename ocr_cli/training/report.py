"""What a run records and reports: provenance for the sidecar, scores, the result and figures.

Every saved model carries how it was made (command, code version, data, seed, settings and,
for a model trained in stages, its starting model's own record) and what it scored on every
source's fixed held-out part, epoch by epoch.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ocr_cli.charset import CLASSES
from ocr_cli.training.config import MOMENTUM, TrainConfig


@dataclass
class RunResult:
    """What one training run produced."""

    model_path: Path | None
    history: list
    metrics: dict = field(default_factory=dict)
    confused: list = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0


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


def provenance(cfg: TrainConfig, mix, rec) -> dict:
    """The sidecar's record of how the run was made (``cfg`` resolved; ``rec`` as it starts)."""
    d = rec.defaults
    # a model trained in stages records every stage's command: its own and its starting model's
    started = {k: rec.info.get(k) for k in ("command", "code", "metrics", "init_from_model")} if cfg.init_from else None
    return {"command": cfg.command, "code": code_version(), "data": mix.describe(), "seed": cfg.seed,
            "init_from": str(cfg.init_from) if cfg.init_from else None, "init_from_model": started,
            "training": {"epochs": cfg.epochs, "optimizer": d.optimizer, "lr": cfg.lr, "schedule": "warm-up 2%, cosine",
                         "momentum": MOMENTUM if d.optimizer == "sgd" else None, "weight_decay": d.weight_decay,
                         "batch_size": cfg.batch_size, "augment": cfg.augment, "label_smoothing": cfg.label_smoothing}}


def evaluate(rec, X: np.ndarray, y: np.ndarray) -> dict:
    """Mean cross-entropy and accuracy of a recognizer, from its probabilities."""
    p = rec.predict_proba(X)
    loss = float(-np.mean(np.log(np.maximum(p[np.arange(len(y)), y], 1e-12))))
    return {"loss": loss, "acc": float(np.mean(p.argmax(axis=1) == y)), "pred": p.argmax(axis=1)}


def heldout_scores(mix, rec) -> dict:
    """``{source name: {"loss", "acc"}}`` on every source's held-out part."""
    scores = {}
    for s in mix.heldout_sources():
        r = evaluate(rec, *s.heldout)
        scores[s.name] = {"loss": r["loss"], "acc": r["acc"]}
    return scores


def epoch_stats(epoch: int, loss_sum: float, correct: int, n: int, held: dict, mix, seconds: float) -> dict:
    """One epoch's history entry: training loss and accuracy, validation means, every held-out accuracy."""
    val_names = [s.name for s in mix.val_sources]
    return {"epoch": epoch, "loss": loss_sum / n, "acc": correct / n,
            "val_loss": float(np.mean([held[k]["loss"] for k in val_names])),
            "val_acc": float(np.mean([held[k]["acc"] for k in val_names])),
            "heldout_acc": {k: v["acc"] for k, v in held.items()},
            "seconds": round(seconds, 1)}


def epoch_line(stats: dict, epochs: int) -> str:
    return (f"epoch {stats['epoch']:>2}/{epochs}  train loss {stats['loss']:.4f} acc {stats['acc']:.2%}  "
            f"val loss {stats['val_loss']:.4f} acc {stats['val_acc']:.2%}  "
            + "  ".join(f"{k} {v:.2%}" for k, v in stats["heldout_acc"].items()) + f"  [{stats['seconds']:.0f}s]")


def metrics(stats: dict) -> dict:
    """The sidecar's ``metrics``: the saved epoch's validation and held-out scores, rounded."""
    return {"epoch": stats["epoch"], "val_loss": round(stats["val_loss"], 4), "val_acc": round(stats["val_acc"], 4),
            "heldout_acc": {k: round(v, 4) for k, v in stats["heldout_acc"].items()}}


FIGURES = ("curves.png", "confusion.png", "first_layer.png")  # a results folder's figures of its model


def finish(result: RunResult, cfg: TrainConfig, mix, W_init) -> RunResult:
    """Draw the run's figures from the best saved model and fill in its metrics and confusions.

    The loop removes a previous run's figures before its first save, so a run killed before
    this point leaves its model without figures, never beside another model's."""
    from ocr_cli.recognizers import load_recognizer
    from ocr_cli.training import plots

    out = Path(cfg.out)
    plots.plot_curves({"": result.history}, out / "curves.png",
                      title=f"{cfg.model} on {', '.join(s.spec for s in mix.sources)}")
    best = load_recognizer(result.model_path)
    X_val, y_val = mix.validation()
    cm = plots.confusion_matrix(y_val, evaluate(best, X_val, y_val)["pred"], len(CLASSES))
    plots.plot_confusion(cm, CLASSES, out / "confusion.png",
                         title=f"{cfg.model}: validation ({', '.join(s.spec for s in mix.val_sources)})")
    result.confused = plots.most_confused(cm, CLASSES)
    result.metrics = best.info["metrics"]
    if W_init is not None:
        plots.plot_first_layer(W_init, best.first_layer(), out / "first_layer.png")
    return result

"""Figures and tables of a training run: curves, confusion matrix, first-layer weights.

matplotlib is imported inside each function (headless ``Agg``), and every PNG is written
atomically, so an interrupted run never leaves half a figure.
"""
from __future__ import annotations

import numpy as np

from ocr_cli.fileio.writing import pyplot, save_figure




def plot_curves(runs: dict, path, title: str = "") -> None:
    """Loss and accuracy per epoch, train (dashed) and validation (solid), one colour per run.

    ``runs`` maps a label (e.g. ``"lr=0.05"``) to a history: a list of per-epoch dicts with
    ``epoch``, ``loss``, ``acc``, ``val_loss``, ``val_acc``. One run gives the usual curves,
    several give the learning-rate comparison on the same axes.
    """
    plt = pyplot()
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    for i, (label, history) in enumerate(runs.items()):
        epochs = [h["epoch"] for h in history]
        colour = f"C{i}"
        prefix = f"{label} " if len(runs) > 1 else ""
        for ax, key in ((ax_loss, "loss"), (ax_acc, "acc")):
            ax.plot(epochs, [h[key] for h in history], "--", color=colour, label=f"{prefix}train")
            ax.plot(epochs, [h[f"val_{key}"] for h in history], "-o", ms=3, color=colour, label=f"{prefix}validation")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy", ylim=(0, 1))
    from matplotlib.ticker import MaxNLocator

    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    save_figure(fig, path, bbox_inches="tight")


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """``cm[t, p]`` counts samples of true class ``t`` predicted as ``p``."""
    cm = np.zeros((n_classes, n_classes), np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def most_confused(cm: np.ndarray, classes: str, k: int = 10) -> list[tuple[str, str, int]]:
    """The ``k`` largest off-diagonal counts as ``(true, predicted, count)``."""
    off = cm.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(off, axis=None)[::-1][:k]
    pairs = [(classes[t], classes[p], int(off[t, p])) for t, p in zip(*np.unravel_index(order, cm.shape))]
    return [p for p in pairs if p[2] > 0]


def plot_confusion(cm: np.ndarray, classes: str, path, title: str = "") -> None:
    """Row-normalised confusion matrix (rows: true class), the counts of errors written in."""
    plt = pyplot()
    rates = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(9, 8))
    im = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ticks = np.arange(len(classes))
    ax.set_xticks(ticks, list(classes), fontsize=7)
    ax.set_yticks(ticks, list(classes), fontsize=7)
    ax.set(xlabel="predicted", ylabel="true", title=title or "confusion matrix (row-normalised)")
    for t, p in zip(*np.nonzero(cm)):
        if t != p:
            ax.text(p, t, str(cm[t, p]), ha="center", va="center", fontsize=5, color="crimson")
    fig.colorbar(im, ax=ax, fraction=0.046)
    save_figure(fig, path, bbox_inches="tight")


def weight_mosaic(W: np.ndarray, cols: int) -> np.ndarray:
    """Tile the columns of ``W`` (1024, n) as 32×32 images, each scaled to [-1, 1] by its own
    largest magnitude (so shapes show, not scales), with a one-pixel NaN gap between tiles."""
    n = W.shape[1]
    rows = int(np.ceil(n / cols))
    mosaic = np.full((rows * 33 - 1, cols * 33 - 1), np.nan)
    for u in range(n):
        r, c = divmod(u, cols)
        w = W[:, u].reshape(32, 32)
        mosaic[r * 33:r * 33 + 32, c * 33:c * 33 + 32] = w / max(np.abs(w).max(), 1e-12)
    return mosaic


def plot_first_layer(W_init: np.ndarray, W_final: np.ndarray, path, max_units: int = 64) -> None:
    """The first layer's weights, one 32×32 image per hidden unit, at initialisation and trained.

    ``W`` is ``(1024, n_hidden)``; each column is one unit's weights in the sample's 32×32
    layout (red: positive, blue: negative). Trained units show strokes and blobs that the
    random initial ones lack.
    """
    plt = pyplot()
    n = min(W_final.shape[1], max_units)
    cols = int(np.ceil(np.sqrt(n)))
    fig, axes = plt.subplots(1, 2, figsize=(12, 6))
    for ax, W, name in ((axes[0], W_init, "initialisation"), (axes[1], W_final, "trained")):
        ax.imshow(weight_mosaic(np.asarray(W)[:, :n], cols), cmap="RdBu_r", vmin=-1, vmax=1)
        ax.set_title(f"first-layer weights, {name}", fontsize=10)
        ax.axis("off")
    save_figure(fig, path, bbox_inches="tight")

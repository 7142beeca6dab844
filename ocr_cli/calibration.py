"""Confidences that mean what they say: temperature scaling, expected calibration error, reliability plot.

A recognizer's top probability is its confidence. It is *calibrated* when, of all the
characters read with confidence about 0.8, about 80% are right. Nets trained with label
smoothing are under-confident, nets trained to zero loss over-confident; one temperature
``T`` fixes most of either (Guo et al., 2017): ``p_T = softmax(log p / T)``, which never
changes which class is best, only how sure it looks. ``T`` is fitted on held-out samples by
minimising their cross-entropy and kept in the model's sidecar (``"calibration"``);
:func:`calibrated` applies it wherever probabilities are used (page reading, scoring).
"""
from __future__ import annotations

import numpy as np

ECE_BINS = 15


def apply_temperature(proba: np.ndarray, temperature: float) -> np.ndarray:
    """``softmax(log p / T)`` row by row. ``proba`` (N, C) -> (N, C); T = 1 returns it unchanged."""
    proba = np.asarray(proba, np.float64)
    if temperature == 1.0 or not len(proba):
        return proba
    z = np.log(np.maximum(proba, 1e-30)) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def temperature_of(rec) -> float:
    """The temperature stored in a recognizer's sidecar, 1.0 when it was never calibrated."""
    return float((getattr(rec, "info", None) or {}).get("calibration", {}).get("temperature", 1.0))


def calibrated(proba: np.ndarray, rec) -> np.ndarray:
    """``rec``'s probabilities ``proba`` (N, C) with its own temperature applied."""
    return apply_temperature(proba, temperature_of(rec))


def nll(proba: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy of the true classes."""
    return float(-np.mean(np.log(np.maximum(proba[np.arange(len(y)), y], 1e-12))))


def fit_temperature(proba: np.ndarray, y: np.ndarray) -> float:
    """The T in [0.05, 20] that minimises the cross-entropy of ``apply_temperature(proba, T)`` on labels ``y``.

    The loss is convex in 1/T, so a coarse grid on log T and a golden-section refinement
    around its best point find the minimum to four digits.
    """
    if not len(y):
        return 1.0
    loss = lambda t: nll(apply_temperature(proba, t), y)  # noqa: E731
    grid = np.exp(np.linspace(np.log(0.05), np.log(20), 41))
    k = int(np.argmin([loss(t) for t in grid]))
    lo, hi = np.log(grid[max(k - 1, 0)]), np.log(grid[min(k + 1, len(grid) - 1)])
    g = (np.sqrt(5) - 1) / 2
    for _ in range(40):
        a, b = hi - g * (hi - lo), lo + g * (hi - lo)
        if loss(np.exp(a)) < loss(np.exp(b)):
            hi = b
        else:
            lo = a
    return float(np.exp((lo + hi) / 2))


def reliability(confidence: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS):
    """Per equal-width confidence bin: ``(count, mean confidence, accuracy)``, each (bins,)."""
    confidence, correct = np.asarray(confidence, float), np.asarray(correct, float)
    idx = np.clip((confidence * bins).astype(int), 0, bins - 1)
    count = np.bincount(idx, minlength=bins).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        conf = np.bincount(idx, confidence, bins) / count
        acc = np.bincount(idx, correct, bins) / count
    return count, conf, acc


def ece(confidence: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS) -> float:
    """Expected calibration error: the count-weighted mean of |accuracy − confidence| over bins."""
    count, conf, acc = reliability(confidence, correct, bins)
    used = count > 0
    return float(np.sum(count[used] * np.abs(acc[used] - conf[used])) / max(count.sum(), 1))


def top(proba: np.ndarray, y: np.ndarray):
    """``(confidence, correct)`` of the best class per row."""
    best = proba.argmax(axis=1)
    return proba[np.arange(len(best)), best], best == y


def plot_reliability(curves: dict, path, title: str = "", bins: int = ECE_BINS):
    """Reliability diagram: accuracy against confidence per bin, one line per ``{label: (confidence, correct)}``,
    the diagonal for perfect calibration, and how many samples fall in each bin."""
    from ocr_cli.fileio.writing import pyplot, save_figure

    plt = pyplot()
    fig, (ax, ax_n) = plt.subplots(2, 1, figsize=(5.5, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    ax.plot([0, 1], [0, 1], ":", color="grey", label="perfect")
    width = 1 / bins
    for i, (label, (confidence, correct)) in enumerate(curves.items()):
        count, conf, acc = reliability(confidence, correct, bins)
        used = count > 0
        ax.plot(conf[used], acc[used], "-o", ms=4, color=f"C{i}", label=f"{label} (ECE {ece(confidence, correct, bins):.1%})")
        ax_n.bar((np.arange(bins) + 0.5 + 0.4 * (i - 0.5)) * width, count, width=0.4 * width, color=f"C{i}")
    ax.set(ylabel="accuracy", xlim=(0, 1), ylim=(0, 1), title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    ax_n.set(xlabel="confidence (top probability)", ylabel="samples", yscale="log")
    return save_figure(fig, path, bbox_inches="tight")

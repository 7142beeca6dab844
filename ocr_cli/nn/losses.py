"""Losses: ``forward(out, target) -> float`` then ``backward() -> dL/d(out)``.

Targets for classification may be one-hot rows ``(N, C)`` or class indices ``(N,)``.
"""
from __future__ import annotations

import numpy as np

from ocr_cli.nn.layers import softmax

REDUCTIONS = ("mean", "sum")


def one_hot(y, n_classes: int, dtype=np.float64) -> np.ndarray:
    """Indices ``(N,)`` -> one-hot ``(N, n_classes)``; one-hot input is returned as is (cast)."""
    y = np.asarray(y)
    if y.ndim == 2:
        return y.astype(dtype, copy=False)
    Y = np.zeros((len(y), n_classes), dtype)
    Y[np.arange(len(y)), y] = 1
    return Y


def labels(y) -> np.ndarray:
    """One-hot ``(N, C)`` or indices ``(N,)`` -> indices ``(N,)``."""
    y = np.asarray(y)
    return y.argmax(axis=1) if y.ndim == 2 else y


def accuracy(scores: np.ndarray, y) -> float:
    """Fraction of rows whose highest score (logit or probability) is the true class."""
    if len(scores) == 0:
        return float("nan")
    return float(np.mean(scores.argmax(axis=1) == labels(y)))


class SoftmaxCrossEntropy:
    """Cross-entropy of softmax(logits) against the targets, from the logits directly.

    L = −Σ_n Σ_c y_nc log p_nc (divided by N for ``reduction="mean"``). Computing log p as
    z − max − log Σ exp(z − max) never takes the log of 0, and the gradient with respect to the
    logits is simply (P − Y), divided by N for the mean.
    """

    def __init__(self, reduction: str = "mean"):
        if reduction not in REDUCTIONS:
            raise ValueError(f"unknown reduction {reduction!r}; choose one of {REDUCTIONS}")
        self.reduction = reduction

    def forward(self, logits: np.ndarray, y) -> float:
        Y = one_hot(y, logits.shape[1], logits.dtype)
        with np.errstate(over="ignore"):  # see layers.softmax: −inf here is harmless
            shifted = logits - logits.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.P, self.Y = np.exp(log_p), Y
        loss = -float(np.sum(Y * log_p))
        return loss / len(Y) if self.reduction == "mean" else loss

    def backward(self) -> np.ndarray:
        d = self.P - self.Y
        return d / len(d) if self.reduction == "mean" else d

    def __call__(self, logits, y):
        return self.forward(logits, y)

    @staticmethod
    def probabilities(logits: np.ndarray) -> np.ndarray:
        return softmax(logits)


class SquaredError:
    """Total squared error L = Σ (out − target)² (``reduction="sum"``, the default) or its
    mean over rows. Gradient: 2(out − target), divided by N for the mean."""

    def __init__(self, reduction: str = "sum"):
        if reduction not in REDUCTIONS:
            raise ValueError(f"unknown reduction {reduction!r}; choose one of {REDUCTIONS}")
        self.reduction = reduction

    def forward(self, out: np.ndarray, target: np.ndarray) -> float:
        self.diff = out - np.asarray(target, dtype=out.dtype)
        loss = float(np.sum(self.diff * self.diff))
        return loss / len(out) if self.reduction == "mean" else loss

    def backward(self) -> np.ndarray:
        d = 2.0 * self.diff
        return d / len(d) if self.reduction == "mean" else d

    def __call__(self, out, target):
        return self.forward(out, target)


LOSSES = {"cross_entropy": SoftmaxCrossEntropy, "squared_error": SquaredError}

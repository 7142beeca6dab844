"""Losses: ``forward(out, target) -> float`` then ``backward() -> dL/d(out)``.

Targets for classification may be one-hot rows ``(N, C)`` or class indices ``(N,)``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ocr_cli.nn.layers import softmax

if TYPE_CHECKING:
    from numpy.typing import DTypeLike

REDUCTIONS = ("mean", "sum")


def one_hot(y: np.ndarray, n_classes: int, dtype: DTypeLike = np.float64) -> np.ndarray:
    """One-hot rows of class indices.

    Parameters
    ----------
    y : ndarray (N,) of int, or (N, n_classes)
        Class indices; one-hot input is returned as is (cast to ``dtype``).
    n_classes : int

    Returns
    -------
    ndarray (N, n_classes)
    """
    y = np.asarray(y)
    if y.ndim == 2:
        return y.astype(dtype, copy=False)
    Y = np.zeros((len(y), n_classes), dtype)
    Y[np.arange(len(y)), y] = 1
    return Y


def labels(y: np.ndarray) -> np.ndarray:
    """Class indices ``(N,)`` of one-hot rows ``(N, C)``; indices ``(N,)`` are returned as they are."""
    y = np.asarray(y)
    return y.argmax(axis=1) if y.ndim == 2 else y


def accuracy(scores: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows whose highest score is the true class.

    Parameters
    ----------
    scores : ndarray (N, C)
        Logits or probabilities.
    y : ndarray (N,) of int, or one-hot (N, C)

    Returns
    -------
    float
        In [0, 1]; NaN for N = 0.
    """
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

    def forward(self, logits: np.ndarray, y: np.ndarray) -> float:
        """Loss of logits ``(N, C)`` against indices ``(N,)`` or one-hot targets ``(N, C)``."""
        Y = one_hot(y, logits.shape[1], logits.dtype)
        with np.errstate(over="ignore"):  # see layers.softmax: −inf here is harmless
            shifted = logits - logits.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.P, self.Y = np.exp(log_p), Y
        loss = -float(np.sum(Y * log_p))
        return loss / len(Y) if self.reduction == "mean" else loss

    def backward(self) -> np.ndarray:
        """dL/d logits ``(N, C)`` of the last :meth:`forward`."""
        d = self.P - self.Y
        return d / len(d) if self.reduction == "mean" else d

    def __call__(self, logits: np.ndarray, y: np.ndarray) -> float:
        return self.forward(logits, y)

    @staticmethod
    def probabilities(logits: np.ndarray) -> np.ndarray:
        """Softmax of logits ``(N, C)``: what the loss compares with the targets."""
        return softmax(logits)


class SquaredError:
    """Total squared error L = Σ (out − target)² (``reduction="sum"``, the default) or its
    mean over rows. Gradient: 2(out − target), divided by N for the mean."""

    def __init__(self, reduction: str = "sum"):
        if reduction not in REDUCTIONS:
            raise ValueError(f"unknown reduction {reduction!r}; choose one of {REDUCTIONS}")
        self.reduction = reduction

    def forward(self, out: np.ndarray, target: np.ndarray) -> float:
        """Loss of outputs ``(N, D)`` against targets of the same shape."""
        self.diff = out - np.asarray(target, dtype=out.dtype)
        loss = float(np.sum(self.diff * self.diff))
        return loss / len(out) if self.reduction == "mean" else loss

    def backward(self) -> np.ndarray:
        """dL/d out ``(N, D)`` of the last :meth:`forward`."""
        d = 2.0 * self.diff
        return d / len(d) if self.reduction == "mean" else d

    def __call__(self, out: np.ndarray, target: np.ndarray) -> float:
        return self.forward(out, target)


Loss = SoftmaxCrossEntropy | SquaredError
LOSSES = {"cross_entropy": SoftmaxCrossEntropy, "squared_error": SquaredError}

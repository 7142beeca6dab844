"""Layers: each one's forward pass and backward pass side by side.

Every layer maps a batch ``X`` of shape ``(N, D_in)`` (examples along rows) to ``(N, D_out)``.
``forward`` caches what ``backward`` needs; ``backward(dY)`` takes dL/dY and returns dL/dX,
and a layer with parameters also fills ``self.grads`` (same keys as ``self.params``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import DTypeLike


def xavier_uniform(n_in: int, n_out: int, rng: np.random.Generator, dtype: DTypeLike = np.float64) -> np.ndarray:
    """Glorot/Xavier uniform weights: U(-a, a) with a = sqrt(6/(n_in+n_out)), so Var = 2/(n_in+n_out).

    That variance keeps the size of activations (forward) and of gradients (backward)
    roughly constant from layer to layer; see docs/theory.md.

    Parameters
    ----------
    n_in, n_out : int
        Fan-in and fan-out of the layer.
    rng : numpy.random.Generator
    dtype : numpy dtype

    Returns
    -------
    ndarray (n_in, n_out)
    """
    a = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-a, a, size=(n_in, n_out)).astype(dtype)


INITS = ("xavier", "zero")


class Layer:
    """Base class: a layer without parameters has empty ``params``/``grads`` dicts."""

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, X: np.ndarray) -> np.ndarray:
        """``(N, D_in)`` -> ``(N, D_out)``, caching what :meth:`backward` needs."""
        raise NotImplementedError

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """dL/dY ``(N, D_out)`` -> dL/dX ``(N, D_in)``; fills ``grads`` for a layer with parameters."""
        raise NotImplementedError

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return self.forward(X)


class Linear(Layer):
    """Fully connected layer ``Y = X W + b`` with ``W`` of shape ``(n_in, n_out)``.

    Backprop: dW = Xᵀ dY, db = Σ_rows dY, dX = dY Wᵀ.
    """

    def __init__(self, n_in: int, n_out: int, init: str = "xavier", rng: np.random.Generator | int | None = None,
                 dtype=np.float64):
        super().__init__()
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; choose one of {INITS}")
        rng = np.random.default_rng(rng)
        W = xavier_uniform(n_in, n_out, rng, dtype) if init == "xavier" else np.zeros((n_in, n_out), dtype)
        self.params = {"W": W, "b": np.zeros(n_out, dtype)}
        self.grads = {"W": np.zeros_like(W), "b": np.zeros(n_out, dtype)}
        self.X = None

    @property
    def n_in(self) -> int:
        """Inputs per example (D_in)."""
        return self.params["W"].shape[0]

    @property
    def n_out(self) -> int:
        """Outputs per example (D_out)."""
        return self.params["W"].shape[1]

    def forward(self, X: np.ndarray) -> np.ndarray:
        self.X = X
        return X @ self.params["W"] + self.params["b"]

    def backward(self, dY: np.ndarray) -> np.ndarray:
        np.matmul(self.X.T, dY, out=self.grads["W"])
        np.sum(dY, axis=0, out=self.grads["b"])
        return dY @ self.params["W"].T


class Sigmoid(Layer):
    """σ(x) = 1/(1+e^-x), written as (1 + tanh(x/2))/2: the same function, but it never overflows.

    Backprop: σ'(x) = σ(x)(1 − σ(x)), computed from the cached output.
    """

    def forward(self, X: np.ndarray) -> np.ndarray:
        self.Y = 0.5 * (1.0 + np.tanh(0.5 * X))
        return self.Y

    def backward(self, dY: np.ndarray) -> np.ndarray:
        return dY * self.Y * (1.0 - self.Y)


class Tanh(Layer):
    """tanh(x) = 2σ(2x) − 1. Backprop: tanh'(x) = 1 − tanh(x)²."""

    def forward(self, X: np.ndarray) -> np.ndarray:
        self.Y = np.tanh(X)
        return self.Y

    def backward(self, dY: np.ndarray) -> np.ndarray:
        return dY * (1.0 - self.Y * self.Y)


class ReLU(Layer):
    """max(0, x). Backprop: the gradient passes where x > 0 and is 0 elsewhere."""

    def forward(self, X: np.ndarray) -> np.ndarray:
        self.mask = X > 0
        return X * self.mask

    def backward(self, dY: np.ndarray) -> np.ndarray:
        return dY * self.mask


class Identity(Layer):
    """The linear 'activation' (used for a classifier's output logits)."""

    def forward(self, X: np.ndarray) -> np.ndarray:
        return X

    def backward(self, dY: np.ndarray) -> np.ndarray:
        return dY


def softmax(Z: np.ndarray) -> np.ndarray:
    """Row-wise softmax.

    Subtracting each row's max first changes nothing mathematically (softmax is
    shift-invariant) but keeps every exponent ≤ 0, so ``exp`` cannot overflow. (Only Z − max
    itself can overflow, for entries near −1e308: to −inf, whose exp is the correct limit 0.)

    Parameters
    ----------
    Z : ndarray (N, C)
        Scores (logits), one row per example.

    Returns
    -------
    ndarray (N, C)
        Probabilities, each row summing to 1, in ``Z``'s dtype.
    """
    with np.errstate(over="ignore"):
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


class Softmax(Layer):
    """Softmax as a layer. Backprop (Jacobian-vector product): dX = P ⊙ (dY − Σ_j dY_j P_j).

    Classifiers normally leave it out and give logits to
    :class:`~ocr_cli.nn.losses.SoftmaxCrossEntropy`, whose combined gradient is simpler.
    """

    def forward(self, X: np.ndarray) -> np.ndarray:
        self.P = softmax(X)
        return self.P

    def backward(self, dY: np.ndarray) -> np.ndarray:
        return self.P * (dY - np.sum(dY * self.P, axis=1, keepdims=True))


ACTIVATIONS = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "linear": Identity, "softmax": Softmax}

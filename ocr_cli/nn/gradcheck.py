"""Numerical gradient checking by central differences.

For every scalar θ_i of a parameter, (L(θ_i + ε) − L(θ_i − ε)) / 2ε approximates ∂L/∂θ_i
with error O(ε²). Comparing that with backprop's gradient, per parameter, as the relative
error ‖g_num − g_bp‖ / (‖g_num‖ + ‖g_bp‖) catches any wrong term in a backward pass.
Run it in float64: in float32 rounding alone is larger than the tolerance.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np

if TYPE_CHECKING:
    from ocr_cli.nn.layers import Layer
    from ocr_cli.nn.losses import Loss
    from ocr_cli.nn.model import Sequential


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar function ``f()`` with respect to the array
    ``x``, which ``f`` reads and which is perturbed in place (and restored).

    Parameters
    ----------
    f : callable () -> float
    x : ndarray, any shape
    eps : float
        Half the step of the difference.

    Returns
    -------
    ndarray, the shape of ``x``, float64
    """
    g = np.zeros_like(x, dtype=np.float64)
    flat, gflat = x.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        f_plus = f()
        flat[i] = old - eps
        f_minus = f()
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * eps)
    return g


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """‖a − b‖ / (‖a‖ + ‖b‖), and 0 when both are exactly zero."""
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def check_model(model: Sequential, loss: Loss, X: np.ndarray, y: np.ndarray, eps: float = 1e-6) -> dict[str, float]:
    """Relative error between backprop and numerical gradients for every parameter of
    ``model`` under ``loss`` on the batch ``(X, y)``. Also checks dL/dX as ``"input"``."""
    X = np.array(X, dtype=model.dtype).reshape(len(X), -1)

    def f():
        return loss.forward(model.forward(X), y)

    f()
    dX = model.backward(loss.backward()).copy()
    analytic = {name: g.copy() for name, g in model.grads.items()}
    analytic["input"] = dX
    errors = {name: relative_error(numerical_gradient(f, p, eps), analytic[name])
              for name, p in model.params.items()}
    errors["input"] = relative_error(numerical_gradient(f, X, eps), analytic["input"])
    return errors


def check_layer(layer: Layer, X: np.ndarray, eps: float = 1e-6, seed: int = 0) -> dict[str, float]:
    """Gradient check of one layer alone, under the loss L = Σ Y ⊙ R for a fixed random R
    (so every output element gets a different upstream gradient). Keys: its parameter
    names and ``"input"``."""
    X = np.array(X, dtype=np.float64)
    R = np.random.default_rng(seed).standard_normal(layer.forward(X).shape)

    def f():
        return float(np.sum(layer.forward(X) * R))

    f()
    dX = layer.backward(R).copy()
    analytic = {name: g.copy() for name, g in layer.grads.items()}
    errors = {name: relative_error(numerical_gradient(f, p, eps), analytic[name])
              for name, p in layer.params.items()}
    errors["input"] = relative_error(numerical_gradient(f, X, eps), dX)
    return errors


def check_loss(loss: Loss, out: np.ndarray, target: np.ndarray, eps: float = 1e-6) -> float:
    """Relative error of ``loss.backward()`` (dL/d out) against central differences."""
    out = np.array(out, dtype=np.float64)
    loss.forward(out, target)
    analytic = loss.backward().copy()
    return relative_error(numerical_gradient(lambda: loss.forward(out, target), out, eps), analytic)


def gradcheck_report(tol: float = 1e-6, seed: int = 0) -> list[dict]:
    """Check small random float64 networks covering every activation and both losses.

    Returns one row per (network, parameter): ``net``, ``param``, ``shape``, ``rel_error``,
    ``ok``. This is what ``ocr gradcheck`` prints.
    """
    from ocr_cli.nn.losses import SoftmaxCrossEntropy, SquaredError
    from ocr_cli.nn.model import build_mlp

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((6, 5))
    y_cls = rng.integers(0, 4, size=6)
    y_reg = rng.uniform(0, 1, size=(6, 5))
    nets = [
        (f"{h} hidden, softmax cross-entropy", build_mlp((5, 7, 6, 4), hidden=h, seed=seed),
         SoftmaxCrossEntropy(), y_cls)
        for h in ("sigmoid", "tanh", "relu")
    ] + [
        ("relu autoencoder, total squared error",
         build_mlp((5, 3, 3, 5), hidden="relu", output="sigmoid", seed=seed), SquaredError(), y_reg),
        ("tanh hidden, softmax output, squared error",
         build_mlp((5, 4, 5), hidden="tanh", output="softmax", seed=seed), SquaredError(), y_reg),
    ]
    rows = []
    for label, model, loss, y in nets:
        for name, err in check_model(model, loss, X, y).items():
            shape = model.params[name].shape if name in model.params else X.shape
            rows.append({"net": label, "param": name, "shape": shape, "rel_error": err, "ok": err <= tol})
    return rows

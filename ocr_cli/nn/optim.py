"""Optimizers, random mini-batches and the training loop.

Optimizers see only the model's ``params`` and ``grads`` dicts and update arrays in place
by name, so they work for any :class:`~ocr_cli.nn.model.Sequential`.
"""
from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Callable, ContextManager, Iterator

import numpy as np

if TYPE_CHECKING:
    from ocr_cli.nn.losses import Loss
    from ocr_cli.nn.model import Sequential


class SGD:
    """Plain gradient descent: W ← W − α·g."""

    def __init__(self, lr: float = 0.01):
        self.lr = lr

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Update every array of ``params`` in place from the gradient of the same name."""
        for name, p in params.items():
            p -= self.lr * grads[name]


class Momentum:
    """SGD with momentum: M ← μ·M − α·g, then W ← W + M (M starts at 0, one per parameter).

    M is a running sum of past steps, so directions the gradient keeps pointing in build up
    speed while oscillating components cancel.
    """

    def __init__(self, lr: float = 0.01, momentum: float = 0.9):
        self.lr, self.momentum = lr, momentum
        self.M: dict[str, np.ndarray] = {}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Update every array of ``params`` in place from the gradient of the same name."""
        for name, p in params.items():
            M = self.M.setdefault(name, np.zeros_like(p))
            M *= self.momentum
            M -= self.lr * grads[name]
            p += M


Optimizer = SGD | Momentum


def minibatches(n: int, batch_size: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Yield index arrays covering ``range(n)`` once, in a fresh random order on each call.

    Pass the same ``rng`` every epoch: each call draws a new permutation from it, so a run
    is reproducible from its seed while epochs still differ.

    Yields
    ------
    ndarray (batch_size,) of int
        The last batch may be shorter.
    """
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def blas_threads(n: int | None) -> ContextManager:
    """Limit BLAS to ``n`` threads inside the block (``None``: leave it alone).

    Mini-batch products (32 rows) are too small for BLAS threads to pay off; on a busy
    2-core machine its spinning threads made an epoch 10-20× slower
    (benchmarks/bench_mlp_epoch.py). Needs threadpoolctl; without it this does nothing.
    """
    if n is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(n, user_api="blas")


def train_epoch(model: Sequential, loss: Loss, optimizer: Optimizer, X: np.ndarray, y: np.ndarray, batch_size: int = 32,
                rng: np.random.Generator | int | None = None, threads: int | None = 1) -> dict:
    """One pass over ``(X, y)`` in random mini-batches: forward, loss, backward, step.

    Parameters
    ----------
    model : Sequential
    loss : SoftmaxCrossEntropy or SquaredError
    optimizer : SGD or Momentum
    X : ndarray (N, ...)
        Inputs, flattened per example.
    y : ndarray (N,), (N, C) or (N, D)
        Class indices, one-hot rows, or regression targets (an autoencoder's inputs).
    threads : int or None
        Caps the BLAS threads while training (see :func:`blas_threads`).

    Returns
    -------
    dict
        ``loss``: the epoch's mean loss per sample; ``acc``: for classification losses,
        the training accuracy measured on the fly.
    """
    from ocr_cli.nn.losses import SoftmaxCrossEntropy, labels

    rng = np.random.default_rng(rng)
    X = np.asarray(X).reshape(len(X), -1).astype(model.dtype, copy=False)
    y = np.asarray(y)
    classify = isinstance(loss, SoftmaxCrossEntropy)
    total, correct = 0.0, 0
    with blas_threads(threads):
        for idx in minibatches(len(X), batch_size, rng):
            out = model.forward(X[idx])
            batch_loss = loss.forward(out, y[idx])
            total += batch_loss * len(idx) if loss.reduction == "mean" else batch_loss
            model.backward(loss.backward())
            optimizer.step(model.params, model.grads)
            if classify:
                correct += int(np.sum(out.argmax(axis=1) == labels(y[idx])))
    stats = {"loss": total / max(len(X), 1)}
    if classify:
        stats["acc"] = correct / max(len(X), 1)
    return stats


def fit(model: Sequential, loss: Loss, optimizer: Optimizer, X: np.ndarray, y: np.ndarray, epochs: int = 10,
        batch_size: int = 32, seed: int | None = 0, X_val: np.ndarray | None = None, y_val: np.ndarray | None = None,
        callback: Callable[[dict], None] | None = None, threads: int | None = 1) -> list[dict]:
    """Train for ``epochs`` epochs; return one dict per epoch (``epoch``, ``loss``, ``acc``
    and, given validation data, ``val_loss``/``val_acc``). ``callback(stats)`` runs after
    each epoch, e.g. to print progress. For an autoencoder pass the flattened inputs as
    ``y`` (and ``y_val``)."""
    from ocr_cli.nn.losses import accuracy

    rng = np.random.default_rng(seed)
    history = []
    for epoch in range(1, epochs + 1):
        stats = {"epoch": epoch, **train_epoch(model, loss, optimizer, X, y, batch_size, rng, threads)}
        if X_val is not None and len(X_val):
            out = model.forward(X_val)
            v = loss.forward(out, y_val)
            stats["val_loss"] = v if loss.reduction == "mean" else v / len(X_val)
            if "acc" in stats:
                stats["val_acc"] = accuracy(out, y_val)
        history.append(stats)
        if callback:
            callback(stats)
    return history

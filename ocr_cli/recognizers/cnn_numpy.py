"""Torch-free inference for a saved ``cnn``: read its ``.pt`` with the standard library and
run the forward pass in NumPy.

Importing torch takes 2–3 s, ten times longer than reading a page, so the page commands use
this twin of :class:`~ocr_cli.recognizers.torch_nets.CNNNet` (eval mode: BatchNorm folded
into the convolutions, dropout off): the ``cnn``'s registered inference form
(:data:`ocr_cli.recognizers.INFERENCE`, ``load_recognizer(path, inference=True)``).
Training and everything else keep using torch; a test checks both give the same probabilities.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ocr_cli.errors import OcrError
from ocr_cli.nn import blas_threads
from ocr_cli.recognizers.base import Recognizer, check_finite, check_size, positive_ints, read_model_meta
from ocr_cli.recognizers.ptfile import read_state_dict

__all__ = ["NumpyCNN", "check_cnn_arch", "load_numpy_cnn", "read_state_dict"]
BN_EPS = 1e-5
CONVS = (("features.0", "features.1"), ("features.4", "features.5"), ("features.8", "features.9"))


def check_cnn_arch(n_classes: int, channels: tuple[int, int, int] | list[int] = (32, 64, 128), hidden: int = 128, dropout: float = 0.3) -> dict:
    """The cnn's architecture parameters, checked (and its size bounded) before any allocation."""
    channels = positive_ints(channels, "cnn channels", count=3)
    hidden = positive_ints(hidden, "the cnn's hidden width", count=1)[0]
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise OcrError(f"cnn dropout must be in [0, 1), got {str(dropout)[:20]}")
    c = [1, *channels]
    n = sum(9 * a * b + 4 * b for a, b in zip(c[:-1], c[1:])) + (c[-1] * 16 + 1) * hidden + (hidden + 1) * n_classes
    check_size("cnn", n)
    return {"channels": channels, "hidden": hidden, "dropout": float(dropout)}


def cnn_shapes(channels: tuple[int, int, int] | list[int], hidden: int, n_classes: int) -> dict[str, tuple]:
    """The state-dict shapes of :class:`~ocr_cli.recognizers.torch_nets.CNNNet` (BatchNorm counters excluded)."""
    shapes, c_in = {}, 1
    for (conv, bn), c in zip(CONVS, channels):
        shapes[f"{conv}.weight"] = (c, c_in, 3, 3)
        shapes.update({f"{bn}.{k}": (c,) for k in ("weight", "bias", "running_mean", "running_var")})
        c_in = c
    shapes.update({"head.2.weight": (hidden, c_in * 16), "head.2.bias": (hidden,),
                   "head.5.weight": (n_classes, hidden), "head.5.bias": (n_classes,)})
    return shapes


class NumpyCNN(Recognizer):
    """The ``cnn`` recognizer's forward pass in NumPy (inference only)."""

    name = "cnn"
    weights_suffix = ".pt"
    batch_size = 128  # small chunks keep the unfolded patches in cache

    def __init__(self, classes: str, state: dict, channels=(32, 64, 128), hidden: int = 128, source="weights"):
        super().__init__(classes)
        for name, shape in cnn_shapes(channels, hidden, len(classes)).items():
            if name not in state:
                raise OcrError(f"{source}: weights do not fit this cnn architecture (missing {name})")
            if state[name].shape != shape:
                raise OcrError(f"{source}: weights do not fit this cnn architecture "
                               f"({name} has shape {state[name].shape}, the sidecar's architecture needs {shape})")
        check_finite(state, source)
        self.convs = []
        for conv, bn in CONVS:
            scale = state[f"{bn}.weight"] / np.sqrt(state[f"{bn}.running_var"] + BN_EPS)
            w = state[f"{conv}.weight"] * scale[:, None, None, None]  # (out, in, 3, 3)
            self.convs.append((w.transpose(2, 3, 1, 0).reshape(-1, len(w)).astype(np.float32),  # rows: (dy, dx, in)
                               (state[f"{bn}.bias"] - state[f"{bn}.running_mean"] * scale).astype(np.float32)))
        self.fc = [(state[f"head.{k}.weight"].T.astype(np.float32), state[f"head.{k}.bias"].astype(np.float32))
                   for k in (2, 5)]

    def _inference(self):
        """One BLAS thread: these matrices are too small for threads to pay off, and on a busy
        machine extra threads only contend."""
        return blas_threads(1)

    def _proba(self, X: np.ndarray) -> np.ndarray:
        x = X[..., None]  # (N, H, W, C)
        n = len(x)
        for w, b in self.convs:
            h, wd = x.shape[1:3]
            xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
            cols = np.concatenate([xp[:, dy:dy + h, dx:dx + wd] for dy in range(3) for dx in range(3)], axis=-1)
            x = np.maximum(cols.reshape(n * h * wd, -1) @ w + b, 0).reshape(n, h, wd, -1)  # conv + folded BN + ReLU
            x = x.reshape(n, h // 2, 2, wd // 2, 2, -1).max(axis=(2, 4))  # 2×2 max-pool
        x = x.transpose(0, 3, 1, 2).reshape(n, -1)  # torch flattens channels first
        (w1, b1), (w2, b2) = self.fc
        z = np.maximum(x @ w1 + b1, 0) @ w2 + b2
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)


def load_numpy_cnn(path: str | Path) -> NumpyCNN | None:
    """A :class:`NumpyCNN` for a saved ``cnn`` model, or None if the model is not one it can run
    (another kind or architecture: callers then load it with torch). A damaged or hostile
    file raises the same one-line :class:`OcrError` as :func:`load_recognizer`."""
    meta, weights = read_model_meta(path)
    if meta["model"] != "cnn":
        return None
    try:
        arch = check_cnn_arch(len(meta["classes"]), **meta["arch"])
    except (OcrError, TypeError) as e:
        raise OcrError(f"{path}: {e}") from None
    rec = NumpyCNN(meta["classes"], read_state_dict(weights), arch["channels"], arch["hidden"], source=weights)
    rec.info = meta
    return rec

"""Torch-free inference for a saved ``cnn``: read its ``.pt`` with the standard library and
run the forward pass in NumPy.

Importing torch takes 2–3 s, ten times longer than reading a page, so the page commands use
this twin of :class:`~ocr_cli.recognizers.torch_nets.CNNNet` (eval mode: BatchNorm folded
into the convolutions, dropout off). Training and everything else keep using torch;
a test checks both give the same probabilities.
"""
from __future__ import annotations

import pickle
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

from ocr_cli.errors import OcrError
from ocr_cli.recognizers.base import Recognizer, read_json, sidecar_path

STORAGE_DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
                  "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
                  "ByteStorage": np.uint8, "CharStorage": np.int8, "BoolStorage": np.bool_}
BN_EPS = 1e-5


def read_state_dict(path) -> dict:
    """``{name: ndarray}`` from a ``torch.save``\\ d state dict (zip format), without torch."""
    with zipfile.ZipFile(path) as zf:
        pkl = next(n for n in zf.namelist() if n.endswith("/data.pkl") or n == "data.pkl")
        prefix = pkl[: -len("data.pkl")]

        def rebuild(storage, offset, size, stride, *_):
            if not size:
                return storage[offset].copy()
            item = storage.itemsize
            return np.lib.stride_tricks.as_strided(storage[offset:], shape=tuple(size),
                                                   strides=[s * item for s in stride]).copy()

        class Unpickler(pickle.Unpickler):
            def find_class(self, module, name):
                if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
                    return rebuild
                if module == "torch" and name in STORAGE_DTYPES:
                    return STORAGE_DTYPES[name]
                if (module, name) == ("collections", "OrderedDict"):
                    return OrderedDict
                raise pickle.UnpicklingError(f"unexpected object {module}.{name}")

            def persistent_load(self, pid):
                _, dtype, key, _, numel = pid
                return np.frombuffer(zf.read(f"{prefix}data/{key}"), dtype=dtype)[:numel]

        with zf.open(pkl) as f:
            return dict(Unpickler(f).load())


class NumpyCNN(Recognizer):
    """The ``cnn`` recognizer's forward pass in NumPy (inference only)."""

    name = "cnn"
    weights_suffix = ".pt"

    def __init__(self, classes: str, state: dict):
        super().__init__(classes)
        self.convs = []
        for conv, bn in (("features.0", "features.1"), ("features.4", "features.5"), ("features.8", "features.9")):
            scale = state[f"{bn}.weight"] / np.sqrt(state[f"{bn}.running_var"] + BN_EPS)
            w = state[f"{conv}.weight"] * scale[:, None, None, None]  # (out, in, 3, 3)
            self.convs.append((w.transpose(2, 3, 1, 0).reshape(-1, len(w)).astype(np.float32),  # rows: (dy, dx, in)
                               (state[f"{bn}.bias"] - state[f"{bn}.running_mean"] * scale).astype(np.float32)))
        self.fc = [(state[f"head.{k}.weight"].T.astype(np.float32), state[f"head.{k}.bias"].astype(np.float32))
                   for k in (2, 5)]
        if self.fc[-1][1].shape[0] != len(classes):
            raise ValueError("head size does not match the class list")

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Probabilities for ``(N, 32, 32)`` samples. One BLAS thread: these matrices are too
        small for threads to pay off, and on a busy machine extra threads only contend."""
        from threadpoolctl import threadpool_limits

        X = np.asarray(X, np.float32)
        with threadpool_limits(1, user_api="blas"):  # chunks keep the unfolded patches in cache
            return np.concatenate([self._forward(X[i:i + 128]) for i in range(0, len(X), 128)] or
                                  [np.zeros((0, len(self.classes)), np.float32)])

    def _forward(self, X: np.ndarray) -> np.ndarray:
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


def load_numpy_cnn(path) -> NumpyCNN | None:
    """A :class:`NumpyCNN` for a saved ``cnn`` model, or None if the files are not one it can run
    (another model, another architecture, an unreadable file): callers then load with torch."""
    path = Path(path)
    try:
        meta = read_json(sidecar_path(path))
        if meta.get("model") != "cnn" or len(meta.get("arch", {}).get("channels", (32, 64, 128))) != 3:
            return None
        rec = NumpyCNN(meta["classes"], read_state_dict(path.with_suffix(".pt")))
    except (OcrError, OSError, KeyError, ValueError, StopIteration, pickle.UnpicklingError, zipfile.BadZipFile, TypeError, AttributeError):
        return None
    rec.info = meta
    return rec

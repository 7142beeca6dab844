"""The two compressors and the quality measure: PSNR, PCA by SVD, and a NumPy autoencoder.

Both squeeze a 32×32 sample (1,024 values in [0, 1]) into a code of ``code_size`` numbers and
back. A codec has ``fit(X)``, ``reconstruct(X)``, ``n_params()``, ``save(path)`` and
``describe()``; :func:`load_codec` reads either kind back.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ocr_cli.errors import OcrError

D = 32 * 32
FORMAT = "ocr_cli.compress.pca/1"


def psnr(true: np.ndarray, test: np.ndarray, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio 20·log10(MAX) − 10·log10(MSE) in dB; ``inf`` for identical images."""
    true, test = np.asarray(true, np.float64), np.asarray(test, np.float64)
    if true.shape != test.shape:
        raise ValueError(f"shapes differ: {true.shape} vs {test.shape}")
    mse = np.mean((true - test) ** 2)
    if mse == 0:
        return float("inf")
    return float(20 * np.log10(data_range) - 10 * np.log10(mse))


def mean_psnr(X: np.ndarray, R: np.ndarray, data_range: float = 1.0) -> float:
    """The average over images of each image's PSNR (the seed's measure); ``inf`` if any
    image is reproduced exactly."""
    X, R = np.asarray(X).reshape(len(X), -1), np.asarray(R).reshape(len(R), -1)
    return float(np.mean([psnr(x, r, data_range) for x, r in zip(X, R)]))


def _flat(X) -> np.ndarray:
    X = np.asarray(X, np.float64).reshape(len(X), -1)
    if X.shape[1] != D:
        raise OcrError(f"expected 32×32 samples, got {X.shape[1]} values per sample")
    return X


class PCA:
    """Linear compression onto the top ``code_size`` right singular vectors of the training matrix.

    ``center=False`` is the seed's version: the SVD of the raw training matrix, so the first
    direction mostly encodes the average image and the stored model is just the
    ``code_size × 1024`` projection. ``center=True`` subtracts the training mean first (the
    textbook PCA) and stores that mean too (1,024 more numbers).
    """

    method = "pca"

    def __init__(self, code_size: int = 32, center: bool = False):
        if code_size < 1 or code_size > D:
            raise OcrError(f"code size must be between 1 and {D}, got {code_size}")
        self.code_size, self.center = int(code_size), bool(center)
        self.components = None  # (code_size, 1024), orthonormal rows
        self.mean = np.zeros(D)

    def fit(self, X, X_val=None, log=None) -> "PCA":
        from ocr_cli.nn import blas_threads

        X = _flat(X)
        self.mean = X.mean(axis=0) if self.center else np.zeros(D)
        with blas_threads(1):  # on the busy shared 2-core machine, threaded LAPACK ran 6-14× slower
            _, s, Vt = np.linalg.svd(X - self.mean, full_matrices=False)
        if self.code_size > len(Vt):
            raise OcrError(f"code size {self.code_size} is larger than the rank bound {len(Vt)} of the training data")
        self.components = Vt[: self.code_size]
        self.singular_values = s
        return self

    def encode(self, X) -> np.ndarray:
        return (_flat(X) - self.mean) @ self.components.T

    def decode(self, codes) -> np.ndarray:
        return codes @ self.components + self.mean

    def reconstruct(self, X) -> np.ndarray:
        """Project onto the components and back, in the input's shape."""
        return self.decode(self.encode(X)).reshape(np.shape(X))

    def n_params(self) -> int:
        return int(self.components.size + (self.mean.size if self.center else 0))

    def rank(self) -> int:
        return int(np.linalg.matrix_rank(self.components))

    def describe(self) -> dict:
        return {"method": "pca", "code_size": self.code_size, "center": self.center,
                "projection_shape": list(self.components.shape), "projection_rank": self.rank(),
                "n_params": self.n_params()}

    def save(self, path) -> Path:
        from ocr_cli.fileio.writing import atomic_path

        path = Path(path)
        meta = {"format": FORMAT, **self.describe()}
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez(f, __meta__=np.array(json.dumps(meta)), components=self.components, mean=self.mean)
        return path

    @classmethod
    def from_arrays(cls, meta: dict, arrays: dict, path) -> "PCA":
        comps, mean = arrays.get("components"), arrays.get("mean")
        if comps is None or mean is None or comps.ndim != 2 or comps.shape[1] != D or mean.shape != (D,):
            raise OcrError(f"{path}: PCA file lacks a k×{D} 'components' and a {D}-vector 'mean'")
        pca = cls(len(comps), bool(meta.get("center")))
        pca.components, pca.mean = comps, mean
        return pca


# The seed's autoencoder recipe: batch 36, lr 3e-5 on the *total* squared error, momentum 0.9,
# 100 epochs, lr × 0.9 every 20 epochs.
AE_DEFAULTS = {"epochs": 100, "batch_size": 36, "lr": 3e-5, "momentum": 0.9, "decay_every": 20, "decay": 0.9}


class Autoencoder:
    """1024 → c ReLU → c ReLU → c ReLU → 1024 sigmoid (c = ``code_size``, the seed's 32),
    trained on the total squared error with SGD + momentum, built from :mod:`ocr_cli.nn`.

    It trains in float32 (about twice as fast; the gradient check runs a float64 twin)."""

    method = "autoencoder"

    def __init__(self, code_size: int = 32, seed: int = 0, model=None, dtype=np.float32, **train):
        from ocr_cli.nn import build_mlp

        if code_size < 1:
            raise OcrError(f"code size must be positive, got {code_size}")
        unknown = set(train) - set(AE_DEFAULTS)
        if unknown:
            raise TypeError(f"unknown training settings: {', '.join(sorted(unknown))}")
        self.code_size, self.seed = int(code_size), seed
        self.train = {**AE_DEFAULTS, **{k: v for k, v in train.items() if v is not None}}
        c = self.code_size
        self.model = model or build_mlp((D, c, c, c, D), hidden="relu", output="sigmoid", seed=seed, dtype=dtype)
        self.history: list[dict] = []

    def fit(self, X, X_val=None, log=None) -> "Autoencoder":
        """Train; ``history`` gets one entry per epoch (total squared error per image, train
        and, given ``X_val``, validation). ``log(stats)`` is called after each epoch."""
        from ocr_cli.nn import Momentum, SquaredError, train_epoch

        t = self.train
        X = _flat(X)
        X_val = None if X_val is None else _flat(X_val)
        loss, opt = SquaredError(), Momentum(lr=t["lr"], momentum=t["momentum"])
        rng = np.random.default_rng(self.seed)
        for epoch in range(1, t["epochs"] + 1):
            stats = {"epoch": epoch, "lr": opt.lr, **train_epoch(self.model, loss, opt, X, X, t["batch_size"], rng)}
            if X_val is not None:
                stats["val_loss"] = SquaredError()(self.model.forward(X_val), X_val) / len(X_val)
            self.history.append(stats)
            if log:
                log(stats)
            if epoch % t["decay_every"] == 0:
                opt.lr *= t["decay"]
        return self

    def reconstruct(self, X) -> np.ndarray:
        return self.model.forward(_flat(X)).reshape(np.shape(X))

    def n_params(self) -> int:
        return self.model.n_params()

    def describe(self) -> dict:
        return {"method": "autoencoder", "code_size": self.code_size, "sizes": self.model.meta["sizes"],
                "seed": self.seed, **self.train, "n_params": self.n_params()}

    def save(self, path) -> Path:
        from ocr_cli.nn import save_model

        return save_model(self.model, path, extra={"codec": self.describe(), "history": self.history})


def load_codec(path):
    """Read a codec written by ``save``: a PCA projection or an autoencoder."""
    from ocr_cli.nn import load_model

    from ocr_cli.nn.model import read_npz_model

    path = Path(path)
    if not path.exists():
        raise OcrError(f"{path}: no such model file (train it first with `ocr compress train`)")
    meta, arrays = read_npz_model(path)
    if meta.get("format") == FORMAT:
        return PCA.from_arrays(meta, arrays, path)
    model, meta = load_model(path)  # the NN core's clear errors if it is no NumPy model either
    info = meta.get("codec") or {}
    sizes = meta["sizes"]
    if len(sizes) != 5 or sizes[0] != D or sizes[-1] != D:
        raise OcrError(f"{path}: not an autoencoder (layer sizes {sizes})")
    settings = {k: info[k] for k in AE_DEFAULTS if k in info}
    ae = Autoencoder(sizes[1], seed=info.get("seed", 0), model=model, **settings)
    ae.history = meta.get("history") or []
    return ae

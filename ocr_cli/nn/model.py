"""A sequential model, the MLP builder, and saving/loading models as ``.npz``.

Parameters are exposed by name so that optimizers (and files) need not know the layers:
the k-th :class:`Linear` layer's weights are ``"layer{k}.W"`` and its biases ``"layer{k}.b"``.
``model.params`` and ``model.grads`` are dicts of the layers' own arrays, so updating them
in place (``params[name] -= ...``) updates the model.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ocr_cli.errors import OcrError
from ocr_cli.nn.layers import ACTIVATIONS, INITS, Layer, Linear

if TYPE_CHECKING:
    from numpy.typing import DTypeLike

FORMAT = "ocr_cli.nn/1"
MAX_LOAD_PARAMETERS = 20_000_000  # a file's metadata may not ask for a larger network


class Sequential:
    """Layers applied one after another; backward runs them in reverse."""

    def __init__(self, layers: list[Layer], meta: dict | None = None):
        self.layers = list(layers)
        self.meta = dict(meta or {})  # how to rebuild it: sizes, activations, init, dtype
        self._named = []
        for layer in self.layers:
            if layer.params:
                self._named.append((f"layer{len(self._named)}", layer))

    @property
    def params(self) -> dict[str, np.ndarray]:
        """Every layer's parameters by ``layer<k>.<name>`` (the arrays themselves: steps update them in place)."""
        return {f"{n}.{k}": v for n, layer in self._named for k, v in layer.params.items()}

    @property
    def grads(self) -> dict[str, np.ndarray]:
        """The gradients of :attr:`params` from the last :meth:`backward`, under the same names."""
        return {f"{n}.{k}": v for n, layer in self._named for k, v in layer.grads.items()}

    @property
    def dtype(self) -> np.dtype:
        """The parameters' dtype (float64 for a model without any)."""
        p = self.params
        return next(iter(p.values())).dtype if p else np.dtype(np.float64)

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Outputs ``(N, D_out)`` of a batch ``(N, ...)`` (flattened per example, cast to the model's dtype)."""
        X = np.asarray(X).reshape(len(X), -1).astype(self.dtype, copy=False)
        for layer in self.layers:
            X = layer.forward(X)
        return X

    __call__ = forward

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """dL/dX ``(N, D_in)`` from dL/d outputs ``(N, D_out)``; fills :attr:`grads`."""
        for layer in reversed(self.layers):
            dY = layer.backward(dY)
        return dY

    def n_params(self) -> int:
        """Number of learned scalars (weights and biases)."""
        return int(sum(v.size for v in self.params.values()))

    def set_params(self, values: dict[str, np.ndarray], source: str = "parameters") -> None:
        """Copy ``values`` into the model in place, refusing missing names or other shapes."""
        own = self.params
        missing = sorted(set(own) - set(values))
        if missing:
            raise OcrError(f"{source}: missing parameters {', '.join(missing)}")
        for name, p in own.items():
            v = np.asarray(values[name])
            if v.shape != p.shape:
                raise OcrError(f"{source}: parameter {name} has shape {v.shape}, model expects {p.shape}")
            p[...] = v


def build_mlp(sizes: tuple[int, ...] = (1024, 64, 36), hidden: str = "sigmoid", output: str = "linear",
              init: str = "xavier", seed: int | None = 0, dtype: DTypeLike = np.float64) -> Sequential:
    """A fully connected net: ``Linear`` layers of the given ``sizes`` with ``hidden``
    activations between them and ``output`` after the last one.

    The default is the seed's 1024-64-36 sigmoid classifier that outputs logits (train it
    with :class:`~ocr_cli.nn.losses.SoftmaxCrossEntropy`).

    Parameters
    ----------
    sizes : sequence of int
        Widths from input to output (at least two): ``(1024, 64, 36)`` maps ``(N, 1024)``
        to ``(N, 36)``.
    hidden, output : str
        Names in :data:`~ocr_cli.nn.layers.ACTIVATIONS`.
    init : "xavier" or "zero"
    seed : int or None
        Seeds the weights.
    dtype : numpy dtype
        float64 for gradient checks, float32 for speed.

    Returns
    -------
    Sequential
    """
    for name in (hidden, output):
        if name not in ACTIVATIONS:
            raise OcrError(f"unknown activation {name!r}; choose one of: {', '.join(ACTIVATIONS)}")
    if init not in INITS:
        raise OcrError(f"unknown init {init!r}; choose one of: {', '.join(INITS)}")
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise OcrError(f"an MLP needs at least two positive layer sizes, got {sizes}")
    rng = np.random.default_rng(seed)
    layers: list[Layer] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(n_in, n_out, init=init, rng=rng, dtype=dtype))
        last = i == len(sizes) - 2
        layers.append(ACTIVATIONS[output if last else hidden]())
    meta = {"sizes": sizes, "hidden": hidden, "output": output, "init": init, "seed": seed,
            "dtype": np.dtype(dtype).name}
    return Sequential(layers, meta)


def save_model(model: Sequential, path: str | Path, classes: str | None = None, extra: dict | None = None) -> Path:
    """Write the parameters and metadata (sizes, activations, class list, ``extra``) into one
    ``.npz`` file, atomically: an interrupted save never leaves a half-written model."""
    from ocr_cli.fileio.writing import atomic_path

    meta = {"format": FORMAT, **model.meta, "classes": classes, **(extra or {})}
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, __meta__=np.array(json.dumps(meta)), **model.params)
    return path


def read_npz_model(path: str | Path) -> tuple[dict, dict[str, np.ndarray]]:
    """``(metadata, arrays)`` of a file written by :func:`save_model` (or any ``.npz`` with a
    JSON ``__meta__``), read with :func:`ocr_cli.fileio.reading.read_npz`'s bounds and checks."""
    from ocr_cli.fileio.reading import read_npz

    arrays = read_npz(path)
    if "__meta__" not in arrays:
        raise OcrError(f"{path}: not an ocr-cli NumPy model (no metadata)")
    meta = arrays.pop("__meta__")
    try:
        meta = json.loads(str(meta)) if meta.dtype.kind == "U" and meta.ndim == 0 else None
    except (ValueError, RecursionError):
        meta = None
    if not isinstance(meta, dict):
        raise OcrError(f"{path}: not an ocr-cli NumPy model (its metadata is not a JSON object)")
    for name, a in arrays.items():
        if not np.issubdtype(a.dtype, np.number) or (np.issubdtype(a.dtype, np.inexact) and not np.isfinite(a).all()):
            raise OcrError(f"{path}: parameter {name} is not finite numbers")
    return meta, arrays


def _read_npz(path) -> tuple[dict, dict[str, np.ndarray]]:
    meta, arrays = read_npz_model(path)
    if meta.get("format") != FORMAT:
        raise OcrError(f"{path}: not an ocr-cli NumPy model (format {str(meta.get('format'))[:40]!r})")
    return meta, arrays


def load_model(path: str | Path) -> tuple[Sequential, dict]:
    """Rebuild a model saved by :func:`save_model`; return ``(model, metadata)``."""
    meta, arrays = _read_npz(path)
    sizes = meta.get("sizes")
    if not (isinstance(sizes, list) and 2 <= len(sizes) <= 32
            and all(isinstance(s, int) and not isinstance(s, bool) and 1 <= s <= 10**6 for s in sizes)):
        raise OcrError(f"{path}: model metadata has no valid layer sizes ({str(sizes)[:60]})")
    if sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:])) > MAX_LOAD_PARAMETERS:
        raise OcrError(f"{path}: layer sizes {sizes} make more than {MAX_LOAD_PARAMETERS:,} parameters")
    if meta.get("dtype", "float64") not in ("float32", "float64"):
        raise OcrError(f"{path}: model dtype {str(meta.get('dtype'))[:20]!r} is not float32 or float64")
    try:
        model = build_mlp(sizes, meta["hidden"], meta["output"], dtype=meta.get("dtype", "float64"))
    except (KeyError, TypeError) as e:
        raise OcrError(f"{path}: model metadata is incomplete ({e})") from None
    model.set_params(arrays, source=str(path))
    model.meta = {k: meta[k] for k in model.meta if k in meta}
    return model, meta


def load_params(model: Sequential, path: str | Path) -> dict:
    """Load a saved model's parameters into ``model`` (same architecture); return the metadata."""
    meta, arrays = _read_npz(path)
    if "sizes" in meta and "sizes" in model.meta and list(meta["sizes"]) != list(model.meta["sizes"]):
        raise OcrError(f"{path}: model has layer sizes {meta['sizes']}, expected {model.meta['sizes']}")
    model.set_params(arrays, source=str(path))
    return meta

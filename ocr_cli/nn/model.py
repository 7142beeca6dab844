"""A sequential model, the MLP builder, and saving/loading models as ``.npz``.

Parameters are exposed by name so that optimizers (and files) need not know the layers:
the k-th :class:`Linear` layer's weights are ``"layer{k}.W"`` and its biases ``"layer{k}.b"``.
``model.params`` and ``model.grads`` are dicts of the layers' own arrays, so updating them
in place (``params[name] -= ...``) updates the model.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ocr_cli.errors import OcrError
from ocr_cli.nn.layers import ACTIVATIONS, INITS, Layer, Linear

FORMAT = "ocr_cli.nn/1"


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
        return {f"{n}.{k}": v for n, layer in self._named for k, v in layer.params.items()}

    @property
    def grads(self) -> dict[str, np.ndarray]:
        return {f"{n}.{k}": v for n, layer in self._named for k, v in layer.grads.items()}

    @property
    def dtype(self):
        p = self.params
        return next(iter(p.values())).dtype if p else np.dtype(np.float64)

    def forward(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X).reshape(len(X), -1).astype(self.dtype, copy=False)
        for layer in self.layers:
            X = layer.forward(X)
        return X

    __call__ = forward

    def backward(self, dY: np.ndarray) -> np.ndarray:
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


def build_mlp(sizes=(1024, 64, 36), hidden: str = "sigmoid", output: str = "linear",
              init: str = "xavier", seed=0, dtype=np.float64) -> Sequential:
    """A fully connected net: ``Linear`` layers of the given ``sizes`` with ``hidden``
    activations between them and ``output`` after the last one.

    The default is the seed's 1024-64-36 sigmoid classifier that outputs logits (train it
    with :class:`~ocr_cli.nn.losses.SoftmaxCrossEntropy`).
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


def save_model(model: Sequential, path, classes: str | None = None, extra: dict | None = None) -> Path:
    """Write the parameters and metadata (sizes, activations, class list, ``extra``) into one
    ``.npz`` file, atomically: an interrupted save never leaves a half-written model."""
    from ocr_cli.fileio import atomic_path

    meta = {"format": FORMAT, **model.meta, "classes": classes, **(extra or {})}
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, __meta__=np.array(json.dumps(meta)), **model.params)
    return path


def _read_npz(path) -> tuple[dict, dict[str, np.ndarray]]:
    path = Path(path)
    if not path.is_file():
        raise OcrError(f"{path}: no such model file")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(str(arrays.pop("__meta__")))
    except KeyError:
        raise OcrError(f"{path}: not an ocr-cli NumPy model (no metadata)") from None
    except Exception as e:  # zipfile, pickle, json, EOF and OS errors all mean "not readable"
        raise OcrError(f"{path}: not a readable model file ({type(e).__name__}: {e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise OcrError(f"{path}: not an ocr-cli NumPy model (format {meta.get('format') if isinstance(meta, dict) else meta!r})")
    return meta, arrays


def load_model(path) -> tuple[Sequential, dict]:
    """Rebuild a model saved by :func:`save_model`; return ``(model, metadata)``."""
    meta, arrays = _read_npz(path)
    try:
        model = build_mlp(meta["sizes"], meta["hidden"], meta["output"], dtype=meta.get("dtype", "float64"))
    except (KeyError, TypeError) as e:
        raise OcrError(f"{path}: model metadata is incomplete ({e})") from None
    model.set_params(arrays, source=str(path))
    model.meta = {k: meta[k] for k in model.meta if k in meta}
    return model, meta


def load_params(model: Sequential, path) -> dict:
    """Load a saved model's parameters into ``model`` (same architecture); return the metadata."""
    meta, arrays = _read_npz(path)
    if "sizes" in meta and "sizes" in model.meta and list(meta["sizes"]) != list(model.meta["sizes"]):
        raise OcrError(f"{path}: model has layer sizes {meta['sizes']}, expected {model.meta['sizes']}")
    model.set_params(arrays, source=str(path))
    return meta

"""The recognizer interface, the name registry and model-file loading.

A model on disk is a weights file (``.npz`` for NumPy models, ``.pt`` for torch ones)
plus a JSON *sidecar* with the same stem: ``cnn.pt`` + ``cnn.json``. The sidecar names
the recognizer (``"model": "cnn"``), its class list and architecture, and says how it
was trained (command, data, seed) and what it scored.
"""
from __future__ import annotations

import importlib
import os
from pathlib import Path

import numpy as np

from ocr_cli.errors import OcrError
from ocr_cli.fileio import read_json

# name -> "module:Class"; modules are imported only when used so torch stays lazy.
REGISTRY = {
    "mlp": "ocr_cli.recognizers.mlp:MLPRecognizer",
    "fc": "ocr_cli.recognizers.torch_nets:FCRecognizer",
    "cnn": "ocr_cli.recognizers.torch_nets:CNNRecognizer",
    "squeezenet": "ocr_cli.recognizers.squeezenet:SqueezeNetRecognizer",
}

MODELS_DIR = Path(os.environ.get("OCR_MODELS_DIR", Path(__file__).resolve().parents[2] / "models"))


class Recognizer:
    """Base class. Subclasses set ``name`` and ``weights_suffix`` and implement the four methods."""

    name: str = ""
    weights_suffix: str = ""

    def __init__(self, classes: str):
        self.classes = classes

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """``(N, 32, 32)`` float32 canonical samples -> ``(N, len(classes))`` probabilities."""
        raise NotImplementedError

    def predict(self, X: np.ndarray):
        """Return ``(chars, confidences)``: the best class's character and probability per sample."""
        if len(X) == 0:
            return [], np.zeros(0)
        p = self.predict_proba(X)
        idx = p.argmax(axis=1)
        return [self.classes[i] for i in idx], p[np.arange(len(idx)), idx]

    def arch(self) -> dict:
        """Architecture parameters, enough for :meth:`from_arch` to rebuild an untrained twin."""
        raise NotImplementedError

    def save_weights(self, path: Path) -> None:
        raise NotImplementedError

    def load_weights(self, path: Path) -> None:
        raise NotImplementedError

    @classmethod
    def from_arch(cls, classes: str, **arch) -> "Recognizer":
        return cls(classes, **arch)

    def save(self, path, info: dict | None = None) -> Path:
        """Write weights and sidecar (atomically); ``info`` adds training details and metrics."""
        from ocr_cli.fileio import atomic_path, write_json

        path = Path(path).with_suffix(self.weights_suffix)
        with atomic_path(path) as tmp:
            self.save_weights(tmp)
        write_json(path.with_suffix(".json"), {"model": self.name, "classes": self.classes,
                                               "arch": self.arch(), **(info or {})})
        return path


def get_recognizer_class(name: str) -> type[Recognizer]:
    if name not in REGISTRY:
        raise OcrError(f"unknown model {name!r}; choose one of: {', '.join(REGISTRY)}")
    module, cls = REGISTRY[name].split(":")
    return getattr(importlib.import_module(module), cls)


def sidecar_path(path) -> Path:
    return Path(path).with_suffix(".json")


def load_recognizer(path) -> Recognizer:
    """Load a saved recognizer from its weights file (or its sidecar), with clear errors."""
    path = Path(path)
    if not path.exists():
        raise OcrError(f"{path}: no such model file")
    if not sidecar_path(path).is_file():
        raise OcrError(f"{path}: its sidecar {sidecar_path(path).name} is missing (a model is weights + JSON sidecar)")
    meta = read_json(sidecar_path(path))
    if not isinstance(meta, dict) or "model" not in meta or "classes" not in meta:
        raise OcrError(f"{sidecar_path(path)}: not an ocr-cli model sidecar (needs 'model' and 'classes')")
    cls = get_recognizer_class(meta["model"])
    weights = path.with_suffix(cls.weights_suffix)
    if not weights.is_file():
        raise OcrError(f"{weights}: no such model file")
    try:
        rec = cls.from_arch(meta["classes"], **meta.get("arch", {}))
        rec.load_weights(weights)
    except OcrError:
        raise
    except Exception as e:  # corrupt or mismatched files raise all sorts of library errors
        raise OcrError(f"{weights}: cannot load {meta['model']} model ({type(e).__name__}: {e})") from None
    rec.info = meta
    return rec


def default_model_path(name: str = "cnn") -> Path:
    """Where the shipped default model of this kind lives."""
    return MODELS_DIR / f"{name}.json"

"""The recognizer interface, the name registry and model-file loading.

A model on disk is a weights file (``.npz`` for NumPy models, ``.pt`` for torch ones)
plus a JSON *sidecar* with the same stem: ``cnn.pt`` + ``cnn.json``. The sidecar names
the recognizer (``"model": "cnn"``), its class list and architecture, and says how it
was trained (command, data, seed) and what it scored.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ocr_cli.errors import OcrError
from ocr_cli.fileio import read_json
from ocr_cli.recognizers import REGISTRY
from ocr_cli.registry import lookup

MODELS_DIR = Path(os.environ.get("OCR_MODELS_DIR", Path(__file__).resolve().parents[2] / "models"))


@dataclass(frozen=True)
class TrainDefaults:
    """How ``ocr train`` trains a recognizer when the command line does not say."""

    optimizer: str  # "sgd" (with momentum) or "adamw"
    lr: float  # peak learning rate
    batch_size: int
    epochs: int
    weight_decay: float = 0.0


class Recognizer:
    """Base class. Subclasses set ``name``, ``weights_suffix`` and ``defaults`` and implement
    ``predict_proba``, ``arch``, ``save_weights`` and ``load_weights``."""

    name: str = ""
    weights_suffix: str = ""
    defaults: TrainDefaults
    uses_torch: bool = False  # trained by a torch optimiser step (else the NumPy core's)

    def __init__(self, classes: str):
        self.classes = classes
        self.info: dict = {}  # the sidecar of a loaded model: command, data, metrics ...

    @classmethod
    def create(cls, classes: str, hidden=None, seed: int = 0) -> "Recognizer":
        """A freshly initialised recognizer for training; ``hidden`` as :meth:`check_hidden` gives it."""
        return cls(classes)

    @classmethod
    def check_hidden(cls, sizes: list[int]):
        """``--hidden`` sizes in the form this recognizer takes; OcrError if it takes none."""
        raise OcrError(f"--hidden does not apply to {cls.name}")

    def first_layer(self):
        """The first layer's weights ``(1024, n_units)`` when they read as 32×32 images, else None."""
        return None

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """``(N, 32, 32)`` float32 canonical samples -> ``(N, len(classes))`` probabilities."""
        raise NotImplementedError

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
    """The recognizer class registered as ``name`` (its module imported now)."""
    return lookup(REGISTRY, name, "model")


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

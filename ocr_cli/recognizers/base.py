"""The recognizer interface (batching included) and model-file loading.

A model on disk is a weights file (``.npz`` for NumPy models, ``.pt`` for torch ones)
plus a JSON *sidecar* with the same stem: ``cnn.pt`` + ``cnn.json``. The sidecar names
the recognizer (``"model": "cnn"``), its class list and architecture, and says how it
was trained (command, data, seed) and what it scored.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ocr_cli.errors import OcrError
from ocr_cli.fileio import read_json
from ocr_cli.recognizers import INFERENCE, REGISTRY
from ocr_cli.registry import lookup

# The largest network a sidecar may declare (the shipped ones have 0.36 M and 0.54 M): checked
# before anything is allocated, so a few-byte sidecar cannot ask for gigabytes.
MAX_PARAMETERS = 20_000_000
MAX_CLASSES = 1000


def check_classes(classes) -> str:
    """The class list: a string of distinct characters."""
    if not isinstance(classes, str) or not 1 <= len(classes) <= MAX_CLASSES or len(set(classes)) != len(classes):
        raise OcrError(f"the class list must be a string of 1 to {MAX_CLASSES} distinct characters, got {str(classes)[:60]}")
    return classes


def check_size(name: str, n_parameters: int) -> None:
    if n_parameters > MAX_PARAMETERS:
        raise OcrError(f"a {name} of this architecture has {n_parameters:,} parameters, "
                       f"more than the {MAX_PARAMETERS:,} a model may have")


def positive_ints(value, what: str, count: int | None = None, most: int = 100_000) -> list[int]:
    """``value`` (an int or a list of them) as a list of ints in 1..``most``, or a clear error."""
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if (not values or (count is not None and len(values) != count) or len(values) > 16
            or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= most for v in values)):
        n = f"{count} " if count else ""
        raise OcrError(f"{what} must be {n}whole numbers from 1 to {most:,}, got {str(value)[:60]}")
    return values


def check_finite(arrays: dict, path) -> None:
    """Weights that are NaN or infinite would read every glyph as the first class."""
    for name, a in arrays.items():
        if np.issubdtype(np.asarray(a).dtype, np.inexact) and not np.isfinite(a).all():
            raise OcrError(f"{path}: parameter {name} holds NaN or infinite values (a diverged training run?)")


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
    ``_proba`` (one batch), ``arch``, ``save_weights`` and ``load_weights``.

    :meth:`predict_proba` cuts any number of samples into batches of ``batch_size`` inside
    :meth:`_inference` (where a subclass sets up evaluation: eval mode, thread limits).
    """

    name: str = ""
    weights_suffix: str = ""
    defaults: TrainDefaults
    uses_torch: bool = False  # trained by a torch optimiser step (else the NumPy core's)
    batch_size: int = 1024  # samples per forward pass of predict_proba

    def __init__(self, classes: str):
        self.classes = check_classes(classes)
        self.info: dict = {}  # the sidecar of a loaded model: command, data, metrics ...

    @classmethod
    def create(cls, classes: str, hidden: int | list[int] | None = None, seed: int = 0) -> "Recognizer":
        """A freshly initialised recognizer for training; ``hidden`` as :meth:`check_hidden` gives it."""
        return cls(classes)

    @classmethod
    def check_hidden(cls, sizes: list[int]) -> int | list[int]:
        """``--hidden`` sizes in the form this recognizer takes; OcrError if it takes none."""
        raise OcrError(f"--hidden does not apply to {cls.name}")

    def first_layer(self) -> np.ndarray | None:
        """The first layer's weights ``(1024, n_units)`` when they read as 32×32 images, else None."""
        return None

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities of canonical samples.

        Parameters
        ----------
        X : ndarray (N, 32, 32)
            Canonical samples (ink = 1), any N including 0.

        Returns
        -------
        ndarray (N, len(classes)) float32
            Each row sums to 1.
        """
        X = np.asarray(X, np.float32)
        if len(X) == 0:
            return np.zeros((0, len(self.classes)), np.float32)
        with self._inference():
            return np.concatenate([self._proba(X[i:i + self.batch_size]) for i in range(0, len(X), self.batch_size)])

    def _proba(self, X: np.ndarray) -> np.ndarray:
        """Probabilities ``(n, len(classes))`` of one non-empty float32 batch ``(n, 32, 32)``."""
        raise NotImplementedError

    def _inference(self):
        """Context that :meth:`predict_proba` runs every batch in."""
        return contextlib.nullcontext()

    def arch(self) -> dict:
        """Architecture parameters, enough for :meth:`from_arch` to rebuild an untrained twin."""
        raise NotImplementedError

    def save_weights(self, path: Path) -> None:
        """Write the weights (only) to ``path``."""
        raise NotImplementedError

    def load_weights(self, path: Path) -> None:
        """Read weights written by :meth:`save_weights` into this architecture."""
        raise NotImplementedError

    @classmethod
    def from_arch(cls, classes: str, **arch) -> "Recognizer":
        """An untrained recognizer of this architecture; constructors check sizes before allocating."""
        try:
            return cls(classes, **arch)
        except TypeError as e:  # a key the constructor does not take
            raise OcrError(f"not a {cls.name} architecture: {arch} ({e})") from None

    def save(self, path: str | Path, info: dict | None = None) -> Path:
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


def sidecar_path(path: str | Path) -> Path:
    """The JSON sidecar beside a weights file (or the sidecar itself)."""
    return Path(path).with_suffix(".json")


def read_model_meta(path: str | Path) -> tuple[dict, Path]:
    """A saved model's checked sidecar and the path of its weights: ``(meta, weights)``.

    ``path`` is the weights file or the sidecar. The sidecar must name a known recognizer,
    a class list (a string) and an architecture (an object).
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise OcrError(f"{path}: no such model file")
    sidecar = sidecar_path(path)
    if not sidecar.exists() and not sidecar.is_symlink():
        raise OcrError(f"{path}: its sidecar {sidecar.name} is missing (a model is weights + JSON sidecar)")
    meta = read_json(sidecar, "model sidecar")
    if not isinstance(meta, dict) or not isinstance(meta.get("model"), str) or "classes" not in meta:
        raise OcrError(f"{sidecar}: not an ocr-cli model sidecar (needs 'model' and 'classes')")
    if not isinstance(meta.setdefault("arch", {}), dict):
        raise OcrError(f"{sidecar}: 'arch' must be an object of architecture parameters")
    try:
        check_classes(meta["classes"])
    except OcrError as e:
        raise OcrError(f"{sidecar}: {e}") from None
    if meta["model"] not in REGISTRY:
        raise OcrError(f"{sidecar}: unknown model {str(meta['model'])[:40]!r}; choose one of: {', '.join(REGISTRY)}")
    return meta, path.with_suffix(weights_suffix(meta["model"]))


def weights_suffix(name: str) -> str:
    """The weights file's suffix of recognizer ``name``, without importing its module (torch)."""
    return ".npz" if name == "mlp" else ".pt"


def load_recognizer(path: str | Path, inference: bool = False) -> Recognizer:
    """Load a saved recognizer from its weights file (or its sidecar), with clear errors.

    With ``inference``, a model that has a registered inference form (:data:`INFERENCE`) is
    loaded as that where it can run it (the ``cnn`` as its NumPy twin: reading pages never
    imports torch); otherwise as its own class.
    """
    meta, weights = read_model_meta(path)
    if inference and meta["model"] in INFERENCE:
        fast = lookup(INFERENCE, meta["model"], "model")(path)
        if fast is not None:
            return fast
    cls = get_recognizer_class(meta["model"])
    weights = weights.with_suffix(cls.weights_suffix)
    if not weights.exists() and not weights.is_symlink():
        raise OcrError(f"{weights}: no such model file")
    try:
        rec = cls.from_arch(meta["classes"], **meta["arch"])
    except OcrError as e:
        raise OcrError(f"{sidecar_path(path)}: {e}") from None
    try:
        rec.load_weights(weights)
    except OcrError:
        raise
    except Exception as e:  # mismatched files raise all sorts of library errors
        raise OcrError(f"{weights}: cannot load {meta['model']} model ({type(e).__name__}: {str(e)[:100]})") from None
    rec.info = meta
    return rec


def default_model_path(name: str = "cnn") -> Path:
    """The sidecar of the model called ``name`` (a user's or a shipped one, :mod:`.catalog`)."""
    from ocr_cli.recognizers.catalog import find_model

    return find_model(name)

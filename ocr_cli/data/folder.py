"""Character images in an ImageFolder tree: ``root/<class>/*.png`` (or ``root/<split>/<class>/``).

Class folder names are the characters themselves (``A``, ``7``; lower-case names count as
their capital). Any image format Pillow reads is accepted, at any size: scans, phone photos
of a character on paper (uneven light, grey paper, shadows) or clean renderings, dark ink on
light paper or light ink on dark. Each crop is normalized exactly the way the page pipeline
normalizes a character it cut out of a page (:func:`crop_glyph`), so a model scored on a
folder is scored on what it would see on a page.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ocr_cli.charset import CLASSES, SIZE
from ocr_cli.errors import OcrError
from ocr_cli.fileio.images import read_image
from ocr_cli.inputs import IMAGE_SUFFIXES

# The page pipeline works at a resolution where characters are at least 32 px tall; a crop
# (a glyph and a margin) is brought to at least this long side before its ink is found.
CROP_SIDE = 64


def paper_is_light(grey: np.ndarray) -> bool:
    """Whether a character crop is dark ink on light paper: its border (mostly paper) lies on
    the light side of Otsu's split of the crop. A page decides this from how sparse the
    writing is; one bold character can cover a third of its own crop, its border cannot."""
    from ocr_cli.page.binarize import threshold_otsu

    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if np.ptp(grey) < 1e-3:
        return True
    return float(np.median(border)) >= threshold_otsu(grey.ravel())


def crop_glyph(grey: np.ndarray) -> np.ndarray:
    """One character's crop (grey, white = 1, any polarity and light) -> canonical 32×32 sample.

    The page pipeline's own steps, in its order: the paper's brightness is divided out
    (:func:`~ocr_cli.page.binarize.contrast_map`), ink is separated from paper by its
    hysteresis thresholds (:func:`~ocr_cli.page.binarize.binarize`), specks are dropped
    (:func:`~ocr_cli.page.segment.keep_text_like`), the remaining ink becomes a solid glyph
    (:func:`~ocr_cli.page.crops.char_ink`) and :func:`~ocr_cli.glyph.normalize_glyph` scales
    and centres it.

    Parameters
    ----------
    grey : ndarray (H, W) float in [0, 1]

    Returns
    -------
    ndarray (32, 32) float32, ink = 1; all zeros when the crop holds no ink.
    """
    from ocr_cli.glyph import normalize_glyph
    from ocr_cli.page import binarize, segment
    from ocr_cli.page.crops import char_ink

    grey = np.asarray(grey, np.float32)
    if max(grey.shape) < CROP_SIDE:
        s = CROP_SIDE / max(grey.shape)
        grey = binarize.resize(grey, (max(1, round(grey.shape[0] * s)), max(1, round(grey.shape[1] * s))))
    if not paper_is_light(grey):
        grey = 1.0 - grey
    contrast = binarize.contrast_map(grey)
    labels, boxes, areas = segment.components(binarize.binarize(contrast))
    if len(boxes) == 0:
        return np.zeros((SIZE, SIZE), np.float32)
    keep = segment.keep_text_like(boxes, areas, labels.shape, segment.typical_height(boxes))
    if not keep.any():  # a tight crop: the glyph touches its edge, or edge slivers set the height
        keep = segment.keep_text_like(boxes, areas, labels.shape, float(min(grey.shape)))
    own = np.isin(labels, np.flatnonzero(keep) + 1)
    return normalize_glyph(char_ink(contrast, own))


def load_folder(split, path, data_dir, n, seed):
    if path is None:
        raise OcrError("the folder dataset needs its folder: folder:ROOT (ROOT/<class>/*.png)")
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
    X = np.stack([crop_glyph(read_image(f)) for f, _ in files])
    return X, np.array([label for _, label in files], np.int64)

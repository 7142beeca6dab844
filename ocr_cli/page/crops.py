"""Character boxes on a page in, canonical 32×32 samples out.

A recognizer only knows what it was trained on: solid ink (= 1) on a clean zero background,
strokes roughly 8–20% of the glyph height thick, geometry from
:func:`ocr_cli.glyph.normalize_glyph`. So each crop keeps only its own character's pixels
(neighbours poking into the box are masked out), is scaled so the stroke core reads as
full ink whatever the pen or light, has too-thin strokes thickened, and then goes through
the very same ``normalize_glyph`` as the training samples.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

from PIL import Image

from ocr_cli.glyph import normalize_glyph
from ocr_cli.page import morph

MIN_STROKE = 0.08  # thinnest pen the training data has, as a fraction of glyph height
TARGET_STROKE = 0.11  # what thin strokes are thickened to (the training data's typical pen)
MIN_TURN_DEG = 2.0  # pages tilted less than this are cropped as they are (writers tilt that much anyway)


class Classifier(Protocol):
    """What the page pipeline needs of a recognizer (any :class:`~ocr_cli.recognizers.base.Recognizer`):
    its class list, and (N, 32, 32) float32 samples to (N, len(classes)) probabilities."""

    classes: str

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """(N, len(classes)) class probabilities of (N, 32, 32) samples."""


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width in pixels: ink area over half the boundary length.

    A stroke of width w and length L has area wL and about 2L boundary pixels; strokes one
    pixel wide read as 2 (every pixel is boundary), which only errs on the side of thin.
    """
    boundary = int((mask & ~morph.erode(mask)).sum())
    return 2.0 * float(mask.sum()) / max(boundary, 1)


def char_ink(contrast: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Ink image of one character from its contrast patch and its own-pixel mask.

    The soft edge pixels just outside ``own`` are kept (anti-aliasing), everything else is
    zeroed. The patch is divided by the character's own stroke contrast (its 90th
    percentile) so faint pencil and dark marker both become ink ≈ 1.
    """
    if not own.any():
        return np.zeros(own.shape, np.float32)
    near = morph.dilate(own)
    level = max(float(np.percentile(contrast[own], 90)), 1e-3)
    ink = np.maximum(np.clip(contrast * near / level, 0.0, 1.0), own)  # solid core, soft edges
    height = np.ptp(np.flatnonzero(own.any(axis=1))) + 1
    width = stroke_width(own)
    if width < MIN_STROKE * height:
        radius = max(1, round((TARGET_STROKE * height - width) / 2))
        ink = morph.disk_max(ink, radius)
    return ink.astype(np.float32)


def crop_samples(contrast: np.ndarray, labels: np.ndarray, chars: list[np.ndarray], boxes: np.ndarray,
                 angle: float = 0.0) -> np.ndarray:
    """Canonical samples ``(N, 32, 32)`` for N characters.

    Parameters
    ----------
    contrast : (H, W) ink contrast of the page (ink high)
    labels : (H, W) connected-component labels of the ink mask (0 = paper)
    chars : per character, the component labels it consists of
    boxes : (N, 4) character boxes ``(r0, r1, c0, c1)`` in the same pixels
    angle : the text angle in radians (lines running down to the right are positive); each
        character is turned back by it, so letters on a tilted page come out upright
    """
    out = np.zeros((len(chars), 32, 32), np.float32)
    turn = np.rad2deg(angle) if abs(angle) > np.deg2rad(MIN_TURN_DEG) else 0.0
    for k, (labs, (r0, r1, c0, c1)) in enumerate(zip(chars, boxes)):
        pad = 2
        r0, c0 = max(0, r0 - pad), max(0, c0 - pad)
        r1, c1 = min(labels.shape[0], r1 + pad), min(labels.shape[1], c1 + pad)
        own = np.isin(labels[r0:r1, c0:c1], labs)
        ink = char_ink(contrast[r0:r1, c0:c1], own)
        if turn:
            ink = np.asarray(Image.fromarray(ink, mode="F").rotate(turn, Image.Resampling.BILINEAR, expand=True))
        out[k] = normalize_glyph(ink)
    return out

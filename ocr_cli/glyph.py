"""Turn any ink image of one character into the canonical 32×32 sample.

Both the synthetic engine and the page pipeline call :func:`normalize_glyph`, so a crop
from a photo and a generated training sample go through exactly the same geometry.
The target matches the real NIST samples: the glyph's bounding box centred, its longer
side scaled to ``GLYPH_SIDE`` (26 of 32 px) with the aspect ratio kept.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

from ocr_cli.charset import SIZE

GLYPH_SIDE = 26


def ink_bbox(ink: np.ndarray, thresh: float = 0.1):
    """Return ``(r0, r1, c0, c1)`` of pixels above ``thresh`` (half-open), or None if blank."""
    rows = np.flatnonzero((ink > thresh).any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero((ink > thresh).any(axis=0))
    return rows[0], rows[-1] + 1, cols[0], cols[-1] + 1


def normalize_glyph(ink: np.ndarray, side: int = GLYPH_SIDE, size: int = SIZE) -> np.ndarray:
    """Crop ``ink`` (2-D, ink high, any scale) to its ink, scale and centre it into ``size``².

    Parameters
    ----------
    ink : ndarray (H, W)
        Ink intensity, 1 = ink, 0 = background. Values are clipped to [0, 1].
    side : int
        Length in pixels the longer side of the glyph gets in the output.

    Returns
    -------
    ndarray (size, size) float32 in [0, 1]; all zeros for a blank input.
    """
    ink = np.clip(np.asarray(ink, dtype=np.float32), 0.0, 1.0)
    out = np.zeros((size, size), np.float32)
    box = ink_bbox(ink)
    if box is None:
        return out
    r0, r1, c0, c1 = box
    crop = ink[r0:r1, c0:c1]
    h, w = crop.shape
    scale = side / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    small = np.asarray(Image.fromarray(crop, mode="F").resize((nw, nh), resample), dtype=np.float32)
    top, left = (size - nh) // 2, (size - nw) // 2
    out[top:top + nh, left:left + nw] = np.clip(small, 0.0, 1.0)
    return out

"""From a grey photo to an ink map and an ink mask at a working resolution.

Photos come with uneven light, shadows, grey paper and faint show-through. We divide the
image by an estimate of its paper brightness (a grey closing removes the ink, leaving the
paper), so every pixel's value becomes its *contrast* against the local paper, then pick
thresholds from the page's own contrast statistics.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

from ocr_cli.page import morph

MIN_INK_CONTRAST = 0.12  # below this no pen stroke is ever found: a blank page stays blank
POLARITY_SIDE = 400  # the ink's polarity is decided on a copy this size


def resize(a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Resize an image to ``shape`` (rows, cols), box-filtered when shrinking; float32 out.

    ``a`` is float, or uint8 grey (0-255, scaled to [0, 1]; PIL shrinks 8-bit images fastest).
    """
    h, w = shape
    if a.dtype == np.uint8:
        if (h, w) != a.shape:
            mode = Image.Resampling.BOX if h < a.shape[0] or w < a.shape[1] else Image.Resampling.BILINEAR
            a = np.asarray(Image.fromarray(np.ascontiguousarray(a)).resize((w, h), mode))
        return a.astype(np.float32) / np.float32(255)
    if (h, w) == a.shape:
        return a.astype(np.float32, copy=False)
    shrink = h < a.shape[0] or w < a.shape[1]
    mode = Image.Resampling.BOX if shrink else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(np.ascontiguousarray(a, np.float32), mode="F").resize((w, h), mode))


def downscale(grey: np.ndarray, long_side: int, enlarge: bool = False) -> tuple[np.ndarray, float]:
    """Shrink ``grey`` so its longer side is at most ``long_side`` (with ``enlarge``, also
    enlarge it to that); return it (float32) and the scale used."""
    scale = long_side / max(grey.shape) if enlarge else min(1.0, long_side / max(grey.shape))
    shape = (max(1, round(grey.shape[0] * scale)), max(1, round(grey.shape[1] * scale)))
    return resize(grey, shape), scale


def ink_is_dark(grey: np.ndarray) -> bool:
    """Whether the writing is darker than its background (pen on paper) rather than lighter
    (chalk on a board, a photo negative).

    Writing is made of thin strokes that stand out from their surroundings. On a copy at
    most ``POLARITY_SIDE`` px across, pixels far below their neighbourhood's mean (dark
    strokes) are compared with pixels far above it (light strokes): whichever tail reaches
    further is the ink. Light and shadow change slowly, so glare or a dim half of the page
    do not count; a global threshold would split the page along its lighting instead.
    """
    step = max(1, int(np.ceil(max(grey.shape) / POLARITY_SIDE)))
    small = resize(grey, (max(1, grey.shape[0] // step), max(1, grey.shape[1] // step)))
    if min(small.shape) < 3 or np.ptp(small) < 1e-3:
        return True
    d = small - morph.mean_filter(small, 9)
    return -float(np.percentile(d, 0.5)) >= float(np.percentile(d, 99.5))


def contrast_map(grey: np.ndarray, paper_window: int = 41) -> np.ndarray:
    """Ink contrast against the local paper, in [0, 1]: ``1 - grey / paper``.

    The paper is a grey closing (max then min filter) wider than any pen stroke, computed
    on a 4× smaller copy for speed, smoothed and interpolated back, so shading and
    vignetting cancel out. Interpolation would blur the edge of a hard shadow into a dark
    line, so the paper is also capped by a full-resolution closing just wider than the
    strokes (three times their width as first measured), which keeps such edges sharp.
    """
    step = 4 if min(grey.shape) >= 64 else 1
    small = grey[::step, ::step]
    size = max(3, paper_window // step) | 1
    paper = morph.min_filter(morph.max_filter(small, size), size)
    paper = resize(morph.mean_filter(paper, max(3, size // 2) | 1), grey.shape)
    contrast = np.clip(1.0 - grey / np.maximum(paper, 1e-3), 0.0, 1.0)
    th = ink_thresholds(contrast)
    if th is not None:
        ink = contrast > th[1]
        width = 2.0 * ink.sum() / max(int((ink & ~morph.erode(ink)).sum()), 1)
        window = max(9, int(3 * width)) | 1
        grey8 = np.round(grey * 255).astype(np.uint8)  # 8 bits are plenty here and 4× faster
        closed = morph.min_filter(morph.max_filter(grey8, window), window)
        paper = np.minimum(paper, closed.astype(np.float32) / 255)
        contrast = np.clip(1.0 - grey / np.maximum(paper, 1e-3), 0.0, 1.0)
    return contrast.astype(np.float32)


def ink_thresholds(contrast: np.ndarray) -> tuple[float, float] | None:
    """``(low, high)`` hysteresis thresholds, or None when the page holds no ink.

    Paper noise is measured robustly (median + MAD, most pixels are paper). Pixels clearly
    above it are candidate ink; Otsu's split of those separates pen strokes from faint
    show-through, rules and smudges. ``high`` seeds strokes, ``low`` lets them grow along
    their fainter parts so thin or broken pencil lines stay whole.
    """
    flat = contrast.ravel()
    sample = flat[:: max(1, flat.size // 200_000)]
    med = float(np.median(sample))
    noise = float(np.median(np.abs(sample - med))) * 1.4826 + 1e-3
    candidates = sample[sample > med + 6 * noise]
    if candidates.size < 20 or candidates.max() < MIN_INK_CONTRAST:
        return None
    strong = float(np.percentile(candidates, 99))  # the darkest strokes' contrast
    otsu = min(float(threshold_otsu(candidates)), 0.6 * strong)  # clean scans: Otsu lands on the ink itself
    high = max(otsu, med + 8 * noise, MIN_INK_CONTRAST)
    low = max(0.5 * high, med + 5 * noise)
    return low, high


def threshold_otsu(values: np.ndarray, bins: int = 256) -> float:
    """Otsu's threshold: the cut that maximises the between-class variance of ``values``."""
    hist, edges = np.histogram(values, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)[:-1].astype(float)
    w1 = w0[-1] + hist[-1] - w0
    m0 = np.cumsum(hist * centres)[:-1] / np.maximum(w0, 1)
    m1 = ((hist * centres).sum() - np.cumsum(hist * centres)[:-1]) / np.maximum(w1, 1)
    return float(centres[:-1][np.argmax(w0 * w1 * (m0 - m1) ** 2)])


def hysteresis(contrast: np.ndarray, low: float, high: float) -> np.ndarray:
    """Pixels above ``low`` that are connected (8-neighbours) to a pixel above ``high``."""
    labels, boxes, _ = morph.label(contrast > low)
    seeded = np.zeros(len(boxes) + 1, bool)
    seeded[np.unique(labels[contrast > high])] = True
    seeded[0] = False
    return seeded[labels]


def binarize(contrast: np.ndarray, thresholds: tuple[float, float] | None = None) -> np.ndarray:
    """Boolean ink mask: hysteresis between ``thresholds`` (default: :func:`ink_thresholds`
    of ``contrast``), one-pixel spurs of the weak parts cleaned; all paper when there is no ink."""
    thresholds = thresholds or ink_thresholds(contrast)
    if thresholds is None:
        return np.zeros(contrast.shape, bool)
    mask = hysteresis(contrast, *thresholds)
    return morph.open2(mask) | (contrast > thresholds[1])


def faint(contrast: np.ndarray, thresholds: tuple[float, float] | None) -> np.ndarray:
    """Everything at least half as dark as the weakest ink: where printed rules show whole."""
    if thresholds is None:
        return np.zeros(contrast.shape, bool)
    return contrast > 0.5 * thresholds[0]

"""Training-time augmentation of canonical samples, batched in NumPy/SciPy.

Real crops differ from training samples in ways a recognizer should shrug off: the writer's
slant and rotation, a bounding box thrown off by a speck or a cut stroke, pen width, faint
ink, a blurry photo. :func:`augment` applies a random mix of those to a batch. It is mild on
purpose: the page pipeline normalises every crop with the same geometry as the samples
(:func:`ocr_cli.glyph.normalize_glyph`), so large shifts or scalings never occur there.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage


def random_affine(X: np.ndarray, rng: np.random.Generator, rotate: float = 10.0, shear: float = 0.15,
                  scale: float = 0.1, shift: float = 1.5) -> np.ndarray:
    """Warp each sample by its own random rotation (degrees), shear, per-axis scale and shift (px).

    One ``map_coordinates`` call over the whole ``(N, H, W)`` stack keeps it fast.
    """
    n, h, w = X.shape
    theta = np.deg2rad(rng.uniform(-rotate, rotate, n))
    sh = rng.uniform(-shear, shear, n)
    sy, sx = np.exp(rng.uniform(-scale, scale, (2, n)))
    ty, tx = rng.uniform(-shift, shift, (2, n))
    cos, sin = np.cos(theta), np.sin(theta)
    # Inverse map: output pixel (r, c) samples input at A @ (r - centre, c - centre) + centre - t.
    a = np.stack([np.stack([cos / sy, (-sin + sh * cos) / sy], -1),
                  np.stack([sin / sx, (cos + sh * sin) / sx], -1)], 1)  # (n, 2, 2)
    r, c = np.mgrid[0:h, 0:w].astype(np.float32)
    rc = np.stack([r - (h - 1) / 2, c - (w - 1) / 2])  # (2, h, w)
    src = np.einsum("nij,jhw->nihw", a, rc)
    src[:, 0] += (h - 1) / 2 - ty[:, None, None]
    src[:, 1] += (w - 1) / 2 - tx[:, None, None]
    idx = np.broadcast_to(np.arange(n, dtype=np.float32)[:, None, None], (n, h, w))
    coords = np.stack([idx, src[:, 0], src[:, 1]])
    return ndimage.map_coordinates(X, coords, order=1, mode="constant", cval=0.0).astype(np.float32)


def augment(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random mix of affine warp, thicker or thinner strokes, blur and fainter ink, per sample."""
    X = random_affine(np.asarray(X, dtype=np.float32), rng)
    n = len(X)
    pick = rng.random(n)
    thick, thin = pick < 0.2, (pick >= 0.2) & (pick < 0.35)
    if thick.any():
        X[thick] = ndimage.grey_dilation(X[thick], size=(1, 2, 2))
    if thin.any():  # erode only where it keeps most of the ink, so thin strokes never vanish
        eroded = ndimage.grey_erosion(X[thin], size=(1, 2, 2))
        keep = eroded.sum(axis=(1, 2)) > 0.5 * X[thin].sum(axis=(1, 2))
        X[np.flatnonzero(thin)[keep]] = eroded[keep]
    blur = rng.random(n) < 0.2
    if blur.any():
        X[blur] = ndimage.gaussian_filter(X[blur], sigma=(0, 0.6, 0.6))
    X *= rng.uniform(0.7, 1.0, (n, 1, 1)).astype(np.float32) ** (rng.random((n, 1, 1)) < 0.3)
    return np.clip(X, 0.0, 1.0)

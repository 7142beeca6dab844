"""Find the sheet of paper in a photo, so the desk, bedsheet or hand around it is ignored.

Paper is the large, bright, grey and smooth region of a photo; a desk is darker, more
coloured or more textured. On a small copy of the photo the brightest region (Otsu on
brightness less chroma) is taken with its holes (the writing) filled. It counts as a
sheet on a background only when the difference is unmistakable: what lies outside is
much darker than the paper, or clearly coloured, or textured, and the region is a
four-sided shape. A shadow falling across the paper is darker too, but it is smooth and
as grey as the paper: darkness alone only counts when the paper does not reach three or
four sides of the frame (a lit part of a page that fills the photo does), so a shadow
is not cut away. A scan or a crop that the paper fills (the region covers nearly all the
frame) is left as it is. When all four corners lie inside the frame, the sheet is rectified (seen at an
angle, it becomes a rectangle); otherwise only what lies outside it is masked.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ocr_cli.page import binarize, morph

SMALL_SIDE = 320  # the sheet is found on a copy this size: paper edges are large features
FILLS_FRAME = 0.92  # a bright region covering this share of the photo is the whole page
MIN_SHARE = 0.04  # smaller bright regions are not a sheet of paper
DARKER = 0.5  # a background at most this bright relative to the paper ...
COLOURED = 0.15  # ... or with this much more chroma (and somewhat darker), or with texture:
TEXTURED = 2.5  # local variation this many times the paper's (and above TEXTURE_FLOOR)
TEXTURE_FLOOR = 0.02


@dataclass
class Sheet:
    """The sheet in the coordinates of the image it was found on.

    corners : (4, 2) ``(x, y)`` of the top-left, top-right, bottom-right, bottom-left corners
    mask : boolean image of the sheet, the size of the image it was found on
    rectify : whether all four corners are in view, so the sheet can be made a rectangle
    """

    corners: np.ndarray
    mask: np.ndarray
    rectify: bool


def chroma(rgb: np.ndarray) -> np.ndarray:
    """How coloured each pixel is: ``max(R, G, B) - min(R, G, B)`` (0 for greys)."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return np.maximum(np.maximum(r, g), b) - np.minimum(np.minimum(r, g), b)


def local_variation(grey: np.ndarray) -> np.ndarray:
    """Absolute difference of each pixel from the mean of its 5×5 neighbourhood."""
    return np.abs(grey - morph.mean_filter(grey, 5))


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """``mask`` with every region of background that does not reach the border filled."""
    labels, boxes, _ = morph.label(~mask)
    h, w = mask.shape
    outer = (boxes[:, 0] == 0) | (boxes[:, 2] == 0) | (boxes[:, 1] == h) | (boxes[:, 3] == w)
    keep = np.r_[True, ~outer]  # label 0 is the mask itself
    return mask | keep[labels] & (labels > 0)


def corners_of(mask: np.ndarray) -> np.ndarray:
    """The four extreme corners of a blob: top-left, top-right, bottom-right, bottom-left."""
    ys, xs = np.nonzero(mask)
    s, d = xs + ys, xs - ys
    picks = [np.argmin(s), np.argmax(d), np.argmax(s), np.argmin(d)]
    return np.array([[xs[i] + (0.5 if k in (1, 2) else 0), ys[i] + (0.5 if k in (2, 3) else 0)]
                     for k, i in enumerate(picks)], float)


def touches_frame(region: np.ndarray, share: float = 0.1) -> int:
    """On how many of the four sides of the frame ``region`` lies along ``share`` of the side."""
    sides = (region[0], region[-1], region[:, 0], region[:, -1])
    return sum(float(side.mean()) >= share for side in sides)


def polygon_area(pts: np.ndarray) -> float:
    """The area of the polygon with (N, 2) corners ``pts`` in order (the shoelace formula)."""
    x, y = pts[:, 0], pts[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def find_sheet(grey: np.ndarray, colour: np.ndarray | None = None) -> Sheet | None:
    """The sheet of paper lying on a background, or None when the paper fills the photo.

    Parameters
    ----------
    grey : (H, W) float image, white = 1
    colour : chroma of the same image (:func:`chroma`), at any resolution, or None for grey photos

    Returns
    -------
    :class:`Sheet` in the pixel coordinates of ``grey``, or None.
    """
    step = max(1, int(np.ceil(max(grey.shape) / SMALL_SIDE)))
    shape = (max(1, grey.shape[0] // step), max(1, grey.shape[1] // step))
    if min(shape) < 16:
        return None
    g = binarize.resize(grey, shape)
    c = binarize.resize(colour, shape) if colour is not None else np.zeros(shape, np.float32)
    likeness = g - 0.5 * c
    bright = likeness > binarize.threshold_otsu(likeness.ravel())
    labels, boxes, areas = morph.label(morph.open2(bright))
    if not len(areas):
        return None
    region = fill_holes(labels == np.argmax(areas) + 1)
    share = region.mean()
    if share >= FILLS_FRAME or share < MIN_SHARE:
        return None
    paper, outside = region & ~morph.dilate(~region), ~morph.dilate(region)
    for _ in range(2):  # stay clear of the sheet's edge on both sides
        paper, outside = morph.erode(paper), morph.erode(outside)
    if paper.sum() < 50 or outside.sum() < 50:
        return None
    vary = local_variation(g)
    paper_vary = float(np.median(vary[paper]))
    ratio = np.median(g[outside]) / max(float(np.median(g[paper])), 1e-3)
    darker = ratio <= DARKER
    coloured = np.median(c[outside]) >= np.median(c[paper]) + COLOURED and ratio < 0.8
    textured = np.median(vary[outside]) >= max(TEXTURED * paper_vary, TEXTURE_FLOOR)
    corners = corners_of(region)
    four_sided = polygon_area(corners) >= 0.85 * region.sum()
    if not four_sided or not (textured or coloured or darker and touches_frame(region) < 3):
        return None
    inside = bool((corners >= 2).all() and (corners <= [shape[1] - 2, shape[0] - 2]).all())
    big = binarize.resize(region.astype(np.float32), grey.shape) > 0.5
    return Sheet(corners * [grey.shape[1] / shape[1], grey.shape[0] / shape[0]], big, inside)

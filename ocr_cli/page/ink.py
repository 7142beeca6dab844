"""From a photo to its ink: the sheet found, the light divided out, printed lines removed.

:func:`find_ink` is the first half of the page pipeline (:mod:`~ocr_cli.page.pipeline`):
it finds the sheet of paper (:mod:`~ocr_cli.page.sheet`), divides out the light and
thresholds the ink (:mod:`~ocr_cli.page.binarize`) and removes printed rules
(:mod:`~ocr_cli.page.rules`), at a working resolution chosen from the size of the writing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ocr_cli.page import binarize, geometry, rules, segment
from ocr_cli.page.sheet import find_sheet

WORK_SIDE = 1600  # longer side of the working image: a 12 MP photo shrinks ~2.5× (fast)
MIN_CHAR_PX = 32  # if characters come out smaller than this, work at a higher resolution
MAX_WORK_SIDE = 4000  # ... but never larger than this (bounded work for any input)
MAX_UPSCALE = 3.0  # a small image with small writing is enlarged up to this much


@dataclass
class Ink:
    """A page's ink at the working resolution, before any layout.

    contrast : (H, W) ink contrast against the paper (:func:`~ocr_cli.page.binarize.contrast_map`)
    mask : (H, W) bool ink, printed rules removed
    to_image : 3×3 homography from working pixels to the input image's pixels
    notes : what was done to the photo (sheet found, rules removed), for reports
    components : ``mask``'s :func:`~ocr_cli.page.segment.components` ``(labels, boxes,
        areas)``, measured here already, so the layout need not label the mask again
    """

    contrast: np.ndarray
    mask: np.ndarray
    to_image: np.ndarray
    notes: list = field(default_factory=list)
    components: tuple | None = None


def as_grey_and_colour(image: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """A page image as grey (white = max; uint8 kept as it is, else float32 in [0, 1]) and,
    for colour images, its RGB (uint8 or float32, as given).

    Accepts what users hold: 2-D grey, or (H, W, 3) RGB / (H, W, 4) RGBA (alpha dropped),
    uint8 (0-255), uint16 (0-65535), bool, or float in [0, 1].
    """
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] in (3, 4):
        a = a[..., :3]
    elif a.ndim != 2:
        raise ValueError(f"expected a grey (H, W) or colour (H, W, 3) image, got shape {a.shape}")
    if min(a.shape[:2]) < 1:
        raise ValueError(f"image has no pixels (shape {a.shape})")
    if a.dtype == np.uint8:
        if a.ndim == 2:
            return a, None
        from PIL import Image  # converts 8-bit RGB to grey fastest

        a = np.ascontiguousarray(a)
        return np.asarray(Image.fromarray(a).convert("L")), a
    if a.dtype == bool:
        a = a.astype(np.float32)
    elif a.dtype == np.uint16:
        a = a.astype(np.float32) / np.float32(65535)
    elif np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer):
        a = a.astype(np.float32)
        if not np.isfinite(a).all():
            raise ValueError("image holds NaN or infinite values")
    else:
        raise ValueError(f"unsupported image data type {a.dtype}")
    a = np.clip(a, 0.0, 1.0)
    if a.ndim == 2:
        return a, None
    return a[..., 0] * np.float32(0.299) + a[..., 1] * np.float32(0.587) + a[..., 2] * np.float32(0.114), a


def _resize_rgb(rgb: np.ndarray, shape) -> np.ndarray:
    """``rgb`` resized to ``shape`` (rows, cols) as float32 in [0, 1]."""
    if rgb.dtype == np.uint8:
        from PIL import Image

        small = Image.fromarray(rgb).resize((shape[1], shape[0]), Image.Resampling.BOX)
        return np.asarray(small, np.float32) / np.float32(255)
    return np.stack([binarize.resize(rgb[..., c], shape) for c in range(3)], axis=-1)


def opponent_colour(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 2) colour without brightness: red against green, and blue against yellow.

    Greys are (0, 0); a blue pen, a red margin and a grey printed rule all differ here even
    when they are equally dark.
    """
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return np.stack([r - g, b - (r + g) / 2], axis=-1)


def _working(channels: list, scale: float, sheet):
    """The working images (the sheet cut out or rectified) of ``channels`` (the input
    downscaled by ``scale``, grey first), their map back to the input image, and the sheet's
    mask in them (None when everything counts). ``sheet`` (or None) is in input pixels.
    """
    work = channels[0]
    to_image = geometry.scaling(1 / scale)
    if sheet is None:
        return channels, to_image, None
    corners = sheet.corners * scale
    if sheet.rectify:
        top, bottom = np.linalg.norm(corners[1] - corners[0]), np.linalg.norm(corners[2] - corners[3])
        left, right = np.linalg.norm(corners[3] - corners[0]), np.linalg.norm(corners[2] - corners[1])
        w, h = int(round((top + bottom) / 2)), int(round((left + right) / 2))
        rect = np.array([[0, 0], [w, 0], [w, h], [0, h]], float)
        H = geometry.homography(corners, rect)
        paper = float(np.median(work[::4, ::4]))
        warped = [geometry.warp(work, H, (h, w), fill=paper)]
        warped += [geometry.warp(c, H, (h, w), fill=0.0) for c in channels[1:]]
        inner = np.zeros((h, w), bool)
        margin = max(2, int(0.01 * max(h, w)))  # the corners are found to a pixel or two: drop the edge
        inner[margin:h - margin, margin:w - margin] = True
        return warped, to_image @ np.linalg.inv(H), inner
    mask = binarize.resize(sheet.mask.astype(np.float32), work.shape) > 0.5
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    margin = max(2, int(0.004 * max(work.shape)))  # the sheet's edge is shaded: stay inside it
    inner = mask[r0:r1, c0:c1]
    for _ in range(margin):
        inner = inner & np.roll(inner, 1, 0) & np.roll(inner, -1, 0) & np.roll(inner, 1, 1) & np.roll(inner, -1, 1)
    return [c[r0:r1, c0:c1] for c in channels], to_image @ geometry.translation(c0, r0), inner


def find_ink(image: np.ndarray, work_side: int = WORK_SIDE, sheet: bool = True, remove_rules: bool = True) -> Ink:
    """The ink of a page photo at a working resolution (see :class:`Ink`).

    Parameters
    ----------
    image : (H, W) grey or (H, W, 3) RGB array (see :func:`as_grey_and_colour`)
    work_side : longer side of the working image; raised (up to ``MAX_WORK_SIDE``, and for
        a small image up to ``MAX_UPSCALE`` times its size) when the characters come out
        smaller than ``MIN_CHAR_PX``
    sheet : find the sheet of paper and ignore what lies outside it
    remove_rules : remove printed rules, grids and margins (telling a pen from the rules by
        colour too, in a colour photo)
    """
    grey, rgb = as_grey_and_colour(image)
    found_sheet, notes = None, []
    for attempt in range(2):
        small, scale = binarize.downscale(grey, work_side, enlarge=attempt > 0)
        colour = opponent_colour(_resize_rgb(rgb, small.shape)) if rgb is not None else None
        if sheet and attempt == 0:
            found_sheet = find_sheet(small, np.hypot(colour[..., 0], colour[..., 1]) if colour is not None else None)
            if found_sheet is not None:
                found_sheet.corners = found_sheet.corners / scale  # kept in input pixels
                notes.append("sheet rectified" if found_sheet.rectify else "sheet found")
        channels = [small] + ([colour[..., 0], colour[..., 1]] if colour is not None else [])
        channels, to_image, inside = _working(channels, scale, found_sheet)
        work = channels[0]
        colour = np.stack(channels[1:], axis=-1) if colour is not None else None
        if not binarize.ink_is_dark(work):  # light writing on a dark board: flip polarity
            work = 1.0 - work
        contrast = binarize.contrast_map(work)
        if inside is not None:
            contrast = contrast * inside
        thresholds = binarize.ink_thresholds(contrast)
        mask = binarize.binarize(contrast, thresholds)
        removed = 0
        if remove_rules and thresholds is not None:
            faint = binarize.faint(contrast, thresholds) | mask
            mask, removed = rules.remove_rules(mask, faint, contrast, colour)
        components = segment.components(mask)
        _, boxes, areas = components
        char_h = segment.typical_height(boxes, areas=areas)
        if attempt or scale >= MAX_UPSCALE or char_h >= MIN_CHAR_PX or char_h == 0 or work_side >= MAX_WORK_SIDE:
            break
        scale = min(MAX_UPSCALE, scale * 1.25 * MIN_CHAR_PX / char_h)  # small writing: a finer grid (or enlarged)
        work_side = min(MAX_WORK_SIDE, int(max(grey.shape) * scale))
    if removed:
        notes.append(f"printed lines removed ({removed} px)")
    return Ink(contrast, mask, to_image, notes, components)

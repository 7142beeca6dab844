"""Ink mask in, candidate character boxes out.

Boxes are ``int`` arrays of ``(r0, r1, c0, c1)`` (half-open) in mask pixels. Every size
decision is made relative to the page's own typical character height, so the same rules
hold for a small scan and a 12-megapixel photo.
"""
from __future__ import annotations

import numpy as np

from ocr_cli.page import morph


def components(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Label 8-connected ink; return ``(labels, boxes, areas)`` with box i for label i + 1."""
    return morph.label(mask)


def heights(boxes: np.ndarray) -> np.ndarray:
    """(N,) heights of (N, 4) ``(r0, r1, c0, c1)`` boxes."""
    return boxes[:, 1] - boxes[:, 0]


def widths(boxes: np.ndarray) -> np.ndarray:
    """(N,) widths of (N, 4) ``(r0, r1, c0, c1)`` boxes."""
    return boxes[:, 3] - boxes[:, 2]


def typical_height(boxes: np.ndarray, q: float = 50, areas: np.ndarray | None = None) -> float:
    """The page's character height: the median (or ``q``-th percentile) height of the larger components.

    Specks and stroke fragments are many but small; taking the median over components at
    least 0.4 as large as the largest decile keeps them from dragging the estimate down.
    When specks are more than a tenth of the components (the dots left where a grid's lines
    crossed, dust), the largest decile is specks too; given the components' ink ``areas``,
    the size of the component that holds the median pixel of ink anchors the estimate
    instead when it is larger (letters hold most of a page's ink; a long thin line does not).
    """
    if len(boxes) == 0:
        return 0.0
    size = np.maximum(heights(boxes), widths(boxes))
    anchor = float(np.percentile(size, 90))
    if areas is not None and len(areas):
        order = np.argsort(size)
        ink = np.cumsum(np.asarray(areas, float)[order])
        anchor = max(anchor, float(size[order][np.searchsorted(ink, 0.5 * ink[-1])]))
    big = boxes[size >= 0.4 * anchor]
    return float(np.percentile(heights(big), q))


def keep_text_like(boxes: np.ndarray, areas: np.ndarray, shape: tuple[int, ...], char_h: float) -> np.ndarray:
    """Boolean mask of boxes that may be (part of) a character.

    Drops specks (dots, grain: small in both directions), blobs far larger than any
    character, long thin rules, large shapes touching the image border (page edges, desk,
    shadows) and hairlines entering from the border (the ends of printed lines, a sheet's
    edge: thinner than any pen stroke of the page's letters). Stroke fragments (one bar of
    an ``E``) stay: they are long in one direction.
    """
    h, w = heights(boxes), widths(boxes)
    longest = np.maximum(h, w)
    speck = (longest < 0.3 * char_h) | (areas < 0.004 * char_h**2)
    huge = (h > 3.0 * char_h) | (w > 12.0 * char_h)
    rule = (w > 2.5 * char_h) & (h < 0.25 * char_h) | (h > 2.0 * char_h) & (w < 0.1 * char_h)
    H, W = shape
    touches = (boxes[:, 0] == 0) | (boxes[:, 2] == 0) | (boxes[:, 1] == H) | (boxes[:, 3] == W)
    edge = touches & ((longest > 1.5 * char_h) | (np.minimum(h, w) < 0.1 * char_h))
    return ~(speck | huge | rule | edge)


def split_touching(labels: np.ndarray, char: np.ndarray, box: np.ndarray, n: int) -> list[tuple]:
    """Cut one too-wide character (its label ids ``char``, box ``box``) into ``n`` parts.

    Cuts go through the column with the least ink near each expected boundary (within a
    quarter of a part's width), where two touching letters usually meet. The pixels of each
    new part get a fresh label in ``labels`` (modified in place). Returns ``(labels, box)``
    per part.
    """
    r0, r1, c0, c1 = box
    region = labels[r0:r1, c0:c1]
    own = np.isin(region, char)
    profile = own.sum(axis=0).astype(float)
    part = (c1 - c0) / n
    cuts = []
    for k in range(1, n):
        lo, hi = int(k * part - part / 4), int(k * part + part / 4) + 1
        offset = np.abs(np.arange(lo, hi) - k * part) / part  # ties go to the expected place
        cuts.append(lo + int(np.argmin(profile[lo:hi] + offset)))
    parts, start = [], 0
    next_label = int(labels.max()) + 1
    for k, stop in enumerate(cuts + [c1 - c0]):
        mine = own[:, start:stop]
        rows = np.flatnonzero(mine.any(axis=1))
        if rows.size == 0:
            start = stop
            continue
        ids = np.asarray(char)
        if k > 0:  # the first part keeps the original ids
            region[:, start:stop][mine] = next_label
            ids = np.array([next_label])
            next_label += 1
        parts.append((ids, np.array([r0 + rows[0], r0 + rows[-1] + 1, c0 + start, c0 + stop])))
        start = stop
    return parts


def merge_stacked(boxes: np.ndarray, char_h: float) -> list[np.ndarray]:
    """Group pieces stacked one above the other into one character (indices per group).

    A character whose strokes broke across (a pen lifted mid-letter, a faint crossing)
    falls apart into an upper and a lower piece that share their columns. Two pieces join
    when they overlap horizontally by half the narrower one, the vertical gap between them
    is under a quarter of a character height and together they are at most 1.5 times as
    tall as the page's taller characters (so letters of neighbouring lines do not join).
    The 80th percentile of heights is used there because it stays a whole letter's height
    even when many letters are still in pieces.
    """
    n = len(boxes)
    tall_h = typical_height(boxes, q=80)
    order = np.argsort(boxes[:, 0], kind="stable")
    r0, r1, c0, c1 = (boxes[order, k] for k in range(4))
    reach = np.searchsorted(r0, r0 + 1.5 * tall_h, side="right")  # only these can be stacked with i
    pairs = []
    for d in range(1, int((reach - np.arange(n)).max(initial=1))):  # pair i with i + d, all i at once
        i = np.arange(n - d)
        j = i + d
        overlap = np.minimum(c1[i], c1[j]) - np.maximum(c0[i], c0[j])
        narrower = np.minimum(c1[i] - c0[i], c1[j] - c0[j])
        gap = np.maximum(r0[i], r0[j]) - np.minimum(r1[i], r1[j])
        tall = np.maximum(r1[i], r1[j]) - np.minimum(r0[i], r0[j])
        join = (j < reach[i]) & (overlap >= 0.5 * narrower) & (gap < 0.25 * char_h) & (tall <= 1.5 * tall_h)
        pairs += list(zip(order[i[join]], order[j[join]]))
    parent = np.arange(n)

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([root(i) for i in range(n)], int)
    by_root = np.argsort(roots, kind="stable")
    return np.split(by_root, np.flatnonzero(np.diff(roots[by_root])) + 1) if n else []

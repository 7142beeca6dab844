"""Boxes in, text lines and words out.

Works in a *deskewed* frame: the page's dominant text angle is estimated from the box
centres, then every box is described by its rotated centre ``(x', y')``. Lines are chained
left to right so a gently sloping or curving line is still followed; spaces come from gaps
that are wide compared with the line's own letter spacing and height.
"""
from __future__ import annotations

import bisect

import numpy as np

from ocr_cli.page.segment import heights, widths

MAX_SKEW_DEG = 15.0
LINE_EVIDENCE = 1.4  # boxes in lines bunch this many times more than boxes spread evenly


def centres(boxes: np.ndarray) -> np.ndarray:
    """``(N, 2)`` box centres as ``(x, y)``."""
    return np.stack([(boxes[:, 2] + boxes[:, 3]) / 2.0, (boxes[:, 0] + boxes[:, 1]) / 2.0], axis=1)


def rotate(points: np.ndarray, angle: float) -> np.ndarray:
    """Coordinates of ``points`` in a frame turned by ``angle`` radians (text lines become horizontal)."""
    c, s = np.cos(angle), np.sin(angle)
    x, y = points[:, 0], points[:, 1]
    return np.stack([x * c + y * s, -x * s + y * c], axis=1)


def _projection_score(pts: np.ndarray, weight: np.ndarray, char_h: float, deg: float) -> float:
    """How sharply ``pts`` bunch across direction ``deg``: the sum of squared counts of their
    projections in bins a quarter character high."""
    y = rotate(pts, np.deg2rad(deg))[:, 1]
    hist = np.bincount(np.floor((y - y.min()) / (char_h / 4)).astype(int), weights=weight)
    return float((hist**2).sum())


def skew_angle(boxes: np.ndarray, char_h: float, max_deg: float = MAX_SKEW_DEG) -> float:
    """The text angle in radians (positive when lines run down to the right in the image).

    For each candidate angle the box centres are projected across the lines; the angle whose
    projection histogram is sharpest (largest sum of squared bin counts) lines them up best.
    A coarse search in 0.5° steps is refined in 0.1° steps.
    """
    if len(boxes) < 3 or char_h <= 0:
        return 0.0
    pts = centres(boxes)
    weight = heights(boxes).astype(float)

    def score(deg):
        return _projection_score(pts, weight, char_h, deg) - 1e-6 * abs(deg)  # ties go to the smaller angle

    coarse = max(np.arange(-max_deg, max_deg + 1e-9, 0.5), key=score)
    return float(np.deg2rad(max(coarse + np.arange(-0.4, 0.41, 0.1), key=score)))


def line_sharpness(boxes: np.ndarray, char_h: float, max_deg: float = MAX_SKEW_DEG) -> float:
    """How well the boxes form horizontal lines, in (0, 1]: 1 when all centres share one line.

    The best projection score over small angles (see :func:`skew_angle`), divided by its
    largest possible value; comparing it with the same for the boxes turned by 90° tells
    whether the text runs across the image or down it.
    """
    if len(boxes) == 0 or char_h <= 0:
        return 0.0
    pts, weight = centres(boxes), np.ones(len(boxes))
    best = max(_projection_score(pts, weight, char_h, deg) for deg in np.arange(-max_deg, max_deg + 1e-9, 1.0))
    return best / len(boxes) ** 2


def has_lines(boxes: np.ndarray, char_h: float) -> bool:
    """Whether the boxes form text lines across or down: their centres bunch into rows (or
    columns) clearly more than the same number of boxes spread evenly would."""
    if len(boxes) < 4 or char_h <= 0:
        return True
    for b in (boxes, boxes[:, [2, 3, 0, 1]]):
        span = np.ptp(centres(b)[:, 1]) / (char_h / 4) + 1  # quarter-character bins the centres cover
        if line_sharpness(b, char_h) * span >= LINE_EVIDENCE:
            return True
    return False


def group_lines(boxes: np.ndarray, char_h: float, angle: float) -> list[np.ndarray]:
    """Indices of the boxes on each text line, lines top to bottom, boxes left to right.

    Character-sized boxes are chained in order of ``x'``: each joins the line whose recent
    characters predict a ``y'`` closest to its own (within half a character height), so a
    sloping or curving line is followed. Fragments (short strokes) then join the line nearest
    to them; ones far from every line are dropped as noise. Only lines within reach in ``y'``
    are looked at (lines kept sorted by where they are), so the work grows with the number
    of boxes, not with boxes times lines.
    """
    if len(boxes) == 0:
        return []
    rc = rotate(centres(boxes), angle)
    big = heights(boxes) >= 0.5 * char_h
    lines: list[list[int]] = []
    ends: list[tuple[float, int]] = []  # (y' of the line's last character, line index), sorted
    for i in sorted(np.flatnonzero(big), key=lambda i: rc[i, 0]):
        x, y = rc[i]
        lo, hi = bisect.bisect_left(ends, (y - 2 * char_h, -1)), bisect.bisect_right(ends, (y + 2 * char_h, len(lines)))
        best, best_dist = -1, 0.5 * char_h
        for last_y, j in ends[lo:hi]:
            if abs(y - last_y) < 2 * char_h:
                dist = abs(y - _predict_y(rc[lines[j][-6:]], x, char_h))
                if dist < best_dist or (dist == best_dist and best < 0):
                    best, best_dist = j, dist
        if best >= 0 and best_dist < 0.5 * char_h:
            ends.remove((rc[lines[best][-1], 1], best))
            lines[best].append(i)
        else:
            best = len(lines)
            lines.append([i])
        bisect.insort(ends, (y, best))
    if lines:
        chars = np.flatnonzero(big)
        order = np.argsort(rc[chars, 1], kind="stable")
        ys, line_of = rc[chars[order], 1], np.empty(len(boxes), int)
        for j, line in enumerate(lines):
            line_of[line] = j
        line_of = line_of[chars[order]]
        for i in np.flatnonzero(~big):
            lo, hi = np.searchsorted(ys, [rc[i, 1] - 1.5 * char_h, rc[i, 1] + 1.5 * char_h])
            near = sorted(set(line_of[lo:hi].tolist()))
            if not near:
                continue
            dist = [abs(rc[i, 1] - _line_y_at(rc[lines[j]], rc[i, 0])) for j in near]
            k = int(np.argmin(dist))
            if dist[k] < 0.75 * char_h:
                lines[near[k]].append(i)
    order = sorted(lines, key=lambda line: np.mean(rc[line, 1]))
    return [np.array(sorted(line, key=lambda i: rc[i, 0]), int) for line in order]


def _predict_y(pts: np.ndarray, x: float, char_h: float) -> float:
    """``y'`` that a line's recent characters ``pts`` predict at ``x'``.

    Their mean, tilted by their fitted slope once they span a few characters, so a line
    that curves or keeps a small residual slope is followed; the slope is capped at 2°
    because the global angle has already taken out the bulk of it.
    """
    x_mean, y_mean = pts.mean(axis=0)
    dx = pts[:, 0] - x_mean
    if len(pts) < 4 or np.ptp(pts[:, 0]) < 3 * char_h:
        return float(y_mean)
    slope = np.clip((dx * (pts[:, 1] - y_mean)).sum() / (dx * dx).sum(), -0.035, 0.035)
    return float(y_mean + slope * (x - x_mean))


def _line_y_at(pts: np.ndarray, x: float) -> float:
    """``y'`` of a line at ``x'``: the mean of its two nearest characters."""
    near = np.argsort(np.abs(pts[:, 0] - x))[:2]
    return float(pts[near, 1].mean())


def merge_pieces(boxes: np.ndarray, line: np.ndarray, char_h: float) -> list[np.ndarray]:
    """Group the boxes of one line (left-to-right indices) into characters.

    Pieces whose horizontal extents overlap by at least half of the narrower one belong to
    one character (the bars and stem of an ``E`` drawn separately, the bar of a ``T``). A
    short fragment, or a thin stroke, also joins a neighbour it touches when the two
    together are no wider than a character (the stem of an ``R`` drawn apart from its bowl;
    a wide letter when the stroke (nearly) touches its neighbour: the last stroke of a ``W``),
    and two pieces that interleave join when together they are no wider than the line's
    typical letter (the halves of an ``N`` or ``W`` broken across).
    """
    full = line[heights(boxes[line]) >= 0.6 * char_h]
    letter_w = float(np.median(widths(boxes[full]))) if len(full) else char_h
    groups: list[list[int]] = []
    for i in line:
        if groups:
            g = boxes[groups[-1]]
            c0, c1 = g[:, 2].min(), g[:, 3].max()
            b = boxes[i]
            overlap = min(c1, b[3]) - max(c0, b[2])
            narrower = min(c1 - c0, b[3] - b[2])
            short = min(b[1] - b[0], g[:, 1].max() - g[:, 0].min()) < 0.6 * char_h
            together = max(c1, b[3]) - min(c0, b[2])
            fits = together < 0.9 * char_h or (overlap > -0.03 * char_h and together < 1.5 * letter_w)
            thin = narrower < 0.25 * char_h and fits
            interleaved = overlap > 0.1 * narrower and together <= letter_w
            if overlap >= 0.5 * narrower or interleaved or ((short or thin) and overlap > -0.1 * char_h):
                groups[-1].append(i)
                continue
        groups.append([i])
    return [np.array(g, int) for g in groups]


def union(boxes: np.ndarray) -> np.ndarray:
    """The bounding box of several boxes."""
    return np.array([boxes[:, 0].min(), boxes[:, 1].max(), boxes[:, 2].min(), boxes[:, 3].max()], int)


def word_breaks(char_boxes: np.ndarray, angle: float, char_h: float, page_gap: float | None = None) -> np.ndarray:
    """Boolean per gap (len - 1): True where a space separates characters ``k`` and ``k + 1``.

    A gap is a space when it is wider than both 0.6 of the line's character height and 1.6
    times the line's typical letter gap, so widely spaced lettering keeps its words together
    while tight lettering still breaks at real spaces. The typical gap is the median of the
    line's gaps; a line with under five gaps (``5 6 7 89``: mostly spaces) has no reliable
    median of its own and uses ``page_gap``, the page's median gap, instead, or, on a page
    with few gaps (``page_gap=None``), 0.35 of a character height, a common letter gap.
    """
    gaps = along_line_gaps(char_boxes, angle)
    if len(gaps) == 0:
        return np.zeros(0, bool)
    line_h = float(np.median(heights(char_boxes))) or char_h
    if len(gaps) >= 5:
        typical = float(np.median(gaps))
    else:
        typical = page_gap if page_gap is not None else 0.35 * line_h
    return gaps > max(0.6 * line_h, 1.6 * typical)


def along_line_gaps(char_boxes: np.ndarray, angle: float) -> np.ndarray:
    """Gaps between consecutive boxes of a line, measured along the text direction.

    A narrow character (``1``, ``I``) counts as half way to the line's median width, centred
    where it is: writers space characters partly by their centres, so a ``1`` leaves wider
    gaps that are not spaces (all the way would close real spaces beside it).
    """
    if len(char_boxes) < 2:
        return np.zeros(0)
    c, s = np.cos(angle), np.sin(angle)
    mid = (char_boxes[:, 0] + char_boxes[:, 1]) / 2
    x0, x1 = char_boxes[:, 2] * c + mid * s, char_boxes[:, 3] * c + mid * s
    pad = np.maximum(0.0, float(np.median(x1 - x0)) - (x1 - x0)) / 4
    return (x0 - pad)[1:] - (x1 + pad)[:-1]

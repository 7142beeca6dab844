"""The few image operations the page pipeline needs, in plain NumPy.

SciPy's ``ndimage`` would do all of them, but importing it takes longer (≈0.5 s) than
reading a whole page, and ``ocr extract`` is a command people run once per photo.
Connected components are found on horizontal runs of ink: runs in neighbouring rows that
touch (8-connectivity) are joined with a vectorised union-find.
"""
from __future__ import annotations

import numpy as np


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Horizontal runs of True: ``(row, start, stop)`` arrays in raster order."""
    h, w = mask.shape
    padded = np.zeros((h, w + 2), np.int8)
    padded[:, 1:-1] = mask
    d = np.diff(padded, axis=1)
    rows, starts = np.nonzero(d == 1)
    _, stops = np.nonzero(d == -1)
    return rows, starts, stops


def label(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """8-connected components: ``(labels, boxes, areas)``.

    ``labels`` is int32 with 0 for background and 1..n in raster order of each component's
    first pixel (as ``scipy.ndimage.label``); ``boxes[i]`` is ``(r0, r1, c0, c1)`` of label
    ``i + 1`` and ``areas[i]`` its pixel count.
    """
    mask = np.asarray(mask, bool)
    h, w = mask.shape
    labels = np.zeros((h, w), np.int32)
    rows, starts, stops = runs(mask)
    if len(rows) == 0:
        return labels, np.zeros((0, 4), int), np.zeros(0, int)
    # runs i (row r) and j (row r + 1) touch when start_j <= stop_i and start_i <= stop_j
    stride = w + 2
    start_key, stop_key = rows * stride + starts, rows * stride + stops
    lo = np.searchsorted(stop_key, (rows + 1) * stride + starts)  # first run below ending at/after start_i
    hi = np.searchsorted(start_key, (rows + 1) * stride + stops, side="right")  # past last starting by stop_i
    count = np.maximum(hi - lo, 0)
    a = np.repeat(np.arange(len(rows)), count)
    b = np.repeat(lo, count) + np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    root = np.arange(len(rows))
    while True:  # min-label propagation over the edges with pointer jumping
        m = np.minimum(root[a], root[b])
        new = root.copy()
        np.minimum.at(new, a, m)
        np.minimum.at(new, b, m)
        new = new[new]
        if np.array_equal(new, root):
            break
        root = new
    _, comp = np.unique(root, return_inverse=True)  # 0..n-1, in order of each component's first run
    lengths = stops - starts
    first = np.repeat(rows * w + starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    labels.ravel()[first] = np.repeat(comp + 1, lengths)
    n = comp.max() + 1
    boxes = np.empty((n, 4), int)
    boxes[:, 0], boxes[:, 2] = h, w
    boxes[:, 1] = boxes[:, 3] = 0
    np.minimum.at(boxes[:, 0], comp, rows)
    np.maximum.at(boxes[:, 1], comp, rows + 1)
    np.minimum.at(boxes[:, 2], comp, starts)
    np.maximum.at(boxes[:, 3], comp, stops)
    return labels, boxes, np.bincount(comp, weights=lengths, minlength=n).astype(int)


def _running(a: np.ndarray, size: int, combine, axes=(0, 1)) -> np.ndarray:
    """Separable ``size``×``size`` max or min (``combine`` = np.maximum / np.minimum) along
    ``axes``, edges repeated beyond the border. Windows grow by doubling, so a pass costs
    about log2(size) whole-array operations instead of ``size``."""
    half = size // 2
    for axis in axes:
        pad = [(0, 0), (0, 0)]
        pad[axis] = (half, size - 1 - half)
        acc, width = np.pad(a, pad, mode="edge"), 1  # acc[i] covers the padded a[i : i + width]

        def part(x, start, length):
            index = [slice(None), slice(None)]
            index[axis] = slice(start, start + length)
            return x[tuple(index)]

        while width * 2 <= size:
            m = acc.shape[axis] - width
            acc = combine(part(acc, 0, m), part(acc, width, m))
            width *= 2
        n = a.shape[axis]
        if width < size:  # cover the rest with an overlapping window
            acc = combine(part(acc, 0, n), part(acc, size - width, n))
        a = part(acc, 0, n)
    return a


def max_filter(a: np.ndarray, size: int, axes: tuple[int, ...] = (0, 1)) -> np.ndarray:
    """Grey dilation of ``a`` by a ``size``-wide square (a segment with one axis): same shape out."""
    return _running(a, size, np.maximum, axes)


def min_filter(a: np.ndarray, size: int, axes: tuple[int, ...] = (0, 1)) -> np.ndarray:
    """Grey erosion of ``a`` by a ``size``-wide square (a segment with one axis): same shape out."""
    return _running(a, size, np.minimum, axes)


def mean_filter(a: np.ndarray, size: int) -> np.ndarray:
    """``size``×``size`` box average (odd ``size``), edges repeated beyond the border."""
    half = size // 2
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (half + 1, half)
        c = np.cumsum(np.pad(a, pad, mode="edge"), axis=axis, dtype=np.float64)
        n = a.shape[axis]
        hi, lo = [slice(None)] * 2, [slice(None)] * 2
        hi[axis], lo[axis] = slice(size, size + n), slice(0, n)
        a = ((c[tuple(hi)] - c[tuple(lo)]) / size).astype(np.float32)
    return a


def _shifts3(mask: np.ndarray, pad_value: bool, combine) -> np.ndarray:
    """Combine each pixel's 3×3 neighbourhood with ``combine`` (fast on small crops: no np.pad)."""
    h, w = mask.shape
    p = np.full((h + 2, w + 2), pad_value, bool)
    p[1:-1, 1:-1] = mask
    out = p[1:-1, 1:-1].copy()
    for dy in range(3):
        for dx in range(3):
            combine(out, p[dy:dy + h, dx:dx + w], out=out)
    return out


def erode(mask: np.ndarray) -> np.ndarray:
    """Binary erosion by a 3×3 square; pixels outside the image count as background."""
    return _shifts3(np.asarray(mask, bool), False, np.logical_and)


def dilate(mask: np.ndarray) -> np.ndarray:
    """Binary dilation by a 3×3 square."""
    return _shifts3(np.asarray(mask, bool), False, np.logical_or)


def open2(mask: np.ndarray) -> np.ndarray:
    """Binary opening by a 2×2 square: keep the pixels that lie in some all-ink 2×2 block."""
    m = np.pad(np.asarray(mask, bool), 1)
    core = m[:-1, :-1] & m[1:, :-1] & m[:-1, 1:] & m[1:, 1:]  # block with top-left at (r-1, c-1)
    return (core[:-1, :-1] | core[1:, :-1] | core[:-1, 1:] | core[1:, 1:])


def disk_max(a: np.ndarray, radius: int) -> np.ndarray:
    """Grey dilation with a disk of ``radius`` pixels (thickens strokes evenly)."""
    out = a.copy()
    h, w = a.shape
    padded = np.zeros((h + 2 * radius, w + 2 * radius), a.dtype)
    padded[radius:radius + h, radius:radius + w] = a
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            if dy * dy + dx * dx <= radius * radius + 0.5:
                np.maximum(out, padded[radius + dy:radius + dy + h, radius + dx:radius + dx + w], out=out)
    return out

"""Plane geometry the page pipeline shares: homographies, warps and point mapping.

Points are ``(x, y)`` in pixels. A homography ``H`` (3×3) maps a point ``p`` to
``H @ [x, y, 1]`` divided by its last coordinate; a chain of steps (scaling, cropping,
rectifying a sheet seen at an angle, quarter turns) is one product of matrices, so a box
found on the working image maps back to the photo in one call.
"""
from __future__ import annotations

import numpy as np
from PIL import Image


def homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 3×3 homography that maps the four points ``src`` (4, 2) onto ``dst`` (4, 2)."""
    src, dst = np.asarray(src, float), np.asarray(dst, float)
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        rhs += [u, v]
    h = np.linalg.solve(np.array(rows), np.array(rhs))
    return np.append(h, 1.0).reshape(3, 3)


def scaling(sx: float, sy: float | None = None) -> np.ndarray:
    """Scale x by ``sx`` and y by ``sy`` (default ``sx``)."""
    return np.diag([sx, sx if sy is None else sy, 1.0])


def translation(dx: float, dy: float) -> np.ndarray:
    """The (3, 3) homography that moves every point by ``(dx, dy)``."""
    return np.array([[1.0, 0, dx], [0, 1.0, dy], [0, 0, 1.0]])


def quarter_turn(k: int, shape: tuple[int, ...]) -> np.ndarray:
    """Where ``np.rot90(image, k)`` moves each pixel (``shape`` = the image's (rows, cols)).

    The pixel grid is treated as continuous: pixel edges at integers, so a box's edges
    map onto the turned box's edges.
    """
    h, w = shape[:2]
    k %= 4
    if k == 0:
        return np.eye(3)
    if k == 1:  # counter-clockwise: (x, y) -> (y, w - x)
        return np.array([[0, 1.0, 0], [-1.0, 0, w], [0, 0, 1.0]])
    if k == 2:
        return np.array([[-1.0, 0, w], [0, -1.0, h], [0, 0, 1.0]])
    return np.array([[0, -1.0, h], [1.0, 0, 0], [0, 0, 1.0]])  # clockwise: (x, y) -> (h - y, x)


def apply(H: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map ``points`` (N, 2) through the homography ``H``."""
    p = np.asarray(points, float).reshape(-1, 2)
    q = np.c_[p, np.ones(len(p))] @ H.T
    return q[:, :2] / q[:, 2:3]


def map_box(H: np.ndarray, box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    """The axis-aligned ``(x0, y0, x1, y1)`` box around the image of ``box`` under ``H``."""
    x0, y0, x1, y1 = box
    corners = apply(H, np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]))
    lo, hi = np.floor(corners.min(axis=0)), np.ceil(corners.max(axis=0))
    return int(lo[0]), int(lo[1]), int(hi[0]), int(hi[1])


def warp(image: np.ndarray, H: np.ndarray, shape: tuple[int, int], fill: float = 1.0) -> np.ndarray:
    """Resample ``image`` (2-D float) onto an output of ``shape`` (rows, cols), where output
    point ``q`` takes the input value at ``H⁻¹ q`` (bilinear; ``fill`` outside the input)."""
    inv = np.linalg.inv(H)
    inv = inv / inv[2, 2]
    out = Image.fromarray(np.ascontiguousarray(image, np.float32), mode="F").transform(
        (int(shape[1]), int(shape[0])), Image.Transform.PERSPECTIVE, tuple(inv.ravel()[:8]),
        Image.Resampling.BILINEAR, fillcolor=fill)
    return np.asarray(out)

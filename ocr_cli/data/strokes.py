"""Pen-stroke skeletons of every class: the shapes people actually write, plus Hershey Simplex.

A *skeleton* is a list of strokes; a stroke is an ``(k, 2)`` array of ``(x, y)`` points with
``y`` pointing **down** and the glyph about one unit tall. :func:`skeletons` hands them out
packed for the renderer. Each character has several
variants because handwriting does (open and closed 4, crossed 7 and Z, 1 with or without a
flag, I with or without bars, arched ``m``-like M ...). The variants were chosen by looking
at real NIST block capitals; script and serif shapes are deliberately absent.

Curves are written with :func:`arc` (angles in degrees, screen convention: 0 = right,
-90 = top, 90 = bottom), straight strokes as point lists.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ocr_cli.charset import CLASSES


def arc(cx, cy, rx, ry, a0, a1, n=None):
    """Points on an ellipse from angle ``a0`` to ``a1`` (degrees, y down, may wrap)."""
    n = n or max(4, int(abs(a1 - a0) / 15) + 1)
    a = np.radians(np.linspace(a0, a1, n))
    return np.stack([cx + rx * np.cos(a), cy + ry * np.sin(a)], axis=1)


def line(*pts):
    return np.asarray(pts, dtype=np.float64)


def chain(*parts):
    """Join point arrays into one stroke (the pen does not lift between them)."""
    return np.concatenate([np.asarray(p, dtype=np.float64) for p in parts], axis=0)


def figure_eight(n=40):
    """An 8 in one stroke: top, down through the middle, round the bottom loop, back up."""
    t = np.linspace(0, 2 * np.pi, n)
    y = 0.5 - 0.5 * np.cos(t)
    x = 0.36 + np.sin(2 * t) * np.where(y < 0.5, 0.27, 0.34)
    return np.stack([x, y], axis=1)


def _own():
    """Hand-made skeletons, several variants per class."""
    L = line
    g = {}
    g["A"] = [
        [L((0, 1), (0.4, 0), (0.8, 1)), L((0.17, 0.62), (0.63, 0.62))],
        [L((0, 1), (0.38, 0), (0.76, 1)), L((0.1, 0.74), (0.68, 0.7))],
        [L((0.05, 1), (0.3, 0), (0.55, 0), (0.8, 1)), L((0.15, 0.6), (0.68, 0.6))],
        [L((0.1, 1), (0.42, 0), (0.7, 1)), L((0, 0.6), (0.8, 0.58))],  # crossbar past both legs
    ]
    g["B"] = [
        [L((0, 0), (0, 1)), chain([(0, 0)], arc(0.38, 0.24, 0.3, 0.24, -90, 90), [(0, 0.48)]),
         chain([(0, 0.48)], arc(0.4, 0.74, 0.35, 0.26, -90, 90), [(0, 1)])],
        [chain([(0, 1), (0, 0)], arc(0.3, 0.24, 0.35, 0.24, -90, 90),
               arc(0.33, 0.74, 0.38, 0.26, -90, 90), [(0, 1)])],
        [L((0, 0), (0.02, 1)), chain([(0, 0.02)], arc(0.22, 0.22, 0.28, 0.2, -90, 90), [(0.05, 0.42)],
                                     arc(0.25, 0.7, 0.4, 0.3, -90, 100), [(0.02, 1)])],  # small top bowl
        [L((0.08, 0), (0.08, 1)), chain([(0.0, 0.03)], arc(0.35, 0.25, 0.3, 0.23, -90, 90), [(-0.05, 0.5)],
                                        arc(0.38, 0.74, 0.35, 0.25, -90, 90), [(0.0, 0.98)])],  # bowls past the stem
    ]
    g["C"] = [[arc(0.45, 0.5, 0.45, 0.5, -40, -320)], [arc(0.42, 0.5, 0.42, 0.5, -60, -300)],
              [arc(0.32, 0.5, 0.32, 0.5, -20, -330)],  # narrow, nearly closed
              [chain([(0.7, 0.28)], arc(0.4, 0.5, 0.4, 0.5, -35, -320))]]  # hooked start
    g["D"] = [
        [L((0, 0), (0, 1)), chain([(0, 0)], arc(0.25, 0.5, 0.5, 0.5, -90, 90), [(0, 1)])],
        [chain([(0.05, 0), (0, 1)], arc(0.12, 0.5, 0.6, 0.5, 90, -90), [(0.05, 0)])],
    ]
    g["E"] = [
        [L((0.65, 0), (0, 0), (0, 1), (0.7, 1)), L((0, 0.5), (0.5, 0.5))],
        [L((0, 0), (0, 1)), L((0, 0), (0.65, 0)), L((0, 0.48), (0.5, 0.48)), L((0, 1), (0.68, 1))],
        [chain(arc(0.4, 0.25, 0.35, 0.25, -30, -270), arc(0.42, 0.74, 0.4, 0.26, -90, -330)[1:])],  # ε-like
    ]
    g["F"] = [
        [L((0.65, 0), (0, 0), (0, 1)), L((0, 0.48), (0.5, 0.48))],
        [L((0, 0), (0, 1)), L((0, 0), (0.65, 0)), L((0, 0.5), (0.45, 0.5))],
        [chain(arc(0.45, 0.2, 0.25, 0.2, -20, -180), [(0.2, 1)]), L((0, 0.42), (0.5, 0.42))],  # f-like
        [chain(arc(0.5, 0.25, 0.3, 0.25, 0, -180), [(0.2, 0.9)], arc(0.05, 0.9, 0.15, 0.1, 0, 150)[1:]),
         L((0, 0.5), (0.55, 0.5))],  # f-like with a hooked foot
    ]
    g["G"] = [
        [chain(arc(0.45, 0.5, 0.45, 0.5, -45, -360), [(0.9, 0.62), (0.55, 0.6)])],
        [arc(0.45, 0.5, 0.45, 0.5, -45, -340), L((0.55, 0.55), (0.92, 0.55), (0.9, 1.0))],
        [chain(arc(0.45, 0.5, 0.45, 0.5, -45, -360), [(0.9, 0.55), (0.9, 1.0)])],
    ]
    g["H"] = [[L((0, 0), (0, 1)), L((0.7, 0), (0.7, 1)), L((0, 0.5), (0.7, 0.5))]]
    g["I"] = [[L((0, 0), (0, 1))],  # the barred form twice: most writers use it
              [L((0.3, 0), (0.3, 1)), L((0, 0), (0.6, 0)), L((0, 1), (0.6, 1))],
              [L((0, 0), (0.65, 0)), L((0.33, 0), (0.3, 1)), L((0, 1), (0.65, 1))],
              [L((0.05, 0), (0.55, 0)), L((0.3, 0), (0.3, 1)), L((0, 1), (0.6, 1))]]
    g["J"] = [
        [chain([(0.6, 0)], arc(0.33, 0.72, 0.27, 0.28, 0, 170))],
        [chain([(0.6, 0)], arc(0.33, 0.72, 0.27, 0.28, 0, 170)), L((0.25, 0), (0.9, 0))],
    ]
    g["K"] = [
        [L((0, 0), (0, 1)), L((0.65, 0), (0, 0.55)), L((0.18, 0.42), (0.7, 1))],
        [L((0, 0), (0, 1)), L((0.65, 0), (0.02, 0.5), (0.7, 1))],
    ]
    g["L"] = [[L((0, 0), (0, 1), (0.6, 1))]]
    g["M"] = [
        [L((0, 1), (0, 0), (0.4, 0.7), (0.8, 0), (0.8, 1))],
        [L((0, 1), (0.1, 0), (0.4, 1), (0.7, 0), (0.8, 1))],
        [L((0, 1), (0, 0), (0.4, 1), (0.8, 0), (0.8, 1))],
        [chain([(0, 1), (0, 0.2)], arc(0.2, 0.3, 0.2, 0.3, -180, 0), [(0.4, 1)], [(0.4, 0.3)],
               arc(0.6, 0.3, 0.2, 0.3, -180, 0), [(0.8, 1)])],
        [chain([(0, 1), (0, 0.1)], arc(0.3, 0.4, 0.3, 0.3, -180, 0), [(0.6, 1)], [(0.6, 0.4)],
               arc(0.9, 0.4, 0.3, 0.3, -180, 0), [(1.2, 1)])],  # a wide lower-case m
    ]
    g["N"] = [
        [L((0, 1), (0, 0), (0.7, 1), (0.7, 0))],
        [L((0, 1), (0.05, 0), (0.65, 1), (0.75, 0))],
    ]
    g["O"] = [[arc(0.45, 0.5, 0.45, 0.5, -100, 270)], [arc(0.5, 0.5, 0.5, 0.5, -80, -440)],
              [arc(0.42, 0.5, 0.42, 0.5, -90, -470)],  # closing past the start
              [arc(0.36, 0.5, 0.36, 0.5, -120, 260)]]  # as narrow as many a written O
    g["P"] = [
        [L((0, 0), (0, 1)), chain([(0, 0)], arc(0.3, 0.27, 0.35, 0.27, -90, 90), [(0, 0.55)])],
        [chain([(0, 1), (0, 0)], arc(0.3, 0.27, 0.35, 0.27, -90, 90), [(0, 0.55)])],
    ]
    g["Q"] = [
        [arc(0.45, 0.47, 0.45, 0.47, -100, 270), L((0.55, 0.7), (0.95, 1.05))],
        [arc(0.45, 0.47, 0.45, 0.47, -100, 270), L((0.45, 0.8), (0.75, 1.02), (0.95, 0.95))],
    ]
    g["R"] = [
        [L((0, 0), (0, 1)), chain([(0, 0)], arc(0.3, 0.26, 0.35, 0.26, -90, 90), [(0, 0.52)], [(0.65, 1)])],
        [chain([(0, 1), (0, 0)], arc(0.3, 0.26, 0.35, 0.26, -90, 90), [(0.05, 0.52)]), L((0.25, 0.52), (0.7, 1))],
    ]
    g["S"] = [
        [chain(arc(0.4, 0.26, 0.38, 0.25, -20, -270), arc(0.4, 0.75, 0.4, 0.25, -90, 160))],
        [chain(arc(0.42, 0.25, 0.35, 0.25, -30, -250), [(0.7, 0.65)], arc(0.42, 0.78, 0.33, 0.22, 0, 170))],
    ]
    g["T"] = [[L((0, 0), (0.8, 0)), L((0.4, 0), (0.4, 1))]]
    g["U"] = [
        [chain([(0, 0)], arc(0.35, 0.65, 0.35, 0.35, 180, 0), [(0.7, 0)])],
        [chain([(0, 0)], arc(0.35, 0.65, 0.35, 0.35, 180, 0), [(0.7, 0)], [(0.72, 1)])],
    ]
    g["V"] = [[L((0, 0), (0.4, 1), (0.8, 0))], [L((0, 0), (0.35, 1), (0.45, 1), (0.8, 0))],
              [chain([(0, 0)], arc(0.4, 0.8, 0.12, 0.2, 170, 10), [(0.8, 0)])]]
    g["W"] = [
        [L((0, 0), (0.25, 1), (0.5, 0.2), (0.75, 1), (1.0, 0))],
        [L((0, 0), (0.2, 1), (0.5, 0.45), (0.8, 1), (1.0, 0))],
        [L((0, 0), (0.15, 1), (0.5, 0.5), (0.85, 1), (1.0, 0))],
        [chain([(0, 0)], arc(0.25, 0.7, 0.25, 0.3, 180, 0), [(0.5, 0.35)], arc(0.75, 0.7, 0.25, 0.3, 180, 0), [(1.0, 0)])],
        [chain([(0, 0.1)], arc(0.27, 0.6, 0.27, 0.4, 180, 0)[1:], arc(0.77, 0.6, 0.23, 0.4, 180, 0)[1:], [(1.0, 0)])],
    ]
    g["X"] = [[L((0, 0), (0.75, 1)), L((0.75, 0), (0, 1))]]
    g["Y"] = [
        [L((0, 0), (0.4, 0.5)), L((0.8, 0), (0.4, 0.5), (0.4, 1))],
        [L((0, 0), (0.4, 0.5)), L((0.8, 0), (0.1, 1))],
        [chain([(0, 0)], arc(0.35, 0.3, 0.35, 0.25, 180, 0), [(0.7, 0)], [(0.65, 1)])],  # u with a tail
    ]
    g["Z"] = [
        [L((0, 0), (0.75, 0), (0, 1), (0.8, 1))],
        [L((0, 0), (0.75, 0), (0, 1), (0.8, 1)), L((0.15, 0.5), (0.6, 0.5))],
        [chain([(0, 0.02), (0.55, 0)], arc(0.55, 0.13, 0.17, 0.13, -90, 20)[1:], [(0, 1), (0.8, 1)])],  # round corner
    ]
    g["0"] = [[arc(0.33, 0.5, 0.33, 0.5, -95, 270)], [arc(0.3, 0.5, 0.3, 0.5, -80, -440)]]
    g["1"] = [
        [L((0.3, 0), (0.3, 1))],
        [L((0, 0.25), (0.3, 0), (0.3, 1))],
        [L((0, 0.25), (0.3, 0), (0.3, 1)), L((0.12, 1), (0.48, 1))],
    ]
    g["2"] = [
        [chain(arc(0.35, 0.28, 0.35, 0.28, -170, 20), [(0, 1), (0.75, 1)])],
        [chain(arc(0.35, 0.3, 0.35, 0.3, -160, 0), arc(0, 0.3, 0.7, 0.7, 0, 90)[1:], [(0.75, 1)])],
    ]
    g["3"] = [
        [chain(arc(0.33, 0.24, 0.33, 0.24, -160, 90), arc(0.33, 0.73, 0.37, 0.27, -90, 160))],
        [chain([(0, 0), (0.65, 0), (0.25, 0.42)], arc(0.3, 0.7, 0.4, 0.3, -80, 160))],
    ]
    g["4"] = [
        [L((0.45, 0), (0.05, 0.65), (0.8, 0.65)), L((0.6, 0.3), (0.6, 1))],
        [L((0.6, 1), (0.6, 0), (0, 0.68), (0.8, 0.68))],
    ]
    g["5"] = [
        [L((0.7, 0), (0.1, 0)), chain([(0.1, 0), (0.05, 0.45)], arc(0.35, 0.7, 0.35, 0.3, -130, 150))],
        [chain([(0.7, 0), (0.1, 0), (0.05, 0.45)], arc(0.35, 0.7, 0.35, 0.3, -130, 150))],
    ]
    g["6"] = [
        [chain(arc(0.62, 0.6, 0.58, 0.6, -80, -180), arc(0.35, 0.72, 0.3, 0.28, 180, -180)[1:])],
        [chain([(0.55, 0)], arc(0.33, 0.72, 0.3, 0.28, -170, 190))],
    ]
    g["7"] = [
        [L((0, 0), (0.7, 0), (0.25, 1))],
        [L((0, 0), (0.7, 0), (0.25, 1)), L((0.22, 0.5), (0.68, 0.5))],
        [L((0, 0.15), (0, 0), (0.7, 0), (0.3, 1))],
    ]
    g["8"] = [
        [arc(0.35, 0.25, 0.27, 0.25, 90, 450), arc(0.35, 0.74, 0.35, 0.26, -90, 270)],
        [figure_eight()],
    ]
    g["9"] = [
        [chain(arc(0.35, 0.28, 0.35, 0.28, 10, 370), [(0.65, 1)])],
        [chain(arc(0.35, 0.28, 0.35, 0.28, 10, 370)), L((0.7, 0.3), (0.7, 1))],
        [chain(arc(0.35, 0.28, 0.35, 0.28, 10, 370), arc(0.2, 0.28, 0.5, 0.7, 0, 100)[1:])],
    ]
    return g


def _hershey():
    """Capitals and digits of the Hershey Simplex stroke font (a plain sans with one line per stroke)."""
    from HersheyFonts import HersheyFonts

    font = HersheyFonts()
    font.load_default_font("futural")
    return {c: [[np.asarray(s, dtype=np.float64) for s in font.strokes_for_text(c)]] for c in CLASSES}


def _unit(strokes):
    """Translate and scale a skeleton so its ink is exactly one unit tall, top-left at 0."""
    pts = np.concatenate(strokes)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    h = max(hi[1] - lo[1], 1e-6)
    return [(s - lo) / h for s in strokes]


def _packed(strokes):
    """``(points, ends, curve)``: strokes concatenated, each one's end index, and a per-point
    flag for strokes with more than 4 points (curves), ready for vectorised warping."""
    lens = np.array([len(s) for s in strokes])
    return np.concatenate(strokes), np.cumsum(lens), np.repeat(lens > 4, lens)[:, None]


@lru_cache(maxsize=1)
def skeletons() -> dict:
    """``{char: [(points, ends, curve), ...]}`` for all 36 classes; own shapes first, Hershey Simplex last."""
    own, hershey = _own(), _hershey()
    return {c: [_packed(_unit(v)) for v in own[c] + hershey[c]] for c in CLASSES}

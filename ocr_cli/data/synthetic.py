"""An offline synthetic handwriting engine: unlimited labeled block capitals and digits.

A glyph is made in four steps, each mimicking a source of variation in real handwriting:

1. pick a *skeleton* variant of the character (:mod:`ocr_cli.data.strokes`);
2. wobble it like a hand does: jitter the control points, bend the densified strokes with a
   smooth random displacement field, then slant, rotate and stretch the whole glyph;
3. draw the strokes with a round pen of random width (PIL, C speed) at page resolution;
4. for training samples, send the ink image through :func:`ocr_cli.glyph.normalize_glyph`,
   the same geometry the page pipeline applies to crops from photos.

A :class:`Style` holds the writer-level parameters (pen width, slant, aspect, preferred
variants, how shaky the hand is). :func:`generate` draws a fresh style for every sample;
page synthesis keeps one style per writer and passes it to :func:`render_glyph`.
Everything is driven by a ``numpy.random.Generator``, so a seed fixes the output.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ocr_cli.charset import CLASSES, SIZE
from ocr_cli.data.strokes import skeletons
from ocr_cli.errors import OcrError
from ocr_cli.glyph import normalize_glyph

RENDER_HEIGHT = 48  # px per glyph height when rendering training samples; box-downsampled to 26


@dataclass
class Style:
    """One writer's habits. Per-glyph variation is added around these values.

    pen : pen width as a fraction of the glyph height
    slant : horizontal shear (positive leans right)
    aspect : width multiplier
    shake : control-point jitter, in glyph heights
    variants : ``{char: skeleton index}`` the writer always uses; missing chars pick at random
    """

    pen: float = 0.11
    slant: float = 0.1
    aspect: float = 1.0
    shake: float = 0.03
    variants: dict = field(default_factory=dict)


def sample_style(rng: np.random.Generator, fix_variants: bool = False) -> Style:
    """Draw a random writer. With ``fix_variants`` the writer keeps one shape per character."""
    variants = {}
    if fix_variants:
        variants = {c: int(rng.integers(len(v))) for c, v in skeletons().items()}
    return Style(
        pen=float(np.exp(rng.uniform(np.log(0.09), np.log(0.25)))),
        # a third of the writers stand upright, the rest lean right (as most NIST writers do)
        slant=float(rng.normal(0.05, 0.1) if rng.random() < 0.35 else rng.normal(0.3, 0.15)),
        aspect=float(np.exp(rng.normal(0.1, 0.15))),
        shake=float(rng.uniform(0.015, 0.06)),
        variants=variants,
    )


def _densify(pts: np.ndarray, ends: np.ndarray, step: float):
    """Resample polylines so consecutive points are at most ``step`` apart (so bends stay smooth).

    ``pts`` holds all strokes one after another; ``ends[i]`` is the index one past stroke ``i``.
    Returns the new points and ends.
    """
    seg = np.diff(pts, axis=0, append=pts[-1:])
    last = np.zeros(len(pts), bool)
    last[ends - 1] = True  # a stroke's last point starts no segment: it is emitted once
    counts = np.where(last, 1, np.maximum(1, np.ceil(np.hypot(seg[:, 0], seg[:, 1]) / step))).astype(int)
    first = np.cumsum(counts) - counts
    t = (np.arange(counts.sum()) - np.repeat(first, counts)) / np.repeat(counts, counts)
    src = np.repeat(np.arange(len(pts)), counts)
    return pts[src] + seg[src] * t[:, None], np.cumsum(counts)[ends - 1]


def _warp(skeleton, rng, style: Style):
    """Apply the hand's wobble and the writer's geometry to a unit-height skeleton.

    ``skeleton`` is ``(points, ends, curve)`` from :func:`~ocr_cli.data.strokes.skeletons`.
    Returns all points (strokes concatenated) and each stroke's end index.
    """
    pts, ends, curve = skeleton
    starts = np.concatenate([[0], ends[:-1]])
    noise = rng.normal(0.0, style.shake, pts.shape)
    # curves: smooth the noise along the stroke (a 5-point moving sum) so arcs wobble, not zigzag
    c = np.cumsum(np.concatenate([noise[:1], noise[:1], noise[:1], noise, noise[-1:], noise[-1:]]), axis=0)
    pts = pts + np.where(curve, 0.5 * (c[5:] - c[:-5]), noise)
    # over- and undershoot at the stroke ends (always for straight lines, sometimes for curves)
    straight = ends - starts == 2
    ov = rng.normal(0.0, 0.08, (2, len(ends), 1)) * (straight | (rng.random(len(ends)) < 0.3))[:, None]
    pts[starts] += (pts[starts] - pts[starts + 1]) * ov[0]
    pts[ends - 1] += (pts[ends - 1] - pts[ends - 2]) * ov[1]
    pts, ends = _densify(pts, ends, 0.05)
    # smooth elastic bend: a sum of two random plane waves per axis, about one cycle per glyph
    k = rng.normal(0.0, 5.0, (2, 2, 2))
    phase = rng.uniform(0, 2 * np.pi, (2, 2))
    amp = rng.uniform(0.0, 0.045, (2, 2))
    pts = pts + (amp * np.sin(np.einsum("nd,awd->naw", pts, k) + phase)).sum(axis=2)
    # writer geometry plus a little per-glyph variation: stretch, slant (shear, y points down),
    # rotate, as one matrix; where the glyph sits does not matter, the renderer crops to it
    z = rng.normal(0.0, 1.0, 3)
    slant, aspect, theta = style.slant + 0.05 * z[0], style.aspect * np.exp(0.08 * z[1]), np.radians(3.0 * z[2])
    cos, sin = np.cos(theta), np.sin(theta)
    m = np.array([[cos, -sin], [sin, cos]]) @ np.array([[aspect, -slant], [0.0, 1.0]])
    return pts @ m.T, ends


def _round_mask(pts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Points that get a round dab: stroke ends and vertices where a stroke turns by more than ~15°."""
    d = np.diff(pts, axis=0)
    ang = np.arctan2(d[:, 1], d[:, 0])
    turn = np.abs((np.diff(ang) + np.pi) % (2 * np.pi) - np.pi)
    mask = np.concatenate([[True], turn > 0.25, [True]])
    mask[ends[:-1]] = mask[ends - 1] = True
    return mask


def _draw(pts: np.ndarray, ends: np.ndarray, height: float, pen: float, rng) -> np.ndarray:
    """Rasterise strokes with a round pen; returns float32 ink in [0, 1] with a pen-wide margin.

    PIL draws each polyline in C; round caps and joints are dabs at the points of
    :func:`_round_mask` (PIL's own ``joint="curve"`` is much slower, in Python per vertex).
    """
    width = max(1, int(round(pen * height)))
    lo = pts.min(axis=0)
    margin = width / 2 + 2
    shape = np.ceil((pts.max(axis=0) - lo) * height + 2 * margin).astype(int) + 1
    img = Image.new("L", (int(shape[0]), int(shape[1])), 0)
    draw = ImageDraw.Draw(img)
    xy = (pts - lo) * height + margin
    dab = _round_mask(pts, ends)
    breaks = list(ends)
    if rng.random() < 0.1:  # pen lifted for a moment: a broken stroke
        i = int(rng.integers(len(ends)))
        a, b = (ends[i - 1] if i else 0), ends[i]
        if b - a > 8:
            cut = int(rng.integers(a + 3, b - 4))
            breaks.append(cut)
            dab[cut - 1] = dab[cut + 1] = True
            xy[cut] = xy[cut + 1]  # drop the piece between cut - 1 and cut + 1
    start = 0
    for end in sorted(breaks):
        if end - start > 1:
            draw.line(xy[start:end].ravel().tolist(), fill=255, width=width)
        start = end
    r = width / 2
    for x, y in xy[dab]:
        draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    if rng.random() < 0.2:  # soft pen or out-of-focus scan; the stroke core stays full ink
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0) * height / 26))
    ink = np.asarray(img, dtype=np.float32)
    return ink / max(float(ink.max()), 1.0)


def render_glyph(char: str, rng: np.random.Generator, height: int = 64, style: Style | None = None) -> np.ndarray:
    """Draw one handwritten character at page resolution (not normalized).

    Parameters
    ----------
    char : one of :data:`~ocr_cli.charset.CLASSES`
    rng : numpy Generator (the only source of randomness)
    height : glyph height in pixels before slant/rotation; pen width scales with it
    style : a fixed :class:`Style` (one writer); ``None`` draws a random writer for this glyph

    Returns
    -------
    ndarray (H, W) float32 ink image (ink = 1) with a small margin around the ink.
    """
    if char not in CLASSES:
        raise OcrError(f"cannot synthesise {char!r}: not one of {CLASSES}")
    style = style or sample_style(rng)
    variants = skeletons()[char]
    v = style.variants.get(char)
    skeleton = variants[v % len(variants)] if v is not None else variants[int(rng.integers(len(variants)))]
    pen = style.pen * np.exp(rng.normal(0.0, 0.1))
    pts, ends = _warp(skeleton, rng, style)
    return _draw(pts, ends, height, pen, rng)


CHUNK = 1000  # samples per independently seeded chunk: the unit of parallel work


def _render_chunk(labels: np.ndarray, seed_seq) -> np.ndarray:
    rng = np.random.default_rng(seed_seq)
    X = np.empty((len(labels), SIZE, SIZE), np.float32)
    for i, label in enumerate(labels):
        X[i] = normalize_glyph(render_glyph(CLASSES[label], rng, RENDER_HEIGHT))
    return X


def generate(n: int, seed=0, classes: str = CLASSES, workers: int = 1):
    """Generate ``n`` canonical samples balanced over ``classes``, deterministic for ``seed``.

    Parameters
    ----------
    seed : int or sequence of ints (e.g. ``[seed, split]`` for independent streams)
    workers : processes to render with; the samples are the same for any number, because
        each chunk of :data:`CHUNK` samples has its own seed

    Returns ``(X, y)``: ``X`` (n, 32, 32) float32 ink = 1; ``y`` int64 indices into
    :data:`CLASSES` (also when ``classes`` is a subset, so sources always combine).
    """
    bad = [c for c in classes if c not in CLASSES]
    if bad or not classes:
        raise OcrError(f"cannot synthesise {''.join(bad)!r}: not in {CLASSES}")
    seq = np.random.SeedSequence(seed)
    y = np.resize(np.array([CLASSES.index(c) for c in classes], np.int64), n)
    np.random.default_rng(seq).shuffle(y)
    chunks = [y[i:i + CHUNK] for i in range(0, n, CHUNK)]
    seeds = seq.spawn(len(chunks))
    if workers > 1 and len(chunks) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(min(workers, len(chunks))) as pool:
            parts = list(pool.map(_render_chunk, chunks, seeds))
    else:
        parts = [_render_chunk(c, s) for c, s in zip(chunks, seeds)]
    X = np.concatenate(parts) if parts else np.empty((0, SIZE, SIZE), np.float32)
    return X, y


def load_synthetic(split, path, data_dir, n, seed):
    """The ``synthetic`` data source: ``n`` fresh samples (default ``SYNTHETIC_DEFAULT_N``),
    from a different stream per split so train and valid never share samples."""
    from ocr_cli.data import SPLITS, SYNTHETIC_DEFAULT_N

    return generate(SYNTHETIC_DEFAULT_N if n is None else n, seed=[seed, SPLITS.index(split)])

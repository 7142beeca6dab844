"""Remove printed rules, grids and margin lines from an ink mask, keeping the letters on them.

What tells a printed line from handwriting is its shape: it is straight (locally), thin,
and runs across a large part of the sheet, which no pen stroke of block capitals does.
Letters that sit on a rule or cross it touch it, so a rule would glue a whole line of
writing into one huge component: it has to go before components are labelled.

Lines are found on a *faint* mask (half the ink threshold), where a light blue rule is
whole even if only dashes of it reach the ink mask. For each direction (horizontal, then
vertical on the transposed masks) the mask is sheared at a few angles around the lines'
dominant one, so short straight pieces of lines that fan out under perspective or bend
with the paper are all caught; pixels on long runs of ink (one pixel of slack across,
small gaps bridged along) form candidate pieces, and pieces chained into something at
least ``MIN_SPAN`` of the sheet's longer side long, while staying thin, are printed lines
(measured on the longer side, so the strokes of a one-line crop do not qualify); so are
evenly spaced sets of lines running edge to edge across a short, wide sheet. Of a line's ink
pixels only those where the ink is about as thick as the line itself are removed: where a
letter's stroke crosses or sits on the line, the ink is thicker and the letter keeps it
(a stroke lying along a line keeps what is wider than the line), and a pen much darker
than the printed line, or of another colour (a blue pen on grey rules), keeps its strokes too.
"""
from __future__ import annotations

import numpy as np

from ocr_cli.page import morph

MIN_SPAN = 0.35  # a printed line is at least this share of the sheet's longer side, or ...
EDGE_TO_EDGE = 0.85  # ... runs across this share of the sheet, as one of ...
MIN_SET = 4  # ... at least this many such lines, evenly spaced
MAX_ANGLE = 6.0  # degrees: how far lines may tilt in the working image
ANGLE_OFFSETS = (-2.0, 0.0, 2.0)  # around the dominant angle: lines fanning out in perspective
RUN_SHARE = 0.06  # a piece of a line is a run of ink at least this share of the width ...
MIN_RUN = 12  # ... and at least this many pixels
GAP_SHARE = 0.01  # gaps along a line up to this share of the width are bridged
DARKER = 1.6  # ink this many times darker than a line's own is a pen stroke lying on it
MIN_COVERAGE = 0.5  # a line is in the ink mask when its ink spans this share of its length
COLOUR_APART = 0.04  # ink this far from a line's colour (opponent channels, 0-1) is a pen on it


def line_angle(mask: np.ndarray, max_deg: float = MAX_ANGLE, sample: int = 100_000) -> tuple[float, float]:
    """The angle in degrees (positive: lines run down to the right) along which ink rows are
    sharpest, and how many ink pixels the fullest three-pixel band along it holds.

    Each ink pixel is projected across candidate directions; long straight lines pile up in
    few bins there, so the sum of squared bin counts peaks at their angle. The fullest band
    bounds the longest line there can be: too few pixels, and no line needs looking for.
    """
    ys, xs = np.nonzero(mask)
    if len(ys) < 100:
        return 0.0, float(len(ys))
    step = max(1, len(ys) // sample)
    ys, xs = ys[::step].astype(float), xs[::step].astype(float)

    def counts(deg):
        y = ys - xs * np.tan(np.deg2rad(deg))
        return np.bincount((y - y.min()).astype(int)).astype(float)

    def sharpness(deg):
        return float((counts(deg) ** 2).sum()) - 1e-9 * abs(deg)  # ties go to the smaller angle

    coarse = max(np.arange(-max_deg, max_deg + 1e-9, 0.5), key=sharpness)
    best = float(max(coarse + np.arange(-0.4, 0.41, 0.1), key=sharpness))
    c = counts(best)
    band = c + np.r_[c[1:], 0] + np.r_[0, c[:-1]]
    return best, float(band.max()) * step


def shear_rows(a: np.ndarray, deg: float, back: bool = False) -> np.ndarray:
    """Shift each column of ``a`` vertically so lines at ``deg`` become horizontal (or back).

    Rows pushed past the top or bottom wrap around; callers pad the array first. The shift
    is constant over runs of columns, so each run is moved as one slab.
    """
    shift = np.round(np.arange(a.shape[1]) * np.tan(np.deg2rad(deg))).astype(int)
    if back:
        shift = -shift
    out = np.empty_like(a)
    edges = np.r_[0, np.flatnonzero(np.diff(shift)) + 1, a.shape[1]]
    for c0, c1 in zip(edges[:-1], edges[1:]):
        out[:, c0:c1] = np.roll(a[:, c0:c1], -shift[c0], axis=0)
    return out


def run_lengths(mask: np.ndarray) -> np.ndarray:
    """Each ink pixel's horizontal run length (0 on paper)."""
    rows, starts, stops = morph.runs(mask)
    out = np.zeros(mask.shape, np.int32)
    lengths = stops - starts
    first = np.repeat(rows * mask.shape[1] + starts - np.cumsum(lengths) + lengths, lengths)
    out.ravel()[first + np.arange(lengths.sum())] = np.repeat(lengths, lengths)
    return out


def _long_runs(faint: np.ndarray, deg: float, min_run: int) -> np.ndarray:
    """Pixels of ``faint`` on runs at least ``min_run`` long along direction ``deg``, with one
    pixel of slack across (so a run may follow a line that bends or tilts a little)."""
    h, w = faint.shape
    pad = int(np.ceil(w * abs(np.tan(np.deg2rad(deg))))) + 2
    sheared = shear_rows(np.pad(faint, ((pad, pad), (0, 0))), deg)
    slack = sheared.copy()
    slack[1:] |= sheared[:-1]
    slack[:-1] |= sheared[1:]
    return shear_rows(sheared & (run_lengths(slack) >= min_run), deg, back=True)[pad:pad + h]


def _lines(pieces: np.ndarray, min_length: float) -> np.ndarray:
    """The pixels of ``pieces`` that chain (small gaps bridged) into thin printed lines.

    A line counts when it is at least ``min_length`` long, or when it runs edge to edge
    (``EDGE_TO_EDGE`` of the width) as one of at least ``MIN_SET`` such lines spaced evenly
    (whole multiples of one step, where some were missed): the rules of a short, wide sheet.
    Strokes of a tight crop of one word can run edge to edge too, but not as an evenly
    spaced set. Where letters join neighbouring lines into one wide chain (a dense grid),
    the rows along which the chain runs are its lines.
    """
    w = pieces.shape[1]
    gap = max(3, int(GAP_SHARE * w)) | 1
    chained = morph.min_filter(morph.max_filter(pieces, gap, axes=(1,)), gap, axes=(1,))
    labels, boxes, areas = morph.label(chained)
    length = (boxes[:, 3] - boxes[:, 2]).astype(float)
    reach = length >= min(min_length, EDGE_TO_EDGE * w)
    thin = areas <= 0.08 * length ** 2
    keep = np.r_[False, reach & thin][labels]
    for k in np.flatnonzero(reach & ~thin):  # neighbouring lines joined through letters:
        r0, r1, c0, c1 = boxes[k]  # keep the rows that run along most of the chain
        own = labels[r0:r1, c0:c1] == k + 1
        rows = own.sum(axis=1) >= 0.5 * length[k]
        rows = rows | np.r_[rows[1:], False] | np.r_[False, rows[:-1]]
        keep[r0:r1, c0:c1] |= own & rows[:, None]
    labels, boxes, _ = morph.label(keep)
    length = (boxes[:, 3] - boxes[:, 2]).astype(float)
    is_line = length >= min_length
    across = np.flatnonzero((length >= EDGE_TO_EDGE * w) & ~is_line)
    if len(across) >= MIN_SET:
        ys, _ = np.nonzero(keep)
        ids = labels[keep]
        order = np.lexsort((ys, ids))  # each line's median row: letters touching it do not move it
        count = np.bincount(ids, minlength=len(boxes) + 1)
        first = np.cumsum(count) - count
        row = ys[order][np.minimum(first + count // 2, len(ys) - 1)]
        spacing = np.diff(np.sort(row[across + 1]).astype(float))
        steps = spacing / max(float(np.percentile(spacing, 25)), 1.0)  # whole steps where lines were missed
        if np.mean(np.abs(steps - np.round(steps)) <= 0.25) >= 0.75 and steps.min() >= 0.5:
            is_line[across] = True
    return pieces & np.r_[False, is_line][labels]


def local_paper(colour: np.ndarray, ink: np.ndarray, window: int = 31) -> np.ndarray:
    """The paper's own colour around each pixel (the mean over a ``window`` of the pixels
    that are not ``ink``): a lamp's warm light or a tinted sheet, which ink and printed
    lines under it share, so that only colour against it tells a pen from a rule."""
    paper = (~ink).astype(np.float32)
    weight = np.maximum(morph.mean_filter(paper, window), 1e-3)
    return np.stack([morph.mean_filter(colour[..., c] * paper, window) / weight for c in range(2)], axis=-1)


def horizontal_rules(ink: np.ndarray, faint: np.ndarray, contrast: np.ndarray,
                     colour: np.ndarray | None = None) -> np.ndarray:
    """Pixels of ``ink`` that belong to horizontal printed lines found in ``faint`` (⊇ ``ink``).

    Lines are found on a half-size copy (they are long, so nothing is lost and it is four
    times less work); the removal itself is decided at full size, pixel by pixel.
    """
    h, w = ink.shape
    if h < 16 or w < 16 or not ink.any():
        return np.zeros_like(ink)
    small = faint[: h // 2 * 2, : w // 2 * 2]
    small = small[0::2, 0::2] | small[1::2, 0::2] | small[0::2, 1::2] | small[1::2, 1::2]
    base, fullest = line_angle(small)
    if fullest < 0.5 * min(MIN_SPAN * max(small.shape), EDGE_TO_EDGE * small.shape[1]):
        return np.zeros_like(ink)  # no band of the sheet holds enough ink for a printed line
    min_run = max(MIN_RUN, int(RUN_SHARE * small.shape[1]))
    pieces = np.zeros_like(small)
    for offset in ANGLE_OFFSETS:
        pieces |= _long_runs(small, base + offset, min_run)
    band = _lines(pieces, MIN_SPAN * max(small.shape))
    if not band.any():
        return np.zeros_like(ink)
    band = morph.dilate(np.pad(np.repeat(np.repeat(band, 2, axis=0), 2, axis=1), ((0, h % 2), (0, w % 2))))
    lines, boxes, _ = morph.label(band)
    on = band & ink
    # How much of each line made it into the ink mask: a faint line that mostly did not glues no
    # letters together, and its band there holds only letters' pixels, so only its stray dashes go.
    cols = np.zeros((len(boxes) + 1, w), bool)
    ys, xs = np.nonzero(on)
    cols[lines[ys, xs], xs] = True
    coverage = cols.sum(axis=1)[1:] / np.maximum(boxes[:, 3] - boxes[:, 2], 1)
    strong = np.r_[False, coverage >= MIN_COVERAGE][lines]
    thickness = run_lengths(ink.T).T  # vertical extent of the ink through each pixel
    solid = on & strong
    typical = float(np.argmax(np.bincount(thickness[solid]))) if solid.any() else 0.0  # bare line: the commonest
    thin = solid & (thickness <= typical + max(1.0, 0.5 * typical))
    line_dark = float(np.percentile(contrast[thin], 95)) if thin.any() else 0.0
    rule = thin & (contrast <= DARKER * line_dark)  # a pen much darker than the line keeps its stroke
    if colour is not None and rule.any():  # ... and so does a pen of another colour than the line
        tint = colour - local_paper(colour, faint)
        bare = thin & (thickness == typical)
        line_colour = np.median(tint[bare if bare.any() else thin], axis=0)
        rule &= np.hypot(*np.moveaxis(tint - line_colour, -1, 0)) <= COLOUR_APART
    weak = on & ~strong
    if weak.any():  # ink components wholly inside a faint line's band are pieces of it, if no
        # thicker than the line (as whole in the faint mask): where letters join lines into
        # one wide band, a letter lies wholly inside it too
        line_width = float(np.argmax(np.bincount(run_lengths(faint.T).T[band & faint])))
        labels, _, areas = morph.label(ink)
        inside = np.bincount(labels[weak], minlength=len(areas) + 1)[1:] == areas
        candidate = np.r_[False, inside][labels]
        widest = np.zeros(len(areas) + 1, np.int32)
        np.maximum.at(widest, labels[candidate], thickness[candidate])
        rule |= weak & np.r_[False, widest[1:] <= 2 * line_width + 1][labels] & candidate
    return rule


def remove_rules(ink: np.ndarray, faint: np.ndarray, contrast: np.ndarray,
                 colour: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """``ink`` without the printed horizontal and vertical lines found in ``faint``.

    Parameters
    ----------
    ink : (H, W) bool, the ink mask
    faint : (H, W) bool, a lower-threshold mask that holds ``ink``
    contrast : (H, W) the ink contrast the masks were cut from
    colour : (H, W, 2) the photo's colour without brightness
        (:func:`~ocr_cli.page.ink.opponent_colour`), or None for a grey image

    Returns
    -------
    The cleaned mask and the number of pixels removed.
    """
    rules = horizontal_rules(ink, faint, contrast, colour)
    rules |= horizontal_rules(ink.T, faint.T, contrast.T, None if colour is None else colour.transpose(1, 0, 2)).T
    return ink & ~rules, int(rules.sum())

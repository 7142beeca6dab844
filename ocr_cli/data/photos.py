"""Realistic phone photos of synthetic handwritten pages, one condition at a time.

The page pipeline must survive what real photos bring: a sheet lying on a desk, seen at
an angle; ruled or squared paper; a page turned sideways; shadows, glare, show-through
from the back; blur, JPEG artefacts, low resolution; blue, black or pencil ink. This module
draws such photos from the synthetic handwriting engine (:mod:`ocr_cli.data.synthetic`),
so every condition can be tested and benchmarked with known text, and deterministically
for a seed. :data:`CONDITIONS` names the conditions the photo benchmark and the tests use.

Backgrounds are real textures that ship with scikit-image (``brick``, ``grass``,
``gravel``, ``coffee``: no download) and a procedural wood grain.
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

from ocr_cli.page.geometry import homography, warp

INKS = {  # RGB in [0, 1] and opacity
    "black": ((0.08, 0.08, 0.10), 0.95),
    "blue": ((0.13, 0.20, 0.62), 0.9),
    "pencil": ((0.35, 0.35, 0.37), 0.55),
}
RULE_COLOURS = [(0.55, 0.68, 0.88), (0.6, 0.6, 0.64), (0.45, 0.55, 0.75)]
MARGIN_COLOUR = (0.88, 0.42, 0.45)
TEXTURES = ("wood", "brick", "grass", "gravel", "coffee")

WORDS = ("THE QUICK BROWN FOX JUMPS OVER LAZY DOG PACK MY BOX WITH FIVE DOZEN LIQUOR JUGS "
         "SPHINX OF BLACK QUARTZ JUDGE VOW HOW VEXINGLY DAFT ZEBRAS JUMP WALTZ NYMPH FOR QUICK "
         "GLIB PLANS MAKE TO DO LIST CHECK FIRST THING REWARD YOURSELF NAP MANGO CAT GARDEN "
         "WINTER SUMMER PHONE NUMBER NAME CITY STREET").split()

# name -> options of :func:`photo`; each names one condition, everything else stays clean.
CONDITIONS = {
    "clean": {},
    "wood desk": {"background": "wood", "sheet": 0.6},
    "textured desk": {"background": "texture", "sheet": 0.65},
    "perspective": {"background": "wood", "sheet": 0.7, "perspective": 0.1},
    "ruled paper": {"paper": "ruled"},
    "squared paper": {"paper": "squared"},
    "ruled, sideways": {"paper": "ruled", "rules_vertical": True},
    "margin line": {"paper": "margin"},
    "turned 90": {"turn": 90},
    "turned 180": {"turn": 180},
    "turned 270": {"turn": 270},
    "tilted 8 degrees": {"angle": 8.0},
    "uneven light": {"lighting": 0.6},
    "hard shadow": {"shadow": 0.45},
    "glare": {"glare": 0.7},
    "show-through": {"show_through": 0.18},
    "blur": {"blur": 1.6},
    "jpeg q20": {"jpeg": 20},
    "low resolution": {"scale": 0.3},
    "large writing": {"char_h": 400, "n_lines": 1, "n_words": 1},
    "blue ink": {"ink": "blue"},
    "pencil": {"ink": "pencil"},
    "clutter": {"clutter": True, "background": "wood", "sheet": 0.75},
    "phone photo": {"background": "texture", "sheet": 0.7, "perspective": 0.06, "paper": "ruled",
                    "ink": "blue", "lighting": 0.4, "shadow": 0.3, "jpeg": 50, "blur": 0.8},
}


def random_lines(rng: np.random.Generator, n: int = 3, words: int = 3) -> list[str]:
    """``n`` lines of ``words`` block-capital words; one line in four also holds a number."""
    lines = []
    for _ in range(n):
        line = [str(w) for w in rng.choice(WORDS, words)]
        if rng.random() < 0.25:
            line[int(rng.integers(len(line)))] = str(int(rng.integers(10, 100_000)))
        lines.append(" ".join(line))
    return lines


def photo(lines=None, seed: int = 0, n_lines: int = 3, n_words: int = 3, char_h: int = 40, ink: str = "black", paper: str = "plain",
          rules_vertical: bool = False, show_through: float = 0.0, background: str | None = None,
          sheet: float = 0.7, perspective: float = 0.0, angle: float = 0.0, turn: int = 0,
          lighting: float = 0.0, shadow: float = 0.0, glare: float = 0.0, blur: float = 0.0,
          noise: float = 0.01, jpeg: int | None = None, scale: float = 1.0, clutter: bool = False,
          **page_options) -> tuple[np.ndarray, str]:
    """Draw a photo of handwritten ``lines``; return ``(rgb uint8 (H, W, 3), true text)``.

    Parameters
    ----------
    lines : text lines (default: ``n_lines`` random lines of ``n_words`` words, from ``seed``)
    char_h : glyph height in pixels on the sheet (before ``scale``)
    ink : ``black``, ``blue`` or ``pencil``
    paper : ``plain``, ``ruled`` (writing sits on the rules), ``squared`` (a grid crossing
        the letters) or ``margin`` (ruled with a red margin line)
    rules_vertical : the ruled sheet is turned sideways under upright writing
    show_through : opacity of mirrored writing from the back of the sheet
    background : None (the sheet fills the frame), ``wood``, ``texture`` (one of
        :data:`TEXTURES` chosen by ``seed``) or one of their names
    sheet : share of the frame's width the sheet covers, when there is a background
    perspective : how far the sheet's corners move, as a share of its size (seen at an angle)
    angle : small rotation of the sheet, degrees counter-clockwise
    turn : 0, 90, 180 or 270: the whole photo turned counter-clockwise (no EXIF)
    lighting, shadow, glare : strength of a light gradient, of a hard shadow over part of the
        frame and of a lamp's reflection
    blur : Gaussian blur radius in pixels; noise : sensor noise
    jpeg : JPEG quality to pass the photo through; scale : final resize (0.3: a small crop)
    clutter : a finger at the sheet's edge and a doodle in its corner
    page_options : passed to :func:`ocr_cli.data.synthetic_pages.render_page` (``spacing``, ``breaks``)
    """
    rng = np.random.default_rng([seed, 7])
    lines = lines or random_lines(rng, n_lines, n_words)
    sheet_rgb = _written_sheet(lines, rng, seed, char_h, ink, paper, rules_vertical, show_through, page_options)
    if clutter:
        _doodle(sheet_rgb, rng, char_h)
    if angle:
        sheet_rgb = np.stack([_rotate(sheet_rgb[..., c], angle, fill=float(sheet_rgb[0, 0, c])) for c in range(3)], -1)
    frame = _on_background(sheet_rgb, rng, background, sheet, perspective) if background else sheet_rgb
    if clutter:
        _finger(frame, rng)
    frame = _light(frame, rng, lighting, shadow, glare)
    rgb = _captured(frame, rng, blur, noise, scale, jpeg)
    return np.ascontiguousarray(np.rot90(rgb, turn // 90)), "\n".join(lines)


def _written_sheet(lines: list[str], rng: np.random.Generator, seed: int, char_h: int, ink: str, paper: str,
                   rules_vertical: bool, show_through: float, page_options: dict) -> np.ndarray:
    """The flat sheet with ``lines`` written on it in ``ink`` (and, with ``show_through``, the
    back's writing showing through): (H, W, 3) float RGB in [0, 1]. See :func:`photo`."""
    from ocr_cli.data.synthetic_pages import render_page

    ink_map = 1.0 - render_page(lines, seed=seed, char_h=char_h, **page_options)  # 0.8 where ink
    ink_map = np.clip(ink_map / 0.8, 0, 1)
    sheet_rgb = _paper(ink_map.shape, rng, paper, char_h, rules_vertical)
    if show_through:
        back = 1.0 - render_page(random_lines(rng, len(lines)), seed=seed + 1000, char_h=char_h, **page_options)
        back = _blur(_fit(back[:, ::-1] / 0.8, ink_map.shape), 1.5)
        sheet_rgb = _lay_ink(sheet_rgb, back * show_through, INKS[ink][0], 1.0)
    colour, opacity = INKS[ink]
    if ink == "pencil":  # graphite leaves a grainy, uneven line
        ink_map = ink_map * np.clip(rng.normal(0.85, 0.25, ink_map.shape), 0.2, 1.0)
    return _lay_ink(sheet_rgb, ink_map, colour, opacity)


def _captured(frame: np.ndarray, rng: np.random.Generator, blur: float, noise: float, scale: float,
              jpeg: int | None) -> np.ndarray:
    """What the camera makes of the (H, W, 3) float ``frame``: blurred, noisy, resized by
    ``scale`` and passed through JPEG; (H', W', 3) uint8 RGB. See :func:`photo`."""
    if blur:
        frame = np.stack([_blur(frame[..., c], blur) for c in range(3)], -1)
    frame = np.clip(frame + rng.normal(0, noise, frame.shape), 0, 1)
    img = Image.fromarray((frame * 255).round().astype(np.uint8))
    if scale != 1.0:
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.Resampling.BOX)
    if jpeg:
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=int(jpeg))
        img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return np.asarray(img)


def _fit(a: np.ndarray, shape) -> np.ndarray:
    out = np.zeros(shape, np.float32)
    h, w = min(shape[0], a.shape[0]), min(shape[1], a.shape[1])
    out[:h, :w] = a[:h, :w]
    return out


def _blur(a: np.ndarray, sigma: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    return gaussian_filter(np.asarray(a, np.float32), sigma, mode="nearest")


def _rotate(a: np.ndarray, angle: float, fill: float) -> np.ndarray:
    return np.asarray(Image.fromarray(np.asarray(a, np.float32), mode="F").rotate(
        angle, Image.Resampling.BILINEAR, expand=True, fillcolor=fill))


def _lay_ink(rgb: np.ndarray, alpha: np.ndarray, colour, opacity: float) -> np.ndarray:
    """Ink multiplies the paper's light: dark pens darken, coloured pens tint."""
    a = (np.clip(alpha, 0, 1) * opacity)[..., None]
    return rgb * (1 - a) + rgb * np.asarray(colour, np.float32) * a


def _paper(shape, rng, paper: str, char_h: int, vertical: bool) -> np.ndarray:
    """An off-white sheet with fine grain and, for ruled or squared paper, printed lines."""
    tint = np.array([1.0, 0.99, 0.96]) * rng.uniform(0.9, 0.98) + rng.normal(0, 0.01, 3)
    rgb = np.ones((*shape, 3), np.float32) * tint.astype(np.float32)
    rgb *= 1 + _blur(rng.normal(0, 0.02, shape), 1.0)[..., None]
    if paper == "plain":
        return rgb
    h, w = shape
    lines = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(lines)
    width = max(1, round(char_h / 22))
    if paper == "squared":
        pitch = 0.6 * char_h
        phase = rng.uniform(0, pitch)
        for y in np.arange(phase, h, pitch):
            d.line([(0, y), (w, y)], fill=255, width=width)
        for x in np.arange(phase, w, pitch):
            d.line([(x, 0), (x, h)], fill=255, width=width)
    elif vertical:
        pitch = 1.1 * char_h
        for x in np.arange(rng.uniform(0, pitch), w, pitch):
            d.line([(x, 0), (x, h)], fill=255, width=width)
    else:  # the writing sits on the rules: render_page puts line k's glyphs at 2k+2 char heights
        for y in np.arange(3.0 * char_h + rng.uniform(0.02, 0.1) * char_h - 2 * char_h * 5, h, 2.0 * char_h):
            if y > 0:
                d.line([(0, y), (w, y)], fill=255, width=width)
    alpha = np.asarray(lines, np.float32) / 255  # a grid is printed lighter than rules
    rgb = _lay_ink(rgb, alpha, RULE_COLOURS[int(rng.integers(len(RULE_COLOURS)))], 0.5 if paper == "squared" else 0.7)
    if paper == "margin":
        margin = Image.new("L", (w, h), 0)
        x = int(1.2 * char_h)
        ImageDraw.Draw(margin).line([(x, 0), (x, h)], fill=255, width=width + 1)
        rgb = _lay_ink(rgb, np.asarray(margin, np.float32) / 255, MARGIN_COLOUR, 0.8)
    return rgb


def texture(name: str, shape, rng) -> np.ndarray:
    """A desk surface (RGB float, ``shape`` = rows, cols): procedural wood or a scikit-image texture."""
    h, w = shape
    if name == "wood":  # long streaks of grain, bent by a slow wobble, in browns
        from scipy.ndimage import gaussian_filter

        yy = np.mgrid[0:h, 0:w][0].astype(np.float32)
        wobble = _blur(rng.normal(0, 1, (h, w)), max(h, w) / 30) * max(h, w) / 8
        period = rng.uniform(0.01, 0.03) * max(h, w)
        rings = 0.5 + 0.5 * np.sin(2 * np.pi * (yy + wobble) / period)
        streaks = gaussian_filter(rng.normal(0, 1, (h, w)).astype(np.float32), (0.7, max(w, h) / 25))
        streaks /= streaks.std() + 1e-6
        v = 0.75 + 0.12 * rings + 0.08 * streaks
        base = np.array([0.42, 0.27, 0.15]) * rng.uniform(0.45, 1.1)
        return np.clip(v[..., None] * base, 0, 1).astype(np.float32)
    import skimage.data

    img = getattr(skimage.data, name)()
    img = img.astype(np.float32) / 255
    if img.ndim == 2:  # grey textures get a tint so they are not paper-coloured
        img = img[..., None] * np.array([0.8, 0.7, 0.6], np.float32) * rng.uniform(0.6, 1.0)
    reps = (int(np.ceil(h / img.shape[0])), int(np.ceil(w / img.shape[1])), 1)
    return np.tile(img, reps)[:h, :w, :3]


def _on_background(sheet_rgb: np.ndarray, rng, background: str, share: float, perspective: float) -> np.ndarray:
    """Lay the sheet on a desk, covering ``share`` of the frame's width, corners moved by ``perspective``."""
    sh, sw = sheet_rgb.shape[:2]
    fw = int(sw / share)
    fh = int(max(sh / share, sh + 0.3 * (fw - sw)))
    name = background if background != "texture" else TEXTURES[1 + int(rng.integers(len(TEXTURES) - 1))]
    frame = texture(name, (fh, fw), rng)
    x0, y0 = rng.uniform(0.3, 0.7) * (fw - sw), rng.uniform(0.3, 0.7) * (fh - sh)
    src = np.array([[0, 0], [sw, 0], [sw, sh], [0, sh]], float)
    dst = src + [x0, y0] + rng.uniform(-perspective, perspective, (4, 2)) * [sw, sh]
    H = homography(src, dst)
    shape = (fh, fw)
    layer = np.stack([warp(sheet_rgb[..., c], H, shape, fill=-1.0) for c in range(3)], -1)
    inside = layer[..., :1] >= 0
    return np.where(inside, layer, frame).astype(np.float32)


def _light(frame: np.ndarray, rng, lighting: float, shadow: float, glare: float) -> np.ndarray:
    h, w = frame.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    yy, xx = yy / h - 0.5, xx / w - 0.5
    light = np.ones((h, w), np.float32)
    if lighting:
        a = rng.uniform(0, 2 * np.pi)
        light *= np.clip(1 - lighting * (0.5 + 0.5 * (np.cos(a) * xx + np.sin(a) * yy) + 0.8 * (xx**2 + yy**2)), 0.2, 1)
    if shadow:  # a hard-edged shadow (a phone or a hand) over one side of the frame
        a = rng.uniform(0, 2 * np.pi)
        edge = np.cos(a) * xx + np.sin(a) * yy - rng.uniform(0.0, 0.25)
        light *= 1 - shadow * np.clip(edge * max(h, w) / 3 + 0.5, 0, 1)
    frame = frame * light[..., None]
    if glare:  # a lamp's reflection: light added towards white, washing out what is under it
        cx, cy = rng.uniform(-0.3, 0.3, 2)
        g = glare * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * rng.uniform(0.08, 0.15) ** 2))
        frame = frame + g[..., None] * (1 - frame)
    return frame


def _doodle(rgb: np.ndarray, rng, char_h: int) -> None:
    """A spiral doodle in a corner of the sheet (in place)."""
    h, w = rgb.shape[:2]
    im = Image.new("L", (w, h), 0)
    cx, cy = w - 1.2 * char_h, h - 1.0 * char_h
    t = np.linspace(0, 5 * np.pi, 200)
    r = 0.08 * char_h * t
    pts = list(zip(cx + r * np.cos(t), cy + 0.6 * r * np.sin(t)))
    ImageDraw.Draw(im).line(pts, fill=255, width=max(1, char_h // 14))
    rgb[:] = _lay_ink(rgb, np.asarray(im, np.float32) / 255, INKS["blue"][0], 0.9)


def _finger(frame: np.ndarray, rng) -> None:
    """A fingertip entering the frame from its left edge (in place)."""
    h, w = frame.shape[:2]
    im = Image.new("L", (w, h), 0)
    y = rng.uniform(0.3, 0.7) * h
    r = 0.06 * min(h, w)
    ImageDraw.Draw(im).rounded_rectangle([-r, y - r, 2.5 * r, y + r], radius=r, fill=255)
    a = _blur(np.asarray(im, np.float32) / 255, 2)[..., None]
    skin = np.array([0.85, 0.6, 0.5], np.float32) * (0.85 + 0.15 * a)
    frame[:] = frame * (1 - a) + skin * a

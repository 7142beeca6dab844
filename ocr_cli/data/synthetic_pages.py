"""Synthetic handwritten pages with known text: the sample images in ``images/`` and test pages.

One writer (a fixed :class:`~ocr_cli.data.synthetic.Style`) writes the lines with random
letter and word spacing; the page can then be turned, unevenly lit, made noisy and have
strokes broken, the conditions real photos bring. Everything follows one seed.

Regenerate the shipped samples with ``python -m ocr_cli.data.synthetic_pages images``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image

SAMPLES = {  # file stem -> (seed, lines, options of render_page)
    "sample_01": (1, ["THE QUICK BROWN FOX", "JUMPS OVER THE LAZY DOG", "0123456789"], {}),
    "sample_02": (2, ["PACK MY BOX WITH", "FIVE DOZEN LIQUOR JUGS", "CALL 555 0199"],
                  {"angle": 4.0, "lighting": 0.45}),
    "sample_03": (3, ["SPHINX OF BLACK QUARTZ", "JUDGE MY VOW 42"], {"angle": -6.0, "lighting": 0.3, "breaks": 0.3}),
}


def render_page(lines, seed: int = 0, char_h: int = 40, angle: float = 0.0, lighting: float = 0.0,
                noise: float = 0.0, breaks: float = 0.0, spacing: float = 1.0, style=None) -> np.ndarray:
    """Draw ``lines`` of text in one synthetic hand; return a grey page (float32, white = 1).

    Parameters
    ----------
    char_h : glyph height in pixels
    angle : page rotation in degrees (counter-clockwise)
    lighting : strength of a smooth brightness gradient and vignette (0 = even light)
    noise : standard deviation of Gaussian sensor noise
    breaks : fraction of characters with a thin gap cut across their strokes
    spacing : multiplier for the gaps between letters (words stay clearly wider)
    style : the writer (:class:`~ocr_cli.data.synthetic.Style`); default: one drawn from ``seed``.
        Passing the same style with different seeds gives several pages by one writer.
    """
    from ocr_cli.data.synthetic import render_glyph, sample_style

    rng = np.random.default_rng(seed)
    style = style or sample_style(rng, fix_variants=True)
    margin, pitch = 2 * char_h, int(2.0 * char_h)
    placed = []  # (row, col, ink)
    width = 0
    for k, text in enumerate(lines):
        x, top = margin, margin + k * pitch
        for word in text.split():
            for c in word:
                ink = render_glyph(c, rng, char_h, style)
                rows, cols = np.flatnonzero(ink.max(axis=1) > 0.1), np.flatnonzero(ink.max(axis=0) > 0.1)
                ink = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
                if rng.random() < breaks:
                    cut = int(rng.uniform(0.35, 0.65) * ink.shape[0])
                    ink = ink.copy()
                    ink[cut:cut + max(2, char_h // 12)] = 0
                row = top + int(rng.normal(0, 0.04 * char_h)) + (char_h - ink.shape[0]) // 2
                placed.append((row, x, ink))
                x += ink.shape[1] + int(spacing * rng.uniform(0.2, 0.4) * char_h)
            x += int(rng.uniform(0.8, 1.2) * max(1.0, spacing) * char_h)  # wide writers space words widely too
        width = max(width, x)
    shape = (margin * 2 + pitch * (len(lines) - 1) + char_h, width + margin)
    ink_page = np.zeros(shape, np.float32)
    for row, col, ink in placed:
        r0 = max(row, 0)
        region = ink_page[r0:r0 + ink.shape[0], col:col + ink.shape[1]]
        np.maximum(region, ink[:region.shape[0], :region.shape[1]], out=region)
    grey = 1.0 - 0.8 * ink_page
    if angle:
        grey = np.asarray(Image.fromarray(grey, mode="F").rotate(angle, Image.Resampling.BILINEAR,
                                                                  expand=True, fillcolor=1.0))
    if lighting:
        yy, xx = np.mgrid[0:grey.shape[0], 0:grey.shape[1]].astype(np.float32)
        yy, xx = yy / grey.shape[0] - 0.5, xx / grey.shape[1] - 0.5
        a = rng.uniform(0, 2 * np.pi)
        light = 1 - lighting * (0.5 + 0.5 * (np.cos(a) * xx + np.sin(a) * yy) + 0.8 * (xx**2 + yy**2))
        grey = grey * np.clip(light, 0.2, 1.0)
    if noise:
        grey = grey + rng.normal(0, noise, grey.shape).astype(np.float32)
    return np.clip(grey, 0.0, 1.0).astype(np.float32)


def write_samples(directory) -> list[Path]:
    """Write every page of :data:`SAMPLES` as ``<stem>.png`` with its ``<stem>.txt`` truth."""
    from ocr_cli.fileio.writing import atomic_path, write_text

    directory = Path(directory)
    written = []
    for stem, (seed, lines, options) in SAMPLES.items():
        grey = render_page(lines, seed=seed, **options)
        path = directory / f"{stem}.png"
        with atomic_path(path) as tmp:
            Image.fromarray((grey * 255).round().astype(np.uint8)).save(tmp, format="PNG", optimize=True)
        write_text(directory / f"{stem}.txt", "\n".join(lines) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write_samples(sys.argv[1] if len(sys.argv) > 1 else "images"):
        print(p, f"{p.stat().st_size // 1024} KB")

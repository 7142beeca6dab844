"""Typed page results and the one place that renders them as text, JSON and an overlay.

``Page → Line → Word → Char``; every level has a box ``(x0, y0, x1, y1)`` in pixels of the
original image and a confidence (a character's is the recognizer's probability, a word's
or line's the lowest of its characters: a chain is as sure as its weakest link).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np


def _union(boxes: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    if not boxes:
        return (0, 0, 0, 0)
    b = np.array(boxes)
    return (int(b[:, 0].min()), int(b[:, 1].min()), int(b[:, 2].max()), int(b[:, 3].max()))


@dataclass
class Char:
    """One character read: its class, its box and the recognizer's probability for it."""

    text: str
    box: tuple[int, int, int, int]
    confidence: float


class _Span:
    """A word or a line: text, box and confidence all come from its parts (``SEPARATOR`` between their texts)."""

    SEPARATOR: ClassVar[str]

    def parts(self) -> list:
        raise NotImplementedError

    @property
    def text(self) -> str:
        """The parts' texts, joined by ``SEPARATOR``."""
        return self.SEPARATOR.join(p.text for p in self.parts())

    @property
    def box(self) -> tuple[int, int, int, int]:
        """``(x0, y0, x1, y1)`` around all the parts (zeros when there are none)."""
        return _union([p.box for p in self.parts()])

    @property
    def confidence(self) -> float:
        """The lowest of the parts' confidences (0 when there are none)."""
        return min((p.confidence for p in self.parts()), default=0.0)


@dataclass
class Word(_Span):
    """Characters written together."""

    chars: list[Char]
    SEPARATOR: ClassVar[str] = ""

    def parts(self) -> list[Char]:
        """The characters."""
        return self.chars


@dataclass
class Line(_Span):
    """Words on one line of writing, in reading order."""

    words: list[Word]
    SEPARATOR: ClassVar[str] = " "

    def parts(self) -> list[Word]:
        """The words."""
        return self.words

    @property
    def chars(self) -> list[Char]:
        """All the line's characters, in reading order."""
        return [c for w in self.words for c in w.chars]


@dataclass
class Page:
    """What :func:`~ocr_cli.page.read_page` read: the lines, the image's size, and how it was read."""

    lines: list[Line] = field(default_factory=list)
    width: int = 0
    height: int = 0
    angle: float = 0.0  # text angle in degrees, as found by the layout step
    source: str = ""
    rotation: int = 0  # degrees clockwise the image was turned to read it upright
    warnings: list[str] = field(default_factory=list)  # why the reading may be wrong (empty: looks fine)
    notes: list[str] = field(default_factory=list)  # what was done to the image (sheet found, rules removed)

    @property
    def text(self) -> str:
        """The lines' texts, one line each."""
        return "\n".join(line.text for line in self.lines)

    @property
    def chars(self) -> list[Char]:
        """All the page's characters, in reading order."""
        return [c for line in self.lines for c in line.chars]

    def to_dict(self) -> dict:
        """A plain JSON-ready dict: the text, then every line, word and character with its box."""
        def item(x, **more):
            return {"text": x.text, "box": list(x.box), "confidence": round(float(x.confidence), 4), **more}

        return {
            "source": self.source, "width": self.width, "height": self.height,
            "angle": round(self.angle, 2), "rotation": self.rotation, "warnings": list(self.warnings),
            "notes": list(self.notes), "text": self.text,
            "lines": [item(line, words=[item(w, chars=[item(c) for c in w.chars]) for w in line.words])
                      for line in self.lines],
        }

    def draw(self, image: np.ndarray, path: str | Path) -> None:
        """Save ``image`` (grey or RGB; float with white = 1, or uint8) with line boxes, character
        boxes and predictions drawn on it.

        Colour encodes confidence: green sure, orange unsure (< 0.8), red doubtful (< 0.5).
        """
        from PIL import Image, ImageDraw, ImageFont

        from ocr_cli.fileio.writing import atomic_path

        a = np.asarray(image)
        a = a if a.dtype == np.uint8 else (np.clip(a, 0, 1) * 255).astype(np.uint8)
        im = Image.fromarray(np.ascontiguousarray(a)).convert("RGB")
        d = ImageDraw.Draw(im)
        scale = max(1, round(max(im.size) / 1200))
        for line in self.lines:
            x0, y0, x1, y1 = line.box
            d.rectangle([x0 - 3 * scale, y0 - 3 * scale, x1 + 3 * scale, y1 + 3 * scale], outline=(60, 90, 255), width=scale)
            for c in line.chars:
                colour = (0, 170, 0) if c.confidence >= 0.8 else (255, 140, 0) if c.confidence >= 0.5 else (230, 0, 0)
                d.rectangle(list(c.box), outline=colour, width=scale)
                size = max(10, (c.box[3] - c.box[1]) // 2)
                try:
                    font = ImageFont.load_default(size=size)
                except TypeError:  # Pillow < 10.1 has one fixed-size default font
                    font = ImageFont.load_default()
                d.text((c.box[0], max(0, c.box[1] - size - 2 * scale)), c.text, fill=colour, font=font)
        with atomic_path(path, suffix=".png") as tmp:
            im.save(tmp, format="PNG")

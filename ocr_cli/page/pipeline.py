"""The page pipeline: image in, :class:`~ocr_cli.page.result.Page` out.

:func:`find_characters` does the geometry (ink, boxes, lines, words) without any model;
:func:`read_page` adds recognition of every character of the page in one batch.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ocr_cli.page import binarize, layout, segment
from ocr_cli.page.crops import crop_samples
from ocr_cli.page.result import Char, Line, Page, Word

WORK_SIDE = 1600  # longer side of the working image: a 12 MP photo shrinks ~2.5× (fast)
MIN_CHAR_PX = 32  # if characters come out smaller than this, work at a higher resolution


@dataclass
class PageLayout:
    """Where the characters are, in working-resolution pixels (``scale`` × original)."""

    scale: float
    angle: float  # radians
    char_h: float
    contrast: np.ndarray
    labels: np.ndarray
    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), int))  # (N, 4) r0, r1, c0, c1
    parts: list = field(default_factory=list)  # per character: its component label ids
    lines: list = field(default_factory=list)  # line -> word -> character indices


def _characters(labels: np.ndarray, boxes: np.ndarray, pieces: list, char_h: float, angle: float):
    """Lines of characters from component boxes: group lines, merge pieces, split touching.

    A single component is split when it is both much wider than the line's median
    character and much wider than tall: a ``W`` or ``M`` is wide, but not twice a letter.

    Returns per line a list of ``(label ids, box)``, one per character, left to right.
    """
    chars, lines = [], []
    for line in layout.group_lines(boxes, char_h, angle):
        groups = layout.merge_pieces(boxes, line, char_h)
        cboxes = np.array([layout.union(boxes[g]) for g in groups])
        typical_w = float(np.median(segment.widths(cboxes)))
        row = []
        for g, box in zip(groups, cboxes):
            ids = np.concatenate([pieces[i] for i in g])
            w, h = box[3] - box[2], box[1] - box[0]
            n = int(round(w / max(typical_w, 1.0)))
            if len(ids) == 1 and w > 1.8 * typical_w and w > 1.6 * h:  # wider than any one letter (W, M)
                row += segment.split_touching(labels, ids, box, n)
            else:
                row.append((ids, box))
        lines.append(row)
    return lines


def find_characters(grey: np.ndarray, work_side: int = WORK_SIDE) -> PageLayout:
    """Locate every character of a grey page image (white = 1), grouped into lines and words."""
    grey = np.asarray(grey, np.float32)
    for attempt in range(2):
        work, scale = binarize.downscale(grey, work_side)
        if not binarize.ink_is_dark(work):  # light writing on a dark board: flip polarity
            work = 1.0 - work
        contrast = binarize.contrast_map(work)
        labels, boxes, areas = segment.components(binarize.binarize(contrast))
        char_h = segment.typical_height(boxes)
        if attempt or scale >= 1 or char_h >= MIN_CHAR_PX or char_h == 0:
            break
        work_side = int(work_side * min(1 / scale, 1.25 * MIN_CHAR_PX / char_h))
    keep = segment.keep_text_like(boxes, areas, labels.shape, char_h) if len(boxes) else np.zeros(0, bool)
    boxes, ids = boxes[keep], np.flatnonzero(keep) + 1
    pieces = [np.array([i]) for i in ids]
    for _ in range(3):  # joined halves raise the height estimate, which lets more halves join
        stacks = segment.merge_stacked(boxes, char_h)
        if len(stacks) == len(boxes):
            break
        pieces = [np.concatenate([pieces[i] for i in g]) for g in stacks]
        boxes = np.array([layout.union(boxes[g]) for g in stacks]).reshape(-1, 4)
        char_h = segment.typical_height(boxes) or char_h
    angle = layout.skew_angle(boxes, char_h)
    result = PageLayout(scale, angle, char_h, contrast, labels)
    all_boxes = []
    rows = [(np.array([box for _, box in row]), row) for row in _characters(labels, boxes, pieces, char_h, angle)]
    gaps = np.concatenate([layout.along_line_gaps(cboxes, angle) for cboxes, _ in rows] + [np.zeros(0)])
    page_gap = float(np.median(gaps)) if len(gaps) >= 5 else None
    for cboxes, row in rows:
        start = len(all_boxes)
        result.parts += [labs for labs, _ in row]
        all_boxes += list(cboxes)
        breaks = layout.word_breaks(cboxes, angle, char_h, page_gap)
        words, word = [], [start]
        for k, brk in enumerate(breaks):
            if brk:
                words.append(word)
                word = []
            word.append(start + k + 1)
        words.append(word)
        result.lines.append(words)
    if all_boxes:
        result.boxes = np.array(all_boxes, int)
    return result


def consistent_words(proba: np.ndarray, classes: str, words) -> np.ndarray:
    """Best class per character, letters and digits kept apart within a word.

    Shapes like O/0, I/1, S/5, Z/2 and B/8 are ambiguous alone but rarely mixed within a
    word. For a word of two or more characters whose probability mass is mostly digits
    (or mostly letters), a character read as the other kind takes the majority kind's best
    class instead, when the recognizer gives that class at least a tenth of its top
    probability; confident mixed readings (``4TH``, ``B2``) stay as they are.
    """
    best = proba.argmax(axis=1) if len(proba) else np.zeros(0, int)
    is_digit = np.array([c.isdigit() for c in classes])
    for word in words:
        if len(word) < 2:
            continue
        p = proba[word]
        digits = p[:, is_digit].sum() > p[:, ~is_digit].sum()
        allowed = np.where(is_digit == digits, p, -1.0)
        alt = allowed.argmax(axis=1)
        top = p[np.arange(len(word)), best[word]]
        switch = (is_digit[best[word]] != digits) & (p[np.arange(len(word)), alt] >= 0.1 * top)
        best[np.array(word)[switch]] = alt[switch]
    return best


def read_page(image, recognizer, work_side: int = WORK_SIDE) -> Page:
    """Read the text of a page: a path or a grey array (white = 1) in, a :class:`Page` out.

    All characters go to ``recognizer.predict_proba`` in a single batch; the reading is
    then made consistent within words (:func:`consistent_words`).
    """
    from ocr_cli.fileio import read_image

    source = ""
    if isinstance(image, (str, Path)):
        source, image = str(image), read_image(image)
    grey = np.asarray(image, np.float32)
    if grey.ndim != 2:
        raise ValueError(f"expected a 2-D grey image, got shape {grey.shape}")
    found = find_characters(grey, work_side)
    X = crop_samples(found.contrast, found.labels, found.parts, found.boxes)
    proba = recognizer.predict_proba(X) if len(X) else np.zeros((0, len(recognizer.classes)))
    best = consistent_words(proba, recognizer.classes, [w for words in found.lines for w in words])
    texts, conf = [recognizer.classes[i] for i in best], proba[np.arange(len(best)), best]
    s = found.scale

    def char(k):
        r0, r1, c0, c1 = found.boxes[k]
        box = (int(c0 / s), int(r0 / s), int(np.ceil(c1 / s)), int(np.ceil(r1 / s)))
        return Char(texts[k], box, float(conf[k]))

    lines = [Line([Word([char(k) for k in word]) for word in words]) for words in found.lines]
    return Page(lines, grey.shape[1], grey.shape[0], float(np.rad2deg(found.angle)), source)

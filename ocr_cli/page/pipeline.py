"""The page pipeline: image in, :class:`~ocr_cli.page.result.Page` out.

:func:`find_characters` does the geometry (ink, boxes, lines, words) without any model;
:func:`read_page` adds recognition of every character of the page in one batch.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ocr_cli.calibration import calibrated
from ocr_cli.page import binarize, layout, segment
from ocr_cli.page.decode import choose_merges, choose_splits, consistent_words, reading, sureness
from ocr_cli.page.crops import crop_samples
from ocr_cli.page.fields import field_line
from ocr_cli.page.lexicon import rescore, restrict
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
    splits: dict = field(default_factory=dict)  # character index -> [(label ids, box), ...] if it may be several
    merges: dict = field(default_factory=dict)  # (k, k + 1) -> (label ids, box) if the two may be one


def _characters(labels: np.ndarray, boxes: np.ndarray, pieces: list, char_h: float, angle: float):
    """Lines of characters from component boxes: group lines, merge pieces, split touching.

    A single component much wider than the page's median character and much wider than
    tall is split outright (a ``W`` or ``M`` is wide, but not twice a letter). One that is
    only somewhat wide may be one wide letter or two touching ones: it stays whole but
    carries its split as an alternative, for the recognizer to decide.

    Returns per line a list of ``(label ids, box, alternative parts or None)``.
    """
    lines = []
    for line in layout.group_lines(boxes, char_h, angle):
        groups = layout.merge_pieces(boxes, line, char_h)
        ids = [np.concatenate([pieces[i] for i in g]) for g in groups]
        lines.append(list(zip(ids, [layout.union(boxes[g]) for g in groups])))
    widths = [box[3] - box[2] for line in lines for _, box in line]
    typical_w = max(float(np.median(widths)), 1.0) if widths else 1.0
    rows = []
    for line in lines:
        row = []
        for ids, box in line:
            w, h = box[3] - box[2], box[1] - box[0]
            n = max(2, int(round(w / typical_w)))
            if len(ids) == 1 and w > 1.8 * typical_w and w > 1.6 * h:
                row += [(i, b, None) for i, b in segment.split_touching(labels, ids, box, n)]
            elif len(ids) == 1 and w > 1.3 * typical_w and w > 0.9 * h:
                parts = segment.split_touching(labels, ids, box, n)
                row.append((np.concatenate([i for i, _ in parts]), box, parts if len(parts) > 1 else None))
            else:
                row.append((ids, box, None))
        rows.append(row)
    return rows


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
    rows = [(np.array([box for _, box, _ in row]), row) for row in _characters(labels, boxes, pieces, char_h, angle)]
    gaps = np.concatenate([layout.along_line_gaps(cboxes, angle) for cboxes, _ in rows] + [np.zeros(0)])
    page_gap = float(np.median(gaps)) if len(gaps) >= 5 else None
    for cboxes, row in rows:
        start = len(all_boxes)
        result.parts += [labs for labs, _, _ in row]
        result.splits.update({start + k: alt for k, (_, _, alt) in enumerate(row) if alt})
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
        _offer_merges(result)
    return result


def _offer_merges(found: PageLayout) -> None:
    """Record neighbours in a word that may be one letter whose strokes do not touch.

    A thin pen leaves the strokes of a ``W``, ``M`` or ``H`` apart; when two neighbours
    touch or overlap horizontally and together are no wider than 1.6 usual letters,
    reading them as one becomes an alternative for the recognizer to decide
    (:func:`~ocr_cli.page.decode.choose_merges`).
    """
    b = found.boxes
    letter_w = float(np.median(b[:, 3] - b[:, 2]))
    for words in found.lines:
        for word in words:
            for k, j in zip(word, word[1:]):
                if k in found.splits or j in found.splits:
                    continue
                together = layout.union(b[[k, j]])
                if b[j, 2] - b[k, 3] <= 0 and together[3] - together[2] <= 1.6 * letter_w:
                    found.merges[(k, j)] = (np.concatenate([found.parts[k], found.parts[j]]), together)


def read_page(image, recognizer, work_side: int = WORK_SIDE, chars: str | None = None, lexicon=None,
              field: bool = False) -> Page:
    """Read the text of a page: a path or a grey array (white = 1) in, a :class:`Page` out.

    All characters, the parts of wide ones that may be two touching letters and the unions
    of neighbours that may be one letter go to ``recognizer.predict_proba`` in a single
    batch; the more confident reading wins and words keep letters and digits apart
    (:mod:`ocr_cli.page.decode`). The probabilities carry the recognizer's calibration
    temperature; ``chars`` (allowed classes) and ``lexicon`` (a
    :class:`~ocr_cli.page.lexicon.Lexicon`) constrain them, and ``field`` reads one form
    field (:mod:`ocr_cli.page.fields`).
    """
    from ocr_cli.fileio import read_image

    source = ""
    if isinstance(image, (str, Path)):
        source, image = str(image), read_image(image)
    grey = np.asarray(image, np.float32)
    if grey.ndim != 2:
        raise ValueError(f"expected a 2-D grey image, got shape {grey.shape}")
    found = find_characters(grey, work_side)
    alternatives = [part for parts in found.splits.values() for part in parts] + list(found.merges.values())
    boxes = np.array(list(found.boxes) + [box for _, box in alternatives], int).reshape(-1, 4)
    X = crop_samples(found.contrast, found.labels, found.parts + [ids for ids, _ in alternatives], boxes)
    proba = recognizer.predict_proba(X) if len(X) else np.zeros((0, len(recognizer.classes)))
    proba = calibrated(proba, recognizer)
    if chars:
        proba = restrict(proba, recognizer.classes, chars)
    sure = sureness(proba, recognizer.classes)
    splits = choose_splits(sure, found.splits, len(found.parts))
    merges = choose_merges(sure, found.merges, len(boxes) - len(found.merges))
    lines = [[reading(word, splits, merges) for word in words] for words in found.lines]
    if field:
        lines = [field_line(lines, boxes, found.labels.shape[0], proba, recognizer.classes)] if lines else []
    groups = [[r for w in line for r in w] for line in lines] if field else [w for words in lines for w in words]
    best, conf = consistent_words(proba, recognizer.classes, groups)
    if lexicon is not None:
        best, conf = rescore(proba, best, conf, groups, lexicon)
    s = found.scale

    def char(r):
        r0, r1, c0, c1 = boxes[r]
        box = (int(c0 / s), int(r0 / s), int(np.ceil(c1 / s)), int(np.ceil(r1 / s)))
        return Char(recognizer.classes[best[r]], box, float(conf[r]))

    lines = [Line([Word([char(r) for r in word]) for word in words]) for words in lines]
    return Page(lines, grey.shape[1], grey.shape[0], float(np.rad2deg(found.angle)), source)

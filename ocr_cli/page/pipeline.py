"""The page pipeline: image in, :class:`~ocr_cli.page.result.Page` out.

:func:`~ocr_cli.page.ink.find_ink` turns a photo into an ink mask at a working resolution
(the sheet found, the light divided out, printed rules removed). :func:`layout` finds the
characters, lines and words in that ink for one of the four quarter turns, and
:func:`find_characters` does both without any model. :func:`read_page`
adds recognition of every character in one batch and, by default, picks the quarter turn
under which the page reads best (a photo taken sideways or upside down comes out upright).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ocr_cli.calibration import calibrated
from ocr_cli.page import geometry, layout as lay, segment
from ocr_cli.page.crops import Classifier, crop_samples
from ocr_cli.page.decode import choose_merges, choose_splits, consistent_words, reading, sureness
from ocr_cli.page.fields import field_line
from ocr_cli.page.ink import WORK_SIDE, Ink, find_ink
from ocr_cli.page.lexicon import Lexicon, rescore, restrict
from ocr_cli.page.result import Char, Line, Page, Word

MAX_MARKS = 1500  # more candidate characters than this is texture or noise, not a page of handwriting
NOISE_MARKS = 300  # ... and so are this many that form no text lines
TINY_CHAR_PX = 7  # characters smaller than this in the photo cannot be read reliably
ROTATIONS = (0, 90, 180, 270)  # degrees clockwise that a page can be turned to read upright
UPRIGHT_BONUS = 0.15  # nats per character an upright reading is preferred by (most photos are)
ORIENTATION_SAMPLE = 48  # characters turned over to score a half turn
SURE_UPRIGHT = -0.3  # mean log-probability above which an upright reading is not checked upside down
MERGE_GAP = 0.08  # neighbours this close (in character heights) may be one letter broken apart
LONE_MIN_CONF = 0.6  # one or two marks beside the text must read at least this surely to count


@dataclass
class PageLayout:
    """Where the characters are, in pixels of the (turned) working image.

    ``to_image`` maps those pixels to the input image; ``rotation`` is how many degrees
    clockwise the working image was turned from the photo.
    """

    to_image: np.ndarray
    angle: float  # radians
    char_h: float
    contrast: np.ndarray
    labels: np.ndarray
    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), int))  # (N, 4) r0, r1, c0, c1
    parts: list = field(default_factory=list)  # per character: its component label ids
    lines: list = field(default_factory=list)  # line -> word -> character indices
    splits: dict = field(default_factory=dict)  # character index -> [(label ids, box), ...] if it may be several
    merges: dict = field(default_factory=dict)  # (k, k + 1) -> (label ids, box) if the two may be one
    rotation: int = 0
    warnings: list = field(default_factory=list)


def _characters(labels: np.ndarray, boxes: np.ndarray, pieces: list, char_h: float, angle: float):
    """Lines of characters from component boxes: group lines, merge pieces, split touching.

    A single component much wider than the page's median character and much wider than
    tall is split outright (a ``W`` or ``M`` is wide, but not twice a letter). One that is
    only somewhat wide, or is made of several pieces (two letters glued by blur, with a
    stray piece of one), may be one wide letter or two touching ones: it stays whole but
    carries its split as an alternative, for the recognizer to decide.

    Returns per line a list of ``(label ids, box, alternative parts or None)``.
    """
    lines = []
    for line in lay.group_lines(boxes, char_h, angle):
        groups = lay.merge_pieces(boxes, line, char_h)
        ids = [np.concatenate([pieces[i] for i in g]) for g in groups]
        lines.append(list(zip(ids, [lay.union(boxes[g]) for g in groups])))
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
            elif w > 1.3 * typical_w and w > 0.9 * h:
                parts = segment.split_touching(labels, ids, box, n)
                row.append((np.concatenate([i for i, _ in parts]), box, parts if len(parts) > 1 else None))
            else:
                row.append((ids, box, None))
        rows.append(row)
    return rows


def layout(ink: Ink, rotation: int = 0) -> PageLayout:
    """Characters, lines and words of ``ink`` with the page turned ``rotation`` degrees clockwise."""
    k = -(rotation // 90)  # np.rot90 turns counter-clockwise
    mask, contrast = np.rot90(ink.mask, k), np.rot90(ink.contrast, k)
    to_image = ink.to_image @ np.linalg.inv(geometry.quarter_turn(k, ink.mask.shape))
    if k % 4 == 0 and ink.components is not None:  # upright: labelled already (a copy: splits relabel it)
        labels, boxes, areas = ink.components
        labels = labels.copy()
    else:
        labels, boxes, areas = segment.components(mask)
    char_h = segment.typical_height(boxes, areas=areas)
    keep = segment.keep_text_like(boxes, areas, labels.shape, char_h) if len(boxes) else np.zeros(0, bool)
    warnings = []
    if keep.sum() > MAX_MARKS or (keep.sum() > NOISE_MARKS and not lay.has_lines(boxes[keep], char_h)):
        warnings.append(f"{int(keep.sum())} marks in no text lines: the image looks like texture or noise, "
                        "not handwriting; nothing was read")
        keep = np.zeros_like(keep)
    boxes, ids = boxes[keep], np.flatnonzero(keep) + 1
    pieces = [np.array([i]) for i in ids]
    for _ in range(3):  # joined halves raise the height estimate, which lets more halves join
        stacks = segment.merge_stacked(boxes, char_h)
        if len(stacks) == len(boxes):
            break
        pieces = [np.concatenate([pieces[i] for i in g]) for g in stacks]
        boxes = np.array([lay.union(boxes[g]) for g in stacks]).reshape(-1, 4)
        char_h = segment.typical_height(boxes) or char_h
    angle = lay.skew_angle(boxes, char_h)
    result = PageLayout(to_image, angle, char_h, contrast, labels, rotation=rotation, warnings=warnings)
    all_boxes = []
    rows = [(np.array([box for _, box, _ in row]), row) for row in _characters(labels, boxes, pieces, char_h, angle)]
    gaps = np.concatenate([lay.along_line_gaps(cboxes, angle) for cboxes, _ in rows] + [np.zeros(0)])
    page_gap = float(np.median(gaps)) if len(gaps) >= 5 else None
    for cboxes, row in rows:
        start = len(all_boxes)
        result.parts += [labs for labs, _, _ in row]
        result.splits.update({start + k: alt for k, (_, _, alt) in enumerate(row) if alt})
        all_boxes += list(cboxes)
        breaks = lay.word_breaks(cboxes, angle, char_h, page_gap)
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


def find_characters(image: np.ndarray, work_side: int = WORK_SIDE, rotation: int = 0) -> PageLayout:
    """Locate every character of a page image, grouped into lines and words (no model needed)."""
    return layout(find_ink(image, work_side), rotation)


def _offer_merges(found: PageLayout) -> None:
    """Record neighbours in a word that may be one letter whose strokes do not touch.

    A thin pen leaves the strokes of a ``W``, ``M`` or ``H`` apart, and glare or a faint
    pen breaks a ``U`` into two bars; when two neighbours touch, overlap horizontally or
    nearly touch (``MERGE_GAP`` of a character height) and together are no wider than 1.6
    usual letters, reading them as one becomes an alternative for the recognizer to decide
    (:func:`~ocr_cli.page.decode.choose_merges`).
    """
    b = found.boxes
    letter_w = float(np.median(b[:, 3] - b[:, 2]))
    near = max(1.0, MERGE_GAP * found.char_h)
    for words in found.lines:
        for word in words:
            for k, j in zip(word, word[1:]):
                if k in found.splits or j in found.splits:
                    continue
                together = lay.union(b[[k, j]])
                if b[j, 2] - b[k, 3] <= near and together[3] - together[2] <= 1.6 * letter_w:
                    found.merges[(k, j)] = (np.concatenate([found.parts[k], found.parts[j]]), together)


def _stray(line: Line, lines: list[Line]) -> bool:
    """A doodle, a speck or an edge rather than writing: one or two marks on a line of their
    own that do not read clearly (``LONE_MIN_CONF``) and lie beside the text, in columns no
    other line uses."""
    if len(line.chars) > 2 or max(c.confidence for c in line.chars) >= LONE_MIN_CONF or len(lines) < 2:
        return False
    x0, _, x1, _ = line.box
    return not any(other is not line and other.box[0] < x1 and x0 < other.box[2] for other in lines)


def line_direction(ink: Ink) -> tuple[int, ...]:
    """The quarter turns worth trying: text lines run across (0, 180), down (90, 270) or unclear.

    Character boxes line up sharply across the lines they form; for block capitals, whose
    boxes are about square, the direction across which their centres bunch is the evidence.
    """
    labels, boxes, areas = ink.components or segment.components(ink.mask)
    char_h = segment.typical_height(boxes, areas=areas)
    if len(boxes) == 0:
        return (0,)
    boxes = boxes[segment.keep_text_like(boxes, areas, labels.shape, char_h)]
    if len(boxes) < 4:
        return ROTATIONS
    across = lay.line_sharpness(boxes, char_h)
    down = lay.line_sharpness(boxes[:, [2, 3, 0, 1]], char_h)
    if across >= 1.5 * down:
        return (0, 180)
    if down >= 1.5 * across:
        return (90, 270)
    return ROTATIONS


def _recognize(found: PageLayout, recognizer: Classifier) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every character of ``found`` and its alternatives (the parts of wide characters that
    may be two letters, the unions of neighbours that may be one) in one batch.

    Returns ``(boxes, crops, proba)``: rows are the characters, then the alternatives in the
    order :func:`~ocr_cli.page.decode.choose_splits` and ``choose_merges`` expect.
    """
    alternatives = [part for parts in found.splits.values() for part in parts] + list(found.merges.values())
    boxes = np.array(list(found.boxes) + [box for _, box in alternatives], int).reshape(-1, 4)
    X = crop_samples(found.contrast, found.labels, found.parts + [ids for ids, _ in alternatives], boxes, found.angle)
    proba = recognizer.predict_proba(X) if len(X) else np.zeros((0, len(recognizer.classes)), np.float32)
    return boxes, X, proba


def _mean_log_top(proba: np.ndarray) -> float:
    return float(np.mean(np.log(np.maximum(proba.max(axis=1), 1e-9)))) if len(proba) else -np.inf


def choose_rotation(ink: Ink, recognizer: Classifier) -> tuple[PageLayout, np.ndarray, np.ndarray, np.ndarray]:
    """The quarter turn under which the page reads best: its layout and :func:`_recognize` result.

    Candidates come from the lines' direction (:func:`line_direction`); among them the
    recognizer's mean confidence decides, upright winning unless another turn reads
    clearly better (``UPRIGHT_BONUS``), since upside-down letters often still look like letters.
    A half turn has the same characters, so it is scored on a sample of the crops turned
    over rather than a new layout, and not at all when the upright reading is already sure
    (``SURE_UPRIGHT``). A page with too many marks to be handwriting is not turned (:func:`layout`).
    """
    candidates = line_direction(ink)
    scores, read = {}, {}
    for rotation in sorted({r % 180 for r in candidates}):
        found = layout(ink, rotation)
        read[rotation] = (found, *_recognize(found, recognizer))
        if found.warnings and not found.parts:  # not a page of writing: nothing to turn
            return read[rotation]
        _, _, X, proba = read[rotation]
        n = len(found.parts)
        scores[rotation] = _mean_log_top(proba[:n]) + (UPRIGHT_BONUS if rotation == 0 else 0.0)
        if rotation + 180 in candidates and not (rotation == 0 and scores[0] - UPRIGHT_BONUS >= SURE_UPRIGHT):
            pick = np.unique(np.linspace(0, n - 1, min(n, ORIENTATION_SAMPLE)).round().astype(int))
            flipped = np.ascontiguousarray(X[pick][:, ::-1, ::-1])
            scores[rotation + 180] = _mean_log_top(recognizer.predict_proba(flipped)) if n else -np.inf
    best = max(scores, key=lambda r: (scores[r], -r))
    if best not in read:
        found = layout(ink, best)
        read[best] = (found, *_recognize(found, recognizer))
    return read[best]


def _page_warnings(found: PageLayout, conf: np.ndarray) -> list[str]:
    """Why a reading may be wrong, in words: empty when the page looks like a normal page."""
    warnings = list(found.warnings)
    n = len(conf)
    if n == 0:
        return warnings
    scale = np.sqrt(abs(np.linalg.det(found.to_image[:2, :2])))
    if found.char_h * scale < TINY_CHAR_PX:
        warnings.append(f"characters are only about {found.char_h * scale:.0f} px tall: too small to read reliably")
    doubtful = int((conf < 0.5).sum())
    if n >= 3 and doubtful > 0.5 * n:
        warnings.append(f"{doubtful} of {n} characters are doubtful: the image may not show block capitals, "
                        "or be too blurred, faint or small")
    if len(found.lines) > 80:
        warnings.append(f"{len(found.lines)} text lines found, more than a page holds: much of it may be noise")
    return warnings


def read_page(image: np.ndarray, recognizer: Classifier, work_side: int = WORK_SIDE, rotate: str | int = "auto",
              sheet: bool = True, remove_rules: bool = True, chars: str | None = None,
              lexicon: Lexicon | None = None, field: bool = False) -> Page:
    """Read the text of a page image.

    Parameters
    ----------
    image : (H, W) grey or (H, W, 3) RGB array, uint8 or float in [0, 1]
        (:func:`ocr_cli.fileio.read_image` reads files)
    recognizer : a :class:`~ocr_cli.recognizers.base.Recognizer`
    rotate : ``"auto"`` (choose the quarter turn that reads best) or 0, 90, 180, 270: the
        degrees clockwise to turn the image before reading
    sheet, remove_rules : see :func:`find_ink`
    chars : the characters allowed (the recognizer's other classes are ruled out)
    lexicon : a :class:`~ocr_cli.page.lexicon.Lexicon` to rescore each word's reading with
    field : read one form field (:mod:`ocr_cli.page.fields`): one line, one word

    Returns
    -------
    :class:`Page` with boxes in the input image's pixels, the rotation used and warnings.

    All characters, the parts of wide ones that may be two touching letters and the unions
    of neighbours that may be one letter go to ``recognizer.predict_proba`` in a single
    batch; the more confident reading wins and words keep letters and digits apart
    (:mod:`ocr_cli.page.decode`). The probabilities carry the recognizer's calibration
    temperature.
    """
    if rotate not in ("auto", *ROTATIONS):
        raise ValueError(f"rotate must be 'auto' or one of {ROTATIONS}, not {rotate!r}")
    ink = find_ink(image, work_side, sheet=sheet, remove_rules=remove_rules)
    if rotate == "auto":
        found, boxes, _, proba = choose_rotation(ink, recognizer)
    else:
        found = layout(ink, int(rotate))
        boxes, _, proba = _recognize(found, recognizer)
    proba = calibrated(proba, recognizer)
    if chars:
        proba = restrict(proba, recognizer.classes, chars)
    lines = _readings(found, boxes, proba, recognizer.classes, field)
    groups = [[r for w in line for r in w] for line in lines] if field else [w for words in lines for w in words]
    best, conf = consistent_words(proba, recognizer.classes, groups)
    if lexicon is not None:
        best, conf = rescore(proba, best, conf, groups, lexicon)

    def char(r):
        r0, r1, c0, c1 = boxes[r]
        return Char(recognizer.classes[best[r]], geometry.map_box(found.to_image, (c0, r0, c1, r1)), float(conf[r]))

    lines, notes = _drop_lone_marks([Line([Word([char(r) for r in word]) for word in words]) for words in lines],
                                    list(ink.notes))
    confidences = np.array([c.confidence for line in lines for c in line.chars])
    h, w = np.asarray(image).shape[:2]
    return Page(lines, w, h, float(np.rad2deg(found.angle)), rotation=found.rotation,
                warnings=_page_warnings(found, confidences), notes=notes)


def _readings(found: PageLayout, boxes: np.ndarray, proba: np.ndarray, classes: str, field: bool) -> list:
    """Each line's words as lists of crop indices (into ``boxes`` and ``proba``), with the
    splits and merges the recognizer was surer of; for a ``field``, all of it as one line.

    Parameters
    ----------
    found : the page's layout
    boxes : (N, 4) int array of ``(r0, r1, c0, c1)``: the characters, then their
        alternatives, as :func:`_recognize` gives them
    proba : (N, C) float array, each crop's calibrated class probabilities
    """
    sure = sureness(proba, classes)
    splits = choose_splits(sure, found.splits, len(found.parts))
    merges = choose_merges(sure, found.merges, len(boxes) - len(found.merges))
    lines = [[reading(word, splits, merges) for word in words] for words in found.lines]
    if field:
        lines = [field_line(lines, boxes, found.labels.shape[0], proba, classes)] if lines else []
    return lines


def _drop_lone_marks(lines: list[Line], notes: list[str]) -> tuple[list[Line], list[str]]:
    """The lines without doubtful lone marks (:func:`_stray`), and ``notes`` saying how many went."""
    lone = [line for line in lines if _stray(line, lines)]
    if lone:
        lines = [line for line in lines if line not in lone]
        notes.append(f"{len(lone)} doubtful lone mark{'s' if len(lone) > 1 else ''} dropped")
    return lines, notes

"""Reading one form field: a crop of a handwritten name or number, as cut from a form.

Such a crop holds more than the field: the printed label (``NOM :``, ``PRENOM :``), box
lines, and slivers of the neighbouring fields that the cut went through. :func:`clean_field`
erases what is not the field from the image before the page pipeline sees it; in
``read_page(..., field=True)`` :func:`field_line` keeps the one line of the field and the
whole field is one word for the letters-or-digits decision (a name spaced out letter by
letter is still one name, so its dotless ``ı`` reads as ``I``, not ``1``).

:func:`read_field` does both: ``read_field(crop, recognizer)`` -> :class:`~ocr_cli.page.result.Page`.
"""
from __future__ import annotations

import numpy as np

from ocr_cli.page import binarize, morph, segment
from ocr_cli.page.crops import Classifier
from ocr_cli.page.lexicon import Lexicon
from ocr_cli.page.result import Page

FIELD_HEIGHT = 128  # a crop is enlarged to at least this height: its letters then reach page size
FIELD_MAX_H = 160  # taller images are pages (a line or field crop of handwriting is lower)
PAGE_LINES = 3  # an image this small with this many whole lines of writing is a page
SLIVER = 0.6  # ink cut by the top or bottom edge and lower than this fraction of a whole character
STRIP = 0.05  # ink on the left or right edge and narrower than this fraction of the crop's width
# Printed labels of the forms in ../shared/data/words (and their English kin), as the
# recognizer reads them without spaces: a line reading as one of them is not the field.
FORM_LABELS = ("NOM", "PRENOM", "PRENOMS", "NAME", "SURNAME", "FIRSTNAME", "DATEDENAISSANCE", "NELE",
               "CLASSE", "CODERNEUAI", "DATEOFBIRTH")


def _colon_labels(boxes: np.ndarray, areas: np.ndarray, keep: np.ndarray, char_h: float) -> np.ndarray:
    """Mask of the components that make up printed ``LABEL :`` texts (labels and colons).

    A colon is two specks of like size, one above the other (same column within a fifth of
    a character height, a gap of 0.1-1 character heights), at most half as tall as the letter
    to its left, the lower one on that letter's baseline, at most 1.2 character heights away. Its label is the ink on its
    line to its left.
    """
    h, w = boxes[:, 1] - boxes[:, 0], boxes[:, 3] - boxes[:, 2]
    speck = keep & (np.maximum(h, w) < 0.35 * char_h) & (np.maximum(h, w) <= 2 * np.minimum(h, w)) & (areas >= 2)
    idx = np.flatnonzero(speck)
    cx = (boxes[:, 2] + boxes[:, 3]) / 2
    found = np.zeros(len(boxes), bool)
    for i in idx:
        for j in idx:
            if boxes[j, 0] <= boxes[i, 0] or i == j:
                continue
            gap = boxes[j, 0] - boxes[i, 1]
            like = max(areas[i], areas[j]) <= 3 * min(areas[i], areas[j])
            if abs(cx[i] - cx[j]) < 0.2 * char_h and 0.1 * char_h <= gap <= char_h and like:
                top, bottom = boxes[i, 0] - 0.8 * char_h, boxes[j, 1] + 0.4 * char_h
                left = keep & (boxes[:, 3] < boxes[i, 2]) & (boxes[:, 1] > top) & (boxes[:, 0] < bottom)
                if not left.any():
                    continue
                last = np.flatnonzero(left)[np.argmax(boxes[left, 3])]  # the label's last letter
                small = max(h[i], h[j]) <= 0.5 * h[last]
                if small and abs(boxes[j, 1] - boxes[last, 1]) < 0.25 * char_h and cx[i] - boxes[last, 3] < 1.2 * char_h:
                    found |= left
                    found[[i, j]] = True
    return found


def clean_field(grey: np.ndarray) -> tuple[np.ndarray, float]:
    """Enlarge a field crop and erase what is not its handwriting; return it and the scale used.

    Erased (set to paper): ink cut by the top or bottom edge that is much lower than the
    characters not cut (the neighbouring fields' slivers), thin strips on the left or right edge (a box line, a
    printed margin note), a printed ``LABEL :`` left of its colon, and hyphens (a short bar
    alone in its columns on its line: not one of the 36 characters).

    Parameters
    ----------
    grey : ndarray (H, W), white = 1

    Returns
    -------
    (ndarray (H', W') float32, scale) with ``H' = scale * H``.
    """
    from ocr_cli.page.ink import WORK_SIDE

    grey = np.asarray(grey, np.float32)
    s = max(1.0, FIELD_HEIGHT / grey.shape[0])
    s = min(s, max(1.0, WORK_SIDE / max(grey.shape)))
    if s > 1:
        grey = binarize.resize(grey, (round(grey.shape[0] * s), round(grey.shape[1] * s)))
    work = grey if binarize.ink_is_dark(grey) else 1.0 - grey
    labels, boxes, areas = segment.components(binarize.binarize(binarize.contrast_map(work)))
    if not len(boxes):
        return grey, s
    H, W = labels.shape
    h, w = boxes[:, 1] - boxes[:, 0], boxes[:, 3] - boxes[:, 2]
    cut = (boxes[:, 0] == 0) | (boxes[:, 1] == H)
    strip = ((boxes[:, 2] == 0) | (boxes[:, 3] == W)) & (w < STRIP * W)
    whole = ~cut & ~strip
    if not whole.any():
        return grey, s
    char_h = segment.typical_height(boxes[whole])
    erase = strip | cut & (h < SLIVER * char_h)
    erase |= _colon_labels(boxes, areas, ~erase, char_h)
    mid = (boxes[:, 0] + boxes[:, 1]) / 2
    alone = np.array([np.count_nonzero((boxes[:, 2] < c1) & (boxes[:, 3] > c0) & ~erase
                                       & (np.abs(mid - m) < char_h)) <= 1 for (c0, c1), m in zip(boxes[:, 2:], mid)])
    hyphen = ~erase & alone & (h < 0.35 * char_h) & (w > 1.5 * h) & (w < 1.5 * char_h)
    erase |= hyphen
    gone = morph.dilate(np.isin(labels, np.flatnonzero(erase) + 1))
    out = grey.copy()
    out[gone] = float(np.percentile(grey, 95)) if binarize.ink_is_dark(grey) else float(np.percentile(grey, 5))
    return out, s


def field_line(lines: list, boxes: np.ndarray, height: int, proba: np.ndarray, classes: str) -> list:
    """The line of a field crop that is its field.

    Lines that read as a printed form label (:data:`FORM_LABELS`, within an edit distance of
    a quarter of the label) are not, unless all are; of the others, the one nearest the
    crop's middle (a crop is cut around its field), the longer one on a tie. ``lines`` are
    lines of words of rows of ``boxes`` ((N, 4): r0, r1, c0, c1) and ``proba``; ``height``
    is the crop's in those pixels.
    """
    from ocr_cli.page.evaluate import edit_distance

    if len(lines) <= 1:
        return lines[0] if lines else []

    def rows(line):
        return [r for word in line for r in word]

    def label_like(line):
        text = "".join(classes[i] for i in proba[rows(line)].argmax(axis=1))
        return any(edit_distance(text, lab) <= len(lab) // 4 for lab in FORM_LABELS)

    def offset(line):
        centre = float(np.median((boxes[rows(line), 0] + boxes[rows(line), 1]) / 2))
        return abs(centre - height / 2), -len(rows(line))

    fields = [line for line in lines if not label_like(line)] or lines
    return min(fields, key=offset)


def is_field(image: np.ndarray) -> bool:
    """Whether an image is a crop of one form field or line rather than a page: at most
    ``FIELD_MAX_H`` pixels high, at least three times as wide, and holding fewer than
    ``PAGE_LINES`` whole lines of writing (a small photo of a page can be shaped like a
    field too; a field crop's slivers of the fields above and below are cut by its edges).
    """
    from ocr_cli.page.pipeline import find_characters

    h, w = np.asarray(image).shape[:2]
    if h > FIELD_MAX_H or w < 3 * h:
        return False
    found = find_characters(image)
    if not found.lines:
        return True
    heights = [np.median([found.boxes[k, 1] - found.boxes[k, 0] for word in words for k in word]) for words in found.lines]
    whole = [words for words, lh in zip(found.lines, heights)
             if sum(map(len, words)) >= 2 and lh >= 0.6 * max(heights)
             and found.boxes[[k for word in words for k in word], 0].min() > 0
             and found.boxes[[k for word in words for k in word], 1].max() < found.labels.shape[0]]
    return len(whole) < PAGE_LINES


def read_field(image: np.ndarray, recognizer: Classifier, chars: str | None = None,
               lexicon: Lexicon | None = None) -> Page:
    """Read a form-field crop: :func:`clean_field`, then the page pipeline in field mode.

    Returns a :class:`~ocr_cli.page.result.Page` of (at most) one line, boxes in the crop's pixels.
    """
    from ocr_cli.page.ink import as_grey_and_colour
    from ocr_cli.page.pipeline import read_page

    grey = as_grey_and_colour(image)[0]
    grey = grey.astype(np.float32) / np.float32(255) if grey.dtype == np.uint8 else grey
    clean, s = clean_field(grey)
    page = read_page(clean, recognizer, rotate=0, field=True, chars=chars, lexicon=lexicon)
    for c in page.chars:
        c.box = tuple(int(round(v / s)) for v in c.box)
    page.width, page.height = grey.shape[1], grey.shape[0]
    return page


def read_page_or_field(image: np.ndarray, recognizer: Classifier, field: bool | None = None,
                       **options: object) -> Page:
    """Read an image as a page (:func:`~ocr_cli.page.read_page`) or, with ``field`` (None: when
    it is shaped like one, :func:`is_field`), as one form field (:func:`read_field`, upright:
    a ``rotate`` option is dropped). ``options`` go to the reader (``chars``, ``lexicon``, ...)."""
    from ocr_cli.page import read_page  # looked up per call: tests and callers may replace it

    if field is None:
        field = is_field(image)
    if field:
        options.pop("rotate", None)
    return (read_field if field else read_page)(image, recognizer, **options)

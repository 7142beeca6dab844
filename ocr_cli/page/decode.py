"""Recognizer probabilities in, the page's reading out: the decisions made after the batch.

Which wide characters are really two letters, which neighbours are really one, and which
of look-alike letters and digits a word is made of. Rows of ``proba`` are characters (and
their alternatives) in the order :func:`~ocr_cli.page.pipeline.read_page` batched them.
"""
from __future__ import annotations

import numpy as np


# Handwritten, these are one shape: only the rest of the word can tell which is meant.
SAME_SHAPE = {"O": "0", "0": "O", "I": "1", "1": "I"}
MIXED_ODDS = 0.1  # a character of the other kind in a short word switches if its twin is this likely


def consistent_words(proba: np.ndarray, classes: str, words: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Best class and its confidence per character, letters and digits kept apart within a word.

    Shapes like O/0, I/1, S/5, Z/2 and B/8 are ambiguous alone but rarely mixed within a
    word. For a word of two or more characters whose probability mass is mostly digits
    (or mostly letters), a character read as the other kind becomes its twin of the word's
    kind when the two are one shape (``SAME_SHAPE``: the recognizer's O-or-0 preference is
    a dataset's style, not evidence), or else the word kind's best class when the recognizer
    gives that at least ``MIXED_ODDS`` of its top probability, less in words longer than three
    (one ``S`` among eight digits is a ``5`` unless it is very sure); confident mixed readings
    (``4TH``, ``B2``) stay as they are. A character of the word's kind is as sure as its probability
    among that kind (the ``O`` of ``TO`` is not doubtful just because it also looks like a ``0``).
    """
    best = proba.argmax(axis=1) if len(proba) else np.zeros(0, int)
    conf = proba[np.arange(len(best)), best] if len(proba) else np.zeros(0)
    is_digit = np.array([c.isdigit() for c in classes])
    twin = np.array([classes.find(SAME_SHAPE.get(c, "?")) for c in classes])  # -1: none
    for word in words:
        if len(word) < 2:
            continue
        word = np.asarray(word)
        p = proba[word]
        rows = np.arange(len(word))
        digits = p[:, is_digit].sum() > p[:, ~is_digit].sum()
        other_kind = is_digit[best[word]] != digits
        shape_twin = other_kind & (twin[best[word]] >= 0)
        allowed = np.where(is_digit == digits, p, -1.0)
        alt = np.where(shape_twin, twin[best[word]], allowed.argmax(axis=1))
        # the longer the word, the less likely one character of the other kind in it is meant
        switch = shape_twin | (other_kind & (p[rows, alt] >= MIXED_ODDS * 3 / max(3, len(word)) * p[rows, best[word]]))
        best[word[switch]] = alt[switch]
        kind = is_digit[best[word]] == digits
        within = p[rows, best[word]] / np.maximum(p[:, is_digit == digits].sum(axis=1), 1e-9)
        conf[word[kind]] = within[kind]
    return best, conf


def sureness(proba: np.ndarray, classes: str) -> np.ndarray:
    """How sure each reading is, look-alikes across kinds aside: the best class's share of its
    kind's probability, for the kind (letters or digits) holding most of it.

    An ``O`` that the recognizer splits 80/20 with ``0`` is a sure round letter-or-digit,
    not a doubtful shape; only doubt within the kind says the crop may not be one character.
    """
    is_digit = np.array([c.isdigit() for c in classes])
    digits = proba[:, is_digit].sum(axis=1) > proba[:, ~is_digit].sum(axis=1)
    mask = is_digit[None, :] == digits[:, None]
    within = np.where(mask, proba, 0.0)
    return within.max(axis=1) / np.maximum(within.sum(axis=1), 1e-9)


def choose_splits(sure: np.ndarray, splits: dict, n: int) -> dict:
    """``{character index: rows of its parts}`` for the wide characters better read as several.

    ``sure`` (see :func:`sureness`) holds the ``n`` characters' rows, then the parts of every
    entry of ``splits`` in order. A split wins when the whole is in doubt (sureness under
    0.9) and its least sure part leaves at most half that doubt: two touching ``L`` read as
    a fair ``U`` come apart, while a clear ``W`` stays one letter even though its halves look
    like two ``V`` letters, and a round ``O`` does not become ``C`` plus the ``3`` its right
    arc resembles.
    """
    chosen, row = {}, n
    for k, parts in splits.items():
        rows = list(range(row, row + len(parts)))
        row += len(parts)
        whole, split = sure[k], sure[rows].min()
        if whole < 0.9 and 1 - split < (1 - whole) / 2:
            chosen[k] = rows
    return chosen


def choose_merges(sure: np.ndarray, merges: dict, first: int) -> dict:
    """``{(k, j): row}`` for the neighbour pairs better read as one letter.

    ``sure[first:]`` (see :func:`sureness`) holds the merged readings in the order of
    ``merges``. Like :func:`choose_splits`, the one letter must leave at most half the pair's
    doubt, but the pair need not be in doubt: the two halves of a faint ``V`` or ``U`` are two
    sure bars (``I``), and only their reading as one letter is surer still. Chosen pairs never
    overlap; the surest merges go first.
    """
    candidates = []
    for row, (k, j) in enumerate(merges, first):
        merged, pair = sure[row], np.sqrt(sure[k] * sure[j])
        if 1 - merged < (1 - pair) / 2:
            candidates.append((merged - pair, k, j, row))
    chosen, used = {}, set()
    for _, k, j, row in sorted(candidates, reverse=True):
        if k not in used and j not in used:
            chosen[(k, j)] = row
            used |= {k, j}
    return chosen


def reading(word: list[int], splits: dict, merges: dict) -> list[int]:
    """Rows of ``proba`` that spell one word after the chosen splits and merges."""
    rows, skip = [], False
    for k, j in zip(word, list(word[1:]) + [None]):
        if skip:
            skip = False
        elif (k, j) in merges:
            rows.append(merges[(k, j)])
            skip = True
        else:
            rows += splits.get(k, [k])
    return rows

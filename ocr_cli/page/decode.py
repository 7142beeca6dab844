"""Recognizer probabilities in, the page's reading out: the decisions made after the batch.

Which wide characters are really two letters, which neighbours are really one, and which
of look-alike letters and digits a word is made of. Rows of ``proba`` are characters (and
their alternatives) in the order :func:`~ocr_cli.page.pipeline.read_page` batched them.
"""
from __future__ import annotations

import numpy as np


def consistent_words(proba: np.ndarray, classes: str, words) -> tuple[np.ndarray, np.ndarray]:
    """Best class and its confidence per character, letters and digits kept apart within a word.

    Shapes like O/0, I/1, S/5, Z/2 and B/8 are ambiguous alone but rarely mixed within a
    word. For a word of two or more characters whose probability mass is mostly digits
    (or mostly letters), a character read as the other kind takes the majority kind's best
    class instead, when the recognizer gives that class at least a tenth of its top
    probability; confident mixed readings (``4TH``, ``B2``) stay as they are. A character
    of the word's kind is as sure as its probability among that kind (the ``O`` of ``TO``
    is not doubtful just because it also looks like a ``0``).
    """
    best = proba.argmax(axis=1) if len(proba) else np.zeros(0, int)
    conf = proba[np.arange(len(best)), best] if len(proba) else np.zeros(0)
    is_digit = np.array([c.isdigit() for c in classes])
    for word in words:
        if len(word) < 2:
            continue
        word = np.asarray(word)
        p = proba[word]
        digits = p[:, is_digit].sum() > p[:, ~is_digit].sum()
        allowed = np.where(is_digit == digits, p, -1.0)
        alt = allowed.argmax(axis=1)
        rows = np.arange(len(word))
        switch = (is_digit[best[word]] != digits) & (p[rows, alt] >= 0.1 * p[rows, best[word]])
        best[word[switch]] = alt[switch]
        kind = is_digit[best[word]] == digits
        within = p[rows, best[word]] / np.maximum(p[:, is_digit == digits].sum(axis=1), 1e-9)
        conf[word[kind]] = within[kind]
    return best, conf


def choose_splits(proba: np.ndarray, splits: dict, n: int) -> dict:
    """``{character index: rows of its parts}`` for the wide characters better read as several.

    ``proba`` holds the ``n`` characters' rows, then the parts of every entry of ``splits`` in
    order. A split wins when its least sure part leaves at most half the whole's doubt and
    either the whole is doubtful (under 0.5) or every part is sure (over 0.9): two touching
    ``L`` read as a fair ``U`` come apart, while a clear ``W`` stays one letter even though
    its halves look a bit like two ``V`` letters, and a wide ``0`` does not become ``C`` plus
    a fair ``7``.
    """
    chosen, row = {}, n
    for k, parts in splits.items():
        rows = list(range(row, row + len(parts)))
        row += len(parts)
        whole, split = proba[k].max(), proba[rows].max(axis=1).min()
        if 1 - split < (1 - whole) / 2 and (whole < 0.5 or split > 0.9):
            chosen[k] = rows
    return chosen


def choose_merges(proba: np.ndarray, merges: dict, first: int) -> dict:
    """``{(k, j): row}`` for the neighbour pairs better read as one letter.

    ``proba[first:]`` holds the merged readings in the order of ``merges``. Mirror of
    :func:`choose_splits`: the one letter must leave at most half the pair's doubt and be
    sure (over 0.9) unless the pair is doubtful (under 0.5). Chosen pairs never overlap;
    the surest merges go first.
    """
    candidates = []
    for row, (k, j) in enumerate(merges, first):
        merged, pair = proba[row].max(), np.sqrt(proba[k].max() * proba[j].max())
        if 1 - merged < (1 - pair) / 2 and (pair < 0.5 or merged > 0.9):
            candidates.append((merged - pair, k, j, row))
    chosen, used = {}, set()
    for _, k, j, row in sorted(candidates, reverse=True):
        if k not in used and j not in used:
            chosen[(k, j)] = row
            used |= {k, j}
    return chosen


def reading(word, splits: dict, merges: dict) -> list:
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

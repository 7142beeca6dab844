"""Matching a page's crops to its known text: labeled samples from a page whose text you know.

The page pipeline finds the characters; only lines whose number of crops equals the number
of characters of a text line are labeled, matched in order (:func:`match_lines`), so a line
where the pipeline merged or split a character never shifts the labels after the error.
Used by writer adaptation (:mod:`ocr_cli.training.adapt`) and the ``pages`` data source.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ocr_cli.charset import CLASSES


def truth_lines(text: str) -> list[str]:
    """The characters of each non-empty line of ``text`` that a recognizer can read (A–Z, 0–9)."""
    lines = ["".join(c for c in line.upper() if c in CLASSES) for line in text.splitlines()]
    return [line for line in lines if line]


def match_lines(found: list[int], expected: list[int]) -> list[tuple[int, int]]:
    """Pair found lines with text lines, in order, where their character counts agree.

    A longest common subsequence over the counts, so an extra line (a smudge) or a missed one
    does not misalign the others.

    Parameters
    ----------
    found : list of int
        Number of characters of each line the pipeline found, top to bottom.
    expected : list of int
        Number of characters of each text line.

    Returns
    -------
    list of (int, int)
        ``(found index, text index)`` pairs, both increasing.
    """
    n, m = len(found), len(expected)
    best = np.zeros((n + 1, m + 1), int)
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            best[i, j] = max(best[i + 1, j], best[i, j + 1], best[i + 1, j + 1] + (found[i] == expected[j]))
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        if found[i] == expected[j] and best[i, j] == best[i + 1, j + 1] + 1:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i + 1, j] >= best[i, j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def page_samples(image: str | Path | np.ndarray, text: str) -> tuple[np.ndarray, np.ndarray, dict]:
    """Labeled canonical samples from a page image and its true text.

    Parameters
    ----------
    image : str, Path or ndarray (H, W)
        A page image file, or a grey page (float, white = 1).
    text : str
        The page's text, one line per written line.

    Returns
    -------
    X : ndarray (N, 32, 32) float32
        The crops of the matched lines, in reading order.
    y : ndarray (N,) int64
        Their labels (indices into :data:`~ocr_cli.charset.CLASSES`).
    report : dict
        ``lines_found``, ``lines_expected``, ``lines_used``, the ``used`` text lines (in the
        order of ``X``) and the ``skipped`` ones.
    """
    from ocr_cli.fileio.images import read_image
    from ocr_cli.page.crops import crop_samples
    from ocr_cli.page.pipeline import find_characters

    grey = read_image(image) if isinstance(image, (str, Path)) else np.asarray(image, np.float32)
    found = find_characters(grey)
    crops = crop_samples(found.contrast, found.labels, found.parts, found.boxes)
    lines = [[k for word in words for k in word] for words in found.lines]
    expected = truth_lines(text)
    pairs = match_lines([len(line) for line in lines], [len(t) for t in expected])
    idx = [k for i, _ in pairs for k in lines[i]]
    labels = [CLASSES.index(c) for _, j in pairs for c in expected[j]]
    used = {j for _, j in pairs}
    report = {"lines_found": len(lines), "lines_expected": len(expected), "lines_used": len(pairs),
              "used": [expected[j] for _, j in pairs], "skipped": [t for j, t in enumerate(expected) if j not in used]}
    X = crops[idx] if idx else np.zeros((0, *crops.shape[1:]), np.float32)
    return X.astype(np.float32), np.array(labels, np.int64), report

"""What a word may be: allowed characters (``--chars``) and dictionary words (``--lexicon``).

Both act on the recognizer's per-character probabilities, after the batch and before the
reading is final. :func:`restrict` removes the classes a field cannot hold (a postcode has
no letters). :class:`Lexicon` rescoring replaces a word by the dictionary word of the same
length that the characters' probabilities make most likely, but only when that word is
nearly as likely as the reading itself: a near-miss (``HELL0``, ``JUL1EN``) becomes the word,
a clear reading of a name not in the list stays as read, and numbers (words mostly of
digits) are left alone.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ocr_cli.errors import OcrError

CHAR_SETS = {"letters": "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "digits": "0123456789"}
# A dictionary word is taken when its probability is at least this fraction of the reading's:
# being in the list makes a word that much more likely a priori than an arbitrary string.
# Chosen on the words/ training part (a names list from two thirds of it, read on the other
# third): 1e-4 0.4, 1e-3 1.3, 1e-2 1.2, 0.2 0.8 points gained; of the two best, the more
# cautious one.
LEXICON_PRIOR = 1e-2
BUILT_IN = "english"  # --lexicon english: the GCIDE dictionary's words from the english-words package


def parse_chars(spec: str, classes: str) -> str:
    """``letters``, ``digits`` or a set of characters (``0123456789X``) -> the allowed classes."""
    allowed = CHAR_SETS.get(spec.strip().lower(), spec.strip().upper()) if spec else ""
    bad = sorted(set(allowed) - set(classes))
    if not allowed or bad:
        raise OcrError(f"--chars {spec!r}: give letters, digits or characters from {classes}"
                       + (f" (not one: {''.join(bad)})" if bad else ""))
    return "".join(c for c in classes if c in allowed)


def restrict(proba: np.ndarray, classes: str, allowed: str) -> np.ndarray:
    """Probabilities (N, C) renormalised over the ``allowed`` classes only (the others get 0)."""
    keep = np.array([c in allowed for c in classes])
    p = np.where(keep, proba, 0.0)
    return p / np.maximum(p.sum(axis=1, keepdims=True), 1e-30)


def words_of(text: str) -> list[str]:
    """The dictionary entries a line of a word list gives: the whole line's letters (``JEAN-MICHEL``
    -> ``JEANMICHEL``, as a field reads) and each of its words (``JEAN``, ``MICHEL``)."""
    parts = [p for p in re.split(r"[^A-Z]+", text.upper()) if p]
    return parts + (["".join(parts)] if len(parts) > 1 else [])


class Lexicon:
    """A word list, grouped by length as index arrays into ``classes`` for fast scoring."""

    def __init__(self, words, classes: str):
        self.classes = classes
        entries = sorted({w for line in words for w in words_of(line) if all(c in classes for c in w)})
        self.words = set(entries)
        by_len = {}
        for w in entries:
            by_len.setdefault(len(w), []).append([classes.index(c) for c in w])
        self.by_len = {n: np.array(v, np.int64) for n, v in by_len.items()}

    @classmethod
    def from_file(cls, path: str | Path, classes: str) -> Lexicon:
        """The word list in a user's file (one word a line), or a one-line :class:`OcrError`."""
        from ocr_cli.fileio.reading import read_bytes

        path = Path(path)
        try:  # a regular file of at most 64 MB (a FIFO would block, /dev/zero never ends)
            text = read_bytes(path, 64 << 20, "word list").decode("utf-8", errors="replace")
        except OcrError as e:
            raise OcrError(f"cannot read the word list: {e}") from None
        lex = cls(text.splitlines(), classes)
        if not lex.words:
            raise OcrError(f"{path}: no words of letters A-Z in it (one word per line)")
        return lex

    def __len__(self) -> int:
        return len(self.words)

    def best(self, proba: np.ndarray, reading: np.ndarray) -> np.ndarray:
        """The word to read for characters with probabilities ``proba`` (L, C) now read as
        ``reading`` (L,) class indices: the likeliest dictionary word of length L when it is at
        least ``LEXICON_PRIOR`` times as likely as ``reading``, else ``reading`` itself (also
        when ``reading`` is mostly digits: a number is not a near-miss of a word)."""
        text = "".join(self.classes[i] for i in reading)
        cands = self.by_len.get(len(reading))
        if cands is None or text in self.words or 2 * sum(c.isdigit() for c in text) > len(text):
            return reading
        logp = np.log(np.maximum(proba, 1e-30))
        scores = logp[np.arange(len(reading))[None, :], cands].sum(axis=1)
        k = int(np.argmax(scores))
        own = float(logp[np.arange(len(reading)), reading].sum())
        return cands[k] if scores[k] >= own + np.log(LEXICON_PRIOR) else reading


def rescore(proba: np.ndarray, best: np.ndarray, conf: np.ndarray, groups: list[list[int]],
            lexicon: Lexicon) -> tuple[np.ndarray, np.ndarray]:
    """Apply :meth:`Lexicon.best` to each group of rows (a word, or a whole field); a changed
    character's confidence becomes its probability. Returns new ``(best, conf)``."""
    best, conf = best.copy(), conf.copy()
    for rows in groups:
        rows = np.asarray(rows, int)
        if not len(rows):
            continue
        new = lexicon.best(proba[rows], best[rows])
        changed = rows[new != best[rows]]
        best[rows] = new
        conf[changed] = proba[changed, best[changed]]
    return best, conf


def load_lexicon(spec: str, classes: str) -> Lexicon:
    """``--lexicon``: a word-list file (one word per line) or ``english`` (the built-in list:
    the 115,000 words of the GCIDE dictionary in the ``english-words`` package,
    ``pip install 'ocr-cli[lexicon]'``)."""
    if spec == BUILT_IN and not Path(spec).exists():
        try:
            from english_words import get_english_words_set
        except ImportError:
            raise OcrError("--lexicon english needs the english-words package: pip install 'ocr-cli[lexicon]'") from None
        return Lexicon(get_english_words_set(["gcide"], alpha=True), classes)
    return Lexicon.from_file(spec, classes)

"""Crops of one handwritten word or form field each, with their text: ``NAME.jpg`` + ``NAME.txt``.

``../shared/data/words`` holds 995 such crops cut from French forms (first and last names in
block capitals); some also show the printed field label (``NOM :``, ``PRENOM :``), box lines
and slivers of the neighbouring fields, which are not part of the text.

:func:`word_files` lists a folder's crops and :func:`split_words` gives the fixed held-out
part: the same fixed stratified 30% as every real source of ``ocr train``, with the crops'
pixel sizes as strata (each form template cuts its fields at one size, so every template is
held out in proportion), independent of any seed a run is given. The ``words`` source gives the labeled character crops of the
*training* part only (for any split), so the held-out crops are never trained on, not even
through their characters.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ocr_cli.errors import OcrError


def word_files(path) -> list[tuple[Path, str]]:
    """``(image, text)`` for every image in the folder ``path`` with a ``<stem>.txt`` beside it, sorted."""
    from ocr_cli.inputs import IMAGE_SUFFIXES

    root = Path(path)
    if not root.is_dir():
        raise OcrError(f"{root}: not a directory")
    from ocr_cli.fileio.reading import read_bytes

    pairs = [(f, read_bytes(f.with_suffix(".txt"), 1 << 20, "word's text").decode("utf-8", errors="replace").strip())
             for f in sorted(root.iterdir()) if f.suffix.lower() in IMAGE_SUFFIXES and f.with_suffix(".txt").is_file()]
    if not pairs:
        raise OcrError(f"{root}: no image with a <stem>.txt of its text beside it")
    return pairs


def heldout_words(images) -> np.ndarray:
    """Boolean mask of the fixed, stratified held-out part of a list of word crops.

    Strata are the crops' pixel sizes (one per form template), held out like the classes of
    a character source (:func:`ocr_cli.data.mix.heldout_mask`).
    """
    from PIL import Image

    from ocr_cli.data.mix import heldout_mask

    sizes = []
    for f in images:
        with Image.open(f) as im:
            sizes.append(im.size)
    strata = {s: k for k, s in enumerate(sorted(set(sizes)))}
    return heldout_mask(np.array([strata[s] for s in sizes], int))


def split_words(path, part: str) -> list[tuple[Path, str]]:
    """The ``"train"`` or ``"heldout"`` part (or ``"all"``) of the crops in ``path``."""
    pairs = word_files(path)
    if part == "all":
        return pairs
    if part not in ("train", "heldout"):
        raise OcrError(f"unknown part {part!r}; choose train, heldout or all")
    held = heldout_words([f for f, _ in pairs])
    return [p for p, h in zip(pairs, held) if h == (part == "heldout")]


def field_samples(grey: np.ndarray, text: str):
    """Labeled canonical samples of one field crop: ``(X (n, 32, 32), y (n,))``, or empty arrays.

    The crop is cleaned like :func:`~ocr_cli.page.fields.read_field` cleans it and its
    characters found by the page pipeline; the crop counts only when exactly one of its
    lines holds as many characters as ``text`` has letters and digits, so no label is ever
    shifted onto the wrong crop (nor onto a printed label that happens to be as long).
    """
    from ocr_cli.charset import CLASSES, SIZE
    from ocr_cli.page import find_characters
    from ocr_cli.page.crops import crop_samples
    from ocr_cli.page.evaluate import alnum
    from ocr_cli.page.fields import clean_field

    truth = alnum(text)
    clean, _ = clean_field(grey)
    found = find_characters(clean)
    lines = [[k for word in words for k in word] for words in found.lines]
    match = [line for line in lines if len(line) == len(truth)]
    if len(match) != 1 or not truth:
        return np.zeros((0, SIZE, SIZE), np.float32), np.zeros(0, np.int64)
    X = crop_samples(found.contrast, found.labels, [found.parts[k] for k in match[0]], found.boxes[match[0]])
    return X, np.array([CLASSES.index(c) for c in truth], np.int64)


def load_words(split, path, data_dir, n, seed):
    """Character crops of the *training* part of a words folder (any split: the held-out
    crops are for field scoring and are never read here)."""
    from ocr_cli.charset import SIZE
    from ocr_cli.fileio.images import read_image

    root = Path(path) if path is not None else Path(data_dir) / "words"
    Xs, ys = [np.zeros((0, SIZE, SIZE), np.float32)], [np.zeros(0, np.int64)]
    for image, text in split_words(root, "train"):
        X, y = field_samples(read_image(image), text)
        Xs.append(X)
        ys.append(y)
    return np.concatenate(Xs), np.concatenate(ys)

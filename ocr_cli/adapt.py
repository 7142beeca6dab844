"""Writer adaptation: fine-tune a recognizer to one person's handwriting from pages of known text.

A user writes a page whose text they know (an alphabet sheet, a pangram) and photographs it.
:func:`page_samples` runs the page pipeline and labels its crops with that text. Only lines
whose number of crops equals the number of characters of a text line are used; a line
where the pipeline merged or split a character would shift every label after the error.

:func:`adapt` then fine-tunes the whole net at a small learning rate (:mod:`ocr_cli.finetune`)
on the writer's crops, augmented, *mixed with the original training data* so that the model
does not forget the characters and hands it did not see on the page. The writer's crops are
repeated to weigh about as much as the original data in every epoch.

There is nothing of the writer left to hold out, so validation averages the fit to the
writer's crops and the original data's held-out part: the kept epoch is the one that fits
the writer best without forgetting. Measure the real gain on another page of the same writer.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ocr_cli.charset import CLASSES
from ocr_cli.errors import OcrError


def truth_lines(text: str) -> list[str]:
    """The characters of each non-empty line of ``text`` that a recognizer can read (A–Z, 0–9)."""
    lines = ["".join(c for c in line.upper() if c in CLASSES) for line in text.splitlines()]
    return [line for line in lines if line]


def match_lines(found: list[int], expected: list[int]) -> list[tuple[int, int]]:
    """Pair found lines with text lines, in order, where their character counts agree.

    A longest common subsequence over the counts, so an extra line (a smudge) or a missed one
    does not misalign the others. Returns ``[(found index, text index), ...]``.
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


def page_samples(image, text: str):
    """Labeled canonical samples from a page image (path or grey array) and its true text.

    Returns ``(X, y, report)``; ``report`` counts lines found, expected and used, and lists
    the text lines that were skipped.
    """
    from ocr_cli.fileio import read_image
    from ocr_cli.page import find_characters
    from ocr_cli.page.crops import crop_samples

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
              "skipped": [t for j, t in enumerate(expected) if j not in used]}
    X = crops[idx] if idx else np.zeros((0, *crops.shape[1:]), np.float32)
    return X.astype(np.float32), np.array(labels, np.int64), report


def adapt(start, pages, out, original: str = "synthetic", synthetic_n: int = 2000, epochs: int = 5, lr=None,
          seed: int = 0, data_dir=None, threads=None, command=None, progress: bool = True, log=print, source=None):
    """Fine-tune ``start`` to the writer of ``pages`` (``[(image, text), ...]``), writing into ``out``.

    ``original`` names the data mixed in against forgetting (``ocr train`` sources).
    Returns the :class:`ocr_cli.train.RunResult`; the sidecar records the pages and line counts.
    """
    from ocr_cli.fileio import read_json, write_json
    from ocr_cli.finetune import finetune
    from ocr_cli.train import DataMix, Source

    Xs, ys, reports = [], [], []
    for image, text in pages:
        X, y, report = page_samples(image, text)
        log(f"{image}: {report['lines_found']} lines found, {report['lines_expected']} in the text, "
            f"{report['lines_used']} used ({len(y)} characters)"
            + (f"; skipped: {', '.join(report['skipped'])}" if report["skipped"] else ""))
        Xs.append(X)
        ys.append(y)
        reports.append({"image": str(image), **report, "characters": len(y)})
    X, y = np.concatenate(Xs), np.concatenate(ys)
    if len(y) == 0:
        raise OcrError("no line of the page(s) matched its text line by line; check the text and the photo")
    mix = DataMix.load(original, data_dir=data_dir, synthetic_n=synthetic_n)
    repeat = max(1, math.ceil(mix.epoch_size() / len(y)))  # the writer weighs as much as the rest
    writer = Source("writer", (np.concatenate([X] * repeat), np.concatenate([y] * repeat)), (X, y))
    mix.sources.insert(0, writer)
    mix.val_sources.insert(0, writer)
    result = finetune(start, mix, out, freeze_what="none", epochs=epochs, lr=lr, seed=seed, threads=threads,
                      command=command, progress=progress, log=log, source=source)
    if result.model_path is not None:
        sidecar = result.model_path.with_suffix(".json")
        meta = read_json(sidecar)
        meta["adapt"] = {"pages": reports, "writer_samples": len(y), "writer_repeat": repeat, "original": original}
        write_json(sidecar, meta)
    return result


def run_adapt(pages, texts, out, model="cnn", **kw):
    """What ``ocr adapt`` does: check the files, load the model, adapt it."""
    from ocr_cli.finetune import start_from

    if len(pages) != len(texts):
        raise OcrError(f"give one --text per --page ({len(pages)} pages, {len(texts)} texts)")
    if not pages:
        raise OcrError("give at least one --page IMAGE --text TRUTH.txt")
    truths = []
    for t in texts:
        try:
            truths.append(Path(t).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as e:
            raise OcrError(f"{t}: cannot read the text ({type(e).__name__})") from None
    start = start_from(model)
    return adapt(start, list(zip(pages, truths)), out, source=model, **kw)

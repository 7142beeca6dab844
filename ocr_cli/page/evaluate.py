"""Scoring page reads against ground truth: per page and in total, as a table or JSON.

Metrics
-------
character accuracy : 1 − edit distance / length over A–Z0–9 only (spaces, line breaks and
    punctuation ignored), so it measures reading, not layout.
CER : character error rate over the text with spaces (each run of whitespace = one space).
word accuracy : 1 − word-level edit distance / number of true words.
lines : lines found vs lines expected.
Totals pool the edit distances and lengths of all pages (long pages weigh more); a page
whose ground truth is empty has no rates and is left out of them. Edit distances are
rapidfuzz's Levenshtein (C++; the pure-Python loop took 6.6 s on a 3,000-character page).
"""
from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ocr_cli.inputs import IMAGE_SUFFIXES, folder_files

if TYPE_CHECKING:  # the reader's types, without importing the pipeline to score text
    from ocr_cli.page.crops import Classifier
    from ocr_cli.page.lexicon import Lexicon



def edit_distance(a: str | list[str], b: str | list[str]) -> int:
    """Levenshtein distance between two sequences (strings or lists of words), by rapidfuzz."""
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.distance(a, b)


def alnum(text: str) -> str:
    """Only the letters and digits, in capitals: what the character rates count."""
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def spaced(text: str) -> str:
    """Capitals, words one space apart: what the word rates count."""
    return " ".join(text.upper().split())


def score_text(predicted: str, truth: str) -> dict:
    """Raw counts for one page; :func:`rates` turns (sums of) them into accuracies."""
    return {
        "char_errors": edit_distance(alnum(predicted), alnum(truth)), "chars": len(alnum(truth)),
        "cer_errors": edit_distance(spaced(predicted), spaced(truth)), "cer_chars": len(spaced(truth)),
        "word_errors": edit_distance(spaced(predicted).split(), spaced(truth).split()),
        "words": len(spaced(truth).split()),
        "lines_found": len([s for s in predicted.splitlines() if s.strip()]),
        "lines_expected": len([s for s in truth.splitlines() if s.strip()]),
    }


def rates(c: dict) -> dict:
    """Accuracies from counts; ``None`` where the truth has nothing to measure against."""
    return {
        "char_accuracy": 1 - c["char_errors"] / c["chars"] if c["chars"] else None,
        "cer": c["cer_errors"] / c["cer_chars"] if c["cer_chars"] else None,
        "word_accuracy": max(0.0, 1 - c["word_errors"] / c["words"]) if c["words"] else None,
    }


def _score_page(task):
    """Read and score one page in a worker: the page's report entry, or ``{"error": ...}``."""
    from ocr_cli.workers import worker_recognizer
    from ocr_cli.errors import OcrError
    from ocr_cli.fileio.images import read_image
    from ocr_cli.page.fields import is_field, read_page_or_field

    name, image, truth, field, chars, lexicon = task
    start = time.perf_counter()
    try:
        grey = read_image(image, colour=True)
        field = is_field(grey) if field is None else field  # the report says which way it was read
        page = read_page_or_field(grey, worker_recognizer(), field=field, chars=chars, lexicon=lexicon)
    except OcrError as e:
        return {"image": name, "error": str(e)}
    except (OSError, ValueError, MemoryError) as e:
        return {"image": name, "error": f"{image}: {type(e).__name__}: {e}"}
    seconds = time.perf_counter() - start
    counts = score_text(page.text, truth)
    return {"image": name, "text": page.text, "truth": truth.strip(), "empty_truth": not alnum(truth), **counts,
            **rates(counts), "seconds": seconds, "field": field}


def _crashed(task):
    name, image = task[:2]
    return {"image": name, "error": f"{image}: the reader crashed on it (its process died)"}


def evaluate_dir(directory: str | Path, recognizer: Classifier, recursive: bool = False, jobs: int | None = 1,
                 progress: bool = False, field: bool | None = None, chars: str | None = None,
                 lexicon: Lexicon | None = None, images: list[Path] | None = None) -> dict:
    """Read every image in ``directory`` that has a ``<stem>.txt`` beside it and score it.

    Returns ``{"pages": [...], "skipped": [...], "errors": [...], "total": {...}}``: each page
    holds its predicted and true text, the counts of :func:`score_text`, the rates and the
    seconds; ``skipped`` lists images without a ground truth, ``errors`` the ``PATH: why`` of
    unreadable images and ground truths. A page whose truth is empty (no A-Z0-9) is marked
    ``empty_truth`` with no rates and stays out of the totals. ``recursive`` descends into
    sub-folders; ``jobs`` pages are read at once (:func:`~ocr_cli.workers.ordered_map`).
    ``field`` True reads each image as one form field (:func:`~ocr_cli.page.fields.read_field`:
    only the handwritten field is read and scored), False as a page, None decides per image
    (:func:`~ocr_cli.page.fields.is_field`); ``chars`` (allowed classes) and ``lexicon`` go to the reader;
    ``images`` scores only those files of ``directory``.
    """
    from ocr_cli.errors import OcrError
    from ocr_cli.fileio.reading import read_text
    from ocr_cli.workers import ordered_map, use_recognizer

    directory = Path(directory)
    if not directory.is_dir():
        raise OcrError(f"{directory}: not a directory")
    images = folder_files(directory, recursive, IMAGE_SUFFIXES) if images is None else list(images)
    tasks, skipped, errors = [], [], []
    for image in images:
        name = image.relative_to(directory).as_posix()
        truth_file = image.with_suffix(".txt")
        if not truth_file.is_file():
            skipped.append(name)
            continue
        try:
            truth = read_text(truth_file, what="ground truth")
        except OcrError as e:  # unreadable, not UTF-8, or larger than any page's text
            errors.append(str(e))
            continue
        tasks.append((name, image, truth, field, chars, lexicon))
    if not images:
        raise OcrError(f"{directory}: no images found" + ("" if recursive else " (use --recursive to read sub-folders)"))
    if not tasks and not errors:
        raise OcrError(f"{directory}: none of its {len(images)} images has a <stem>.txt ground truth beside it")
    start = time.perf_counter()
    pages = []
    for r in ordered_map(_score_page, tasks, jobs, use_recognizer, (recognizer,), progress, crashed=_crashed):
        if "error" in r:
            errors.append(r["error"])
        else:
            pages.append(r)
    keys = ["char_errors", "chars", "cer_errors", "cer_chars", "word_errors", "words",
            "lines_found", "lines_expected", "seconds"]
    scored = [p for p in pages if not p["empty_truth"]]
    total = {k: sum(p[k] for p in scored) for k in keys}
    total.update(rates(total))
    total["pages"] = len(scored)
    total["wall_seconds"] = time.perf_counter() - start
    return {"pages": pages, "skipped": skipped, "errors": errors, "total": total}


def format_table(report: dict) -> str:
    """The report as a fixed-width table for people."""
    head = f"{'page':<24} {'char acc':>8} {'CER':>6} {'word acc':>8} {'lines':>7} {'seconds':>7}"
    rows = [head, "-" * len(head)]

    def row(name, r):
        lines = f"{r['lines_found']}/{r['lines_expected']}"
        if r.get("empty_truth"):
            return f"{name:<24} {'empty ground truth (not scored)':>32} {r['seconds']:7.2f}"
        pct = ["   -  " if r[k] is None else f"{100 * r[k]:{w}.1f}%" for k, w in
               (("char_accuracy", 7), ("cer", 5), ("word_accuracy", 7))]
        return f"{name:<24} {pct[0]} {pct[1]} {pct[2]} {lines:>7} {r['seconds']:7.2f}"

    rows += [row(p["image"][-24:], p) for p in report["pages"]]
    if report["total"]["pages"]:
        rows += ["-" * len(head), row("total", report["total"])]
    rows += [f"skipped (no .txt): {name}" for name in report["skipped"]]
    return "\n".join(rows)

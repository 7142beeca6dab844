"""Scoring page reads against ground truth: per page and in total, as a table or JSON.

Metrics
-------
character accuracy : 1 − edit distance / length over A–Z0–9 only (spaces, line breaks and
    punctuation ignored), so it measures reading, not layout.
CER : character error rate over the text with spaces (each run of whitespace = one space).
word accuracy : 1 − word-level edit distance / number of true words.
lines : lines found vs lines expected.
Totals pool the edit distances and lengths of all pages (long pages weigh more).
"""
from __future__ import annotations

import re
import time
from pathlib import Path

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp"}


def edit_distance(a, b) -> int:
    """Levenshtein distance between two sequences (strings or lists of words)."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def alnum(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def spaced(text: str) -> str:
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
    return {
        "char_accuracy": 1 - c["char_errors"] / max(c["chars"], 1),
        "cer": c["cer_errors"] / max(c["cer_chars"], 1),
        "word_accuracy": max(0.0, 1 - c["word_errors"] / max(c["words"], 1)),
    }


def evaluate_dir(directory, recognizer) -> dict:
    """Read every image in ``directory`` that has a ``<stem>.txt`` beside it and score it.

    Returns ``{"pages": [...], "skipped": [...], "total": {...}}``; each page holds its
    predicted and true text, the counts of :func:`score_text`, the rates and the seconds.
    """
    from ocr_cli.errors import OcrError
    from ocr_cli.page.pipeline import read_page

    directory = Path(directory)
    if not directory.is_dir():
        raise OcrError(f"{directory}: not a directory")
    images = sorted(p for p in directory.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    pages, skipped = [], []
    for image in images:
        truth_file = image.with_suffix(".txt")
        if not truth_file.is_file():
            skipped.append(image.name)
            continue
        truth = truth_file.read_text(errors="replace")
        start = time.perf_counter()
        page = read_page(image, recognizer)
        seconds = time.perf_counter() - start
        counts = score_text(page.text, truth)
        pages.append({"image": image.name, "text": page.text, "truth": truth.strip(), **counts,
                      **rates(counts), "seconds": seconds})
    if not images:
        raise OcrError(f"{directory}: no images found")
    if not pages:
        raise OcrError(f"{directory}: none of its {len(images)} images has a <stem>.txt ground truth beside it")
    keys = ["char_errors", "chars", "cer_errors", "cer_chars", "word_errors", "words",
            "lines_found", "lines_expected", "seconds"]
    total = {k: sum(p[k] for p in pages) for k in keys}
    total.update(rates(total))
    total["pages"] = len(pages)
    return {"pages": pages, "skipped": skipped, "total": total}


def format_table(report: dict) -> str:
    """The report as a fixed-width table for people."""
    head = f"{'page':<24} {'char acc':>8} {'CER':>6} {'word acc':>8} {'lines':>7} {'seconds':>7}"
    rows = [head, "-" * len(head)]

    def row(name, r):
        lines = f"{r['lines_found']}/{r['lines_expected']}"
        return (f"{name:<24} {100 * r['char_accuracy']:7.1f}% {100 * r['cer']:5.1f}% "
                f"{100 * r['word_accuracy']:7.1f}% {lines:>7} {r['seconds']:7.2f}")

    rows += [row(p["image"][:24], p) for p in report["pages"]]
    if report["pages"]:
        rows += ["-" * len(head), row("total", report["total"])]
    rows += [f"skipped (no .txt): {name}" for name in report["skipped"]]
    return "\n".join(rows)

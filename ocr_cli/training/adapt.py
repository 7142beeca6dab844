"""Writer adaptation: fine-tune a recognizer to one person's handwriting from pages of known text.

A user writes a page whose text they know (an alphabet sheet, a pangram) and photographs it.
:func:`ocr_cli.page.labels.page_samples` runs the page pipeline and labels its crops with
that text, line by line where the counts match.

:func:`adapt` is then fine-tuning (:mod:`.finetune`, the whole net, features slower) with
one more source: the writer's crops, augmented, *mixed with the original training data* so
that the model does not forget the characters and hands it did not see on the page. The
writer's crops are repeated to weigh about as much as the original data in every epoch.

There is nothing of the writer left to hold out, so validation averages the fit to the
writer's crops and the original data's held-out part: the kept epoch is the one that fits
the writer best without forgetting. Measure the real gain on another page of the same writer.
"""
from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np

from ocr_cli.errors import OcrError
from ocr_cli.training.config import TrainConfig
from ocr_cli.training.finetune import finetune, start_from

ADAPT_SYNTHETIC_N = 2000  # fresh synthetic samples per epoch mixed in against forgetting


def writer_samples(pages, log=print):
    """``(X, y, reports)``: the labeled crops of every ``(image, text)`` page, and what each gave."""
    from ocr_cli.page.labels import page_samples

    Xs, ys, reports = [], [], []
    for image, text in pages:
        X, y, report = page_samples(image, text)
        log(f"{image}: {report['lines_found']} lines found, {report['lines_expected']} in the text, "
            f"{report['lines_used']} used ({len(y)} characters)"
            + (f"; skipped: {', '.join(report['skipped'])}" if report["skipped"] else ""))
        Xs.append(X)
        ys.append(y)
        reports.append({"image": str(image), **report, "characters": len(y)})
    return np.concatenate(Xs), np.concatenate(ys), reports


def adapt(start, pages, cfg: TrainConfig, original: str = "synthetic", synthetic_n: int = ADAPT_SYNTHETIC_N,
          data_dir=None, log=print):
    """Fine-tune ``start`` to the writer of ``pages`` (``[(image, text), ...]``) as ``cfg`` says.

    ``original`` names the data mixed in against forgetting (``ocr train`` sources).
    Returns the :class:`~.report.RunResult`; the sidecar records the pages and line counts.
    """
    from ocr_cli.data.mix import DataMix, Source

    X, y, reports = writer_samples(pages, log)
    if len(y) == 0:
        raise OcrError("no line of the page(s) matched its text line by line; check the text and the photo")
    mix = DataMix.load(original, data_dir=data_dir, synthetic_n=synthetic_n)
    repeat = max(1, math.ceil(mix.epoch_size() / len(y)))  # the writer weighs as much as the rest
    writer = Source("writer", (np.concatenate([X] * repeat), np.concatenate([y] * repeat)), (X, y))
    mix.sources.insert(0, writer)
    mix.val_sources.insert(0, writer)
    record = {"pages": reports, "writer_samples": len(y), "writer_repeat": repeat, "original": original}
    return finetune(start, mix, replace(cfg, freeze="none", sidecar={**cfg.sidecar, "adapt": record}), log=log)


def run_adapt(cfg: TrainConfig, pages, texts, model="cnn", **kw):
    """What ``ocr adapt`` does: check the files, load the model, adapt it."""
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
    return adapt(start, list(zip(pages, truths)), replace(cfg, init_from=model), **kw)

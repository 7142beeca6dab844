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
# A text line labels its crops only if more than this share of its characters are among a
# recognizer's five likeliest readings of their crops, and so do the page's matched lines taken
# together. Measured on 12 synthetic writers (adaptation and test pages) with the shipped cnn:
# the right text's lines 0.56-1.0 (pages 0.76-1.0, the unusual writers lowest; one line at 0.12
# was a merge and a split that kept the count: its labels were shifted), random text of the
# same line lengths 0.0-0.5 per line (pages 0.06-0.26).
MIN_AGREEMENT = 0.5


def judges_for(start=None) -> list:
    """The recognizers that judge whether a text matches a page: the model being adapted
    (``start``, if given) and the default cnn (an untrained or weak start cannot judge alone)."""
    from ocr_cli.recognizers import default_model_path
    from ocr_cli.recognizers.cnn_numpy import load_numpy_cnn

    try:
        default = [load_numpy_cnn(default_model_path("cnn"))]
    except OcrError:  # no cnn installed, or a broken one: the start judges alone
        default = []
    return ([start] if start is not None else []) + [j for j in default if j is not None]


def plausible_lines(X: np.ndarray, y: np.ndarray, lines: list[str], judges) -> tuple[np.ndarray, list]:
    """Which crops to keep: those of the text lines that the judges read plausibly as their text,
    on a page whose matched lines agree as a whole.

    ``X`` (N, 32, 32) and ``y`` (N,) hold ``lines`` one after another. Returns a keep mask
    (N,) and ``[{"text", "read", "agreement"}, ...]`` for the lines dropped.
    """
    from ocr_cli.charset import CLASSES

    truth = np.array(list(CLASSES))[y][:, None]
    hit = np.zeros(len(y), bool)
    readings = []
    for judge in judges:
        p = judge.predict_proba(X)
        top = np.array(list(judge.classes))[np.argsort(-p, axis=1)[:, :5]]
        hit |= (top == truth).any(axis=1)
        readings.append("".join(top[:, 0]))
    page_agrees = hit.mean() > MIN_AGREEMENT  # a short line may agree by chance; a whole page does not
    keep, dropped, start = np.zeros(len(y), bool), [], 0
    for line in lines:
        part = slice(start, start + len(line))
        start += len(line)
        agreement = float(hit[part].mean())
        if page_agrees and agreement > MIN_AGREEMENT:
            keep[part] = True
        else:
            dropped.append({"text": line, "read": readings[0][part], "agreement": round(agreement, 2)})
    return keep, dropped


def writer_samples(pages, log=print, judges=()):
    """``(X, y, reports)``: the labeled crops of every ``(image, text)`` page, and what each gave.

    With ``judges`` (recognizers), lines whose text the judges do not read in their crops
    (:func:`plausible_lines`) are dropped and named: another page's text, or a line whose
    count matched by chance, would teach wrong labels.
    """
    from ocr_cli.page.labels import page_samples

    Xs, ys, reports = [], [], []
    for image, text in pages:
        X, y, report = page_samples(image, text)
        report["implausible"] = []
        if judges and len(y):
            keep, report["implausible"] = plausible_lines(X, y, report["used"], judges)
            X, y = X[keep], y[keep]
            report["lines_used"] -= len(report["implausible"])
        log(f"{image}: {report['lines_found']} lines found, {report['lines_expected']} in the text, "
            f"{report['lines_used']} used ({len(y)} characters)"
            + (f"; skipped (no line of that length): {', '.join(report['skipped'])}" if report["skipped"] else "")
            + ("; skipped (not what is written there): " + ", ".join(f"{d['text']} (reads as {d['read']})"
                                                                     for d in report["implausible"])
               if report["implausible"] else ""))
        Xs.append(X)
        ys.append(y)
        reports.append({"image": str(image), **report, "characters": len(y)})
    return np.concatenate(Xs), np.concatenate(ys), reports


def checked_writer_samples(pages, judges, log=print):
    """:func:`writer_samples` judged by ``judges``; an OcrError if no line is left to learn from."""
    X, y, reports = writer_samples(pages, log, judges)
    if len(y) == 0:
        wrong = [d for r in reports for d in r["implausible"]]
        if wrong:
            raise OcrError("the text does not match the page: no line reads as its text (" + ", ".join(
                f"{d['text']!r} reads as {d['read']!r}" for d in wrong[:3]) + "); check that --text belongs to --page")
        raise OcrError("no line of the page(s) matched its text line by line; check the text and the photo")
    return X, y, reports


def adapt(start, pages, cfg: TrainConfig, original: str = "synthetic", synthetic_n: int = ADAPT_SYNTHETIC_N,
          data_dir=None, log=print, samples=None):
    """Fine-tune ``start`` to the writer of ``pages`` (``[(image, text), ...]``) as ``cfg`` says.

    ``original`` names the data mixed in against forgetting (``ocr train`` sources);
    ``samples`` are the pages' :func:`checked_writer_samples` if already made.
    Returns the :class:`~.report.RunResult`; the sidecar records the pages and line counts.
    """
    from ocr_cli.data.mix import DataMix, Source

    X, y, reports = samples or checked_writer_samples(pages, judges_for(start), log)
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
    from ocr_cli.fileio.reading import read_text
    from ocr_cli.fileio.writing import locked_folder
    from ocr_cli.training.loop import check_outputs, dataset_paths

    from ocr_cli.recognizers.base import read_model_meta
    from ocr_cli.recognizers.catalog import resolve_model
    from ocr_cli.recognizers.cnn_numpy import load_numpy_cnn

    truths = [read_text(t) for t in texts]
    with locked_folder(cfg.out):
        start_file = resolve_model(model)
        check_outputs([cfg.out], read_model_meta(start_file)[0]["model"],
                      [start_file, *pages, *texts, *dataset_paths(kw.get("original"))])
        # judge the text with torch-free twins first: a wrong text is refused in a second, not after torch loads
        judges = [rec for rec in (load_numpy_cnn(start_file),) if rec is not None] + judges_for()
        samples = checked_writer_samples(list(zip(pages, truths)), judges, kw.get("log", print))
        start = start_from(model)
        return adapt(start, list(zip(pages, truths)), replace(cfg, init_from=model), samples=samples, **kw)

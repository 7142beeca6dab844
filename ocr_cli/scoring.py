"""Score any recognizer on any character source, without training: what ``ocr score`` prints.

36-way accuracy (an ``O`` read as ``0`` is an error), accuracy per class, the most-confused
pairs and how well the confidences are calibrated (:mod:`ocr_cli.calibration`), on every
sample a source gives or on its fixed held-out part (the part ``ocr train`` never trains on).
"""
from __future__ import annotations

import numpy as np

from ocr_cli.errors import OcrError

# Sources with a real test split are scored on it by default; nist26 files hold only "valid".
TEST_SPLIT_SOURCES = ("mnist", "emnist")


def default_split(name: str) -> str:
    """The split a source is scored on when none is asked for."""
    from ocr_cli.data.mix import SOURCE_SPLIT

    if name.startswith(TEST_SPLIT_SOURCES):
        return "test"
    return SOURCE_SPLIT.get(name, "train")


def score_samples(proba: np.ndarray, y: np.ndarray, classes: str, top_k: int = 10) -> dict:
    """Accuracy, per-class accuracy, most-confused pairs and ECE of ``proba`` (N, C) against labels ``y`` (N,)."""
    from ocr_cli.calibration import ece, nll, top
    from ocr_cli.training.plots import confusion_matrix, most_confused

    if not len(y):
        raise OcrError("no samples to score")
    pred = proba.argmax(axis=1)
    cm = confusion_matrix(y, pred, len(classes))
    n = cm.sum(axis=1)
    per_class = {classes[c]: {"n": int(n[c]), "acc": float(cm[c, c] / n[c])} for c in np.flatnonzero(n)}
    confidence, correct = top(proba, y)
    return {"n": int(len(y)), "correct": int(correct.sum()), "accuracy": float(correct.mean()),
            "per_class": per_class, "confused": most_confused(cm, classes, top_k),
            "ece": ece(confidence, correct), "nll": nll(proba, y), "mean_confidence": float(confidence.mean())}


def score_dataset(spec: str, rec, split: str | None = None, heldout: bool = False, data_dir=None,
                  n: int | None = None, seed: int = 0, errors=None) -> dict:
    """Score ``rec`` on one or several comma-separated sources (``folder:DIR``, ``nist26:PATH``, ...).

    ``heldout`` scores each source's fixed held-out part as ``ocr train`` splits it; otherwise
    every sample of ``split`` (default: each source's :func:`default_split`). ``n`` draws a
    seeded subset per source. Probabilities carry ``rec``'s calibration temperature. ``errors``
    (a PNG path) also saves the misread samples (:func:`save_misread`). Returns
    :func:`score_samples` of all sources together plus ``"sources"`` with each one's own.
    """
    from ocr_cli.calibration import calibrated
    from ocr_cli.data import load_dataset, subsample
    from ocr_cli.data.mix import load_source

    specs = [s.strip() for s in spec.split(",") if s.strip()]
    if not specs:
        raise OcrError("no dataset given")
    if errors is not None:
        _refuse_writing_into_sources(errors, specs)
    parts, probas, misread = {}, [], []
    for s in specs:
        name = s.partition(":")[0].strip().lower()
        if heldout:
            if name == "synthetic":
                raise OcrError("synthetic has no held-out part of real samples; score it without --heldout")
            X, y = load_source(s, data_dir).heldout
            if n is not None and len(y) > n:
                X, y = subsample(X, y, n, seed)
        else:
            X, y, _ = load_dataset(s, split or default_split(name), data_dir=data_dir, n=n, seed=seed)
        p = calibrated(rec.predict_proba(X), rec) if len(y) else np.zeros((0, len(rec.classes)))
        parts[s] = (p, y)
        probas.append(p)
        if errors is not None:  # only the misread samples are kept, not every source's images
            bad = p.argmax(axis=1) != y
            misread.append((X[bad], y[bad], p[bad]))
    if rec.classes != _classes():
        raise OcrError(f"the model's classes {rec.classes!r} are not the 36 the datasets are labeled with")
    report = score_samples(np.concatenate(probas), np.concatenate([y for _, y in parts.values()]), rec.classes)
    report["sources"] = {s: {k: v for k, v in score_samples(p, y, rec.classes).items() if k != "per_class"}
                         for s, (p, y) in parts.items() if len(y)} if len(parts) > 1 else {}
    report["part"] = "held-out" if heldout else "all"
    if errors is not None:
        X, y, p = (np.concatenate(a) for a in zip(*misread))
        report["misread_shown"] = save_misread(errors, X, y, p, rec.classes)
        report["misread_file"] = str(errors)
    return report


MAX_MISREAD_SHOWN = 400  # a grid of 20 x 20 stays readable


def save_misread(out, X: np.ndarray, y: np.ndarray, proba: np.ndarray, classes: str,
                 limit: int = MAX_MISREAD_SHOWN) -> int:
    """Save a grid of the misread samples to ``out`` (PNG), each titled ``true→read``; their count.

    The surest mistakes come first: that is where mislabeled crops and look-alikes (``0``/``O``)
    show, which a confusion count cannot tell apart from a weak model. With none misread the
    grid is empty but still written, so an older grid never stands for this score.
    """
    from ocr_cli.data.preview import sample_grid

    pred = proba.argmax(axis=1)
    bad = np.flatnonzero(pred != y)
    bad = bad[np.argsort(-proba[bad, pred[bad]], kind="stable")][:limit]
    sample_grid(X[bad], y[bad], labels=[f"{classes[y[i]]}→{classes[pred[i]]}" for i in bad],
                title=f"misread, surest first ({len(bad)} of {int((pred != y).sum())})", out=out)
    return int(len(bad))


def _refuse_writing_into_sources(out, specs) -> None:
    """A grid saved inside a ``folder:`` source would become one of its samples (or replace one)."""
    from pathlib import Path

    target = Path(out).resolve()
    for s in specs:
        name, _, path = s.partition(":")
        if name.strip().lower() == "folder" and path and target.is_relative_to(Path(path.strip()).resolve()):
            raise OcrError(f"{out} is inside the dataset folder {path.strip()}; save the misread grid elsewhere")


def _classes() -> str:
    from ocr_cli.charset import CLASSES

    return CLASSES


def format_report(report: dict) -> str:
    """The report for people: overall accuracy first, then per class, the confused pairs and each source."""
    lines = [f"accuracy {100 * report['accuracy']:.1f}% ({report['correct']}/{report['n']}, {report['part']})",
             f"calibration: ECE {100 * report['ece']:.1f}%, mean confidence {100 * report['mean_confidence']:.1f}%"]
    for s, r in report.get("sources", {}).items():
        lines.append(f"  {s}: {100 * r['accuracy']:.1f}% ({r['correct']}/{r['n']})")
    cells = [f"{c} {100 * v['acc']:5.1f}% ({v['n']})" for c, v in report["per_class"].items()]
    lines.append("per class:")
    lines += ["  " + "  ".join(cells[i:i + 6]) for i in range(0, len(cells), 6)]
    if report["confused"]:
        lines.append("most confused (true->predicted: count): "
                     + ", ".join(f"{t}->{p}: {c}" for t, p, c in report["confused"]))
    if "misread_shown" in report:
        lines.append(f"misread samples, surest first: {report['misread_shown']} -> {report['misread_file']}")
    return "\n".join(lines)


def calibrate_model(weights, datasets: str, out, data_dir=None, check: str | None = None, command: str | None = None) -> dict:
    """Fit a model's calibration temperature and write the calibrated model into ``out``.

    The temperature is fitted on one half of the held-out parts of ``datasets`` (a fixed
    stratified half) and the expected calibration error reported on the other half, before
    and after, so the fit is never scored on its own samples; ``check`` names further sources
    scored whole (e.g. ``mnist:DIR``, the real test digits). ``out`` receives the weights
    (copied) and the sidecar with ``"calibration"`` added, plus ``reliability.png``; the
    input model is never modified. ``command`` (how to rerun this) goes into the report.
    Returns the report that was put in the sidecar.
    """
    from pathlib import Path

    from ocr_cli.calibration import apply_temperature, ece, fit_temperature, plot_reliability, top
    from ocr_cli.data import load_dataset
    from ocr_cli.data.mix import heldout_mask, load_source
    from ocr_cli.recognizers import load_recognizer
    from ocr_cli.recognizers.base import read_model_meta, write_model_file

    meta, weights_file = read_model_meta(weights)
    rec = load_recognizer(weights, inference=True)
    specs = [s.strip() for s in datasets.split(",") if s.strip()]
    if not specs:
        raise OcrError("no dataset given")
    P, Y = [], []
    for s in specs:
        X, y = load_source(s, data_dir).heldout
        P.append(rec.predict_proba(X))
        Y.append(y)
    P, Y = np.concatenate(P), np.concatenate(Y)
    fit = heldout_mask(Y, 0.5)
    t = fit_temperature(P[fit], Y[fit])
    after = apply_temperature(P[~fit], t)
    report = {"temperature": round(t, 4), "command": command, "fitted_on": f"half of the held-out parts of {', '.join(specs)} "
              f"({int(fit.sum())} samples)", "ece_before": round(ece(*top(P[~fit], Y[~fit])), 4),
              "ece_after": round(ece(*top(after, Y[~fit])), 4), "scored_on": f"the other half ({int((~fit).sum())})"}
    curves = {"before (T = 1)": top(P[~fit], Y[~fit]),
              f"after (T = {t:.2f})": top(after, Y[~fit])}
    for s in [c.strip() for c in (check or "").split(",") if c.strip()]:
        name = s.partition(":")[0].strip().lower()
        X, y, _ = load_dataset(s, default_split(name), data_dir=data_dir)
        p = rec.predict_proba(X)
        report.setdefault("check", {})[s] = {"n": int(len(y)), "ece_before": round(ece(*top(p, y)), 4),
                                             "ece_after": round(ece(*top(apply_temperature(p, t), y)), 4)}
    out = Path(out)
    if out.resolve() == weights_file.resolve().parent:
        raise OcrError(f"--out {out}: holds the input model; calibrated models go to another folder")
    out.mkdir(parents=True, exist_ok=True)
    target = write_model_file(weights_file, out / weights_file.name, {**meta, "calibration": report})
    plot_reliability(curves, out / "reliability.png", title=f"{meta['model']}: reliability of the top probability")
    report["model"] = str(target)
    return report

"""The training loop shared by ``ocr train``, ``ocr finetune`` and ``ocr adapt``.

SGD with momentum (mlp, fc) or AdamW (cnn), as each recognizer's ``defaults`` say; a short
warm-up then cosine decay of the learning rate over the whole run; augmentation per batch
(:mod:`ocr_cli.data.augment`). After every epoch that improves validation accuracy the model
is written (atomically), so Ctrl-C at any moment keeps the best model so far. Training loss
and accuracy are measured on the augmented batches as they are trained on.
"""
from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from ocr_cli.charset import CLASSES
from ocr_cli.data import SYNTHETIC_DEFAULT_N
from ocr_cli.errors import OcrError, UsageError
from ocr_cli.training import report
from ocr_cli.training.config import TrainConfig, lr_at
from ocr_cli.training.steps import make_step


def initial_recognizer(cfg: TrainConfig):
    """The recognizer a run starts from: a fresh one, or ``cfg.init_from`` to continue (same kind)."""
    from ocr_cli.recognizers import get_recognizer_class, load_recognizer

    cls = get_recognizer_class(cfg.model)
    if cfg.init_from is None:
        return cls.create(CLASSES, cfg.hidden, cfg.seed)
    rec = load_recognizer(cfg.init_from)
    if rec.name != cfg.model:
        raise OcrError(f"--init-from {cfg.init_from} is a {rec.name} model, not {cfg.model}")
    if rec.classes != CLASSES:
        raise OcrError(f"--init-from {cfg.init_from} has classes {rec.classes!r}, training needs {CLASSES!r}")
    arch = rec.arch()
    if cfg.hidden is not None and cfg.hidden not in (arch.get("hidden"), [*arch.get("channels", ()), arch.get("hidden")]):
        raise OcrError(f"--hidden {cfg.hidden} differs from --init-from's hidden {arch.get('hidden')}")
    return rec


def train(cfg: TrainConfig, mix, rec=None, log=print) -> report.RunResult:
    """Train one recognizer on ``mix`` (:class:`~ocr_cli.data.mix.DataMix`) into ``cfg.out``.

    ``rec`` trains that recognizer (e.g. one prepared by :mod:`.finetune`) instead of the one
    ``cfg`` names. Returns a :class:`~.report.RunResult`. Ctrl-C stops after the current
    batch: the best model so far stays on disk and the figures are drawn from the epochs done
    (not after SIGTERM: the process is asked to end now).
    """
    from ocr_cli.errors import Terminated
    from ocr_cli.fileio.writing import locked_folder
    from ocr_cli.recognizers import get_recognizer_class

    cfg = cfg.resolved(type(rec).defaults if rec is not None else get_recognizer_class(cfg.model).defaults)
    if mix.epoch_size() == 0:
        raise UsageError("an epoch would have no training samples (--synthetic 0 and no other source)")
    with locked_folder(cfg.out):
        rec = rec if rec is not None else initial_recognizer(cfg)
        step = make_step(rec, cfg, workers=mix.workers(cfg.epochs))
        W_init = rec.first_layer()
        info = report.provenance(cfg, mix, rec)
        result = report.RunResult(None, [])
        t0 = time.time()
        terminated = False
        try:
            _epochs(cfg, mix, rec, step, info, result, log, t0)
        except KeyboardInterrupt as e:
            result.interrupted, terminated = True, isinstance(e, Terminated)
            log("interrupted: keeping the best model so far" + (" (no figures drawn)" if terminated else "")
                if result.model_path else "interrupted before the first epoch ended: no model written")
        finally:
            mix.close()
        result.seconds = time.time() - t0
        return report.finish(result, cfg, mix, W_init) if result.history and not terminated else result


def _epochs(cfg: TrainConfig, mix, rec, step, info: dict, result: report.RunResult, log, t0: float) -> None:
    """Run every epoch, saving the model whenever validation accuracy improves."""
    from ocr_cli.nn import blas_threads

    rng = np.random.default_rng(cfg.seed)
    schedule = _Schedule(cfg.epochs * math.ceil(mix.epoch_size() / cfg.batch_size), cfg.lr)
    best = -1.0
    # BLAS threads: mini-batch matmuls are too small to share out, and on a busy machine
    # idle-spinning BLAS threads make them ten times slower.
    with blas_threads(cfg.threads or 1):
        for epoch in range(1, cfg.epochs + 1):
            X, y = mix.epoch(epoch, cfg.seed, last=epoch == cfg.epochs)
            loss_sum, correct = _one_epoch(cfg, step, schedule, X, y, rng, epoch)
            stats = report.epoch_stats(epoch, loss_sum, correct, len(y), report.heldout_scores(mix, rec), mix,
                                       time.time() - t0)
            result.history.append(stats)
            line = report.epoch_line(stats, cfg.epochs)
            if stats["val_acc"] > best:
                best = stats["val_acc"]
                if result.model_path is None:  # a previous run's figures must not stay beside this run's model
                    for name in report.FIGURES:
                        (Path(cfg.out) / name).unlink(missing_ok=True)
                result.metrics = report.metrics(stats)
                result.model_path = rec.save(Path(cfg.out) / rec.name, {
                    **info, "metrics": result.metrics, "history": result.history,
                    "train_seconds": stats["seconds"], **cfg.sidecar})
                line += "  *saved"
            log(line)


class _Schedule:
    """The learning rate of every step of the run, counted across epochs."""

    def __init__(self, total: int, peak: float):
        self.total, self.peak, self.step = total, peak, 0

    def next(self) -> float:
        lr = lr_at(self.step, self.total, self.peak)
        self.step += 1
        return lr


def _one_epoch(cfg: TrainConfig, step, schedule: _Schedule, X, y, rng, epoch: int) -> tuple[float, int]:
    """One shuffled pass over ``(X, y)`` in augmented mini-batches; ``(summed loss, correct)``."""
    from tqdm import tqdm

    from ocr_cli.data import augment

    order = rng.permutation(len(y))
    total, correct = 0.0, 0
    bar = tqdm(range(0, len(y), cfg.batch_size), desc=f"epoch {epoch}/{cfg.epochs}", leave=False,
               disable=not cfg.progress, unit="batch")
    for start in bar:
        idx = order[start:start + cfg.batch_size]
        xb = augment.augment(X[idx], rng) if cfg.augment else X[idx]
        step.set_lr(schedule.next())
        batch_loss, batch_correct = step(xb, y[idx])
        if not math.isfinite(batch_loss):  # nothing after this could be a model worth saving
            raise OcrError(f"training diverged in epoch {epoch} (the loss is {batch_loss}): lower --lr")
        total, correct = total + batch_loss, correct + batch_correct
        done = start + len(idx)
        bar.set_postfix(loss=f"{total / done:.3f}", acc=f"{correct / done:.3f}", refresh=False)
    return total, correct


def train_lrs(lrs, cfg: TrainConfig, mix, log=print) -> dict:
    """One run per learning rate into ``out/lr_<lr>/``, plus ``out/lr_comparison.png`` of all curves.

    The seed's study: the best rate next to ×10 and ÷10 shows too-fast divergence and too-slow crawl.
    """
    from ocr_cli.training import plots

    out, results = Path(cfg.out), {}
    for lr in lrs:
        log(f"== lr {lr:g}")
        results[lr] = train(replace(cfg, out=out / f"lr_{lr:g}", lr=lr), mix, log=log)
        if results[lr].interrupted:
            break
    runs = {f"lr={lr:g}": r.history for lr, r in results.items() if r.history}
    if runs:
        plots.plot_curves(runs, out / "lr_comparison.png", title=f"{cfg.model}: learning-rate comparison")
    return results


def run_training(cfg: TrainConfig, datasets: str, lrs=(), val: str | None = None, data_dir=None,
                 synthetic_n: int = SYNTHETIC_DEFAULT_N, repeat_real: int = 1, log=print) -> dict:
    """What ``ocr train`` does: check ``init_from``, load the data, train once or once per rate.

    Returns ``{lr: RunResult}`` (key None for a single run at the model's default rate).
    """
    from ocr_cli.data.mix import DataMix
    from ocr_cli.fileio.writing import locked_folder

    with locked_folder(cfg.out):  # before the data is loaded: a second run into this folder fails at once
        if cfg.init_from is not None:  # fail on a bad model file before spending time on data
            from ocr_cli.recognizers import load_recognizer

            load_recognizer(cfg.init_from)
        lrs = list(lrs)
        outs = [Path(cfg.out) / f"lr_{lr:g}" for lr in lrs] if len(lrs) > 1 else [Path(cfg.out)]
        check_outputs(outs, cfg.model, [cfg.init_from, *dataset_paths(datasets, val)])
        mix = DataMix.load(datasets, val, data_dir, synthetic_n, repeat_real)
        if len(lrs) > 1:
            return train_lrs(lrs, cfg, mix, log=log)
        return {lrs[0] if lrs else None: train(replace(cfg, lr=lrs[0]) if lrs else cfg, mix, log=log)}


def dataset_paths(*specs) -> list[str]:
    """The files and folders named in dataset specs (``nist26:PATH*4,synthetic`` -> ``[PATH]``)."""
    return [path for spec in specs for s in (spec or "").split(",")
            if (path := s.partition("*")[0].partition(":")[2].strip())]


def check_outputs(outs, model: str, inputs) -> None:
    """Refuse a run whose results (a ``model`` recognizer's weights and sidecar, the figures, in
    each of ``outs``) would replace one of its ``inputs`` (a starting model, a page, a dataset file)."""
    from ocr_cli.fileio.writing import refuse_overwriting
    from ocr_cli.recognizers.base import weights_suffix

    inputs = [Path(p) for p in inputs if p is not None]
    inputs += [p.with_suffix(s) for p in inputs if p.suffix in (".pt", ".npz", ".json") for s in (".pt", ".npz", ".json")]
    written = [Path(o) / name for o in outs for name in (f"{model}{weights_suffix(model)}", f"{model}.json",
                                                          *report.FIGURES)]
    refuse_overwriting(written, inputs)

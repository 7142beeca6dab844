"""One training run's settings, and the learning-rate schedule they imply.

A run starts from one of three places, as nanoGPT's ``init_from`` chooses: a fresh recognizer
(``init_from`` None), a saved one of the same kind to continue (``init_from`` a model file,
``freeze`` None: ``ocr train --init-from``), or a trained one whose weights are transferred
and fine-tuned (``freeze`` set: ``ocr finetune`` and ``ocr adapt``, :mod:`.finetune`). The
loop (:mod:`.loop`) is the same for all three.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

from ocr_cli.errors import OcrError, UsageError

MOMENTUM = 0.9  # of SGD with momentum (the mlp's and fc's optimiser)
FREEZE_CHOICES = ("features", "none")
FEATURE_LR_SCALE = 0.1  # fine-tuning with --freeze none: the features learn at a tenth of the head's rate


@dataclass
class TrainConfig:
    """Settings of one run; ``None`` means the recognizer's own default (:attr:`Recognizer.defaults`)."""

    model: str = "cnn"  # recognizer kind (a name in ocr_cli.recognizers.REGISTRY)
    out: Path | str = "runs/cnn"  # results folder
    epochs: int | None = None
    lr: float | None = None  # peak learning rate (warm-up, then cosine decay)
    batch_size: int | None = None
    hidden: int | list | None = None  # as the recognizer's check_hidden gives it
    seed: int = 0  # initialisation, order, augmentation, synthetic data
    augment: bool = True
    threads: int | None = None  # torch CPU threads and BLAS threads (default: torch_threads(), 1 BLAS thread)
    label_smoothing: float = 0.0  # torch models: train towards 1 - s on the true class
    init_from: str | Path | None = None  # None: from scratch; else the starting model (recorded in the sidecar)
    freeze: str | None = None  # None: not fine-tuning; "features" (head only) or "none" (features slower)
    command: str | None = None  # the command line that started the run, for the sidecar
    progress: bool = True  # tqdm bars per epoch
    sidecar: dict = field(default_factory=dict)  # more sidecar entries (fine-tuning, adaptation)

    def resolved(self, defaults) -> "TrainConfig":
        """This config with the recognizer's ``defaults`` filled in, checked."""
        cfg = replace(self, epochs=self.epochs or defaults.epochs, lr=self.lr or defaults.lr,
                      batch_size=self.batch_size or defaults.batch_size)
        if cfg.epochs < 1 or cfg.batch_size < 1 or not (0 < cfg.lr and math.isfinite(cfg.lr)):
            raise UsageError("--epochs and --batch-size must be >= 1 and --lr a finite number > 0")
        if isinstance(cfg.seed, bool) or not isinstance(cfg.seed, int) or not 0 <= cfg.seed < 2**32:
            raise UsageError(f"--seed must be a whole number from 0 to {2**32 - 1}, got {cfg.seed!r}")
        if not 0.0 <= cfg.label_smoothing < 1.0:
            raise UsageError("--label-smoothing must be in [0, 1)")
        if cfg.freeze is not None:
            check_freeze(cfg.freeze)
        return cfg

    @property
    def feature_lr_scale(self) -> float:
        return FEATURE_LR_SCALE if self.freeze == "none" else 1.0


def torch_threads(workers: int, cores: int | None = None, preferred: int | None = None) -> int:
    """torch's CPU threads when ``--threads`` is not given: torch's own choice (``preferred``, one per
    physical core), but no more than the cores this process may use (``cores``) less one per
    ``workers`` process that computes while the model trains (the synthetic-data renderer).

    On the shared 2-core machine torch's choice (2 threads) beside the renderer made a cnn epoch
    about 2x slower than 1 thread: its threads wait for each other whenever the renderer holds a core.
    """
    if cores is None:
        from ocr_cli.workers import available_cores

        cores = available_cores()
    if preferred is None:
        import torch

        preferred = torch.get_num_threads()
    return max(1, min(preferred, cores - workers))


def check_freeze(what: str) -> str:
    """``what`` if it is a ``--freeze`` choice, else an OcrError naming them."""
    if what not in FREEZE_CHOICES:
        raise OcrError(f"--freeze {what!r}: choose one of {', '.join(FREEZE_CHOICES)}")
    return what


def lr_at(step: int, total: int, peak: float) -> float:
    """Linear warm-up over the first 2% of the steps, then cosine decay to 0 at ``total``."""
    warm = max(1, total // 50)
    if step < warm:
        return peak * (step + 1) / warm
    return peak * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))

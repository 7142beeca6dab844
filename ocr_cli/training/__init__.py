"""Training recognizers: one loop, configured for training from scratch, fine-tuning and adaptation.

:mod:`~.config` (:class:`TrainConfig`, the schedule), :mod:`~.loop` (:func:`train`, what
``ocr train`` runs), :mod:`~.steps` (one optimiser step per kind of recognizer),
:mod:`~.report` (provenance for the sidecar, scores, figures via :mod:`~.plots`),
:mod:`~.finetune` and :mod:`~.adapt` (the loop started from a trained model). The data a
run sees is :class:`ocr_cli.data.mix.DataMix`.
"""
from ocr_cli.training.config import FEATURE_LR_SCALE, FREEZE_CHOICES, TrainConfig
from ocr_cli.training.loop import run_training, train, train_lrs
from ocr_cli.training.report import RunResult, evaluate

__all__ = ["FEATURE_LR_SCALE", "FREEZE_CHOICES", "RunResult", "TrainConfig", "evaluate", "run_training", "train",
           "train_lrs"]

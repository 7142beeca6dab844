"""One optimiser step on a mini-batch, for each kind of recognizer.

A step is called with ``(X, y)`` and returns ``(summed loss, correct predictions)`` of the
batch; ``set_lr`` follows the schedule. The NumPy ``mlp`` steps with the core of
:mod:`ocr_cli.nn`; torch recognizers with a torch optimiser over their own parameter groups.
"""
from __future__ import annotations

import numpy as np

from ocr_cli.errors import OcrError
from ocr_cli.training.config import MOMENTUM, TrainConfig, torch_threads


class NumpyStep:
    """One SGD-with-momentum step of an ``mlp`` recognizer (:mod:`ocr_cli.nn`)."""

    def __init__(self, rec, lr: float, weight_decay: float = 0.0):
        from ocr_cli.nn import Momentum, SoftmaxCrossEntropy

        self.model, self.loss = rec.model, SoftmaxCrossEntropy()
        self.opt = Momentum(lr, MOMENTUM)
        self.weight_decay = weight_decay

    def set_lr(self, lr: float) -> None:
        self.opt.lr = lr

    def __call__(self, X, y):
        out = self.model.forward(X)
        loss = self.loss.forward(out, y)
        self.model.backward(self.loss.backward())
        grads = self.model.grads
        if self.weight_decay:
            for name, p in self.model.params.items():
                grads[name] += self.weight_decay * p
        self.opt.step(self.model.params, grads)
        return loss * len(y), int(np.sum(out.argmax(axis=1) == y))


class TorchStep:
    """One optimiser step of a torch recognizer (``rec.net``): SGD with momentum or AdamW.

    The optimiser's groups are the recognizer's :meth:`param_groups`: frozen parameters are
    left out and the features learn at ``feature_lr_scale`` times the rate.
    """

    def __init__(self, rec, lr: float, weight_decay: float = 0.0, optimizer: str = "sgd",
                 label_smoothing: float = 0.0, feature_lr_scale: float = 1.0):
        import torch

        self.torch, self.net = torch, rec.net
        self.label_smoothing = label_smoothing
        groups = [{**g, "lr": lr * g["lr_scale"]} for g in rec.param_groups(feature_lr_scale)]
        if optimizer == "adamw":
            self.opt = torch.optim.AdamW(groups, lr=lr, weight_decay=weight_decay)
        else:
            self.opt = torch.optim.SGD(groups, lr=lr, momentum=MOMENTUM, weight_decay=weight_decay)
        # a frozen BatchNorm must also keep its running statistics: it stays in eval mode
        self.frozen_norms = [m for m in self.net.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
                             and not any(p.requires_grad for p in m.parameters())]

    def set_lr(self, lr: float) -> None:
        for g in self.opt.param_groups:
            g["lr"] = lr * g["lr_scale"]

    def __call__(self, X, y):
        torch = self.torch
        self.net.train()
        for m in self.frozen_norms:
            m.eval()
        logits = self.net(torch.from_numpy(X))
        target = torch.from_numpy(y)
        loss = torch.nn.functional.cross_entropy(logits, target, label_smoothing=self.label_smoothing)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return float(loss.detach()) * len(y), int((logits.argmax(1) == target).sum())


def make_step(rec, cfg: TrainConfig, workers: int = 0):
    """The step that trains ``rec`` as ``cfg`` (resolved) says, with the recognizer's optimiser.

    A torch step runs on ``cfg.threads`` threads, else on :func:`~.config.torch_threads` for
    ``workers`` data processes working beside it.
    """
    d = rec.defaults
    if not rec.uses_torch:
        if cfg.label_smoothing:
            raise OcrError(f"--label-smoothing is for the torch models (fc, cnn), not {rec.name}")
        return NumpyStep(rec, cfg.lr, d.weight_decay)
    import torch

    torch.set_num_threads(cfg.threads or torch_threads(workers))
    return TorchStep(rec, cfg.lr, d.weight_decay, d.optimizer, cfg.label_smoothing, cfg.feature_lr_scale)

"""PyTorch recognizers: ``fc`` (the NumPy MLP's twin) and ``cnn`` (a small CPU-sized conv net).

Both take canonical samples ``(N, 32, 32)`` (ink = 1) and end in logits over ``classes``;
:meth:`~ocr_cli.recognizers.base.Recognizer.predict_proba` applies the softmax under ``eval()``
and ``torch.inference_mode()`` (:meth:`TorchRecognizer._inference`) so callers never have to
remember either. Only this module and
``squeezenet.py`` import torch at load time; the registry imports them on demand.
"""
from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ocr_cli.errors import OcrError
from ocr_cli.recognizers.base import Recognizer, TrainDefaults, check_size, positive_ints

TORCH_ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}


class TorchRecognizer(Recognizer):
    """A recognizer whose ``self.net`` is an ``nn.Module`` from samples to logits.

    Its last registered layer is the classifier head; everything before it is the feature
    extractor that fine-tuning freezes or slows down (:meth:`param_groups`).
    """

    weights_suffix = ".pt"
    uses_torch = True
    net: nn.Module

    @classmethod
    def create(cls, classes: str, hidden: int | list[int] | None = None, seed: int = 0) -> "TorchRecognizer":
        torch.manual_seed(seed)
        return cls(classes) if hidden is None else cls(classes, hidden=hidden)

    def head_names(self) -> tuple[str, str]:
        """Names of the last layer's weight and bias: the final parameters registered in the net."""
        names = [n for n, _ in self.net.named_parameters()]
        return names[-2], names[-1]

    def feature_parameters(self) -> list:
        """The net's ``features`` block (``cnn``, ``squeezenet``), or for ``fc`` every layer but the last."""
        block = getattr(self.net, "features", None)
        if block is not None:
            return list(block.parameters())
        head = self.head_names()
        return [p for n, p in self.net.named_parameters() if n not in head]

    def param_groups(self, feature_lr_scale: float = 1.0) -> list[dict]:
        """Optimiser parameter groups of the trainable parameters, in the net's order.

        Each group's ``lr_scale`` multiplies the schedule's learning rate: the features get
        ``feature_lr_scale``, the rest 1. Frozen parameters (``requires_grad`` off) are left out.
        """
        features = {id(p) for p in self.feature_parameters()}
        groups = {}
        for p in self.net.parameters():
            if p.requires_grad:
                groups.setdefault(feature_lr_scale if id(p) in features else 1.0, []).append(p)
        return [{"params": ps, "lr_scale": scale} for scale, ps in groups.items()]

    @contextlib.contextmanager
    def _inference(self):
        """Eval mode (dropout off, BatchNorm's running statistics) and no autograd; the
        caller's mode is restored after."""
        was_training = self.net.training
        self.net.eval()
        try:
            with torch.inference_mode():
                yield
        finally:
            self.net.train(was_training)

    def _proba(self, X: np.ndarray) -> np.ndarray:
        return torch.softmax(self.net(torch.as_tensor(X)), dim=1).numpy()

    def save_weights(self, path: Path) -> None:
        torch.save({k: v.contiguous() for k, v in self.net.state_dict().items()}, path)  # the file in the usual layout

    def load_weights(self, path: Path) -> None:
        from ocr_cli.recognizers.base import check_finite
        from ocr_cli.recognizers.ptfile import read_state_dict

        arrays = read_state_dict(path)  # validated without torch: torch.load would read a zip bomb whole
        check_finite(arrays, path)
        state = {k: torch.from_numpy(v) for k, v in arrays.items()}
        try:
            self.net.load_state_dict(state)
        except RuntimeError as e:  # torch lists every mismatch on its own line; keep the first
            lines = [s.strip() for s in str(e).splitlines() if s.strip()]
            detail = lines[1] if len(lines) > 1 else lines[0] if lines else "shape mismatch"
            raise OcrError(f"{path}: weights do not fit this {self.name} architecture ({detail})") from None


class FCNet(nn.Module):
    """Flatten → [Linear → activation] per hidden layer → Linear logits (the seed's Q7.1.1)."""

    def __init__(self, n_classes: int, hidden=(64,), activation: str = "sigmoid"):
        super().__init__()
        if activation not in TORCH_ACTIVATIONS:
            raise OcrError(f"unknown activation {activation!r}; choose one of {', '.join(TORCH_ACTIVATIONS)}")
        layers, n_in = [nn.Flatten()], 32 * 32
        for h in hidden:
            layers += [nn.Linear(n_in, h), TORCH_ACTIVATIONS[activation]()]
            n_in = h
        layers.append(nn.Linear(n_in, n_classes))
        self.layers = nn.Sequential(*layers)
        for m in self.layers:  # Xavier uniform + zero bias, like the NumPy core
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, n_classes)`` of samples ``(N, 32, 32)``."""
        return self.layers(x)

    def linears(self) -> list[nn.Linear]:
        """The fully connected layers, input first (what :meth:`FCRecognizer.get_layers` exchanges with the NumPy core)."""
        return [m for m in self.layers if isinstance(m, nn.Linear)]


class FCRecognizer(TorchRecognizer):
    """``fc``: the fully connected network in PyTorch, default 1024-64-36 with sigmoid hidden units."""

    name = "fc"
    defaults = TrainDefaults(optimizer="sgd", lr=0.05, batch_size=32, epochs=20)  # as the NumPy mlp

    def __init__(self, classes: str, hidden=(64,), activation: str = "sigmoid"):
        from ocr_cli.recognizers.mlp import dense_parameters

        super().__init__(classes)
        self.hidden, self.activation = positive_ints(hidden, "fc hidden sizes"), activation
        check_size(self.name, dense_parameters(self.hidden, len(classes)))
        self.net = FCNet(len(classes), self.hidden, activation)

    @classmethod
    def create(cls, classes: str, hidden: list[int] | None = None, seed: int = 0) -> "FCRecognizer":
        return super().create(classes, list(hidden or (64,)), seed)

    @classmethod
    def check_hidden(cls, sizes: list[int]) -> list[int]:
        return sizes

    def arch(self) -> dict:
        return {"hidden": self.hidden, "activation": self.activation}

    def set_layers(self, layers: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """Copy ``[(W, b), ...]`` with ``W`` as ``(n_in, n_out)`` (the NumPy core's layout)."""
        with torch.no_grad():
            for lin, (W, b) in zip(self.net.linears(), layers, strict=True):
                lin.weight.copy_(torch.as_tensor(np.asarray(W).T))
                lin.bias.copy_(torch.as_tensor(np.asarray(b)))

    def get_layers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """``[(W, b), ...]`` as float64 arrays with ``W`` as ``(n_in, n_out)``."""
        return [(lin.weight.detach().double().numpy().T.copy(), lin.bias.detach().double().numpy().copy())
                for lin in self.net.linears()]


def conv_stage(c_in: int, c_out: int) -> list[nn.Module]:
    """3×3 convolution (no bias: BatchNorm has one), BatchNorm, 2×2 max-pool, ReLU.

    ReLU after the pool computes the same as before it (both are monotone) on a quarter of
    the values; the NumPy twin applies them in the classic order.
    """
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.MaxPool2d(2),
            nn.ReLU(inplace=True)]


class CNNNet(nn.Module):
    """Three stages of 3×3 conv + max-pool (32→16→8→4 px), then a small fully connected head.

    Sized for a CPU: one conv per stage and the channels-last layout (oneDNN's fast one on a
    CPU: 1.5× the samples per second of the default layout, with the pool before the ReLU)
    keep training above 1,000 samples/s on one core and the file at about 1.4 MB (0.36 M
    parameters), which is still ample for 36 glyph classes. BatchNorm lets it train fast;
    dropout in the head keeps it from memorising the small real sets it is fine-tuned on.
    """

    def __init__(self, n_classes: int, channels=(32, 64, 128), hidden: int = 128, dropout: float = 0.3):
        super().__init__()
        c1, c2, c3 = channels
        self.features = nn.Sequential(*conv_stage(1, c1), *conv_stage(c1, c2), *conv_stage(c2, c3))
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(c3 * 4 * 4, hidden),
                                  nn.ReLU(inplace=True), nn.Dropout(dropout), nn.Linear(hidden, n_classes))
        self.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, n_classes)`` of samples ``(N, 32, 32)`` or ``(N, 1, 32, 32)``."""
        if x.dim() == 3:
            x = x.unsqueeze(1)
        return self.head(self.features(x.contiguous(memory_format=torch.channels_last)))


class CNNRecognizer(TorchRecognizer):
    """``cnn``: the small convolutional network, the default recognizer of the page pipeline."""

    name = "cnn"
    # SGD with momentum at lr 0.05 left the cnn stuck at chance on a 720-sample set; AdamW
    # trains it from a few hundred samples up to hundreds of thousands.
    defaults = TrainDefaults(optimizer="adamw", lr=2e-3, batch_size=64, epochs=10, weight_decay=0.01)

    def __init__(self, classes: str, channels=(32, 64, 128), hidden: int = 128, dropout: float = 0.3):
        from ocr_cli.recognizers.cnn_numpy import check_cnn_arch

        super().__init__(classes)
        arch = check_cnn_arch(len(classes), channels, hidden, dropout)
        self.channels, self.hidden, self.dropout = arch["channels"], arch["hidden"], arch["dropout"]
        self.net = CNNNet(len(classes), self.channels, self.hidden, self.dropout)

    @classmethod
    def create(cls, classes: str, hidden: int | list[int] | None = None, seed: int = 0) -> "CNNRecognizer":
        if isinstance(hidden, list):  # the three conv widths, then the head's
            torch.manual_seed(seed)
            return cls(classes, channels=hidden[:3], hidden=hidden[3])
        return super().create(classes, hidden, seed)

    @classmethod
    def check_hidden(cls, sizes: list[int]) -> int | list[int]:
        if len(sizes) not in (1, 4):
            raise OcrError("--hidden for cnn is the head's width (128) or the three conv widths and the head's "
                           "(32,64,128,128)")
        return sizes[0] if len(sizes) == 1 else list(sizes)

    def arch(self) -> dict:
        return {"channels": self.channels, "hidden": self.hidden, "dropout": self.dropout}

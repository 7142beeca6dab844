"""``mlp``: the from-scratch NumPy network (:mod:`ocr_cli.nn`) as a recognizer.

Default 1024-64-36 with sigmoid hidden units and softmax outputs, the seed's classifier.
It runs in float32: twice the speed of float64 and plenty for training (the gradient
checks of the core run in float64).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ocr_cli.nn import build_mlp, load_params, save_model, softmax
from ocr_cli.recognizers.base import Recognizer, TrainDefaults, check_size, positive_ints


def dense_parameters(hidden: list[int], n_classes: int) -> int:
    """Weights and biases of a 1024-hidden...-n_classes fully connected net."""
    sizes = [32 * 32, *hidden, n_classes]
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))


class MLPRecognizer(Recognizer):
    """``self.model`` is an :class:`ocr_cli.nn.Sequential` that maps flattened samples to logits."""

    name = "mlp"
    weights_suffix = ".npz"
    batch_size = 4096
    defaults = TrainDefaults(optimizer="sgd", lr=0.05, batch_size=32, epochs=20)  # the seed's SGD with momentum

    def __init__(self, classes: str, hidden: tuple[int, ...] | list[int] = (64,), activation: str = "sigmoid",
                 seed: int = 0):
        super().__init__(classes)
        self.hidden, self.activation = positive_ints(hidden, "mlp hidden sizes"), activation
        check_size(self.name, dense_parameters(self.hidden, len(classes)))
        self.model = build_mlp((32 * 32, *self.hidden, len(classes)), hidden=activation, output="linear",
                               seed=seed, dtype=np.float32)

    @classmethod
    def create(cls, classes: str, hidden: list[int] | None = None, seed: int = 0) -> "MLPRecognizer":
        return cls(classes, hidden=list(hidden or (64,)), seed=seed)

    @classmethod
    def check_hidden(cls, sizes: list[int]) -> list[int]:
        return sizes

    def arch(self) -> dict:
        return {"hidden": self.hidden, "activation": self.activation}

    def first_layer(self) -> np.ndarray:
        return self.model.params["layer0.W"].copy()

    def _proba(self, X: np.ndarray) -> np.ndarray:
        return softmax(self.model.forward(X))

    def save_weights(self, path: Path) -> None:
        save_model(self.model, path, classes=self.classes)

    def load_weights(self, path: Path) -> None:
        load_params(self.model, path)

    def get_layers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Copies of ``[(W, b), ...]`` per Linear layer, ``W`` as ``(n_in, n_out)`` and ``b`` as ``(n_out,)``."""
        p = self.model.params
        return [(p[f"layer{k}.W"].copy(), p[f"layer{k}.b"].copy()) for k in range(len(self.hidden) + 1)]

    def set_layers(self, layers: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """Copy ``[(W, b), ...]`` (the layout of :meth:`get_layers`) into the network."""
        self.model.set_params({f"layer{k}.{n}": v for k, (W, b) in enumerate(layers) for n, v in (("W", W), ("b", b))})

"""A labeled grid of samples as a PNG, to *look* at a data source (orientation, polarity, style).

Samples are drawn dark on white, the way a person reads them, each with its class above it.
"""
from __future__ import annotations

import numpy as np

from ocr_cli.charset import CLASSES
from ocr_cli.fileio.writing import pyplot, save_figure


def sample_grid(X, y, labels=None, cols: int = 20, title: str | None = None, out=None, scale: float = 0.42):
    """Save a grid of canonical samples ``X`` with their class characters to ``out`` (PNG).

    ``labels`` overrides the text under each sample (e.g. ``"A→4"`` for a confusion).
    Returns the figure's size in pixels.
    """
    plt = pyplot()
    n = len(X)
    cols = max(1, min(cols, n))
    rows = max(1, -(-n // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * scale, rows * scale * 1.25 + (0.3 if title else 0)),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i < n:
            ax.imshow(1.0 - X[i], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            ax.set_title(labels[i] if labels is not None else CLASSES[int(y[i])], fontsize=7, pad=1)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout(pad=0.2, h_pad=0.1, w_pad=0.1)
    size = fig.get_size_inches() * 100
    save_figure(fig, out, dpi=100)
    return int(size[0]), int(size[1])


def preview_dataset(name, out, n: int = 100, split: str = "train", path=None, data_dir=None, seed: int = 0,
                    sort: bool = True):
    """Load ``n`` samples of a source (see :func:`ocr_cli.data.load_dataset`) and save their grid.

    ``sort`` orders them by class so that shapes of one class sit side by side.
    Returns ``(number of samples shown, classes present)``.
    """
    from ocr_cli.data import load_dataset

    X, y, _ = load_dataset(name, split=split, path=path, data_dir=data_dir, n=n, seed=seed)
    if sort:
        order = np.argsort(y, kind="stable")
        X, y = X[order], y[order]
    sample_grid(X, y, title=f"{name} ({split}, {len(y)} samples)", out=out)
    return len(y), "".join(CLASSES[c] for c in np.unique(y))

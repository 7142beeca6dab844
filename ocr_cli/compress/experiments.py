"""What ``ocr compress train / eval / compare`` do: data, runs, tables and figures.

Data. ``dataset`` names sources like ``ocr train`` does (``nist26``, ``synthetic``,
``nist26,synthetic``, ``nist26:PATH``). A real source is split by
:func:`ocr_cli.data.mix.heldout_mask`: the same fixed, stratified 30% that every recognizer is
validated on is never trained on, and PSNR is measured on it. ``synthetic`` adds
``synthetic_n`` generated training samples; it is the validation set (``ocr train``'s fixed
synthetic held-out set) only when no real source is named. ``augment`` adds that many randomly
warped copies (:func:`ocr_cli.data.augment.random_affine`: small rotation, shear, scale, shift) of
each real training part: with a few hundred real images the autoencoder overfits otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ocr_cli.compress.codecs import PCA, Autoencoder, load_codec, mean_psnr
from ocr_cli.errors import OcrError
from ocr_cli.fileio.writing import pyplot, save_figure, write_json

METHODS = ("autoencoder", "pca")
DEFAULT_OUT = "runs/compress"
SYNTHETIC_N = 5000
AUGMENT = 10  # nist26 has 910 training images: too few for the autoencoder alone
CODE_SIZES = (8, 16, 32, 64, 128)


@dataclass
class CompressData:
    X_train: np.ndarray | None
    X_val: np.ndarray
    y_val: np.ndarray
    description: str


def load_data(dataset: str, data_dir=None, synthetic_n: int = SYNTHETIC_N, seed: int = 0,
              need_train: bool = True, augment: int = AUGMENT) -> CompressData:
    """Training images and held-out validation images (with labels) of ``dataset``."""
    from ocr_cli.data import load_dataset
    from ocr_cli.data.mix import load_source

    specs = [s.strip() for s in dataset.split(",") if s.strip()]
    if not specs:
        raise OcrError("no dataset named")
    train, train_desc, real_val, val_desc, synthetic_val = [], [], [], [], None
    for spec in specs:
        src = load_source(spec, data_dir)
        if src.synthetic:
            synthetic_val = src.heldout
            if need_train and synthetic_n > 0:
                X, _, _ = load_dataset("synthetic", "train", n=synthetic_n, seed=seed)
                train.append(X)
                train_desc.append(f"{synthetic_n} synthetic (seed {seed})")
        else:
            if need_train:
                X = src.train[0]
                train.append(X)
                train_desc.append(f"{src.name} training part ({len(X)})")
                if augment > 0:
                    from ocr_cli.data.augment import random_affine

                    rng = np.random.default_rng(seed)
                    train.extend(random_affine(X, rng) for _ in range(augment))
                    train_desc[-1] += f" + {augment} warped copies"
            real_val.append(src.heldout)
            val_desc.append(f"{src.name} held-out 30% ({len(src.heldout[0])})")
    if real_val:
        X_val, y_val = np.concatenate([v[0] for v in real_val]), np.concatenate([v[1] for v in real_val])
    else:
        X_val, y_val = synthetic_val
        val_desc = [f"synthetic held-out set ({len(y_val)})"]
    X_train = np.concatenate(train) if train else None
    if need_train and (X_train is None or len(X_train) == 0):
        raise OcrError(f"dataset {dataset!r} gives no training samples")
    desc = (f"trained on {' + '.join(train_desc)}; " if need_train else "") + f"evaluated on {' + '.join(val_desc)}"
    return CompressData(X_train, X_val, y_val, desc)


def model_name(method: str, center: bool = False) -> str:
    return "pca_centered" if method == "pca" and center else method


def make_codec(method: str, code_size: int = 32, center: bool = False, seed: int = 0, **ae_settings):
    if method == "pca":
        return PCA(code_size, center=center)
    if method == "autoencoder":
        return Autoencoder(code_size, seed=seed, **ae_settings)
    raise OcrError(f"unknown method {method!r}; choose one of: {', '.join(METHODS)}")


def _report(codec, data: CompressData, dataset: str) -> dict:
    report = {**codec.describe(), "dataset": dataset, "data": data.description,
              "psnr_db": mean_psnr(data.X_val, codec.reconstruct(data.X_val))}
    if data.X_train is not None:
        report["train_psnr_db"] = mean_psnr(data.X_train, codec.reconstruct(data.X_train))
    return report


def train_codec(method: str, dataset: str, code_size: int = 32, out=DEFAULT_OUT, center: bool = False,
                seed: int = 0, data_dir=None, synthetic_n: int = SYNTHETIC_N, augment: int = AUGMENT, log=None,
                **ae_settings) -> dict:
    """Fit one codec, save it to ``out/<name>.npz`` with a JSON report, the reconstruction
    figure and (autoencoder) the loss curve; return the report (PSNR on validation, params)."""
    data = load_data(dataset, data_dir, synthetic_n, seed, augment=augment)
    codec = make_codec(method, code_size, center, seed, **ae_settings)
    codec.fit(data.X_train, data.X_val, log=log)
    out, name = Path(out), model_name(method, center)
    report = _report(codec, data, dataset)
    files = {"model": codec.save(out / f"{name}.npz")}
    files["reconstructions"] = plot_reconstructions(codec, data, out / f"{name}_reconstructions.png", report["psnr_db"])
    if method == "autoencoder":
        files["loss_curve"] = plot_loss_curve(codec.history, out / "autoencoder_loss.png")
    report["files"] = {k: str(v) for k, v in files.items()}
    write_json(out / f"{name}.json", report)
    return report


def eval_codec(method: str, dataset: str, out=DEFAULT_OUT, center: bool = False, data_dir=None) -> dict:
    """Load ``out/<name>.npz`` and measure it on ``dataset``'s validation images; redraw its
    reconstruction figure."""
    out, name = Path(out), model_name(method, center)
    codec = load_codec(out / f"{name}.npz")
    if codec.method != method:
        raise OcrError(f"{out / name}.npz holds a {codec.method} model, not {method}")
    data = load_data(dataset, data_dir, need_train=False)
    report = _report(codec, data, dataset)
    fig = plot_reconstructions(codec, data, out / f"{name}_reconstructions.png", report["psnr_db"])
    report["files"] = {"reconstructions": str(fig)}
    return report


def compare(dataset: str, code_sizes=CODE_SIZES, out=DEFAULT_OUT, seed: int = 0, data_dir=None,
            synthetic_n: int = SYNTHETIC_N, augment: int = AUGMENT, log=None, **ae_settings) -> list[dict]:
    """Train PCA (plain and mean-centred) and the autoencoder at every code size on the same
    data; return one row per size and plot PSNR against code size (``out/compare_psnr.png``)."""
    data = load_data(dataset, data_dir, synthetic_n, seed, augment=augment)
    rows = []
    for k in code_sizes:
        row = {"code_size": k}
        for label, method, center in (("pca", "pca", False), ("pca_centered", "pca", True), ("autoencoder", "autoencoder", False)):
            codec = make_codec(method, k, center, seed, **ae_settings).fit(data.X_train)
            row[f"{label}_psnr_db"] = mean_psnr(data.X_val, codec.reconstruct(data.X_val))
            row[f"{label}_params"] = codec.n_params()
        rows.append(row)
        if log:
            log(row)
    out = Path(out)
    write_json(out / "compare.json", {"dataset": dataset, "data": data.description, "rows": rows})
    plot_sweep(rows, out / "compare_psnr.png", data.description)
    return rows


def format_table(rows: list[dict]) -> str:
    lines = [f"{'code':>4}  {'PCA dB':>7} {'params':>7}  {'PCA centred dB':>14} {'params':>7}  {'autoencoder dB':>14} {'params':>7}"]
    for r in rows:
        lines.append(f"{r['code_size']:>4}  {r['pca_psnr_db']:7.2f} {r['pca_params']:>7,}  {r['pca_centered_psnr_db']:14.2f} "
                     f"{r['pca_centered_params']:>7,}  {r['autoencoder_psnr_db']:14.2f} {r['autoencoder_params']:>7,}")
    return "\n".join(lines)


# --- figures (matplotlib imported only here) ---------------------------------------------


def pick_examples(y: np.ndarray, n_classes: int = 5, per_class: int = 2) -> list[list[int]]:
    """``n_classes`` lists of ``per_class`` validation indices, the classes spread evenly over
    those present with enough images (any present if none has); deterministic."""
    classes, counts = np.unique(y, return_counts=True)
    present = classes[counts >= per_class] if np.any(counts >= per_class) else classes
    chosen = present[np.linspace(0, len(present) - 1, min(n_classes, len(present))).round().astype(int)]
    return [list(np.flatnonzero(y == c)[:per_class]) for c in chosen]


def plot_reconstructions(codec, data: CompressData, path, psnr_db: float | None = None) -> Path:
    """One row per class (5): image, reconstruction, image, reconstruction (ink dark)."""
    from ocr_cli.charset import CLASSES

    plt = pyplot()
    groups = pick_examples(data.y_val)
    per_row = max(len(g) for g in groups)
    fig, axes = plt.subplots(len(groups), 2 * per_row, figsize=(2.5 * per_row, 1.3 * len(groups)), squeeze=False)
    for ax in axes.flat:
        ax.set_xticks([]), ax.set_yticks([])
    for row, idx in enumerate(groups):
        R = codec.reconstruct(data.X_val[idx])
        for j, i in enumerate(idx):
            for k, (img, kind) in enumerate(((data.X_val[i], "image"), (R[j], "reconstruction"))):
                ax = axes[row][2 * j + k]
                ax.imshow(img, cmap="gray_r", vmin=0, vmax=1)
                if row == 0:
                    ax.set_title(kind, fontsize=7)
        axes[row][0].set_ylabel(CLASSES[data.y_val[idx[0]]], rotation=0, labelpad=10)
    title = f"{codec.method}, code size {codec.code_size}"
    if psnr_db is not None:
        title += f": {psnr_db:.2f} dB mean PSNR on validation"
    fig.suptitle(title, fontsize=8)
    return save_figure(fig, path, bbox_inches="tight")


def plot_loss_curve(history: list[dict], path) -> Path:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    epochs = [h["epoch"] for h in history]
    ax.plot(epochs, [h["loss"] for h in history], label="train")
    if history and "val_loss" in history[0]:
        ax.plot(epochs, [h["val_loss"] for h in history], label="validation")
    ax.set(xlabel="epoch", ylabel="total squared error per image", title="autoencoder training loss")
    ax.grid(alpha=0.3)
    ax.legend()
    return save_figure(fig, path, bbox_inches="tight")


def plot_sweep(rows: list[dict], path, subtitle: str = "") -> Path:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    sizes = [r["code_size"] for r in rows]
    for key, style, label in (("pca", "-o", "PCA (SVD, no centring)"), ("pca_centered", "--s", "PCA (mean-centred)"),
                              ("autoencoder", "-o", "autoencoder (NumPy)")):
        ax.plot(sizes, [r[f"{key}_psnr_db"] for r in rows], style, mfc="none" if key == "pca_centered" else None, label=label)
    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.set(xlabel="code size", ylabel="mean PSNR on validation (dB)", title="reconstruction quality vs code size")
    if subtitle:
        ax.text(0.0, -0.22, subtitle, transform=ax.transAxes, fontsize=6, wrap=True)
    ax.grid(alpha=0.3)
    ax.legend()
    return save_figure(fig, path, bbox_inches="tight")

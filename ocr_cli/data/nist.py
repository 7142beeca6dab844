"""The course's NIST ``.mat`` files: ``nist36_train.mat``, ``nist26_valid.mat``, ...

Each file holds ``{split}_data`` (N × 1024, one image per row, flattened in MATLAB column
order, ink dark ≈ 0 on background ≈ 1) and ``{split}_labels`` (N × 36 or N × 26, one-hot).
We unflatten in column order (``order="F"``), invert to ink = 1 and clip, then pass every
image through :func:`~ocr_cli.glyph.normalize_glyph` like every other source. The stored
crops are centred but their glyphs vary in size (longer side 17–31 px; many ``O`` are
written small like an ``o``), while page crops are always normalised to 26 px; a model
trained or scored on the stored sizes learns or measures a geometry it never meets on a
page. ``read_nist_mat(..., normalize=False)`` gives the images exactly as stored.

``nist26oct`` is ``nist26_valid_2016oct.mat``, an earlier version of the course's letters
file with other writers' samples. It holds only the ``valid`` split, which every split
reads (the training mix makes its own held-out part). 26 of its images are pixel for pixel
in ``nist26_valid.mat`` too; when that file is found beside it (or in the data folder) they
are dropped, so the same letter is never trained on in one file and scored in the other.
Its ``R`` column is mislabeled: all 50 of its images are ``U``'s (``ocr data preview
--dataset nist26oct``), so that class is dropped too (``NIST26OCT_MISLABELED``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ocr_cli.charset import CLASSES, SIZE
from ocr_cli.errors import OcrError
from ocr_cli.glyph import normalize_glyph


NIST26OCT_MISLABELED = "R"


def find_mat(kind: str, split: str, path, data_dir) -> Path:
    """``path`` may be the file, or a folder holding ``{kind}_{split}.mat`` (also under ``nist/``)."""
    roots = [Path(path)] if path is not None else [Path(data_dir), Path(data_dir) / "nist"]
    if path is not None and roots[0].is_file():
        return roots[0]
    for root in roots:
        f = root / f"{kind}_{split}.mat"
        if f.is_file():
            return f
    raise OcrError(f"{kind} {split} file not found: looked for {kind}_{split}.mat in "
                   f"{', '.join(str(r) for r in roots)} (name the file: {kind}:PATH)")


MAX_MAT_BYTES = 256 << 20  # the file, and its compressed variables once inflated (nist36_train: 92 MB)


def _check_inflation(f, path) -> None:
    """Refuse a MATLAB v5 file whose compressed variables would inflate to more than
    :data:`MAX_MAT_BYTES` (a few-MB zip bomb), by inflating them once in bounded chunks and counting."""
    import struct
    import zlib

    header = f.read(128)
    if len(header) < 128 or header[126:128] not in (b"IM", b"MI"):
        f.seek(0)
        return  # not v5 (v4 has no compression; anything else loadmat refuses)
    endian = "<" if header[126:128] == b"IM" else ">"
    total, limit = 0, MAX_MAT_BYTES
    while True:
        tag = f.read(8)
        if len(tag) < 8:
            break
        kind, nbytes = struct.unpack(endian + "II", tag)
        if kind != 15:  # miCOMPRESSED
            f.seek(nbytes, 1)
            continue
        inflate, left = zlib.decompressobj(), nbytes
        while left > 0 and not inflate.eof:
            chunk = f.read(min(left, 1 << 16))
            if not chunk:
                break
            left -= len(chunk)
            data = inflate.decompress(chunk, 1 << 20)
            while True:
                total += len(data)
                if total > limit:
                    raise OcrError(f"{path}: its compressed variables inflate to more than {limit >> 20} MB")
                if not inflate.unconsumed_tail:
                    break
                data = inflate.decompress(inflate.unconsumed_tail, 1 << 20)
    f.seek(0)


def read_nist_mat(path, split: str, n_classes: int, normalize: bool = True):
    """Read one split of a NIST ``.mat`` file as ``(X, y)`` with ``y`` indices into the first ``n_classes``."""
    import scipy.io

    from ocr_cli.fileio.reading import open_input

    with open_input(path, MAX_MAT_BYTES, ".mat file") as f:
        try:
            _check_inflation(f, path)
            mat = scipy.io.loadmat(f)
        except OcrError:
            raise
        except Exception as e:  # MatReadError, zlib and struct errors, truncated data: scipy raises many kinds
            raise OcrError(f"{path}: not a readable .mat file ({type(e).__name__}: {str(e)[:80]})") from None
    dkey, lkey = f"{split}_data", f"{split}_labels"
    if dkey not in mat or lkey not in mat:
        have = sorted({k.split("_")[0] for k in mat if k.endswith("_data")})
        raise OcrError(f"{path}: no {split!r} split (it has: {', '.join(have) or 'none'})")
    data, labels = np.asarray(mat[dkey]), np.asarray(mat[lkey])
    if data.ndim != 2 or data.shape[1] != SIZE * SIZE or labels.shape != (len(data), n_classes):
        raise OcrError(f"{path}: expected {dkey} N×{SIZE * SIZE} and {lkey} N×{n_classes}, "
                       f"got {data.shape} and {labels.shape}")
    if data.dtype.kind not in "uif" or labels.dtype.kind not in "uifb" or not np.isfinite(data).all():
        raise OcrError(f"{path}: {dkey} must be finite real numbers and {lkey} numbers")
    if len(labels) and not (np.isin(labels, (0, 1)).all() and (labels.sum(axis=1) == 1).all()):
        raise OcrError(f"{path}: {lkey} is not one-hot (every row one 1, the rest 0)")
    X = np.clip(1.0 - data.reshape(-1, SIZE, SIZE, order="F"), 0.0, 1.0).astype(np.float32)
    if normalize:
        X = np.stack([normalize_glyph(x) for x in X]) if len(X) else X
    return X, labels.argmax(axis=1).astype(np.int64)


def load_nist36(split, path, data_dir, n, seed):
    return read_nist_mat(find_mat("nist36", split, path, data_dir), split, 36)


def load_nist26(split, path, data_dir, n, seed):
    """Letters only: the 26 one-hot columns are A–Z, which are also the first 26 of the 36 classes."""
    return read_nist_mat(find_mat("nist26", split, path, data_dir), split, 26)


def load_nist26oct(split, path, data_dir, n, seed):
    """The 2016oct letters file (see the module docstring), without the images ``nist26_valid.mat`` also has."""
    f = find_mat("nist26", "valid_2016oct", path, data_dir)
    X, y = read_nist_mat(f, "valid", 26, normalize=False)
    keep = ~np.isin(y, [CLASSES.index(c) for c in NIST26OCT_MISLABELED])
    X, y = X[keep], y[keep]
    for other in (f.parent / "nist26_valid.mat", Path(data_dir) / "nist26_valid.mat", Path(data_dir) / "nist" / "nist26_valid.mat"):
        if other.is_file() and other.resolve() != f.resolve():
            seen = {x.tobytes() for x in read_nist_mat(other, "valid", 26, normalize=False)[0]}
            keep = np.array([x.tobytes() not in seen for x in X], bool)
            X, y = X[keep], y[keep]
            break
    return (np.stack([normalize_glyph(x) for x in X]) if len(X) else X), y

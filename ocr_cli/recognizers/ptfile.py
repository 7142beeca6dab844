"""Reading a ``torch.save``\\ d state dict (zip format) with the standard library and NumPy.

The page commands read the ``cnn`` without importing torch, and every torch recognizer
loads its weights through this reader too, so a hostile ``.pt`` meets one set of checks:
the archive is validated by :func:`ocr_cli.fileio.reading.open_zip` (regular file, bounded size and
inflation, no encryption), the pickle may only rebuild tensors into an ordered dict (no
other callable), and every tensor's size, stride and offset must lie inside its storage
before a view of it is taken.
"""
from __future__ import annotations

import io
import math
import pickle
from collections import OrderedDict
from pathlib import Path

import numpy as np

from ocr_cli.errors import OcrError
from ocr_cli.fileio.reading import open_zip, zip_member
from ocr_cli.recognizers.base import MAX_PARAMETERS

STORAGE_DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
                  "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
                  "ByteStorage": np.uint8, "CharStorage": np.int8, "BoolStorage": np.bool_}
MAX_PICKLE_BYTES = 16 << 20
MAX_DIMS = 8


class _StorageType(str):
    """What ``torch.FloatStorage`` unpickles to here: a name, not something callable."""


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def read_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """``{name: ndarray}`` from a ``torch.save``\\ d state dict, or a one-line :class:`OcrError`."""
    with open_zip(path) as zf:
        names = zf.namelist()
        pkls = [n for n in names if n == "data.pkl" or n.endswith("/data.pkl")]
        if len(pkls) != 1:
            raise OcrError(f"{path}: not a torch weights file (no data.pkl record)")
        prefix = pkls[0][: -len("data.pkl")]
        if f"{prefix}byteorder" in names and zip_member(zf, f"{prefix}byteorder", path, 16).strip() != b"little":
            raise OcrError(f"{path}: big-endian torch files are not supported")
        pkl = zip_member(zf, pkls[0], path, MAX_PICKLE_BYTES)
        try:
            state = _Unpickler(io.BytesIO(pkl), zf, prefix, path).load()
        except OcrError:
            raise
        except Exception as e:  # empty or truncated pickle, a forbidden object, wrong argument types, ...
            raise OcrError(f"{path}: not a readable torch state dict ({type(e).__name__}: {str(e)[:80]})") from None
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, np.ndarray) for k, v in state.items()):
        raise OcrError(f"{path}: not a state dict of named tensors")
    return dict(state)


class _Unpickler(pickle.Unpickler):
    """Unpickles a state dict's ``data.pkl``: only tensors (as checked NumPy copies), storage
    names and ordered dicts; storages are read from the archive ``zf`` under ``prefix``."""

    def __init__(self, file, zf, prefix: str, path):
        super().__init__(file)
        self.zf, self.prefix, self.path = zf, prefix, path
        self.storages: dict[str, np.ndarray] = {}
        self.values = 0  # tensors may share a storage (or repeat it with stride 0): bound what they copy out

    def find_class(self, module, name):
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return self.rebuild
        if module == "torch" and name in STORAGE_DTYPES:
            return _StorageType(name)
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        raise pickle.UnpicklingError(f"unexpected object {module}.{name}")

    def persistent_load(self, pid) -> np.ndarray:
        """The storage ``pid`` names, as a flat array of its declared length (read once)."""
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage" and isinstance(pid[1], _StorageType)
                and isinstance(pid[2], str) and _is_int(pid[4]) and pid[4] >= 0):
            raise ValueError(f"unexpected storage reference {str(pid)[:60]}")
        _, kind, key, _, numel = pid
        if key not in self.storages:
            dtype = np.dtype(STORAGE_DTYPES[kind])
            data = zip_member(self.zf, f"{self.prefix}data/{key}", self.path)
            if numel * dtype.itemsize > len(data):
                raise OcrError(f"{self.path}: storage {key} declares {numel:,} values but holds {len(data):,} bytes")
            self.storages[key] = np.frombuffer(data, dtype, numel)
        return self.storages[key]

    def rebuild(self, store, offset, size, stride, *_) -> np.ndarray:
        """``torch._utils._rebuild_tensor_v2``: a copy of the view of ``store``, once it is known to lie inside."""
        if not (isinstance(store, np.ndarray) and _is_int(offset) and isinstance(size, tuple)
                and isinstance(stride, tuple) and len(size) == len(stride) <= MAX_DIMS
                and all(_is_int(v) and v >= 0 for v in size + stride) and offset >= 0):
            raise ValueError("malformed tensor record")
        n = math.prod(size)
        self.values += n
        if self.values > MAX_PARAMETERS:
            raise OcrError(f"{self.path}: its tensors hold more than {MAX_PARAMETERS:,} values, more than a model may have")
        if n == 0:
            return np.zeros(size, store.dtype)
        last = offset + sum((s - 1) * st for s, st in zip(size, stride))
        if last >= len(store):
            raise OcrError(f"{self.path}: a tensor of shape {size} (offset {offset}, stride {stride}) "
                           f"reaches past its storage of {len(store):,} values")
        item = store.itemsize
        return np.lib.stride_tricks.as_strided(store[offset:], shape=size, strides=[s * item for s in stride]).copy()

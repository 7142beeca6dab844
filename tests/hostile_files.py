"""Crafted hostile files for tests/test_hostile.py and benchmarks/bench_hostile.py.

Everything is written from scratch with the standard library and NumPy (no torch), so the
files are exactly what the test says: a ``torch.save``-format zip whose tensor claims more
than its storage holds, a zip bomb, a sidecar declaring a huge network, ...
"""
from __future__ import annotations

import io
import json
import os
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np

from ocr_cli.charset import CLASSES

# (name, shape) of the cnn's state dict, in torch's order
CNN_SHAPES = []
for _conv, (_cin, _cout) in zip((0, 4, 8), ((1, 32), (32, 64), (64, 128))):
    CNN_SHAPES += [(f"features.{_conv}.weight", (_cout, _cin, 3, 3))]
    CNN_SHAPES += [(f"features.{_conv + 1}.{k}", (_cout,)) for k in ("weight", "bias", "running_mean", "running_var")]
    CNN_SHAPES += [(f"features.{_conv + 1}.num_batches_tracked", ())]
CNN_SHAPES += [("head.2.weight", (128, 2048)), ("head.2.bias", (128,)), ("head.5.weight", (36, 128)), ("head.5.bias", (36,))]
CNN_ARCH = {"channels": [32, 64, 128], "hidden": 128, "dropout": 0.3}


def _int(v: int) -> bytes:
    if 0 <= v < 256:
        return b"K" + bytes([v])
    if -2**31 <= v < 2**31:
        return b"J" + struct.pack("<i", v)
    data = pickle.encode_long(v)
    return b"\x8a" + bytes([len(data)]) + data


def _str(s: str) -> bytes:
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def _tuple(values) -> bytes:
    return b"(" + b"".join(_int(v) for v in values) + b"t"


def state_pickle(tensors) -> bytes:
    """The ``data.pkl`` torch writes for a state dict, by hand (protocol 2).

    ``tensors``: ``[(name, storage_type, key, numel, offset, size, stride), ...]``.
    """
    out = [b"\x80\x02", b"ccollections\nOrderedDict\n)R("]
    for name, storage, key, numel, offset, size, stride in tensors:
        out += [_str(name), b"ctorch._utils\n_rebuild_tensor_v2\n(",
                b"(" + _str("storage") + f"ctorch\n{storage}\n".encode() + _str(key) + _str("cpu") + _int(numel) + b"tQ",
                _int(offset), _tuple(size), _tuple(stride), b"\x89", b"ccollections\nOrderedDict\n)R", b"tR"]
    out.append(b"u.")
    return b"".join(out)


def contiguous_stride(shape) -> tuple:
    return tuple(int(np.prod(shape[i + 1:])) for i in range(len(shape)))


def write_torch_zip(path, tensors, storages: dict, prefix: str = "archive", pkl: bytes | None = None,
                    compression=zipfile.ZIP_STORED, extra: dict | None = None, byteorder: str = "little") -> Path:
    """A ``torch.save`` zip: ``data.pkl`` (``pkl`` or made from ``tensors``) plus storage records."""
    path = Path(path)
    with zipfile.ZipFile(path, "w", compression) as zf:
        zf.writestr(f"{prefix}/data.pkl", state_pickle(tensors) if pkl is None else pkl)
        zf.writestr(f"{prefix}/byteorder", byteorder)
        for key, data in storages.items():
            zf.writestr(f"{prefix}/data/{key}", data)
        zf.writestr(f"{prefix}/version", "3\n")
        for name, data in (extra or {}).items():
            zf.writestr(f"{prefix}/{name}", data)
    return path


def cnn_state(seed: int = 0, override=None) -> tuple[list, dict]:
    """A random but well-formed cnn state dict as ``(tensors, storages)`` for :func:`write_torch_zip`.

    ``override``: ``{name: dict(offset=..., size=..., stride=..., numel=...)}`` to lie about one tensor.
    """
    rng = np.random.default_rng(seed)
    tensors, storages = [], {}
    for i, (name, shape) in enumerate(CNN_SHAPES):
        key = str(i)
        if name.endswith("num_batches_tracked"):
            storages[key] = np.array([1], np.int64).tobytes()
            t = [name, "LongStorage", key, 1, 0, (), ()]
        else:
            a = (rng.random(shape, np.float32) + (0.5 if name.endswith("running_var") else -0.5)) * 0.1
            storages[key] = a.astype(np.float32).tobytes()
            t = [name, "FloatStorage", key, a.size, 0, shape, contiguous_stride(shape)]
        for k, v in (override or {}).get(name, {}).items():
            t[{"numel": 3, "offset": 4, "size": 5, "stride": 6}[k]] = v
        tensors.append(tuple(t))
    return tensors, storages


def cnn_sidecar(**changes) -> dict:
    return {"model": "cnn", "classes": CLASSES, "arch": dict(CNN_ARCH), **changes}


def write_model(path, meta: dict, write_weights) -> Path:
    """``path`` (weights) plus its sidecar ``path.json`` with ``meta``; ``write_weights(path)`` makes the weights."""
    path = Path(path)
    write_weights(path)
    path.with_suffix(".json").write_text(json.dumps(meta))
    return path


def crafted_cnn(path, pkl: bytes | None = None, override=None, compression=zipfile.ZIP_STORED, meta=None,
                inside: bool = False) -> Path:
    """A cnn model file of crafted tensors with sidecar ``meta``: beside it as a ``.json`` (the
    format of files saved before the sidecar moved inside), or ``inside`` the file as well."""
    tensors, storages = cnn_state(override=override)
    meta = meta or cnn_sidecar()
    extra = {"ocr_cli.json": json.dumps(meta)} if inside else None
    return write_model(path, meta, lambda p: write_torch_zip(p, tensors, storages, pkl=pkl, compression=compression,
                                                             extra=extra))


def sidecar_only(path, meta, inside: bool) -> Path:
    """A model file holding no weights at all, only its sidecar (``inside`` it, or beside it):
    for checks that must refuse the sidecar before any weights are read."""
    path = Path(path)
    with zipfile.ZipFile(path, "w") as zf:
        if inside:
            zf.writestr(("archive/" if path.suffix == ".pt" else "") + "ocr_cli.json", json.dumps(meta))
    if not inside:
        path.with_suffix(".json").write_text(json.dumps(meta))
    return path


def zip_bomb_cnn(path, gigabytes: float = 6.0) -> Path:
    """A ~3 MB-per-GB-ratio zip whose one storage record inflates to ``gigabytes`` of zeros."""
    tensors, storages = cnn_state()
    big = int(gigabytes * 2**30)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("archive/data.pkl", state_pickle(tensors))
        for key, data in storages.items():
            if key == "0":
                with zf.open("archive/data/0", "w", force_zip64=True) as f:
                    chunk = bytes(2**24)
                    for _ in range(big // len(chunk)):
                        f.write(chunk)
            else:
                zf.writestr(f"archive/data/{key}", data)
    Path(path).with_suffix(".json").write_text(json.dumps(cnn_sidecar()))
    return Path(path)


def patch_zip_flags(path, member_suffix: str, flag_bits: int = 0, method: int | None = None) -> None:
    """Set general-purpose flag bits (1 = encrypted) or the compression method of one member,
    in both its local header and the central directory."""
    data = bytearray(Path(path).read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = next(i for i in zf.infolist() if i.filename.endswith(member_suffix))
    for sig, off_flags in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        pos = data.find(sig, info.header_offset if sig == b"PK\x03\x04" else 0)
        while pos >= 0:
            name_len = struct.unpack_from("<H", data, pos + (26 if sig == b"PK\x03\x04" else 28))[0]
            name_at = pos + (30 if sig == b"PK\x03\x04" else 46)
            if bytes(data[name_at:name_at + name_len]).decode() == info.filename:
                flags = struct.unpack_from("<H", data, pos + off_flags)[0] | flag_bits
                struct.pack_into("<H", data, pos + off_flags, flags)
                if method is not None:
                    struct.pack_into("<H", data, pos + off_flags + 2, method)
                break
            pos = data.find(sig, pos + 4)
    Path(path).write_bytes(bytes(data))


def corrupt_deflate(path, member_suffix: str = "data/0") -> None:
    """Flip bytes inside one deflated member's compressed data (headers stay valid)."""
    data = bytearray(Path(path).read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = next(i for i in zf.infolist() if i.filename.endswith(member_suffix))
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for k in range(start + 2, start + min(info.compress_size, 64)):
        data[k] ^= 0x5A
    Path(path).write_bytes(bytes(data))


def mlp_sidecar(hidden, classes: str = CLASSES) -> dict:
    return {"model": "mlp", "classes": classes, "arch": {"hidden": list(hidden), "activation": "sigmoid"}}


def npz_with_header(path, name: str, shape, data: bytes = b"", meta: dict | None = None) -> Path:
    """An ``.npz`` whose member ``name`` has an .npy header declaring ``shape`` (float32) but holds
    only ``data``: an allocation bomb for readers that trust the header."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{name}.npy", _npy_bytes({"descr": "<f4", "fortran_order": False, "shape": tuple(shape)}, data))
        if meta is not None:
            zf.writestr("__meta__.npy", _npy_of(np.array(json.dumps(meta))))
    return Path(path)


def _npy_bytes(header: dict, data: bytes) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)  # writes the magic too
    return buf.getvalue() + data


def _npy_of(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def mat_text(path) -> Path:
    Path(path).write_text("this is not a MATLAB file\n" * 20)
    return Path(path)


def make_fifo(path) -> Path:
    os.mkfifo(path)
    return Path(path)


def float_tiff(path, value: float, size=(40, 60)) -> Path:
    from PIL import Image

    a = np.full(size, 0.5, np.float32)
    a[5:10, 5:10] = value
    Image.fromarray(a, mode="F").save(path)
    return Path(path)


def mnist5k_csv(path, labels) -> Path:
    """A mnist_5k-format CSV (784 pixels then the label) with the given labels."""
    rows = np.zeros((len(labels), 785))
    rows[:, 300:320] = 255
    rows[:, -1] = labels
    np.savetxt(path, rows, delimiter=",", fmt="%g")
    return Path(path)

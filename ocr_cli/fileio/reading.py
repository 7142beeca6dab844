"""Reading user files safely: regular files of bounded size, text, JSON, zip archives, ``.npz``.

Every failure a user can cause (missing file, not a regular file, truncated data, a FIFO or
a device where a file should be, a zip bomb) becomes an :class:`~ocr_cli.errors.OcrError`
with a one-line message, found before anything large is allocated.
"""
from __future__ import annotations

import contextlib
import io
import json
import math
import os
import stat
import zipfile
from pathlib import Path

import numpy as np

from ocr_cli.errors import OcrError

MAX_TEXT_BYTES = 16 << 20  # sidecars, ground-truth texts
MAX_ZIP_BYTES = 256 << 20  # a model file, and everything in it once inflated
MAX_ZIP_DIRECTORY = 4 << 20  # the zip's list of members (each becomes a Python object)


def _size(n: int) -> str:
    return f"{n / 2**20:.0f} MB" if n >= 2**20 else f"{n:,} bytes"


def open_input(path, max_bytes: int | None = None, what: str = "file"):
    """Open a user's file for reading (binary), refusing at once what is not a regular file
    (a FIFO would block forever, ``/dev/zero`` never ends) or is larger than ``max_bytes``."""
    path = Path(path)
    try:  # O_NONBLOCK: opening a FIFO must not wait for a writer
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise OcrError(f"{path}: no such {what if what.endswith('file') else 'file'}") from None
    except OSError as e:
        raise OcrError(f"{path}: cannot open ({e.strerror})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = "a directory" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode) else \
                "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a regular file"
            raise OcrError(f"{path}: is {kind}, not a regular {what}" if kind.startswith("a ") else f"{path}: {kind}")
        if max_bytes is not None and st.st_size > max_bytes:
            raise OcrError(f"{path}: {_size(st.st_size)}, larger than the {_size(max_bytes)} a {what} may have")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_at_most(f, max_bytes: int, path, what: str = "file", verb: str = "is larger") -> bytes:
    """All of ``f`` (a file or a decompressing stream) if that is at most ``max_bytes``, read in
    chunks so that nothing near the limit is allocated for a short file."""
    chunks, n = [], 0
    while chunk := f.read(1 << 20):
        n += len(chunk)
        if n > max_bytes:
            raise OcrError(f"{path}: {verb} than the {_size(max_bytes)} a {what} may have")
        chunks.append(chunk)
    return b"".join(chunks)


def read_bytes(path, max_bytes: int, what: str = "file") -> bytes:
    with open_input(path, max_bytes, what) as f:
        return read_at_most(f, max_bytes, path, what)


def read_text(path, max_bytes: int | None = None, what: str = "text file") -> str:
    """A UTF-8 text file of at most ``max_bytes`` (default :data:`MAX_TEXT_BYTES`)."""
    try:
        return read_bytes(path, max_bytes or MAX_TEXT_BYTES, what).decode("utf-8")
    except UnicodeDecodeError as e:
        raise OcrError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None


def read_json(path, what: str = "JSON file"):
    text = read_text(path, what=what)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as e:  # JSONDecodeError, too many digits, nesting too deep
        raise OcrError(f"{path}: not valid JSON ({str(e)[:100]})") from None


@contextlib.contextmanager
def open_zip(path, max_bytes: int | None = None, what: str = "model file"):
    """A validated :class:`zipfile.ZipFile` (``.pt``, ``.npz``): a regular file of at most
    ``max_bytes`` (default :data:`MAX_ZIP_BYTES`) whose members are plain or deflated, not
    encrypted, and inflate to at most ``max_bytes`` in all (the declared sizes bound what
    :func:`zip_member` returns)."""
    max_bytes = max_bytes or MAX_ZIP_BYTES
    with open_input(path, max_bytes, what) as f:
        try:
            end = zipfile._EndRecData(f)  # the directory's size, before zipfile reads it into objects
            if end is not None and end[zipfile._ECD_SIZE] > MAX_ZIP_DIRECTORY:
                raise OcrError(f"{path}: its zip directory is {_size(end[zipfile._ECD_SIZE])}, more than a {what} needs")
            zf = zipfile.ZipFile(f)
        except OcrError:
            raise
        except Exception as e:  # BadZipFile, struct errors, EOF, bad offsets
            raise OcrError(f"{path}: not a readable {what} (not a zip archive: {str(e)[:80]})") from None
        with zf:
            total = 0
            for info in zf.infolist():
                if info.flag_bits & 0x1:
                    raise OcrError(f"{path}: member {info.filename} is encrypted")
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise OcrError(f"{path}: member {info.filename} uses compression method {info.compress_type}, "
                                   "not stored or deflate")
                total += info.file_size
            if total > max_bytes:
                raise OcrError(f"{path}: would inflate to {_size(total)}, more than the {_size(max_bytes)} a {what} may hold")
            yield zf


def zip_member(zf: zipfile.ZipFile, name: str, path, max_bytes: int | None = None) -> bytes:
    """The bytes of one member of an archive from :func:`open_zip`, or a one-line error."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise OcrError(f"{path}: has no member {name}") from None
    if max_bytes is not None and info.file_size > max_bytes:
        raise OcrError(f"{path}: member {name} is {_size(info.file_size)}, more than {_size(max_bytes)}")
    try:
        data = zf.read(info)
    except Exception as e:  # zlib.error, bad CRC (BadZipFile), truncated data (EOFError), bad headers
        raise OcrError(f"{path}: member {name} is corrupt ({type(e).__name__}: {str(e)[:80]})") from None
    if len(data) != info.file_size:
        raise OcrError(f"{path}: member {name} is truncated")
    return data


def npy_from_bytes(data: bytes, where: str) -> np.ndarray:
    """An array from the bytes of one ``.npy`` file: the header's shape and dtype must account
    for exactly the bytes that follow it (no object arrays, nothing allocated beyond them)."""
    buf = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(buf)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(buf)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(buf)
        else:
            raise ValueError(f".npy version {version} is not supported")
    except ValueError as e:
        raise OcrError(f"{where}: not a valid .npy array ({str(e)[:100]})") from None
    if dtype.hasobject or dtype.itemsize == 0:
        raise OcrError(f"{where}: holds {dtype} data, not numbers or text")
    count, offset = math.prod(shape), buf.tell()
    if count * dtype.itemsize != len(data) - offset:
        raise OcrError(f"{where}: its header declares shape {shape} ({_size(count * dtype.itemsize)}) "
                       f"but it holds {_size(len(data) - offset)}")
    return np.frombuffer(data, dtype, count, offset).reshape(shape, order="F" if fortran else "C").copy()


def read_npz(path, max_bytes: int | None = None, what: str = "model file") -> dict[str, np.ndarray]:
    """``{name: array}`` from an ``.npz`` archive, read with :func:`open_zip` and :func:`npy_from_bytes`
    (members that are not ``.npy`` are ignored)."""
    with open_zip(path, max_bytes, what) as zf:
        return {info.filename[:-4]: npy_from_bytes(zip_member(zf, info.filename, path), f"{path}: {info.filename}")
                for info in zf.infolist() if info.filename.endswith(".npy")}

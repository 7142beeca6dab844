"""Reading user files safely and writing outputs atomically.

Every failure a user can cause (missing file, not an image, truncated data, a FIFO or a
device where a file should be, a zip bomb) becomes an :class:`~ocr_cli.errors.OcrError`
with a one-line message, found before anything large is allocated; nothing half-written
is ever left where a user's file was.
"""
from __future__ import annotations

import contextlib
import io
import json
import math
import os
import stat
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from ocr_cli.errors import OcrError

MAX_PIXELS = 100_000_000  # larger images are refused rather than risking memory exhaustion
MAX_IMAGE_BYTES = 1 << 30
MAX_TEXT_BYTES = 16 << 20  # sidecars, ground-truth texts
MAX_ZIP_BYTES = 256 << 20  # a model file, and everything in it once inflated
MAX_ZIP_DIRECTORY = 4 << 20  # the zip's list of members (each becomes a Python object)


@contextlib.contextmanager
def atomic_path(path, suffix=None):
    """Yield a temporary path next to ``path``; move it over ``path`` only on success.

    ``suffix`` keeps the extension for writers that infer the format from it
    (``np.savez`` adds ``.npz``, matplotlib picks PNG from ``.png``).
    """
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or path.suffix, dir=path.parent)
    os.close(fd)
    os.chmod(tmp, _final_mode(path))  # mkstemp makes 0600; the result should look like any new file
    try:
        yield Path(tmp)
        with open(tmp, "rb") as f:  # on disk before it takes the name: a crash never leaves an empty file there
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_folder(path.parent)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _final_mode(path: Path) -> int:
    """The mode a replaced file keeps, or what ``open()`` would give a new one under the umask."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_LOCKED: dict[str, int] = {}  # results folders this process holds: real path -> nesting depth


@contextlib.contextmanager
def locked_folder(path, what: str = "results folder"):
    """Hold the folder ``path`` (made if missing) for one run: an exclusive ``flock`` on
    ``path/.ocr-run.lock`` for the block, so a second run into the same folder is refused at
    once instead of overwriting the first one's files. The kernel drops the lock when the
    process ends, however it ends; nested use in one process is allowed."""
    import fcntl

    path = Path(path)
    made = [p for p in (path, *path.parents) if not p.exists()]  # removed again if the run leaves them empty
    path.mkdir(parents=True, exist_ok=True)
    key = os.path.realpath(path)
    if key in _LOCKED:
        _LOCKED[key] += 1
        try:
            yield path
        finally:
            _LOCKED[key] -= 1
        return
    lock = path / ".ocr-run.lock"
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise OcrError(f"{path}: this {what} is in use by another run (pid {holder}); "
                           "wait for it to finish or choose another --out") from None
        try:
            if os.fstat(fd).st_ino == os.stat(lock).st_ino:
                break  # still the file at that path: the lock is ours (not one its last holder just removed)
        except FileNotFoundError:
            pass
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _LOCKED[key] = 1
        try:
            yield path
        finally:
            del _LOCKED[key]
            os.unlink(lock)  # while still holding it: a waiting opener then sees another inode and retries
            for folder in made:
                with contextlib.suppress(OSError):
                    folder.rmdir()
    finally:
        os.close(fd)


def refuse_overwriting(outputs, inputs) -> None:
    """OcrError if any file a command will write is one of the files it reads."""
    existing = [Path(p) for p in inputs if p is not None and Path(p).exists()]
    for out in map(Path, outputs):
        for inp in existing:
            if out.exists() and os.path.samefile(out, inp):
                raise OcrError(f"{out} would be overwritten, but it is an input ({inp}); choose another --out")


def pyplot():
    """matplotlib's pyplot on the headless Agg backend, imported only when a figure is drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path, dpi: int = 110, **savefig_kwargs) -> Path:
    """Write a matplotlib figure to ``path`` (PNG) atomically and close it."""
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=dpi, format="png", **savefig_kwargs)
    pyplot().close(fig)
    return Path(path)


def write_text(path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path, obj) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


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


def read_image(path, max_pixels: int = MAX_PIXELS, page: int = 0, colour: bool = False) -> np.ndarray:
    """Read any common image file as a 2-D float32 grey array in [0, 1] (white = 1).

    Applies the EXIF orientation (phone photos), flattens alpha onto white and scales
    8- and 16-bit data alike. ``page`` picks a page of a multi-page TIFF (0 = the first).
    With ``colour``, a colour file comes as (H, W, 3) uint8 RGB instead, as decoded (the
    page pipeline uses colour to tell the sheet from the desk; uint8 keeps a 12 MP photo
    at 36 MB).
    """
    from PIL import Image

    path = Path(path)
    Image.MAX_IMAGE_PIXELS = None  # we apply our own, clearer limit below
    try:
        with open_input(path, MAX_IMAGE_BYTES, "image") as f, Image.open(f) as im:
            if page:
                im.seek(page)
            w, h = im.size
            if w * h > max_pixels:
                raise OcrError(f"{path}: image is {w}×{h}, larger than the {max_pixels // 1_000_000} megapixel limit")
            if im.format == "JPEG" and im.mode in ("RGB", "YCbCr", "CMYK") and not colour:
                im.draft("L", im.size)  # decode only the luma channel: several times faster
            return pil_array(im, colour, where=path)
    except OcrError:
        raise
    except Image.UnidentifiedImageError:
        raise OcrError(f"{path}: not an image file (or a format we cannot read)") from None
    except EOFError:
        raise OcrError(f"{path}: has no page {page + 1}") from None
    except Exception as e:  # a damaged file makes Pillow's decoders raise anything (struct.error, IndexError, ...)
        raise OcrError(f"{path}: cannot read image ({type(e).__name__}: {str(e)[:100]})") from None


def pil_array(im, colour: bool = False, where="image") -> np.ndarray:
    """A PIL image as :func:`read_image` returns a file's: EXIF orientation applied, alpha
    flattened onto white, 8- and 16-bit scaled alike; grey float32 in [0, 1], or with ``colour``
    a colour image as (H, W, 3) uint8 RGB. ``where`` names the image in errors."""
    from PIL import Image, ImageOps

    im = ImageOps.exif_transpose(im)
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        background = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(background, im)
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(im, dtype=np.float64)
        top = 65535.0 if a.max() > 255 else 255.0
        a = a / top
    elif im.mode == "F":
        a = np.asarray(im, dtype=np.float64)
        if not np.isfinite(a).all():
            raise OcrError(f"{where}: floating-point image with NaN or infinite pixels")
        a = (a - a.min()) / max(a.max() - a.min(), 1e-12)
    elif colour and im.mode in ("RGB", "RGBA", "P", "CMYK", "YCbCr", "LAB", "HSV"):
        a = np.asarray(im.convert("RGB"))
        if np.ptp(a[::8, ::8].astype(np.int16), axis=2).max() > 0:  # not a colour file of greys
            return a
        a = a[..., 0].astype(np.float32) / np.float32(255.0)
    else:
        a = np.asarray(im.convert("L"), dtype=np.float32) / np.float32(255.0)
    if a.ndim != 2 or min(a.shape) < 1:
        raise OcrError(f"{where}: image has no pixels")
    a = a.astype(np.float32, copy=False)
    return np.clip(a, 0.0, 1.0, out=a)


PDF_DPI = 200  # handwriting strokes stay several pixels wide; an A4 page is 1654×2339 px
PDF_MAX_SIDE = 6000  # a page declared huge is rendered smaller rather than exhausting memory


def is_pdf(path) -> bool:
    """Whether a file starts like a PDF (by content, not name: stdin has no name)."""
    try:
        with open_input(path, MAX_IMAGE_BYTES, "image") as f:
            return f.read(1024).lstrip().startswith(b"%PDF-")
    except OcrError:
        return False  # read_image will say why


def count_pages(path) -> int:
    """How many pages an input holds: a PDF's pages, a TIFF's pages, 1 for any other image.

    Other multi-frame formats (animated GIF, the preview frame of an MPO phone photo) are
    one page: only TIFF frames are pages.
    """
    from PIL import Image

    path = Path(path)
    with open_input(path, MAX_IMAGE_BYTES, "image") as f:
        if not f.read(1024).lstrip().startswith(b"%PDF-"):
            f.seek(0)
            Image.MAX_IMAGE_PIXELS = None  # read_image applies the clearer limit when the page is read
            try:
                with Image.open(f) as im:
                    return getattr(im, "n_frames", 1) if im.format == "TIFF" else 1
            except Image.UnidentifiedImageError:
                raise OcrError(f"{path}: not an image file (or a format we cannot read)") from None
            except Exception as e:  # as in read_image: a damaged file makes Pillow raise anything
                raise OcrError(f"{path}: cannot read image ({type(e).__name__}: {str(e)[:100]})") from None
    with _open_pdf(path) as pdf:
        return len(pdf)


def read_image_page(path, index: int = 0, max_pixels: int = MAX_PIXELS, colour: bool = False) -> np.ndarray:
    """Page ``index`` (0-based) of a PDF or multi-page TIFF, or the image itself, as :func:`read_image` gives it.

    PDF pages are rendered at :data:`PDF_DPI` (less if that would pass ``max_pixels`` or
    :data:`PDF_MAX_SIDE`) on white, in grey.
    """
    if not is_pdf(path):
        return read_image(path, max_pixels, page=index, colour=colour)
    import pypdfium2

    with _open_pdf(path) as pdf:
        if not 0 <= index < len(pdf):
            raise OcrError(f"{path}: has no page {index + 1}")
        try:
            page = pdf[index]
            w, h = page.get_size()  # PDF points, 1/72 inch
            scale = min(PDF_DPI / 72, PDF_MAX_SIDE / max(w, h, 1), (max_pixels / max(w * h, 1)) ** 0.5)
            a = page.render(scale=scale, grayscale=True).to_numpy()
        except pypdfium2.PdfiumError as e:
            raise OcrError(f"{path}: cannot render page {index + 1} ({e})") from None
    a = a.reshape(a.shape[0], a.shape[1], -1)[..., 0].astype(np.float32) / np.float32(255.0)
    if min(a.shape) < 1:
        raise OcrError(f"{path}: page {index + 1} has no pixels")
    return a


@contextlib.contextmanager
def _open_pdf(path):
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(str(path))
    except pypdfium2.PdfiumError as e:
        raise OcrError(f"{path}: cannot read PDF ({e})") from None
    try:
        yield pdf
    finally:
        pdf.close()

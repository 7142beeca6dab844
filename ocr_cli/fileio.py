"""Reading user files safely and writing outputs atomically.

Every failure a user can cause (missing file, not an image, truncated data) becomes an
:class:`~ocr_cli.errors.OcrError` with a one-line message; nothing half-written is ever
left where a user's file was.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from ocr_cli.errors import OcrError

MAX_PIXELS = 100_000_000  # larger images are refused rather than risking memory exhaustion


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
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _final_mode(path: Path) -> int:
    """The mode a replaced file keeps, or what ``open()`` would give a new one under the umask."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


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


def read_json(path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise OcrError(f"{path}: no such file")
    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise OcrError(f"{path}: not valid JSON ({e})") from None


def read_image(path, max_pixels: int = MAX_PIXELS, page: int = 0) -> np.ndarray:
    """Read any common image file as a 2-D float32 grey array in [0, 1] (white = 1).

    Applies the EXIF orientation (phone photos), flattens alpha onto white and scales
    8- and 16-bit data alike. ``page`` picks a page of a multi-page TIFF (0 = the first).
    """
    from PIL import Image, ImageOps

    path = Path(path)
    if not path.exists():
        raise OcrError(f"{path}: no such file")
    if not path.is_file():
        raise OcrError(f"{path}: not a file")
    Image.MAX_IMAGE_PIXELS = None  # we apply our own, clearer limit below
    try:
        with Image.open(path) as im:
            if page:
                im.seek(page)
            w, h = im.size
            if w * h > max_pixels:
                raise OcrError(f"{path}: image is {w}×{h}, larger than the {max_pixels // 1_000_000} megapixel limit")
            if im.format == "JPEG" and im.mode in ("RGB", "YCbCr", "CMYK"):
                im.draft("L", im.size)  # decode only the luma channel: several times faster
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
                a = (a - a.min()) / max(a.max() - a.min(), 1e-12)
            else:
                a = np.asarray(im.convert("L"), dtype=np.float32) / np.float32(255.0)
    except OcrError:
        raise
    except Image.UnidentifiedImageError:
        raise OcrError(f"{path}: not an image file (or a format we cannot read)") from None
    except EOFError:
        raise OcrError(f"{path}: has no page {page + 1}") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise OcrError(f"{path}: cannot read image ({e})") from None
    if a.ndim != 2 or min(a.shape) < 1:
        raise OcrError(f"{path}: image has no pixels")
    a = a.astype(np.float32, copy=False)
    return np.clip(a, 0.0, 1.0, out=a)


PDF_DPI = 200  # handwriting strokes stay several pixels wide; an A4 page is 1654×2339 px
PDF_MAX_SIDE = 6000  # a page declared huge is rendered smaller rather than exhausting memory


def is_pdf(path) -> bool:
    """Whether a file starts like a PDF (by content, not name: stdin has no name)."""
    try:
        with open(path, "rb") as f:
            return f.read(1024).lstrip().startswith(b"%PDF-")
    except OSError:
        return False


def count_pages(path) -> int:
    """How many pages an input holds: a PDF's pages, a TIFF's pages, 1 for any other image.

    Other multi-frame formats (animated GIF, the preview frame of an MPO phone photo) are
    one page: only TIFF frames are pages.
    """
    from PIL import Image

    path = Path(path)
    if not path.is_file():
        raise OcrError(f"{path}: {'not a file' if path.exists() else 'no such file'}")
    if is_pdf(path):
        with _open_pdf(path) as pdf:
            return len(pdf)
    Image.MAX_IMAGE_PIXELS = None  # read_image applies the clearer limit when the page is read
    try:
        with Image.open(path) as im:
            return getattr(im, "n_frames", 1) if im.format == "TIFF" else 1
    except Image.UnidentifiedImageError:
        raise OcrError(f"{path}: not an image file (or a format we cannot read)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        raise OcrError(f"{path}: cannot read image ({e})") from None


def read_image_page(path, index: int = 0, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Page ``index`` (0-based) of a PDF or multi-page TIFF, or the image itself, as :func:`read_image` gives it.

    PDF pages are rendered at :data:`PDF_DPI` (less if that would pass ``max_pixels`` or
    :data:`PDF_MAX_SIDE`) on white.
    """
    if not is_pdf(path):
        return read_image(path, max_pixels, page=index)
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

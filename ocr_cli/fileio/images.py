"""Reading images, multi-page TIFFs and PDF pages as arrays, with Pillow and pypdfium2.

Both are imported only when a page is read. A file that is too large, damaged or not an
image becomes a one-line :class:`~ocr_cli.errors.OcrError`.
"""
from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from ocr_cli.errors import OcrError
from ocr_cli.fileio.reading import open_input

MAX_PIXELS = 100_000_000  # larger images are refused rather than risking memory exhaustion
MAX_IMAGE_BYTES = 1 << 30


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

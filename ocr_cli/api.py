"""Reading pages from Python: ``ocr_cli.read(image)``.

.. code-block:: python

    import ocr_cli
    page = ocr_cli.read("page.jpg")   # a path, a PIL image or a NumPy array
    print(page.text)

A page is read exactly as ``ocr extract`` reads it (the same models, pipeline and options);
the result renders in the command's formats (:meth:`Reading.render`). Models are loaded once
per process and kept. Nothing here imports torch: the shipped ``cnn`` runs through its NumPy twin.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field, fields

import numpy as np

from ocr_cli.errors import OcrError
from ocr_cli.page.result import Page

FLOAT_SLACK = 0.01  # float pixels a little outside [0, 1] (resampling overshoot) are clipped, not refused


@dataclass
class Reading(Page):
    """A read page (:class:`~ocr_cli.page.result.Page`: ``text``, ``lines``, ``to_dict()`` ...) that
    knows which model read it, so it renders like ``ocr extract --format``."""

    model: dict = field(default_factory=dict)  # {"name": kind, "file": path}, as the JSON output names it

    def render(self, fmt: str = "text") -> str:
        """The page as ``ocr extract --format FMT -o DIR`` writes it: text, json, hocr, alto or tsv."""
        from ocr_cli.formats import render

        return render([self], fmt, self.model)


def read(image, model="cnn", *, page: int = 1, rotate="auto", chars: str | None = None, lexicon=None,
         field: bool | None = None) -> Reading:
    """Read the handwriting on one page.

    Parameters
    ----------
    image : str or os.PathLike, PIL.Image.Image, or ndarray
        An image file or PDF; a PIL image; or an array (H, W) grey, (H, W, 3) RGB or (H, W, 4)
        RGBA (alpha flattened onto white), uint8 (0-255), uint16 (0-65535), bool, or float in [0, 1].
    model : str, os.PathLike or Recognizer
        A model's name (``ocr models``: ``cnn``, ``mlp`` or one in ``$OCR_MODELS_DIR``), a model
        file (``.pt``/``.npz`` or its ``.json``), or a loaded recognizer.
    page : the page of a multi-page file (PDF, TIFF) to read, from 1
    rotate : ``"auto"`` (the quarter turn that reads best) or 0, 90, 180, 270 degrees clockwise
    chars : allowed characters: ``"letters"``, ``"digits"`` or a set such as ``"0123456789X"``
    lexicon : a word-list file, ``"english"``, or a :class:`~ocr_cli.page.lexicon.Lexicon`
    field : read the image as one form field (None: when it is shaped like one), as ``--field``

    Returns
    -------
    Reading
        ``.text``, ``.lines`` (words, characters, boxes in the image's pixels, confidences),
        ``.warnings`` (why the reading may be wrong), ``.to_dict()``, ``.render(fmt)``.

    Raises
    ------
    ValueError
        ``image`` is not an image (wrong type, shape, data type or value range).
    OcrError
        A file that cannot be read, or a model that cannot be found or loaded.
    """
    from ocr_cli.page.fields import read_page_or_field
    from ocr_cli.page.lexicon import load_lexicon, parse_chars

    rec, described = recognizer(model)
    array, source, notes = _page_image(image, page)
    options = {"rotate": rotate, "field": field, "chars": parse_chars(chars, rec.classes) if chars else None,
               "lexicon": load_lexicon(lexicon, rec.classes) if isinstance(lexicon, (str, os.PathLike)) else lexicon}
    result = read_page_or_field(array, rec, **options)
    reading = Reading(**{f.name: getattr(result, f.name) for f in fields(Page)}, model=described)
    reading.source = source
    reading.warnings += notes
    return reading


def recognizer(model="cnn"):
    """``(recognizer, {"name", "file"})`` for a model name, model file or loaded recognizer,
    in its torch-free form where it has one; a file is loaded once (again if it changes)."""
    from ocr_cli.recognizers import Recognizer
    from ocr_cli.recognizers.catalog import resolve_model

    if isinstance(model, Recognizer):
        return model, {"name": model.name, "file": ""}
    if not isinstance(model, (str, os.PathLike)):
        raise ValueError(f"model must be a name, a model file or a recognizer, not {type(model).__name__}")
    path = resolve_model(model)
    rec = _load(str(path.resolve()), path.stat().st_mtime_ns)
    return rec, {"name": rec.name, "file": str(path)}


@functools.lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int):
    from ocr_cli.recognizers import load_recognizer

    return load_recognizer(path, inference=True)


def _page_image(image, page: int):
    """``(array, source name, warnings)``: what ``image`` holds, as the page pipeline takes it."""
    from PIL import Image

    from ocr_cli.fileio.images import MAX_PIXELS, count_pages, pil_array, read_image_page

    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise ValueError(f"page must be a page number from 1, not {page!r}")
    if isinstance(image, (str, os.PathLike)):
        n = count_pages(image)
        if page > n:
            raise OcrError(f"{image}: has no page {page} ({n} page{'s' if n > 1 else ''})")
        notes = [f"the file has {n} pages and page {page} was read (read(..., page=K) reads another)"] if n > 1 else []
        return read_image_page(image, page - 1, colour=True), str(image), notes
    if page != 1:
        raise ValueError("page= picks a page of a multi-page file; an image in memory has one")
    if isinstance(image, Image.Image):
        if image.width * image.height > MAX_PIXELS:
            raise ValueError(f"image is {image.width}×{image.height}, larger than the {MAX_PIXELS // 1_000_000} megapixel limit")
        if image.width * image.height == 0:
            raise ValueError(f"image has no pixels ({image.width}×{image.height})")
        return pil_array(image, colour=True), str(getattr(image, "filename", "") or ""), []
    if isinstance(image, np.ndarray) or hasattr(image, "__array__"):
        return page_array(np.asarray(image)), "", []
    raise ValueError(f"image must be a file path, a PIL image or a NumPy array, not {type(image).__name__}")


def page_array(a: np.ndarray) -> np.ndarray:
    """A user's array checked and put in the form the page pipeline takes (grey or RGB, uint8 or
    float in [0, 1]); a ValueError says what is wrong instead of an empty reading.

    Parameters
    ----------
    a : ndarray (H, W), (H, W, 1), (H, W, 3) or (H, W, 4)
        Pixels: uint8, uint16, bool, other integers within 0-255, or float in [0, 1] (white = 1).

    Returns
    -------
    ndarray (H, W) or (H, W, 3), uint8 or float32
    """
    from ocr_cli.fileio.images import MAX_PIXELS

    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (3, 4))):
        hint = " (channels go last: (H, W, 3))" if a.ndim == 3 and a.shape[0] in (1, 3, 4) else ""
        raise ValueError(f"expected an image array (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA, got shape {a.shape}{hint}")
    if min(a.shape[:2]) < 1:
        raise ValueError(f"image has no pixels (shape {a.shape})")
    if a.shape[0] * a.shape[1] > MAX_PIXELS:
        raise ValueError(f"image is {a.shape[1]}×{a.shape[0]}, larger than the {MAX_PIXELS // 1_000_000} megapixel limit")
    if a.dtype == bool:
        a = a.astype(np.float32)
    elif a.dtype == np.uint16:
        a = a.astype(np.float32) / np.float32(65535)
    elif np.issubdtype(a.dtype, np.integer) and a.dtype != np.uint8:
        if a.min() < 0 or a.max() > 255:
            raise ValueError(f"integer pixels must be 0-255 (uint16 for 16-bit), got {a.min()} to {a.max()}")
        a = a.astype(np.uint8)
    elif np.issubdtype(a.dtype, np.floating):
        a = a.astype(np.float32, copy=False)
        if not np.isfinite(a).all():
            raise ValueError("image holds NaN or infinite values")
        low, high = float(a.min()), float(a.max())
        if low < -FLOAT_SLACK or high > 1 + FLOAT_SLACK:
            raise ValueError(f"float pixels must be in [0, 1] (white = 1), got {low:g} to {high:g}"
                             + ("; divide by 255, or pass uint8" if high <= 255 else ""))
        a = np.clip(a, 0, 1)
    elif a.dtype != np.uint8:
        raise ValueError(f"unsupported pixel type {a.dtype}: give uint8, uint16, bool or float in [0, 1]")
    if a.ndim == 3 and a.shape[2] == 4:  # flatten alpha onto white paper, as for image files
        top = 255.0 if a.dtype == np.uint8 else 1.0
        alpha = a[..., 3:].astype(np.float32) / np.float32(top)
        rgb = a[..., :3].astype(np.float32) * alpha + np.float32(top) * (1 - alpha)
        a = np.round(rgb).astype(np.uint8) if top == 255.0 else rgb
    return a

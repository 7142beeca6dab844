"""Reading user files safely and writing outputs atomically: one module a concern.

- :mod:`~ocr_cli.fileio.reading`: regular files of bounded size, text, JSON, zip archives
  and ``.npz`` (a FIFO, a device, a truncated file or a zip bomb is a one-line error, found
  before anything large is allocated);
- :mod:`~ocr_cli.fileio.images`: image files, multi-page TIFFs and PDF pages as arrays;
- :mod:`~ocr_cli.fileio.writing`: atomic outputs, never over an input, one run a results folder.

The names below are the Python API (``from ocr_cli.fileio import read_image``); the package
itself uses the modules.
"""
from ocr_cli.fileio.images import MAX_PIXELS, count_pages, pil_array, read_image, read_image_page
from ocr_cli.fileio.reading import read_json, read_npz, read_text
from ocr_cli.fileio.writing import atomic_path, write_json, write_text

__all__ = ["MAX_PIXELS", "atomic_path", "count_pages", "pil_array", "read_image", "read_image_page", "read_json",
           "read_npz", "read_text", "write_json", "write_text"]

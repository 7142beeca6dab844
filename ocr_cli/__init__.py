"""ocr-cli: OCR for handwritten block capitals and digits.

From Python (:mod:`ocr_cli.api`)::

    import ocr_cli
    page = ocr_cli.read("page.jpg")   # a path, a PIL image or a NumPy array
    print(page.text)

``import ocr_cli`` itself loads nothing heavy: the reader is imported when first used.
"""

__version__ = "0.1.0"
__all__ = ["OcrError", "Reading", "read"]

from ocr_cli.errors import OcrError  # noqa: E402  (after __version__, which setup.cfg reads)


def __getattr__(name: str):
    if name in ("read", "Reading"):
        from ocr_cli import api

        return getattr(api, name)
    raise AttributeError(f"module 'ocr_cli' has no attribute {name!r}")

"""ocr-cli: OCR for handwritten block capitals and digits."""

__version__ = "0.1.0"

"""The page pipeline: find characters in a photo, group them into lines and words, read them.

Stages (each a small module with array-in, array-out functions):
:mod:`~ocr_cli.page.binarize` (ink vs paper), :mod:`~ocr_cli.page.segment` (character
boxes), :mod:`~ocr_cli.page.layout` (lines, order, words), :mod:`~ocr_cli.page.crops`
(canonical 32×32 samples), :mod:`~ocr_cli.page.result` (typed results and their renderings),
:mod:`~ocr_cli.page.decode` (decisions on the recognizer's output),
:mod:`~ocr_cli.page.pipeline` (:func:`read_page`), :mod:`~ocr_cli.page.evaluate` (scores), :mod:`~ocr_cli.page.labels` (a page's crops
labeled with its known text); :mod:`~ocr_cli.page.morph` holds the NumPy image operations
they share. Synthetic pages with known text are drawn by :mod:`ocr_cli.data.synthetic_pages`.
"""
from ocr_cli.page.pipeline import find_characters, read_page
from ocr_cli.page.result import Char, Line, Page, Word

__all__ = ["Char", "Line", "Page", "Word", "find_characters", "read_page"]

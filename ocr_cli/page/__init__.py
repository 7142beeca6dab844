"""The page pipeline: find characters in a photo, group them into lines and words, read them.

Stages, in order (each a small module with array-in, array-out functions):
:mod:`~ocr_cli.page.ink` (photo to ink: :mod:`~ocr_cli.page.sheet` finds the sheet of paper,
:mod:`~ocr_cli.page.binarize` tells ink from paper, :mod:`~ocr_cli.page.rules` removes
printed lines), :mod:`~ocr_cli.page.segment` (character boxes), :mod:`~ocr_cli.page.layout`
(lines, order, words), :mod:`~ocr_cli.page.crops` (canonical 32×32 samples),
:mod:`~ocr_cli.page.decode` (decisions on the recognizer's output: splits, merges, letters
or digits), :mod:`~ocr_cli.page.lexicon` and :mod:`~ocr_cli.page.fields` (allowed
characters, word lists, form fields), :mod:`~ocr_cli.page.result` (typed results);
:mod:`~ocr_cli.page.pipeline` joins them (:func:`read_page`, choosing the page's quarter
turn). Around them: :mod:`~ocr_cli.page.evaluate` (scores), :mod:`~ocr_cli.page.labels` (a
page's crops labeled with its known text); :mod:`~ocr_cli.page.morph` and
:mod:`~ocr_cli.page.geometry` hold the NumPy image operations and homographies they share.
Synthetic pages with known text are drawn by :mod:`ocr_cli.data.synthetic_pages`, photos of
them in every condition by :mod:`ocr_cli.data.photos`.
"""
from ocr_cli.page.pipeline import find_characters, read_page
from ocr_cli.page.result import Char, Line, Page, Word

__all__ = ["Char", "Line", "Page", "Word", "find_characters", "read_page"]

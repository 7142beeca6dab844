"""A page's crops labeled with its known text: line matching, reading order, skipped lines."""
import pytest

from ocr_cli.charset import CLASSES
from ocr_cli.data.synthetic_pages import render_page
from ocr_cli.page.labels import match_lines, page_samples, truth_lines

LINES = ["ABC DEF", "XYZ 42"]


@pytest.fixture(scope="module")
def page():
    return render_page(LINES, seed=3, char_h=32)


def test_truth_lines_keep_readable_characters_only():
    assert truth_lines("Hello, World!\n\n  42 \n") == ["HELLOWORLD", "42"]


def test_match_lines_survives_an_extra_and_a_missing_line():
    assert match_lines([3, 5, 4], [3, 5, 4]) == [(0, 0), (1, 1), (2, 2)]
    assert match_lines([1, 3, 5, 4], [3, 5, 4]) == [(1, 0), (2, 1), (3, 2)]  # a smudge line first
    assert match_lines([3, 4], [3, 5, 4]) == [(0, 0), (1, 2)]  # the middle line was not found
    assert match_lines([3, 6, 4], [3, 5, 4]) == [(0, 0), (2, 2)]  # a letter split in two: line skipped


def test_page_samples_are_labeled_in_reading_order(page):
    X, y, report = page_samples(page, "\n".join(LINES))
    assert report["lines_used"] == 2 and report["skipped"] == []
    assert "".join(CLASSES[i] for i in y) == "ABCDEFXYZ42"
    assert X.shape == (11, 32, 32) and X.max() > 0.5  # canonical samples, ink = 1


def test_a_line_that_does_not_match_is_skipped(page):
    X, y, report = page_samples(page, "ABC DEFG\nXYZ 42")
    assert report["skipped"] == ["ABCDEFG"]
    assert "".join(CLASSES[i] for i in y) == "XYZ42" and len(X) == 5

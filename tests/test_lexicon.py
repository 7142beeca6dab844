"""--chars and --lexicon: constraints on the per-character probabilities."""
import numpy as np
import pytest

from ocr_cli.charset import CLASSES
from ocr_cli.errors import OcrError
from ocr_cli.page.lexicon import Lexicon, parse_chars, rescore, restrict, words_of


def proba_for(readings):
    """Rows of probabilities: each position a dict {char: p}, the rest spread thinly."""
    p = np.full((len(readings), len(CLASSES)), 1e-4)
    for r, d in enumerate(readings):
        for c, v in d.items():
            p[r, CLASSES.index(c)] = v
    return p / p.sum(axis=1, keepdims=True)


def idx(text):
    return np.array([CLASSES.index(c) for c in text])


def test_parse_chars_and_restrict():
    assert parse_chars("digits", CLASSES) == "0123456789"
    assert parse_chars("letters", CLASSES) == CLASSES[:26]
    assert parse_chars("x05", CLASSES) == "X05"
    with pytest.raises(OcrError, match="not one"):
        parse_chars("AB-", CLASSES)
    p = proba_for([{"O": 0.7, "0": 0.2}, {"S": 0.5, "5": 0.4}])
    q = restrict(p, CLASSES, "0123456789")
    assert "".join(CLASSES[i] for i in q.argmax(1)) == "05" and np.allclose(q.sum(1), 1)
    assert q[:, :26].max() == 0


def test_words_of_splits_names_and_keeps_the_whole():
    assert words_of("Jean-Michel") == ["JEAN", "MICHEL", "JEANMICHEL"]
    assert words_of("LEA\n") == ["LEA"]


def test_near_miss_becomes_the_word_a_clear_reading_stays():
    lex = Lexicon(["JULIEN", "HELLO", "JULIAN"], CLASSES)
    # JUL1EN: the 1 is a fair I too -> JULIEN
    near = proba_for([{"J": .9}, {"U": .9}, {"L": .9}, {"1": .6, "I": .3}, {"E": .9}, {"N": .9}])
    assert "".join(CLASSES[i] for i in lex.best(near, near.argmax(1))) == "JULIEN"
    # JULIEK read with confidence: K is nowhere near N, so it stays (a name not in the list)
    clear = proba_for([{"J": .9}, {"U": .9}, {"L": .9}, {"I": .9}, {"E": .9}, {"K": .99}])
    assert "".join(CLASSES[i] for i in lex.best(clear, clear.argmax(1))) == "JULIEK"
    # numbers are left alone, however word-like their shapes
    lex = Lexicon(["SOSO"], CLASSES)
    number = proba_for([{"5": .6, "S": .4}, {"0": .6, "O": .4}, {"5": .6, "S": .4}, {"0": .6, "O": .4}])
    assert "".join(CLASSES[i] for i in lex.best(number, number.argmax(1))) == "5050"
    assert "".join(CLASSES[i] for i in lex.best(number[:3], number[:3].argmax(1))) == "505"  # no such length


def test_rescore_updates_reading_and_confidence_of_changed_characters():
    lex = Lexicon(["HELLO"], CLASSES)
    p = proba_for([{"H": .9}, {"E": .9}, {"L": .9}, {"L": .9}, {"C": .55, "O": .4}, {"7": .9}])
    best, conf = p.argmax(1), p.max(1)
    new, new_conf = rescore(p, best, conf, [[0, 1, 2, 3, 4], [5]], lex)
    assert "".join(CLASSES[i] for i in new) == "HELLO7"
    assert new_conf[4] == pytest.approx(p[4, CLASSES.index("O")]) and new_conf[0] == conf[0]


def test_lexicon_file_errors(tmp_path):
    with pytest.raises(OcrError, match="cannot read"):
        Lexicon.from_file(tmp_path / "missing.txt", CLASSES)
    (tmp_path / "empty.txt").write_text("123\n\n")
    with pytest.raises(OcrError, match="no words"):
        Lexicon.from_file(tmp_path / "empty.txt", CLASSES)
    (tmp_path / "w.txt").write_text("alpha\nBeta\n")
    assert len(Lexicon.from_file(tmp_path / "w.txt", CLASSES)) == 2


def test_read_page_honours_chars(tmp_path):
    from ocr_cli.page import read_page
    from ocr_cli.data.synthetic_pages import render_page
    from ocr_cli.recognizers import default_model_path
    from ocr_cli.recognizers.cnn_numpy import load_numpy_cnn

    rec = load_numpy_cnn(default_model_path("cnn"))
    grey = render_page(["SOLO 2024"], seed=4)
    assert read_page(grey, rec).text.replace(" ", "") == "SOLO2024"
    digits = read_page(grey, rec, chars=parse_chars("digits", rec.classes)).text.replace(" ", "")
    assert len(digits) == 8 and digits.isdigit() and digits.endswith("2024")

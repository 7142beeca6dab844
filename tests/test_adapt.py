"""Writer adaptation: labeled crops from a page with known text, line matching, ``ocr adapt``."""
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from click.testing import CliRunner  # noqa: E402
from PIL import Image  # noqa: E402

from ocr_cli.adapt import adapt, match_lines, page_samples, truth_lines  # noqa: E402
from ocr_cli.charset import CLASSES  # noqa: E402
from ocr_cli.cli import cli  # noqa: E402
from ocr_cli.errors import OcrError  # noqa: E402
from ocr_cli.page.samples import render_page  # noqa: E402
from ocr_cli.recognizers import get_recognizer_class, load_recognizer  # noqa: E402

LINES = ["ABC DEF", "XYZ 42"]


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


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


def tiny_folder(root):
    """A 288-image ImageFolder stand-in for the original training data (fast, unlike synthetic)."""
    rng = np.random.default_rng(0)
    for c in range(36):
        (root / CLASSES[c]).mkdir(parents=True)
        for k in range(8):
            x = np.zeros((32, 32))
            x[4 + (c % 6) * 4:7 + (c % 6) * 4, 4:28] = 1
            x[4:28, 4 + (c // 6) * 4:7 + (c // 6) * 4] = 1
            x += rng.uniform(0, 0.1, x.shape)
            Image.fromarray(((1 - np.clip(x, 0, 1)) * 255).astype(np.uint8)).save(root / CLASSES[c] / f"{k}.png")
    return f"folder:{root}"


@pytest.mark.slow
def test_adapt_fits_the_writer_and_records_the_pages(tmp_path, page):
    from ocr_cli.train import DEFAULTS, evaluate

    torch.manual_seed(0)
    start = get_recognizer_class("cnn")(CLASSES)
    res = adapt(start, [(page, "\n".join(LINES))], tmp_path / "me", original=tiny_folder(tmp_path / "orig"),
                epochs=3, lr=DEFAULTS["cnn"]["lr"], progress=False, log=lambda *a: None)
    meta = json.loads(res.model_path.with_suffix(".json").read_text())
    assert meta["adapt"]["writer_samples"] == 11 and meta["adapt"]["pages"][0]["lines_used"] == 2
    assert meta["adapt"]["writer_repeat"] == 20  # 216 original training images (6 of 8 per class) / 11 crops, rounded up
    assert meta["finetune"]["freeze"] == "none"
    X, y, _ = page_samples(page, "\n".join(LINES))
    before, after = evaluate(start, X, y)["loss"], evaluate(load_recognizer(res.model_path), X, y)["loss"]
    assert after < before - 0.3  # it moved towards the writer


def test_adapt_with_nothing_usable_is_an_error(page):
    start = get_recognizer_class("cnn")(CLASSES)
    with pytest.raises(OcrError, match="no line"):
        adapt(start, [(page, "A\nB\nC")], "unused", progress=False, log=lambda *a: None)


def test_cli_adapt_errors_are_one_line(tmp_path, page):
    img = tmp_path / "p.png"
    Image.fromarray((page * 255).astype(np.uint8)).save(img)
    runner = CliRunner()
    r = runner.invoke(cli, ["adapt", "--page", str(img), "--page", str(img), "--text", "t.txt", "--out", str(tmp_path / "o")])
    assert r.exit_code == 1 and "one --text per --page" in r.output
    r = runner.invoke(cli, ["adapt", "--page", str(img), "--text", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "o")])
    assert r.exit_code == 1 and r.output.startswith("error:") and len(r.output.strip().splitlines()) == 1

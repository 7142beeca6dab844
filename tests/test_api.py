"""The Python API: ``ocr_cli.read(image)`` for paths, PIL images and arrays, like ``ocr extract``."""
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import ocr_cli
from ocr_cli.cli import cli

REPO = Path(__file__).resolve().parents[1]
PAGE = REPO / "images" / "sample_01.png"
TEXT = PAGE.with_suffix(".txt").read_text().split()


def readme_example() -> str:
    return re.search(r"## From Python\n\n```python\n(.*?)```", (REPO / "README.md").read_text(), re.S).group(1)


def test_the_readme_example_runs_and_reads_the_page():
    r = subprocess.run([sys.executable, "-c", readme_example()], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[:3] == PAGE.with_suffix(".txt").read_text().splitlines()
    assert r.stdout.splitlines()[3].startswith("THE (") and "ocr_page" not in r.stdout  # hOCR head cut at 60 chars


def test_importing_is_light_and_reading_never_loads_torch():
    code = ("import sys, ocr_cli; light = not {'numpy', 'PIL', 'click'} & set(sys.modules); "
            "ocr_cli.read(sys.argv[1]); print(light, sorted({'torch', 'scipy', 'matplotlib', 'skimage'} & set(sys.modules)))")
    r = subprocess.run([sys.executable, "-c", code, str(PAGE)], capture_output=True, text=True, timeout=120)
    assert r.stdout.split("\n")[0] == "True []", r.stdout + r.stderr


@pytest.fixture(scope="module")
def rgb():
    return np.asarray(Image.open(PAGE).convert("RGB"))


def _alpha_only(rgb):
    """The page's ink as alpha over transparent black: dropping alpha would leave a black page."""
    ink = 255 - rgb.min(axis=2)
    return np.dstack([np.zeros_like(rgb), ink])


@pytest.mark.parametrize("make", [
    lambda a: str(PAGE), lambda a: PAGE, lambda a: Image.open(PAGE), lambda a: Image.fromarray(a).convert("L"),
    lambda a: Image.fromarray(_alpha_only(a), "RGBA"), lambda a: a, lambda a: a.min(axis=2),
    lambda a: a.min(axis=2)[..., None], lambda a: a.astype(np.float64) / 255, lambda a: a.min(axis=2).astype(np.int64),
    lambda a: a.min(axis=2).astype(np.uint16) * 257, lambda a: _alpha_only(a), lambda a: a.min(axis=2) > 128,
], ids=["str", "Path", "PIL", "PIL-L", "PIL-RGBA", "uint8-RGB", "uint8-grey", "HxWx1", "float64-RGB", "int64",
        "uint16", "RGBA-alpha-ink", "bool"])
def test_every_kind_of_image_reads_the_same_text(make, rgb):
    page = ocr_cli.read(make(rgb))
    assert page.text.split() == TEXT and page.warnings == []


@pytest.mark.parametrize("bad, message", [
    (lambda a: a.astype(np.float32), r"float pixels must be in \[0, 1\].*divide by 255"),
    (lambda a: a.transpose(2, 0, 1), r"channels go last"),
    (lambda a: a[:0], r"no pixels"),
    (lambda a: np.full((40, 40), np.nan), r"NaN"),
    (lambda a: a.astype(np.int32) * 300, r"integer pixels must be 0-255"),
    (lambda a: a.astype(np.complex64), r"unsupported pixel type"),
    (lambda a: np.zeros((4, 4, 2), np.uint8), r"got shape \(4, 4, 2\)"),
    (lambda a: None, r"not NoneType"),
    (lambda a: [[0, 255]], r"not list"),
    (lambda a: b"\x89PNG", r"not bytes"),
])
def test_what_is_not_an_image_raises_a_clear_value_error(bad, message, rgb):
    with pytest.raises(ValueError, match=message):
        ocr_cli.read(bad(rgb))


def test_files_models_and_pages_that_are_not_there_raise_ocr_errors(tmp_path, rgb):
    with pytest.raises(ocr_cli.OcrError, match="no such file"):
        ocr_cli.read(tmp_path / "missing.png")
    (tmp_path / "text.png").write_text("not an image")
    with pytest.raises(ocr_cli.OcrError, match="not an image"):
        ocr_cli.read(tmp_path / "text.png")
    with pytest.raises(ocr_cli.OcrError, match="no model named 'fc'"):
        ocr_cli.read(rgb, model="fc")
    with pytest.raises(ocr_cli.OcrError, match="has no page 2"):
        ocr_cli.read(PAGE, page=2)
    with pytest.raises(ValueError, match="page number"):
        ocr_cli.read(PAGE, page=0)


def test_a_multi_page_file_reads_the_page_asked_for_and_says_there_are_more(tmp_path):
    pages = [Image.open(REPO / "images" / f"sample_0{k}.png").convert("L") for k in (1, 2)]
    pages[0].save(tmp_path / "two.tif", save_all=True, append_images=pages[1:])
    second = ocr_cli.read(tmp_path / "two.tif", page=2)
    assert second.text.split() == (REPO / "images" / "sample_02.txt").read_text().split()
    assert any("2 pages" in w for w in second.warnings)


def test_renders_like_ocr_extract_writes_files(tmp_path):
    page = ocr_cli.read(str(PAGE), model="mlp")
    assert page.model["name"] == "mlp" and page.to_dict()["text"] == page.text
    for fmt, ext in (("text", "txt"), ("json", "json"), ("hocr", "hocr"), ("alto", "xml"), ("tsv", "tsv")):
        out = tmp_path / fmt
        r = CliRunner().invoke(cli, ["extract", str(PAGE), "--model", "mlp", "--format", fmt, "-o", str(out)])
        assert r.exit_code == 0, r.output
        assert page.render(fmt) == (out / f"sample_01.{ext}").read_text(), fmt
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        page.render("pdf")


def test_options_are_those_of_ocr_extract_and_models_load_once(rgb):
    digits = ocr_cli.read(rgb, chars="digits")
    assert set(digits.text) <= set("0123456789 \n")
    turned = ocr_cli.read(np.rot90(rgb, -1), rotate=270)  # a page photographed a quarter turn clockwise
    assert turned.text.split() == TEXT and turned.rotation == 270
    from ocr_cli.api import recognizer

    assert recognizer("cnn")[0] is recognizer("cnn")[0]
    rec = recognizer("mlp")[0]
    assert ocr_cli.read(rgb, model=rec).model == {"name": "mlp", "file": ""}

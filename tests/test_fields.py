"""Reading a form-field crop: only the handwritten field, not its printed label, box lines or slivers."""
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr_cli.page.evaluate import alnum


@pytest.fixture(scope="module")
def cnn():
    from ocr_cli.recognizers import default_model_path
    from ocr_cli.recognizers.cnn_numpy import load_numpy_cnn

    return load_numpy_cnn(default_model_path("cnn"))


def handwriting(text, seed):
    from ocr_cli.data.synthetic_pages import render_page

    page = render_page([text], seed=seed, char_h=26)
    ink = page < 0.5
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    return page[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def form_crop(name, seed=0, label="PRENOM :", sliver=True, spaced=False):
    """A crop as cut from a form: printed label, the name, a box line on the left edge and
    the lower part of the field above cut by the top edge."""
    font = ImageFont.load_default(size=15)
    im = Image.new("L", (380, 62), 255)
    d = ImageDraw.Draw(im)
    if label:
        d.text((12, 24), label, fill=0, font=font)
    if sliver:
        d.text((130, -13), "DATE DE NAISSANCE", fill=0, font=ImageFont.load_default(size=20))
    d.line([(1, 0), (1, 61)], fill=0, width=2)
    grey = np.asarray(im, np.float32) / 255
    x = 110
    for k, ch in enumerate(name if spaced else [name]):
        hw = handwriting(ch, seed + k)
        h, w = hw.shape
        grey[18:18 + h, x:x + w] = np.minimum(grey[18:18 + h, x:x + w], hw[: 62 - 18])
        x += w + (14 if spaced else 0)
    return grey


def test_clean_field_erases_label_colon_box_line_and_sliver():
    from ocr_cli.page.fields import clean_field

    grey = form_crop("LUCAS")
    clean, s = clean_field(grey)
    assert s > 1 and clean.shape[0] >= 128
    ink = clean < 0.5
    x_name = int(105 * s)
    assert not ink[:, :x_name].any()  # label, colon and box line gone
    assert not ink[: int(8 * s)].any()  # the sliver of the field above gone
    assert ink[:, x_name:].sum() > 0.8 * (grey[:, 105:] < 0.5)[8:].sum() * s * s  # the name kept


@pytest.mark.parametrize("name,seed", [("LUCAS", 0), ("JEREMY", 3), ("MARTIN", 5)])
def test_read_field_reads_only_the_name(cnn, name, seed):
    from ocr_cli.page import read_page
    from ocr_cli.page.fields import read_field

    grey = form_crop(name, seed)
    assert alnum(read_field(grey, cnn).text) == name
    assert alnum(read_page(grey, cnn).text) != name  # the page reading takes in label and sliver


def test_a_name_spaced_out_letter_by_letter_is_one_word_of_letters(cnn):
    from ocr_cli.page.fields import read_field

    page = read_field(form_crop("BILEL", 2, label="NOM :", spaced=True), cnn)
    assert alnum(page.text) == "BILEL" and len(page.lines) == 1
    assert all(0 <= c.box[0] < c.box[2] <= 380 and 0 <= c.box[1] < c.box[3] <= 62 for c in page.chars)


def test_eval_of_a_folder_of_field_crops_scores_the_field(tmp_path, cnn):
    from ocr_cli.page.evaluate import evaluate_dir

    for k, name in enumerate(["LUCAS", "JEREMY"]):
        Image.fromarray(np.uint8(form_crop(name, 3 * k) * 255)).save(tmp_path / f"f{k}.png")
        (tmp_path / f"f{k}.txt").write_text(name + "\n")
    auto = evaluate_dir(tmp_path, cnn)
    assert all(p["field"] for p in auto["pages"]) and auto["total"]["char_accuracy"] == 1.0
    as_pages = evaluate_dir(tmp_path, cnn, field=False)
    assert not any(p["field"] for p in as_pages["pages"]) and as_pages["total"]["char_accuracy"] < 1.0


def test_eval_and_extract_options(tmp_path):
    import json

    from click.testing import CliRunner

    from ocr_cli.cli import cli

    Image.fromarray(np.uint8(form_crop("LUCAS") * 255)).save(tmp_path / "f.png")
    (tmp_path / "f.txt").write_text("LUCAS\n")
    (tmp_path / "names.txt").write_text("LUCAS\nJEREMY\n")
    r = CliRunner().invoke(cli, ["eval", str(tmp_path), "--json", "--lexicon", str(tmp_path / "names.txt")])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["pages"][0]["text"] == "LUCAS"
    r = CliRunner().invoke(cli, ["eval", str(tmp_path), "--json", "--page"])
    assert r.exit_code == 0 and json.loads(r.output)["pages"][0]["field"] is False
    r = CliRunner().invoke(cli, ["extract", str(tmp_path / "f.png"), "--chars", "digits"])
    assert r.exit_code == 0 and r.output.splitlines()[0].isdigit()  # (a warning line may follow: doubtful digits)
    r = CliRunner().invoke(cli, ["extract", str(tmp_path / "f.png"), "--chars", "A-Z"])
    assert r.exit_code == 2 and "--chars" in r.output
    r = CliRunner().invoke(cli, ["extract", str(tmp_path / "f.png"), "--lexicon", str(tmp_path / "none.txt")])
    assert r.exit_code == 1 and "cannot read the word list" in r.output


def test_a_small_photo_of_a_page_is_not_taken_for_a_field():
    from ocr_cli.data.photos import photo
    from ocr_cli.page.fields import is_field

    page, _ = photo(seed=101, n_lines=3, n_words=3, scale=0.3)  # 3 lines, shaped like a field
    h, w = page.shape[:2]
    assert h <= 160 and w >= 3 * h and not is_field(page)
    line, _ = photo(seed=101, n_lines=1, n_words=3, scale=0.3)
    assert is_field(line)
    assert is_field(np.full((40, 300), 0.95, np.float32))  # a blank field is still a field

"""The output formats: each document validates against its standard, and all agree on the text."""
import json
import re

import pytest

from conftest import SHARED_DATA
from format_checks import check_alto, check_hocr, check_hocr_tools, check_json, check_tsv
from ocr_cli.formats import SCHEMA, WRITERS, page_dict
from ocr_cli.page.result import Char, Line, Page, Word

MODEL = {"name": "cnn", "file": "models/cnn.pt"}


def word(text, x, y, conf=0.9):
    return Word([Char(c, (x + 20 * k, y, x + 20 * k + 18, y + 30), conf - 0.01 * k) for k, c in enumerate(text)])


def make_page(source="scan.png", lines=(("HELLO", "WORLD"), ("42",))):
    page = Page([Line([word(w, 10 + 130 * j, 10 + 50 * i) for j, w in enumerate(ws)]) for i, ws in enumerate(lines)],
                width=400, height=200, angle=0.5, source=source)
    return page


def render(fmt, pages, **kw):
    w = WRITERS[fmt](MODEL, n_pages=len(pages), **kw)
    return w.begin() + "".join(w.page(p, n) for n, p in enumerate(pages, 1)) + w.end(["bad.png: not an image"])


PAGES = [make_page(), make_page('odd "name" & <ü>.png', lines=(("A1",),)), make_page("blank.png", lines=())]


def test_hocr_follows_the_spec_and_hocr_tools_accepts_it(tmp_path):
    parsed = check_hocr(render("hocr", PAGES))
    assert [p["lines"] for p in parsed] == [[["HELLO", "WORLD"], ["42"]], [["A1"]], []]
    assert parsed[1]["image"] == "odd %22name%22 & <%C3%BC>.png"  # a delimited-string is printable ASCII without "
    assert parsed[0]["bbox"] == (0, 0, 400, 200)
    for k, page in enumerate(PAGES):  # hocr-check looks for overlaps across the whole file: one page each
        (tmp_path / f"{k}.hocr").write_text(render("hocr", [page]))
        check_hocr_tools(tmp_path / f"{k}.hocr")


def test_hocr_checker_catches_a_broken_document():
    good = render("hocr", PAGES[:1])
    with pytest.raises(AssertionError, match="ocr-capabilities"):
        check_hocr(good.replace(" ocrx_cinfo\"", "\""))
    with pytest.raises(AssertionError, match="inside"):
        check_hocr(good.replace("bbox 10 10 108 40; x_wconf", "bbox 10 10 500 40; x_wconf"))
    with pytest.raises(Exception):
        check_hocr(good.replace("</body>", ""))


def test_alto_validates_against_the_official_schema():
    text = render("alto", PAGES, source="scan.pdf")
    pages = check_alto(text)
    assert [p["lines"] for p in pages] == [[["HELLO", "WORLD"], ["42"]], [["A1"]], []]
    assert [p["number"] for p in pages] == [1, 2, 3]
    assert "<fileName>scan.pdf</fileName>" in text
    for broken in (re.sub(r'WC="[\d.]+"', 'WC="1.7"', text, count=1),  # the XSD bounds confidences to 0-1
                   text.replace("<TextLine ", "<Textline ", 1).replace("</TextLine>", "</Textline>", 1)):
        with pytest.raises(AssertionError):
            check_alto(broken)


def test_tsv_has_tesseracts_columns_and_nesting():
    text = render("tsv", PAGES)
    pages = check_tsv(text)
    assert [p["lines"] for p in pages] == [[["HELLO", "WORLD"], ["42"]], [["A1"]], []]
    rows = [r.split("\t") for r in text.splitlines()]
    first_word = next(r for r in rows if r[0] == "5")
    assert first_word == ["5", "1", "1", "1", "1", "1", "10", "10", "98", "30", "86.000000", "HELLO"]  # least sure char


def test_json_has_one_documented_shape_for_any_number_of_pages():
    one, three = (check_json(render("json", pages)) for pages in (PAGES[:1], PAGES))
    assert one.keys() == three.keys() and one["schema"] == SCHEMA and one["model"] == MODEL
    assert (len(one["pages"]), len(three["pages"])) == (1, 3)
    assert three["errors"] == ["bad.png: not an image"]
    assert three["pages"][2]["lines"] == [] and three["pages"][1]["source"] == 'odd "name" & <ü>.png'
    empty = WRITERS["json"](MODEL, n_pages=0)
    assert check_json(empty.begin() + empty.end([]))["pages"] == []


def test_json_carries_rotation_and_warnings():
    page = make_page()
    page.rotation, page.warnings = 90, ["the text may be upside down"]
    d = page_dict(page, 3)
    assert (d["page"], d["rotation"], d["warnings"]) == (3, 90, ["the text may be upside down"])
    assert json.loads(json.dumps(d))["lines"][0]["words"][0]["chars"][0]["box"] == [10, 10, 28, 40]


def test_text_headers_and_page_breaks():
    assert render("text", PAGES[:1]) == "HELLO WORLD\n42\n"
    assert render("text", PAGES[:2]) == "HELLO WORLD\n42\n\fA1\n"  # in a file: pages split by a form feed
    w = WRITERS["text"](MODEL, n_pages=2, headers=True)
    assert w.page(PAGES[0], 1, 2) + w.page(PAGES[1], 2, 2) == \
        "==> scan.png page 1 <==\nHELLO WORLD\n42\n\n==> odd \"name\" & <ü>.png page 2 <==\nA1\n"


@pytest.fixture(scope="module")
def real_pages():
    """The 19 real photos read once by the batch reader, as Pages in order."""
    from ocr_cli.batch import read_documents
    from ocr_cli.inputs import expand_inputs
    from ocr_cli.recognizers import default_model_path, load_recognizer

    shared_pages = SHARED_DATA / "pages"
    if not shared_pages.is_dir():
        pytest.skip(f"real sample pages not present at {shared_pages}")
    inputs, errors = expand_inputs([shared_pages])
    docs = list(read_documents(inputs, load_recognizer(default_model_path("cnn"), inference=True), jobs=1))
    assert not errors and not any(d.errors for d in docs)
    return [d.pages[0][1] for d in docs]


@pytest.mark.parametrize("fmt", ["hocr", "alto", "tsv", "json"])
def test_every_format_validates_on_all_real_pages(real_pages, fmt, tmp_path):
    """Each photo alone (as -o DIR writes it) and all 19 in one stream (as stdout gets them)."""
    from format_checks import CHECKS

    assert len(real_pages) == 19
    for page in real_pages:
        text = render(fmt, [page], **({"source": page.source} if fmt == "alto" else {}))
        parsed = CHECKS[fmt](text)
        lines = parsed["pages"][0]["lines"] if fmt == "json" else parsed[0]["lines"]
        words = [[w["text"] for w in line["words"]] for line in lines] if fmt == "json" else lines
        assert words == [line.text.split() for line in page.lines], (fmt, page.source)
        if fmt == "hocr":
            (tmp_path / "p.hocr").write_text(text)
            check_hocr_tools(tmp_path / "p.hocr", tilted=abs(page.angle) >= 3)
    if fmt != "alto":  # ALTO is one source per document
        parsed = CHECKS[fmt](render(fmt, real_pages))
        assert len(parsed["pages"] if fmt == "json" else parsed) == 19

"""Validators for every output format, shared by the unit tests and the real-page tests.

Each ``check_*`` raises AssertionError with the reason when a document breaks its standard
(hOCR 1.2 spec, ALTO 4.4 XSD, Tesseract's TSV layout, docs/ocr-cli-1.schema.json) and
returns what it parsed for further checks.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parents[1]
ALTO_XSD = REPO / "tests" / "data" / "schemas" / "alto-4-4.xsd"  # official 4.4, xlink import made local
JSON_SCHEMA = REPO / "docs" / "ocr-cli-1.schema.json"
XHTML = "{http://www.w3.org/1999/xhtml}"
ALTO = "{http://www.loc.gov/standards/alto/ns-v4#}"

# hOCR 1.2 "Properties Grammar": key-value pairs separated by ';'
_VALUE = r'(?:"[\x20\x21\x23-\x7e]+"|[\x21-\x3a\x3c-\x7e]+)'
_PAIR = rf"[a-z_]+(?: +{_VALUE})+"
PROPERTIES = re.compile(rf"^{_PAIR}(?: *; *{_PAIR})*$")


def hocr_props(title: str) -> dict:
    """``{name: [value, ...]}`` of an hOCR title; a delimited string keeps its quotes."""
    assert PROPERTIES.match(title), f"title {title!r} does not follow the hOCR properties grammar"
    return {m[1]: re.findall(rf"{_VALUE}", m[2]) for m in re.finditer(rf"([a-z_]+)((?: +{_VALUE})+)", title)}


def _box(values) -> tuple[int, ...]:
    assert len(values) == 4, values
    b = tuple(int(v) for v in values)
    assert b[0] <= b[2] and b[1] <= b[3], f"box {b} has x0 > x1 or y0 > y1"
    return b


def _inside(inner, outer, what):
    assert outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3], \
        f"{what} box {inner} is not inside {outer}"


def check_hocr(text: str) -> list[dict]:
    """Well-formed XHTML whose ocr_page > ocr_line > ocrx_word > ocrx_cinfo structure follows the spec.

    Returns per page ``{"image", "bbox", "lines": [[word text, ...], ...]}``.
    """
    root = etree.fromstring(text.encode())  # an XML parser: fails on anything not well-formed
    assert root.tag == f"{XHTML}html"
    metas = {m.get("name"): m.get("content") for m in root.iter(f"{XHTML}meta") if m.get("name")}
    for required in ("ocr-system", "ocr-capabilities"):
        assert len([m for m in root.iter(f"{XHTML}meta") if m.get("name") == required]) == 1, f"need one {required}"
    capabilities = set(metas["ocr-capabilities"].split())
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids)), "element ids are not unique"
    used = {e.get("class") for e in root.iter() if (e.get("class") or "").startswith("ocr")}
    assert used <= capabilities, f"classes {used - capabilities} are used but not in ocr-capabilities"
    pages = root.findall(f".//{XHTML}div[@class='ocr_page']")
    assert pages, "an hOCR document must have an ocr_page"
    if "ocr-number-of-pages" in metas:
        assert int(metas["ocr-number-of-pages"]) == len(pages)
    out, ppagenos = [], []
    for page in pages:
        props = hocr_props(page.get("title"))
        pbox = _box(props["bbox"])
        ppagenos.append(props["ppageno"][0])
        lines = []
        for line in page.iter():
            cls = line.get("class")
            if cls in ("ocrx_word", "ocrx_cinfo"):
                continue
            if cls != "ocr_line":
                assert line is page or cls is None, f"unexpected class {cls}"
                continue
            assert line.tag == f"{XHTML}span", "ocr_line should be a span"
            lprops = hocr_props(line.get("title"))
            lbox = _box(lprops["bbox"])
            _inside(lbox, pbox, "line")
            words = []
            for word in line:
                assert word.get("class") == "ocrx_word", f"a line holds words, not {word.get('class')}"
                wprops = hocr_props(word.get("title"))
                wbox = _box(wprops["bbox"])
                _inside(wbox, lbox, "word")
                assert 0 <= float(wprops["x_wconf"][0]) <= 100
                chars = list(word)
                assert chars and all(c.get("class") == "ocrx_cinfo" for c in chars)
                for c in chars:
                    cprops = hocr_props(c.get("title"))
                    assert set(cprops) <= {"x_bboxes", "x_confs", "cuts"}, f"ocrx_cinfo with {set(cprops)}"
                    _inside(_box(cprops["x_bboxes"]), wbox, "character")
                    assert 0 <= float(cprops["x_confs"][0]) <= 100 and len(c.text) == 1
                assert "".join(word.itertext()) == "".join(c.text for c in chars)
                words.append("".join(word.itertext()))
            assert " ".join(words) == "".join(line.itertext()), "a line's text is its words joined by spaces"
            lines.append(words)
        out.append({"image": props["image"][0].strip('"'), "bbox": pbox, "lines": lines})
    assert len(set(ppagenos)) == len(ppagenos), "ppageno must be unique"
    return out


def check_hocr_tools(path, tilted: bool = False) -> None:
    """hocr-tools' own checker (hocr-check) reports no failed check.

    Its one heuristic, that line boxes overlap by at most 20%, is waived for ``tilted`` pages:
    the upright boxes of slanting lines overlap (the spec's bbox is upright by definition).
    """
    from hocr_tools_lib.tools.hocr_check import Checker

    report = io.StringIO()
    with contextlib.redirect_stderr(report):
        Checker(path).check()
    failed = [line for line in report.getvalue().splitlines() if line.startswith("not ok")
              and not (tilted and line.endswith("mostly_nonoverlapping/line"))]
    assert not failed and "ok 1" in report.getvalue(), report.getvalue()


_alto_schema = None


def check_alto(text: str) -> list[dict]:
    """Valid against the official ALTO 4.4 XSD, and each String's glyphs spell its CONTENT.

    Returns per page ``{"lines": [[word, ...], ...]}``.
    """
    global _alto_schema
    if _alto_schema is None:
        _alto_schema = etree.XMLSchema(etree.parse(str(ALTO_XSD)))
    doc = etree.fromstring(text.encode())
    assert _alto_schema.validate(doc), "\n".join(str(e) for e in _alto_schema.error_log)
    pages = []
    for page in doc.iter(f"{ALTO}Page"):
        lines = []
        for line in page.iter(f"{ALTO}TextLine"):
            words = []
            for s in line.iter(f"{ALTO}String"):
                assert "".join(g.get("CONTENT") for g in s.iter(f"{ALTO}Glyph")) == s.get("CONTENT")
                assert 0 <= float(s.get("WC")) <= 1
                words.append(s.get("CONTENT"))
            lines.append(words)
        pages.append({"lines": lines, "number": int(float(page.get("PHYSICAL_IMG_NR")))})
    return pages


TSV_COLUMNS = ["level", "page_num", "block_num", "par_num", "line_num", "word_num",
               "left", "top", "width", "height", "conf", "text"]


def check_tsv(text: str) -> list[dict]:
    """Tesseract's TSV: its header, 12 tab-separated fields a row, levels 1-5 nested in order.

    Returns per page ``{"size": (w, h), "lines": [[word, ...], ...]}``.
    """
    rows = list(csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))
    assert rows[0] == TSV_COLUMNS
    pages = []
    for row in rows[1:]:
        assert len(row) == 12, row
        level, page, block, par, line, word, left, top, width, height = (int(v) for v in row[:10])
        conf = float(row[10])
        assert min(left, top, width, height) >= 0
        if level == 1:
            assert (block, par, line, word, left, top) == (0, 0, 0, 0, 0, 0) and conf == -1 and row[11] == ""
            assert page == len(pages) + 1, "page_num counts pages from 1"
            pages.append({"size": (width, height), "lines": []})
            continue
        assert page == len(pages), "a row belongs to the last page row"
        w, h = pages[-1]["size"]
        assert left + width <= w and top + height <= h, f"box outside the page: {row}"
        if level == 4:
            assert word == 0 and conf == -1 and line == len(pages[-1]["lines"]) + 1
            pages[-1]["lines"].append([])
        elif level == 5:
            assert 0 <= conf <= 100 and row[11] and line == len(pages[-1]["lines"])
            assert word == len(pages[-1]["lines"][-1]) + 1
            pages[-1]["lines"][-1].append(row[11])
        else:
            assert level in (2, 3) and conf == -1 and line == word == 0
    return pages


def check_json(text: str) -> dict:
    """Valid against docs/ocr-cli-1.schema.json, with each text matching its lines and words."""
    import jsonschema

    doc = json.loads(text)
    jsonschema.validate(doc, json.loads(JSON_SCHEMA.read_text()))
    for page in doc["pages"]:
        assert page["text"] == "\n".join(line["text"] for line in page["lines"])
        for line in page["lines"]:
            assert line["text"] == " ".join(w["text"] for w in line["words"])
            for w in line["words"]:
                assert w["text"] == "".join(c["text"] for c in w["chars"])
    return doc


CHECKS = {"hocr": check_hocr, "alto": check_alto, "tsv": check_tsv, "json": check_json}

"""Page results in the formats other tools read: text, JSON, hOCR 1.2, ALTO v4 and Tesseract TSV.

A :class:`Writer` turns a stream of pages into one document: ``begin()``, then ``page()``
for each page in order, then ``end()``, each returning a string. A batch streams one
document to stdout as its pages are read; with ``-o DIR`` each input's pages make one file.
Boxes are ``(x0, y0, x1, y1)`` pixels of the image as read (x1, y1 exclusive); confidences
are the recognizer's probabilities (0-1 in JSON and ALTO, 0-100 in hOCR and TSV).
"""
from __future__ import annotations

import json
import re
import textwrap
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from ocr_cli import __version__
from ocr_cli.page.result import Page

SCHEMA = "ocr-cli/1"  # the JSON schema (docs/ocr-cli-1.schema.json); a new version on any incompatible change
ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"


def page_dict(page: Page, number: int) -> dict:
    """One page as the JSON schema has it: where it came from, how it was read, its text and boxes."""
    d = page.to_dict()
    return {"source": d.pop("source"), "page": number, "width": d.pop("width"), "height": d.pop("height"),
            "rotation": int(d.pop("rotation", getattr(page, "rotation", 0))), "angle": d.pop("angle"),
            "warnings": list(d.pop("warnings", getattr(page, "warnings", []))), **d}


class Writer:
    """One output document built from a stream of pages; subclasses render a format.

    ``model`` describes the recognizer (``{"name": ..., "file": ...}``); ``n_pages`` is the
    number of pages the document will hold, for formats whose header states it (None when
    unknown: a stream where a page may still fail).
    """

    extension = ".txt"

    def __init__(self, model: dict, n_pages: int | None = 1, headers: bool = False):
        self.model, self.n_pages, self.headers = model, n_pages, headers
        self.count = 0  # pages written so far

    def begin(self) -> str:
        return ""

    def page(self, page: Page, number: int = 1, of: int = 1) -> str:
        """Page ``number`` (1-based) of the ``of`` pages of its source."""
        self.count += 1
        return self._page(page, number, of)

    def _page(self, page: Page, number: int, of: int) -> str:
        raise NotImplementedError

    def end(self, errors=()) -> str:
        """``errors``: the ``PATH: why`` messages of what could not be read (JSON keeps them)."""
        return ""


class TextWriter(Writer):
    """The text, a line per written line. With ``headers`` each page starts with ``==> NAME <==``
    (``==> NAME page K <==`` in a multi-page input); without, pages are separated by a form feed."""

    def _page(self, page, number, of):
        if self.headers:
            head = f"==> {page.source}{f' page {number}' if of > 1 else ''} <==\n"
            return ("\n" if self.count > 1 else "") + head + page.text + "\n"
        return ("\f" if self.count > 1 else "") + page.text + "\n"


class JsonWriter(Writer):
    """``{"schema", "generator", "model", "pages": [...], "errors": [...]}``: the same shape for any number of pages."""

    extension = ".json"

    def begin(self):
        head = json.dumps({"schema": SCHEMA, "generator": f"ocr-cli {__version__}", "model": self.model}, indent=2)
        return head[:-2] + ',\n  "pages": ['

    def _page(self, page, number, of):
        text = re.sub(r"\[\s+([-\d.]+),\s+([-\d.]+),\s+([-\d.]+),\s+([-\d.]+)\s+\]", r"[\1, \2, \3, \4]",
                      json.dumps(page_dict(page, number), indent=2))  # boxes on one line
        body = textwrap.indent(text, "    ")
        return ("," if self.count > 1 else "") + "\n" + body

    def end(self, errors=()):
        close = "\n  ]" if self.count else "]"
        return close + ',\n  "errors": ' + textwrap.indent(json.dumps(list(errors), indent=2), "  ").lstrip() + "\n}\n"


def _bbox(box) -> str:
    return " ".join(str(int(v)) for v in box)


def _hocr_string(name: str) -> str:
    """A file name as an hOCR delimited-string: printable ASCII without ``"`` (others %-encoded)."""
    return '"' + quote(name, safe="".join(chr(c) for c in range(0x20, 0x7F) if chr(c) not in '"%')) + '"'


class HocrWriter(Writer):
    """hOCR 1.2: ``ocr_page`` > ``ocr_line`` > ``ocrx_word`` (``bbox``, ``x_wconf``) > ``ocrx_cinfo``
    (``x_bboxes``, ``x_confs``: the spec gives characters no ``bbox``), as well-formed XHTML."""

    extension = ".hocr"
    CAPABILITIES = "ocr_page ocr_line ocrx_word ocrx_cinfo"

    def begin(self):
        system = escape(f"ocr-cli {__version__} (model {self.model.get('name', '?')})", {'"': "&quot;"})
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"\n'
                '    "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
                '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">\n<head>\n'
                '  <title></title>\n'
                '  <meta http-equiv="Content-Type" content="text/html; charset=utf-8"/>\n'
                f'  <meta name="ocr-system" content="{system}"/>\n'
                f'  <meta name="ocr-capabilities" content="{self.CAPABILITIES}"/>\n'
                + (f'  <meta name="ocr-number-of-pages" content="{self.n_pages}"/>\n' if self.n_pages is not None else "")
                + '</head>\n<body>\n')

    def _page(self, page, number, of):
        p = self.count
        title = f"image {_hocr_string(page.source)}; bbox 0 0 {page.width} {page.height}; ppageno {p - 1}"
        out = [f'  <div class="ocr_page" id="page_{p}" title={quoteattr(title)}>']
        for i, line in enumerate(page.lines, 1):
            words = []
            for j, word in enumerate(line.words, 1):
                chars = "".join(f'<span class="ocrx_cinfo" title="x_bboxes {_bbox(c.box)}; x_confs {100 * c.confidence:.1f}">'
                                f"{escape(c.text)}</span>" for c in word.chars)
                words.append(f'<span class="ocrx_word" id="word_{p}_{i}_{j}" '
                             f'title="bbox {_bbox(word.box)}; x_wconf {round(100 * word.confidence)}">{chars}</span>')
            out.append(f'   <span class="ocr_line" id="line_{p}_{i}" title="bbox {_bbox(line.box)}">'
                       + " ".join(words) + "</span>")
        return "\n".join(out) + "\n  </div>\n"

    def end(self, errors=()):
        return "</body>\n</html>\n"


def _lines_box(page: Page) -> tuple:
    """The box around all of a page's lines (its one text block)."""
    boxes = [line.box for line in page.lines]
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _pos(box) -> str:
    x0, y0, x1, y1 = (int(v) for v in box)
    return f'HPOS="{x0}" VPOS="{y0}" WIDTH="{x1 - x0}" HEIGHT="{y1 - y0}"'


class AltoWriter(Writer):
    """ALTO v4.4: Page > PrintSpace > TextBlock > TextLine > String (``WC``) with SP between words
    and a Glyph (``GC``) per character; positions in pixels. One source image per document
    (``source``), its pages numbered by ``PHYSICAL_IMG_NR``."""

    extension = ".xml"

    def __init__(self, model: dict, n_pages: int | None = 1, headers: bool = False, source: str | None = None):
        super().__init__(model, n_pages, headers)
        self.source = source

    def begin(self):
        source = (f"    <sourceImageInformation><fileName>{escape(self.source)}</fileName></sourceImageInformation>\n"
                  if self.source else "")
        model = escape(f"model {self.model.get('name', '?')}" + (f" ({self.model['file']})" if self.model.get("file") else ""))
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<alto xmlns="{ALTO_NS}" xmlns:xlink="http://www.w3.org/1999/xlink"\n'
                '      xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n'
                f'      xsi:schemaLocation="{ALTO_NS} http://www.loc.gov/alto/v4/alto-4-4.xsd" SCHEMAVERSION="4.4">\n'
                '  <Description>\n    <MeasurementUnit>pixel</MeasurementUnit>\n' + source +
                '    <Processing ID="ocr">\n      <processingCategory>contentGeneration</processingCategory>\n'
                f'      <processingStepSettings>{model}</processingStepSettings>\n'
                '      <processingSoftware><softwareName>ocr-cli</softwareName>'
                f'<softwareVersion>{escape(__version__)}</softwareVersion></processingSoftware>\n'
                '    </Processing>\n  </Description>\n  <Layout>\n')

    def _page(self, page, number, of):
        p = self.count
        size = f'WIDTH="{page.width}" HEIGHT="{page.height}"'
        out = [f'    <Page ID="page_{p}" PHYSICAL_IMG_NR="{number}" {size} PROCESSING="ocr">',
               f'      <PrintSpace HPOS="0" VPOS="0" {size}>']
        if page.lines:
            out.append(f'        <TextBlock ID="block_{p}" {_pos(_lines_box(page))}>')
            for i, line in enumerate(page.lines, 1):
                out.append(f'          <TextLine ID="line_{p}_{i}" {_pos(line.box)}>')
                for j, word in enumerate(line.words, 1):
                    if j > 1:
                        prev = line.words[j - 2].box
                        x, y = prev[2], prev[1]
                        out.append(f'            <SP HPOS="{x}" VPOS="{y}" WIDTH="{max(word.box[0] - x, 0)}"/>')
                    out.append(f'            <String ID="string_{p}_{i}_{j}" CONTENT={quoteattr(word.text)} '
                               f'{_pos(word.box)} WC="{word.confidence:.4f}">')
                    out += [f'              <Glyph ID="glyph_{p}_{i}_{j}_{k}" CONTENT={quoteattr(c.text)} '
                            f'{_pos(c.box)} GC="{c.confidence:.4f}"/>' for k, c in enumerate(word.chars, 1)]
                    out.append("            </String>")
                out.append("          </TextLine>")
            out.append("        </TextBlock>")
        return "\n".join(out + ["      </PrintSpace>", "    </Page>"]) + "\n"

    def end(self, errors=()):
        return "  </Layout>\n</alto>\n"


class TsvWriter(Writer):
    """Tesseract's TSV: a header, then a row per page, block, paragraph, line and word (levels 1-5).

    One block and one paragraph per page (the pipeline finds lines, not blocks); ``conf`` is
    -1 except on words; ``page_num`` counts the pages of the document from 1, as Tesseract does.
    """

    extension = ".tsv"
    COLUMNS = ("level", "page_num", "block_num", "par_num", "line_num", "word_num",
               "left", "top", "width", "height", "conf", "text")

    def begin(self):
        return "\t".join(self.COLUMNS) + "\n"

    def _page(self, page, number, of):
        p = self.count

        def row(level, block, par, line, word, box, conf=-1.0, text=""):
            x0, y0, x1, y1 = (int(v) for v in box)
            c = f"{conf:.6f}" if conf >= 0 else "-1"
            return f"{level}\t{p}\t{block}\t{par}\t{line}\t{word}\t{x0}\t{y0}\t{x1 - x0}\t{y1 - y0}\t{c}\t{text}"

        rows = [row(1, 0, 0, 0, 0, (0, 0, page.width, page.height))]
        if page.lines:
            block = _lines_box(page)
            rows += [row(2, 1, 0, 0, 0, block), row(3, 1, 1, 0, 0, block)]
        for i, line in enumerate(page.lines, 1):
            rows.append(row(4, 1, 1, i, 0, line.box))
            rows += [row(5, 1, 1, i, j, w.box, 100 * w.confidence, w.text) for j, w in enumerate(line.words, 1)]
        return "\n".join(rows) + "\n"


WRITERS = {"text": TextWriter, "json": JsonWriter, "hocr": HocrWriter, "alto": AltoWriter, "tsv": TsvWriter}


def render(pages, fmt: str = "text", model: dict | None = None) -> str:
    """``pages`` (one source's, in order) as one document in ``fmt``: what ``ocr extract -o DIR``
    writes for an input. ``model`` describes the recognizer (``{"name", "file"}``)."""
    if fmt not in WRITERS:
        raise ValueError(f"unknown format {fmt!r}; choose one of: {', '.join(WRITERS)}")
    pages = list(pages)
    source = {"source": pages[0].source or None} if fmt == "alto" and pages else {}
    writer = WRITERS[fmt](model or {}, n_pages=len(pages), **source)
    return writer.begin() + "".join(writer.page(p, n, len(pages)) for n, p in enumerate(pages, 1)) + writer.end()

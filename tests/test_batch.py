"""Batches: inputs from files, folders, stdin, TIFF and PDF pages; workers in order; keep going; -o DIR."""
import io
import json
import os
import sys
import time
from concurrent.futures.process import BrokenProcessPool

import numpy as np
import pytest
from PIL import Image

from format_checks import CHECKS
from ocr_cli.batch import extract, output_paths, overlay_paths
from ocr_cli.errors import OcrError
from ocr_cli.fileio.images import count_pages, read_image_page
from ocr_cli.inputs import Input, expand_inputs, page_tasks
from ocr_cli.workers import ordered_map
from ocr_cli.data.synthetic_pages import render_page

MODEL = {"name": "cnn"}


@pytest.fixture(scope="module")
def cnn():
    from ocr_cli.recognizers import default_model_path, load_recognizer

    return load_recognizer(default_model_path("cnn"), inference=True)


def page_image(text, seed):
    return Image.fromarray((render_page(text, seed=seed) * 255).astype(np.uint8))


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    """A folder of pages: two PNGs, a 2-page TIFF, a 2-page PDF, a broken file, a sub-folder, litter."""
    d = tmp_path_factory.mktemp("docs")
    a, b, c = page_image(["AB CD"], 1), page_image(["XY 12"], 2), page_image(["QUIZ"], 3)
    a.save(d / "a.png")
    b.save(d / "b.png")
    a.save(d / "scan.tif", save_all=True, append_images=[c])
    b.convert("RGB").save(d / "doc.pdf", save_all=True, append_images=[c.convert("RGB")], resolution=100)
    (d / "broken.png").write_text("not an image")
    (d / "notes.txt").write_text("not an input")
    (d / ".hidden.png").write_bytes((d / "a.png").read_bytes())
    (d / "sub").mkdir()
    c.save(d / "sub" / "a.png")
    return d


def test_folders_expand_to_their_images_and_pdfs_sorted(docs):
    inputs, errors = expand_inputs([docs])
    assert [i.path.name for i in inputs] == ["a.png", "b.png", "broken.png", "doc.pdf", "scan.tif"] and not errors
    inputs, _ = expand_inputs([docs], recursive=True)
    assert [i.path.relative_to(docs).as_posix() for i in inputs][-1] == "sub/a.png" and len(inputs) == 6
    inputs, errors = expand_inputs([docs / "a.png", docs / "missing.png", docs / "sub" / "a.png"])
    assert [i.name for i in inputs] == [str(docs / "a.png"), str(docs / "sub" / "a.png")]
    assert errors == [f"{docs / 'missing.png'}: no such file or folder"]
    (docs / "empty").mkdir(exist_ok=True)
    assert "no images" in expand_inputs([docs / "empty"])[1][0]


def test_every_tiff_and_pdf_page_is_a_task(docs, tmp_path):
    assert count_pages(docs / "scan.tif") == 2 and count_pages(docs / "doc.pdf") == 2
    assert count_pages(docs / "a.png") == 1
    frames = [Image.new("L", (20, 20), v) for v in (0, 255)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    assert count_pages(tmp_path / "anim.gif") == 1  # an animation is not a document
    tasks, errors = page_tasks([Input("t", docs / "scan.tif"), Input("x", docs / "broken.png")])
    assert [(t.index, t.pages) for t in tasks] == [(0, 2), (1, 2)]
    assert errors == [(1, "x: not an image file (or a format we cannot read)")]  # told by the name the user gave
    tiff2 = read_image_page(docs / "scan.tif", 1)
    assert tiff2.shape == np.asarray(page_image(["QUIZ"], 3)).shape
    pdf = read_image_page(docs / "doc.pdf", 0)
    assert pdf.dtype == np.float32 and 0 <= pdf.min() < 0.5 < pdf.max() <= 1  # rendered on white
    with pytest.raises(OcrError, match="no page 3"):
        read_image_page(docs / "doc.pdf", 2)


def _slow_square(x):
    time.sleep(0.02 * (3 - x % 3))
    return x * x


def test_ordered_map_keeps_input_order_across_processes():
    assert list(ordered_map(_slow_square, range(10), jobs=2)) == [x * x for x in range(10)]
    assert list(ordered_map(_slow_square, range(3), jobs=1)) == [0, 1, 4]
    assert list(ordered_map(_slow_square, [], jobs=2)) == []


def test_progress_bar_only_when_asked(capsys):
    assert list(ordered_map(_slow_square, range(4), jobs=1, progress=True)) == [0, 1, 4, 9]
    assert "page/s" in capsys.readouterr().err  # a bar (tqdm redraws at most every 0.1 s)
    list(ordered_map(_slow_square, range(4), jobs=2, progress=False))
    assert capsys.readouterr().err == ""


def _dies_on_3(x):
    if x == 3:
        os._exit(1)  # like a crash inside a C library: the process is gone
    return x * x


def test_a_worker_that_dies_costs_only_its_item():
    got = list(ordered_map(_dies_on_3, range(12), jobs=2, crashed=lambda x: f"crashed {x}"))
    assert got == [0, 1, 4, "crashed 3"] + [x * x for x in range(4, 12)]
    with pytest.raises(BrokenProcessPool):
        list(ordered_map(_dies_on_3, range(6), jobs=2))


def run_extract(args, cnn, capsys, **kw):
    out = io.StringIO()
    code = extract([str(a) for a in args], cnn, MODEL, stdout=out, **kw)
    return code, out.getvalue(), capsys.readouterr().err


def test_bad_inputs_are_reported_and_the_batch_goes_on(docs, cnn, capsys):
    args = [docs / "a.png", docs / "broken.png", docs / "missing.png", docs / "doc.pdf"]
    code, out, err = run_extract(args, cnn, capsys, fmt="json", jobs=2)
    assert code == 1
    assert sorted(err.splitlines()) == sorted([f"error: {docs / 'missing.png'}: no such file or folder",
                                               f"error: {docs / 'broken.png'}: not an image file (or a format we cannot read)"])
    doc = CHECKS["json"](out)
    assert [(p["source"], p["page"]) for p in doc["pages"]] == \
        [(str(docs / "a.png"), 1), (str(docs / "doc.pdf"), 1), (str(docs / "doc.pdf"), 2)]
    assert doc["pages"][2]["text"] == "QUIZ" and len(doc["errors"]) == 2
    code, out, err = run_extract([docs / "a.png"], cnn, capsys, fmt="json")
    assert code == 0 and err == "" and len(json.loads(out)["pages"]) == 1  # one input: the same shape


def test_a_page_that_fails_late_leaves_a_valid_stream(docs, cnn, capsys, tmp_path):
    good = docs / "a.png"
    page_image(["AB CD"], 1).save(tmp_path / "late.jpg", quality=90)
    (tmp_path / "late.jpg").write_bytes((tmp_path / "late.jpg").read_bytes()[:600])  # counts as 1 page, fails to decode
    for fmt in ("hocr", "json", "tsv"):
        code, out, err = run_extract([good, tmp_path / "late.jpg", good], cnn, capsys, fmt=fmt, jobs=2)
        assert code == 1 and err.startswith(f"error: {tmp_path / 'late.jpg'}: cannot read image")
        parsed = CHECKS[fmt](out)
        assert len(parsed["pages"] if fmt == "json" else parsed) == 2


def test_parallel_output_equals_serial_output(docs, cnn, capsys):
    serial = run_extract([docs], cnn, capsys, fmt="tsv", jobs=1)
    parallel = run_extract([docs], cnn, capsys, fmt="tsv", jobs=2)
    assert serial == parallel and serial[0] == 1
    assert [len(p["lines"]) for p in CHECKS["tsv"](serial[1])] == [1, 1, 1, 1, 1, 1]  # 2 PNGs, PDF and TIFF pages


def test_page_warnings_are_printed_on_stderr(docs, cnn, capsys, monkeypatch):
    from ocr_cli.page import read_page

    def doubtful(image, recognizer):
        page = read_page(image, recognizer)
        page.warnings = ["the text may be upside down"]
        return page

    monkeypatch.setattr("ocr_cli.page.read_page", doubtful)  # the worker looks it up per page
    code, out, err = run_extract([docs / "scan.tif"], cnn, capsys, jobs=1)
    assert code == 0 and err.splitlines() == [f"warning: {docs / 'scan.tif'}: page {k}: the text may be upside down"
                                              for k in (1, 2)]


def test_read_options_reach_the_reader(docs, cnn, capsys):
    code, out, _ = run_extract([docs / "b.png"], cnn, capsys, jobs=1, read_options={"chars": "0123456789"})
    assert code == 0 and out.strip().replace(" ", "").isdigit()  # XY 12 read with digits only


def test_text_of_several_pages_has_numbered_headers(docs, cnn, capsys):
    code, out, _ = run_extract([docs / "scan.tif", docs / "b.png"], cnn, capsys)
    assert code == 0
    assert [line for line in out.splitlines() if line.startswith("==>")] == \
        [f"==> {docs / 'scan.tif'} page 1 <==", f"==> {docs / 'scan.tif'} page 2 <==", f"==> {docs / 'b.png'} <=="]


def test_stdin_is_read_as_an_input(docs, cnn, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((docs / "scan.tif").read_bytes())))
    code, out, _ = run_extract(["-"], cnn, capsys, fmt="hocr")
    pages = CHECKS["hocr"](out)
    assert code == 0 and [p["image"] for p in pages] == ["-", "-"] and pages[1]["lines"] == [["QUIZ"]]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    code, out, err = run_extract(["-"], cnn, capsys)
    assert (code, out, err) == (1, "", "error: -: stdin is empty\n")


def test_out_dir_gets_one_valid_file_per_input_with_unique_names(docs, cnn, capsys, tmp_path):
    inputs = [docs / "a.png", docs / "sub" / "a.png", docs / "doc.pdf", docs / "broken.png"]
    for fmt, ext in (("alto", ".xml"), ("hocr", ".hocr"), ("json", ".json"), ("tsv", ".tsv"), ("text", ".txt")):
        out_dir = tmp_path / fmt
        code, out, err = run_extract(inputs, cnn, capsys, fmt=fmt, out_dir=out_dir, jobs=2)
        assert code == 1 and out == "" and err.count("error: ") == 1
        assert sorted(p.name for p in out_dir.iterdir()) == sorted(f"{s}{ext}" for s in ("a", "a_2", "doc"))
        if fmt in CHECKS:
            pages = [CHECKS[fmt]((out_dir / f"{s}{ext}").read_text()) for s in ("a", "a_2", "doc")]
            assert len(pages[2]["pages"] if fmt == "json" else pages[2]) == 2  # both PDF pages in doc's file
    assert (tmp_path / "text" / "a_2.txt").read_text() == "QUIZ\n"


def test_outputs_never_replace_an_input(tmp_path):
    (tmp_path / "p.hocr").write_bytes(b"an image named like an output")
    inputs = [Input("p.hocr", tmp_path / "p.hocr"), Input("x/p.png", tmp_path / "p.png")]
    assert output_paths(tmp_path, inputs, ".hocr") == [tmp_path / "p_2.hocr", tmp_path / "p_3.hocr"]
    # text beside the images (-o pointed at the input folder) never takes a ground truth's name
    gt = [Input("a.png", tmp_path / "a.png"), Input("b.png", tmp_path / "b.png")]
    assert output_paths(tmp_path, gt, ".txt") == [tmp_path / "a_2.txt", tmp_path / "b_2.txt"]
    assert output_paths(tmp_path / "out", gt, ".txt") == [tmp_path / "out" / "a.txt", tmp_path / "out" / "b.txt"]
    tasks, _ = page_tasks([])
    with pytest.raises(OcrError, match="one of the inputs"):
        overlay_paths(tmp_path / "p.hocr", inputs, tasks)


def test_boxes_overlays_are_unique_per_page_and_never_an_input(docs, cnn, capsys, tmp_path):
    boxes = tmp_path / "ov.png"
    code, _, _ = run_extract([docs / "a.png", docs / "sub" / "a.png", docs / "scan.tif"], cnn, capsys, boxes=boxes, jobs=2)
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ov_a.png", "ov_a_2.png", "ov_scan_p1.png", "ov_scan_p2.png"]
    (tmp_path / "one").mkdir()
    run_extract([docs / "a.png"], cnn, capsys, boxes=tmp_path / "one" / "o.png")
    assert [p.name for p in (tmp_path / "one").iterdir()] == ["o.png"]
    with pytest.raises(OcrError, match="one of the inputs"):
        run_extract([docs / "a.png"], cnn, capsys, boxes=docs / "a.png")
    assert Image.open(docs / "a.png").size == page_image(["AB CD"], 1).size  # untouched


def test_alto_of_several_inputs_needs_an_out_dir(docs, cnn, capsys):
    with pytest.raises(OcrError, match="-o DIR"):
        run_extract([docs / "a.png", docs / "b.png"], cnn, capsys, fmt="alto")
    code, out, _ = run_extract([docs / "doc.pdf"], cnn, capsys, fmt="alto")  # one document, two pages: fine
    assert code == 0 and [p["number"] for p in CHECKS["alto"](out)] == [1, 2]

"""`ocr extract` and `ocr eval` as a user runs them: batches, formats, stdin, pipes, exit codes."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from conftest import REPO
from format_checks import CHECKS
from ocr_cli.cli import cli
from ocr_cli.cli.pages import FORMATS
from ocr_cli.formats import WRITERS
from ocr_cli.data.synthetic_pages import render_page


def ocr(*args, **kw):
    """The command in a fresh process, as from a shell."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "ocr_cli", *map(str, args)], capture_output=True, env=env, **kw)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    d = tmp_path_factory.mktemp("pages")
    for name, text, seed in (("a", ["AB CD"], 1), ("b", ["XY 12"], 2)):
        Image.fromarray((render_page(text, seed=seed) * 255).astype(np.uint8)).save(d / f"{name}.png")
        (d / f"{name}.txt").write_text(text[0] + "\n")
    (d / "sub").mkdir()
    (d / "sub" / "a.png").write_bytes((d / "a.png").read_bytes())
    (d / "sub" / "a.txt").write_text("AB CD\n")
    (d / "broken.png").write_text("not an image")
    return d


def test_cli_formats_are_the_writers():
    assert FORMATS == list(WRITERS)


def test_extract_folder_keeps_going_and_exits_1(pages):
    r = CliRunner().invoke(cli, ["extract", str(pages), "--json", "--jobs", "2"])
    assert r.exit_code == 1
    doc = CHECKS["json"](r.stdout)
    assert [p["source"] for p in doc["pages"]] == [str(pages / "a.png"), str(pages / "b.png")]
    assert r.stderr == f"error: {pages / 'broken.png'}: not an image file (or a format we cannot read)\n"
    r = CliRunner().invoke(cli, ["extract", str(pages / "a.png"), "--format", "hocr"])
    assert r.exit_code == 0 and CHECKS["hocr"](r.stdout)[0]["lines"] == [["AB", "CD"]]
    r = CliRunner().invoke(cli, ["extract", str(pages / "a.png"), "--json", "--format", "tsv"])
    assert r.exit_code == 2 and r.stderr.startswith("error: --json means --format json")
    r = CliRunner().invoke(cli, ["extract", str(pages / "a.png"), str(pages / "b.png"), "--format", "alto"])
    assert r.exit_code == 2 and r.stderr.startswith("error: an ALTO file describes one source")  # a usage error


def test_extract_reads_stdin_and_writes_out_dir(pages, tmp_path):
    r = ocr("extract", "-", "--format", "alto", input=(pages / "b.png").read_bytes())
    assert r.returncode == 0 and CHECKS["alto"](r.stdout.decode())[0]["lines"] == [["XY", "12"]]
    r = ocr("extract", pages / "a.png", pages / "sub" / "a.png", "-o", tmp_path / "out", "--format", "tsv")
    assert r.returncode == 0 and r.stdout == b"" and sorted(os.listdir(tmp_path / "out")) == ["a.tsv", "a_2.tsv"]


def test_closing_the_pipe_early_is_quiet(tmp_path):
    for k in range(40):
        Image.new("L", (60, 40), 255).save(tmp_path / f"blank_{k:02d}.png")
    p = subprocess.Popen([sys.executable, "-m", "ocr_cli", "extract", str(tmp_path), "--jobs", "1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env={**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"})
    assert p.stdout.readline().startswith(b"==> ")
    p.stdout.close()  # like `| head -1`
    err = p.stderr.read()
    assert p.wait(timeout=60) in (0, 141) and err == b""


def test_eval_recursive_reports_unreadable_files_and_exits_1(pages):
    r = CliRunner().invoke(cli, ["eval", str(pages), "--recursive", "--json", "--jobs", "2"])
    report = json.loads(r.stdout)
    assert r.exit_code == 0 and [p["image"] for p in report["pages"]] == ["a.png", "b.png", "sub/a.png"]
    (pages / "broken.txt").write_text("AB\n")
    r = CliRunner().invoke(cli, ["eval", str(pages)])
    assert r.exit_code == 1 and "broken.png: not an image" in r.stderr and "a.png" in r.stdout
    (pages / "broken.txt").unlink()

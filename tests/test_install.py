"""The package as a user gets it: an sdist, the wheel built from it, installed into a fresh
virtual environment and run from a folder outside the checkout.

The environment sees this machine's site-packages (``--system-site-packages``) for the
dependencies, so nothing is downloaded; the package itself comes only from the wheel.
"""
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHIPPED = {"cnn.json", "cnn.pt", "mlp.json", "mlp.npz"}

pytestmark = pytest.mark.slow


def _run(args, **kw):
    r = subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)
    assert r.returncode == 0, f"{' '.join(map(str, args))}\n{r.stdout}\n{r.stderr}"
    return r.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """``(sdist, wheel)``: the sdist of this checkout and the wheel pip builds from that sdist."""
    dist = tmp_path_factory.mktemp("dist")
    code = "import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))"
    sdist = dist / _run([sys.executable, "-c", code, str(dist)], cwd=REPO).strip().splitlines()[-1]
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
          "-w", str(dist), str(sdist)])
    return sdist, next(dist.glob("ocr_cli-*.whl"))


@pytest.fixture(scope="module")
def venv(built, tmp_path_factory):
    """A fresh virtual environment with the wheel installed; its ``bin`` folder."""
    root = tmp_path_factory.mktemp("venv") / "env"
    _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(root)])
    python = root / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--ignore-installed", str(built[1])],
         env=_clean_env())
    return root / "bin"


def _clean_env():
    """This process's environment without what points Python or ocr-cli at the checkout."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OCR_MODELS_DIR")}


def test_wheel_and_sdist_carry_the_shipped_models(built):
    sdist, wheel = built
    names = zipfile.ZipFile(wheel).namelist()
    assert SHIPPED <= {Path(n).name for n in names if n.startswith("ocr_cli/models/")}
    assert all(n.startswith(("ocr_cli/", "ocr_cli-")) for n in names), "the wheel installs only the package"
    with tarfile.open(sdist) as tar:
        assert SHIPPED <= {Path(n).name for n in tar.getnames() if "/ocr_cli/models/" in n}


def test_installed_wheel_reads_a_page_from_another_folder(venv, tmp_path):
    (tmp_path / "images").mkdir()
    shutil.copy(REPO / "images" / "sample_01.png", tmp_path / "images")
    env = _clean_env()
    where = _run([str(venv / "python"), "-c", "import ocr_cli.recognizers.catalog as c; print(c.shipped_dir())"],
                 cwd=tmp_path, env=env).strip()
    assert Path(where).is_relative_to(venv.parent), f"the models were found outside the environment: {where}"
    truth = (REPO / "images" / "sample_01.txt").read_text()
    text = _run([str(venv / "ocr"), "extract", "images/sample_01.png"], cwd=tmp_path, env=env)
    assert text.split() == truth.split()
    from test_api import readme_example

    out = _run([str(venv / "python"), "-c", readme_example()], cwd=tmp_path, env=env)
    assert out.splitlines()[:3] == truth.splitlines()

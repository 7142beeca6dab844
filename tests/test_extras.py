"""Dependencies by use: reading pages works without the training extras, and every command that
needs them says so in one error line naming the extra."""
import configparser
import json
import subprocess
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from ocr_cli.extras import EXTRAS

REPO = Path(__file__).resolve().parents[1]
PAGE = REPO / "images" / "sample_01.png"


def _setup_cfg():
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    extras = {name: [Requirement(r).name.lower() for r in value.split("\n") if r.strip()]
              for name, value in cfg["options.extras_require"].items()}
    core = [Requirement(r).name.lower() for r in cfg["options"]["install_requires"].split("\n") if r.strip()]
    return core, extras


def test_extras_list_the_modules_of_setup_cfgs_distributions():
    core, extras = _setup_cfg()
    dists = {m: {d.lower() for d in ds} for m, ds in packages_distributions().items()}
    for extra, modules in EXTRAS.items():
        for module in modules:
            if module in dists:  # installed here: its distribution is in that extra and not in the core
                assert dists[module] & set(extras[extra]), (extra, module)
                assert not dists[module] & set(core), (module, "is optional but the core requires it")
    assert set(EXTRAS) == set(extras) - {"dev"}


def ocr(*args, blocked=EXTRAS["train"], cwd=REPO):
    """Run ``ocr ARGS`` in a fresh interpreter where the ``blocked`` modules cannot be imported
    (``sys.modules[name] = None``: ``import`` raises ModuleNotFoundError and find_spec gives None,
    as when they are not installed)."""
    code = ("import sys; [sys.modules.__setitem__(m, None) for m in sys.argv[1].split(',')]; "
            "sys.argv = ['ocr', *sys.argv[2:]]; from ocr_cli.cli import main; main()")
    return subprocess.run([sys.executable, "-c", code, ",".join(blocked), *map(str, args)],
                          capture_output=True, text=True, timeout=120, cwd=cwd)


def test_pages_are_read_without_the_training_extras(tmp_path):
    r = ocr("extract", PAGE, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["pages"][0]["text"].split() == PAGE.with_suffix(".txt").read_text().split()
    for name in ("sample_01.png", "sample_01.txt"):
        (tmp_path / name).write_bytes((REPO / "images" / name).read_bytes())
    r = ocr("eval", tmp_path, "--jobs", "1")
    assert r.returncode == 0 and "100.0%" in r.stdout, r.stdout + r.stderr
    assert ocr("--help").returncode == 0


@pytest.mark.parametrize("args", [
    ["train", "--model", "mlp", "--dataset", "synthetic"],
    ["finetune", "--from", "cnn", "--dataset", "synthetic"],
    ["adapt", "--page", PAGE, "--text", PAGE.with_suffix(".txt"), "--out", "never"],
    ["calibrate", "--weights", "x.pt", "--dataset", "synthetic", "--out", "never"],
    ["data", "preview", "--dataset", "synthetic", "--out", "never.png"],
    ["compress", "train", "--method", "pca", "--dataset", "synthetic"],
    ["score", "--dataset", "synthetic", "--n", "10"],  # reads without torch, but synthetic data needs the extra
])
def test_commands_that_need_the_training_extras_say_so_in_one_line(args, tmp_path):
    r = ocr(*args, cwd=tmp_path)
    assert r.returncode == 1 and r.stdout == "", r.stdout + r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: "), r.stderr
    assert "pip install 'ocr-cli[train]'" in r.stderr
    assert not any(tmp_path.iterdir()), "nothing is written before the check"

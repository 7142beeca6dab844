"""``ocr score``'s library: accuracy, per class, confusions and calibration of any model on any source."""
import numpy as np
import pytest
from PIL import Image

from ocr_cli.charset import CLASSES
from ocr_cli.errors import OcrError
from ocr_cli.scoring import default_split, format_report, score_dataset, score_samples


class InkRecognizer:
    """Reads a sample as F when it has little ink, as 7 otherwise, with fixed confidences."""

    classes = CLASSES
    info = {}

    def predict_proba(self, X):
        p = np.full((len(X), len(CLASSES)), 0.1 / 35)
        heavy = X.reshape(len(X), -1).mean(1) > 0.2
        p[np.arange(len(X)), np.where(heavy, CLASSES.index("7"), CLASSES.index("F"))] = 0.9
        return p


def test_score_samples_counts_per_class_and_confusions():
    y = np.array([CLASSES.index(c) for c in "FFF777"])
    p = np.zeros((6, 36))
    p[np.arange(6), [CLASSES.index(c) for c in "FF7777"]] = 1.0
    r = score_samples(p, y, CLASSES)
    assert r["accuracy"] == pytest.approx(5 / 6) and r["correct"] == 5
    assert r["per_class"]["F"] == {"n": 3, "acc": pytest.approx(2 / 3)} and r["per_class"]["7"]["acc"] == 1
    assert r["confused"] == [("F", "7", 1)]
    assert r["ece"] == pytest.approx(1 / 6)  # confidence 1 everywhere, 5/6 right
    text = format_report({**r, "part": "all"})
    assert text.startswith("accuracy 83.3% (5/6, all)") and "F->7: 1" in text


def test_score_dataset_on_a_users_folder(tmp_path):
    for c, ink in (("F", 0.1), ("7", 0.5)):
        (tmp_path / c).mkdir()
        for k in range(4):
            a = np.full((30, 30), 255, np.uint8)
            a[5:25, 5:5 + int(20 * ink) + 2] = 0  # a bar: thin for F, wide for 7
            Image.fromarray(a).save(tmp_path / c / f"{k}.png")
    r = score_dataset(f"folder:{tmp_path}", InkRecognizer())
    assert r["n"] == 8 and set(r["per_class"]) == {"F", "7"} and r["part"] == "all"
    held = score_dataset(f"folder:{tmp_path}", InkRecognizer(), heldout=True)
    assert held["n"] == 2 and held["part"] == "held-out"  # 30% of 4 per class, rounded
    with pytest.raises(OcrError, match="no dataset"):
        score_dataset(" , ", InkRecognizer())
    with pytest.raises(OcrError, match="synthetic has no held-out"):
        score_dataset("synthetic", InkRecognizer(), heldout=True)


def test_default_splits():
    assert default_split("mnist") == "test" and default_split("nist26") == "valid" and default_split("folder") == "train"


@pytest.fixture(scope="module")
def crops(tmp_path_factory):
    """A user's folder of photographed-looking crops: 6 per class for F, 7 and A."""
    from ocr_cli.data.synthetic import render_glyph

    d = tmp_path_factory.mktemp("crops")
    rng = np.random.default_rng(0)
    for c in "F7A":
        (d / c).mkdir()
        for k in range(6):
            x = np.pad(render_glyph(c, rng, height=40), 6)  # ink = 1, grey paper below
            Image.fromarray(np.uint8(255 * (0.85 - 0.6 * x))).save(d / c / f"{k}.png")
    return d


def test_ocr_score_and_calibrate_commands(crops, tmp_path):
    import json

    from click.testing import CliRunner

    from ocr_cli.cli import cli

    r = CliRunner().invoke(cli, ["score", "--dataset", f"folder:{crops}"])
    assert r.exit_code == 0, r.output
    first = r.output.splitlines()[0]
    assert first.startswith("accuracy ") and first.endswith("/18, all)") and "per class:" in r.output
    r = CliRunner().invoke(cli, ["score", "--dataset", f"folder:{crops}", "--heldout", "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["n"] == 6
    r = CliRunner().invoke(cli, ["score", "--dataset", f"folder:{crops}", "--heldout", "--split", "test"])
    assert r.exit_code == 2
    from ocr_cli.recognizers import default_model_path

    shipped = default_model_path("cnn").with_suffix(".pt")
    r = CliRunner().invoke(cli, ["calibrate", "--weights", str(shipped), "--dataset", f"folder:{crops}",
                                 "--out", str(tmp_path / "cal")])
    assert r.exit_code == 0, r.output
    meta = json.loads((tmp_path / "cal" / "cnn.json").read_text())
    assert meta["calibration"]["temperature"] > 0 and (tmp_path / "cal" / "cnn.pt").is_file()
    assert (tmp_path / "cal" / "reliability.png").is_file() and "ECE on the other half" in r.output
    r = CliRunner().invoke(cli, ["calibrate", "--weights", str(shipped), "--dataset", f"folder:{crops}",
                                 "--out", str(shipped.parent)])
    assert r.exit_code == 1 and "holds the input model" in r.output


def test_misread_samples_are_saved_surest_first(tmp_path):
    from click.testing import CliRunner

    from ocr_cli.cli import cli

    crops = tmp_path / "crops"
    for c, ink in (("F", 0.1), ("7", 0.5), ("A", 0.5)):  # the A bars read as 7: misread
        (crops / c).mkdir(parents=True)
        for k in range(3):
            a = np.full((30, 30), 255, np.uint8)
            a[5:25, 5:5 + int(20 * ink) + 2] = 0
            Image.fromarray(a).save(crops / c / f"{k}.png")
    r = score_dataset(f"folder:{crops}", InkRecognizer(), errors=tmp_path / "misread.png")
    assert r["misread_shown"] == 3 == r["n"] - r["correct"]
    with Image.open(tmp_path / "misread.png") as grid:
        assert grid.width > 50 and grid.height > 30
    assert "misread samples, surest first: 3 -> " in format_report(r)
    (tmp_path / "right").mkdir()
    for c in "F7":
        (crops / c).rename(tmp_path / "right" / c)
    fine = score_dataset(f"folder:{tmp_path / 'right'}", InkRecognizer(), errors=tmp_path / "none.png")
    assert fine["correct"] == 6 and fine["misread_shown"] == 0 and (tmp_path / "none.png").is_file()
    assert "misread samples, surest first: 0 -> " in format_report(fine)
    before = sorted(p.name for p in (crops / "A").iterdir())
    out = CliRunner().invoke(cli, ["score", "--dataset", f"folder:{crops}", "--errors", str(crops / "A" / "0.png")])
    assert out.exit_code == 1 and "inside the dataset folder" in out.output
    assert sorted(p.name for p in (crops / "A").iterdir()) == before  # the crop it named is still there

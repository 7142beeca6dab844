"""Writer adaptation: fine-tuning on a page's labeled crops mixed with original data, ``ocr adapt``."""
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from click.testing import CliRunner  # noqa: E402
from PIL import Image  # noqa: E402

from ocr_cli.charset import CLASSES  # noqa: E402
from ocr_cli.cli import cli  # noqa: E402
from ocr_cli.data.synthetic_pages import render_page  # noqa: E402
from ocr_cli.errors import OcrError  # noqa: E402
from ocr_cli.page.labels import page_samples  # noqa: E402
from ocr_cli.recognizers import get_recognizer_class, load_recognizer  # noqa: E402
from ocr_cli.training import TrainConfig, evaluate  # noqa: E402
from ocr_cli.training.adapt import adapt  # noqa: E402

LINES = ["ABC DEF", "XYZ 42"]


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def page():
    return render_page(LINES, seed=3, char_h=32)


def tiny_folder(root):
    """A 288-image ImageFolder stand-in for the original training data (fast, unlike synthetic)."""
    rng = np.random.default_rng(0)
    for c in range(36):
        (root / CLASSES[c]).mkdir(parents=True)
        for k in range(8):
            x = np.zeros((32, 32))
            x[4 + (c % 6) * 4:7 + (c % 6) * 4, 4:28] = 1
            x[4:28, 4 + (c // 6) * 4:7 + (c // 6) * 4] = 1
            x += rng.uniform(0, 0.1, x.shape)
            Image.fromarray(((1 - np.clip(x, 0, 1)) * 255).astype(np.uint8)).save(root / CLASSES[c] / f"{k}.png")
    return f"folder:{root}"


@pytest.mark.slow
def test_adapt_fits_the_writer_and_records_the_pages(tmp_path, page):
    torch.manual_seed(0)
    start = get_recognizer_class("cnn")(CLASSES)
    cfg = TrainConfig(out=tmp_path / "me", epochs=3, lr=start.defaults.lr, progress=False)
    res = adapt(start, [(page, "\n".join(LINES))], cfg, original=tiny_folder(tmp_path / "orig"), log=lambda *a: None)
    meta = json.loads(res.model_path.with_suffix(".json").read_text())
    assert meta["adapt"]["writer_samples"] == 11 and meta["adapt"]["pages"][0]["lines_used"] == 2
    assert meta["adapt"]["writer_repeat"] == 20  # 216 original training images (6 of 8 per class) / 11 crops, rounded up
    assert meta["finetune"]["freeze"] == "none"
    X, y, _ = page_samples(page, "\n".join(LINES))
    before, after = evaluate(start, X, y)["loss"], evaluate(load_recognizer(res.model_path), X, y)["loss"]
    assert after < before - 0.3  # it moved towards the writer


def test_adapt_with_nothing_usable_is_an_error(page):
    start = get_recognizer_class("cnn")(CLASSES)
    with pytest.raises(OcrError, match="no line"):
        adapt(start, [(page, "A\nB\nC")], TrainConfig(out="unused", progress=False), log=lambda *a: None)


def test_cli_adapt_errors_are_one_line(tmp_path, page):
    img = tmp_path / "p.png"
    Image.fromarray((page * 255).astype(np.uint8)).save(img)
    runner = CliRunner()
    r = runner.invoke(cli, ["adapt", "--page", str(img), "--page", str(img), "--text", "t.txt", "--out", str(tmp_path / "o")])
    assert r.exit_code == 1 and "one --text per --page" in r.output
    r = runner.invoke(cli, ["adapt", "--page", str(img), "--text", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "o")])
    assert r.exit_code == 1 and r.output.startswith("error:") and len(r.output.strip().splitlines()) == 1

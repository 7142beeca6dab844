"""Fine-tuning: head transfer between class lists, freezing, and ``ocr finetune`` end to end (tiny data)."""
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from click.testing import CliRunner  # noqa: E402

from ocr_cli.charset import CLASSES, LETTERS  # noqa: E402
from ocr_cli.cli import cli  # noqa: E402
from ocr_cli.errors import OcrError  # noqa: E402
from ocr_cli.data.mix import DataMix, Source  # noqa: E402
from ocr_cli.recognizers import get_recognizer_class, load_recognizer  # noqa: E402
from ocr_cli.training import TrainConfig  # noqa: E402
from ocr_cli.training.finetune import finetune, freeze, start_from, transfer  # noqa: E402
from ocr_cli.training.steps import TorchStep  # noqa: E402


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)
    torch.manual_seed(0)


def tiny_source(n=72, seed=0):
    """Bars at class-dependent positions: learnable in a few steps, no generator needed."""
    rng = np.random.default_rng(seed)
    y = np.resize(np.arange(36), n)
    X = np.zeros((n, 32, 32), np.float32)
    for i, c in enumerate(y):
        r = 2 + (c % 6) * 5
        col = 2 + (c // 6) * 5
        X[i, r:r + 3, :] = 1.0
        X[i, :, col:col + 3] = 1.0
    X += rng.uniform(0, 0.1, X.shape).astype(np.float32)
    return Source("tiny", (X, y), (X[:36], y[:36]))


def glyphs():
    return tiny_source(8).train[0]


def test_same_classes_keep_every_weight_and_prediction():
    src = get_recognizer_class("cnn")(CLASSES)
    rec, carried = transfer(src)
    assert carried == CLASSES
    np.testing.assert_allclose(rec.predict_proba(glyphs()), src.predict_proba(glyphs()), rtol=1e-5, atol=1e-6)


def test_head_rows_carried_by_class_when_lists_differ():
    src = get_recognizer_class("cnn")(LETTERS[::-1])  # 26 classes, in another order
    rec, carried = transfer(src)
    assert carried == LETTERS and len(rec.classes) == 36
    w_src, w_new = src.net.head[-1].weight, rec.net.head[-1].weight
    assert w_new.shape == (36, 128)
    torch.testing.assert_close(w_new[CLASSES.index("A")], w_src[LETTERS[::-1].index("A")])
    torch.testing.assert_close(w_new[CLASSES.index("Z")], w_src[0])
    torch.testing.assert_close(rec.net.features[0].weight, src.net.features[0].weight)
    assert not torch.equal(w_new[CLASSES.index("7")], torch.zeros(128))  # digits start fresh, not zero


def test_freeze_features_trains_only_the_head():
    rec = get_recognizer_class("cnn")(CLASSES)
    before = {k: v.clone() for k, v in rec.net.state_dict().items()}
    n_trainable = freeze(rec, "features")
    assert n_trainable == sum(p.numel() for p in rec.net.head.parameters())
    step = TorchStep(rec, lr=0.1)
    src = tiny_source()
    for _ in range(3):
        step(*src.train)
    after = rec.net.state_dict()
    for k in before:
        if k.startswith("features."):  # weights and BatchNorm running statistics alike
            torch.testing.assert_close(after[k], before[k], msg=k)
    assert not torch.equal(after["head.5.weight"], before["head.5.weight"])


def test_freeze_none_slows_the_features_down():
    from ocr_cli.training import FEATURE_LR_SCALE

    rec = get_recognizer_class("cnn")(CLASSES)
    assert freeze(rec, "none") == sum(p.numel() for p in rec.net.parameters())
    cfg = TrainConfig(freeze="none")  # what fine-tuning with --freeze none trains with
    step = TorchStep(rec, lr=0.01, optimizer="adamw", feature_lr_scale=cfg.feature_lr_scale)
    step.set_lr(0.002)
    lrs = sorted(g["lr"] for g in step.opt.param_groups)
    assert lrs == pytest.approx([0.002 * FEATURE_LR_SCALE, 0.002])
    slow = next(g for g in step.opt.param_groups if g["lr_scale"] != 1.0)
    assert sum(p.numel() for p in slow["params"]) == sum(p.numel() for p in rec.net.features.parameters())


def test_freeze_fc_keeps_all_but_last_layer():
    rec = get_recognizer_class("fc")(CLASSES, hidden=[16])
    assert freeze(rec, "features") == 16 * 36 + 36
    with pytest.raises(OcrError, match="--freeze"):
        freeze(rec, "everything")


def test_numpy_mlp_is_refused():
    mlp = get_recognizer_class("mlp")(CLASSES, hidden=[8])
    with pytest.raises(OcrError, match="torch model"):
        transfer(mlp)


def test_start_from_errors():
    with pytest.raises(OcrError, match="--from"):
        start_from()
    with pytest.raises(OcrError, match="no such"):
        start_from("does/not/exist.pt")
    with pytest.raises(OcrError, match="--pretrained"):
        start_from("cnn", pretrained="x.pth")


def test_finetune_learns_and_records_itself(tmp_path):
    src = get_recognizer_class("cnn")(CLASSES[:26])
    saved = src.save(tmp_path / "start" / "cnn", {"command": "ocr train (the starting model)"})
    mix = DataMix([tiny_source()], [tiny_source()], repeat_real=3)
    cfg = TrainConfig(out=tmp_path / "ft", freeze="none", epochs=2, lr=src.defaults.lr, progress=False, init_from=saved)
    res = finetune(load_recognizer(saved), mix, cfg, log=lambda *a: None)
    assert res.history[-1]["val_acc"] > 0.3  # chance is 1/36
    meta = json.loads(res.model_path.with_suffix(".json").read_text())
    assert meta["finetune"]["head"].startswith("replaced (26 of 36")
    assert meta["init_from"] == str(saved)
    assert meta["init_from_model"]["command"] == "ocr train (the starting model)"  # a model made in stages
    assert load_recognizer(res.model_path).classes == CLASSES


def test_cli_finetune_from_squeezenet_imagenet_file(tmp_path, monkeypatch):
    torchvision = pytest.importorskip("torchvision")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    weights = tmp_path / "squeezenet1_1.pth"
    torch.save(torchvision.models.squeezenet1_1(weights=None).state_dict(), weights)
    folder = tmp_path / "chars"
    from PIL import Image

    X, y = tiny_source(36).train
    for x, c in zip(X, y):
        (folder / CLASSES[c]).mkdir(parents=True, exist_ok=True)
        for k in range(3):  # 3 per class, so the 30% held-out part has one of each
            Image.fromarray(((1 - x) * 255).astype(np.uint8)).save(folder / CLASSES[c] / f"{k}.png")
    out = tmp_path / "sq"
    r = CliRunner().invoke(cli, ["finetune", "--pretrained", str(weights), "--dataset", f"folder:{folder}",
                                 "--freeze", "features", "--epochs", "1", "--batch-size", "36", "--out", str(out)])
    assert r.exit_code == 0, r.output
    meta = json.loads((out / "squeezenet.json").read_text())
    assert meta["model"] == "squeezenet" and meta["finetune"]["head"].startswith("new")
    assert meta["finetune"]["trainable_parameters"] == 512 * 36 + 36
    assert meta["command"] == f"ocr finetune --pretrained {weights} --dataset folder:{folder} --freeze features " \
                              f"--epochs 1 --batch-size 36 --out {out}"  # the options given, as they could be retyped
    assert not (tmp_path / "torch_home").exists()


def test_cli_finetune_bad_model_is_one_line(tmp_path):
    r = CliRunner().invoke(cli, ["finetune", "--from", str(tmp_path / "nope.pt"), "--dataset", "synthetic"])
    assert r.exit_code == 1
    assert r.output.strip().startswith("error:") and len(r.output.strip().splitlines()) == 1

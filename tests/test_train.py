"""ocr train: learning on a small synthetic set, results folder, label smoothing, Ctrl-C."""
import json

import numpy as np
import pytest
from click.testing import CliRunner

from ocr_cli.charset import CLASSES
from ocr_cli.cli import cli
from ocr_cli.data.mix import DataMix, Source, heldout_mask
from ocr_cli.data.synthetic import generate
from ocr_cli.errors import OcrError
from ocr_cli.recognizers import get_recognizer_class, load_recognizer
from ocr_cli.training import TrainConfig, train
from ocr_cli.training.steps import TorchStep


@pytest.fixture(scope="module")
def toy():
    """A small balanced synthetic problem: 20 training and 5 held-out samples per class."""
    X, y = generate(36 * 25, seed=7)
    held = heldout_mask(y, fraction=0.2)
    return X[~held], y[~held], X[held], y[held]


def run(model, mix, out, rec=None, log=lambda s: None, **settings):
    """One training run of ``model`` on ``mix`` into ``out`` with these TrainConfig settings."""
    return train(TrainConfig(model=model, out=out, **settings), mix, rec=rec, log=log)


def toy_mix(toy):
    Xt, yt, Xh, yh = toy
    source = Source("toy", (Xt, yt), (Xh, yh))
    return DataMix([source], [source], repeat_real=1)


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_training_lowers_loss_and_beats_chance(model, toy, tmp_path):
    mix = toy_mix(toy)
    epochs, lr, batch = (12, 0.2, 16) if model == "mlp" else (4, 3e-3, 16)
    # a narrower cnn than the default keeps the test fast; the loop is what is under test
    rec = None
    if model == "cnn":
        import torch

        torch.manual_seed(0)
        rec = get_recognizer_class("cnn")(CLASSES, channels=(8, 16, 32), hidden=64)
    r = run(model, mix, tmp_path, epochs=epochs, lr=lr, batch_size=batch, seed=0, threads=1,
                 augment=False, progress=False, log=lambda s: None, rec=rec)
    losses = [h["loss"] for h in r.history]
    assert losses[-1] < 0.75 * losses[0]  # the first epoch is an average over a falling loss
    # chance is 1/36 ≈ 3%; a learning model is far above it on held-out samples
    assert r.metrics["val_acc"] > 0.4, r.metrics
    rec = load_recognizer(r.model_path)
    assert rec.name == model
    meta = json.loads(r.model_path.with_suffix(".json").read_text())
    assert meta["seed"] == 0 and meta["metrics"]["val_acc"] == r.metrics["val_acc"]
    assert len(meta["history"]) >= meta["metrics"]["epoch"]
    for png in ["curves.png", "confusion.png"] + (["first_layer.png"] if model == "mlp" else []):
        assert (tmp_path / png).stat().st_size > 1000


def test_fc_trains_too(toy, tmp_path):
    r = run("fc", toy_mix(toy), tmp_path, epochs=8, lr=0.2, batch_size=16, threads=1, augment=False,
                 progress=False, log=lambda s: None)
    assert r.metrics["val_acc"] > 0.3


def test_label_smoothing_softens_the_target_and_is_recorded(toy, tmp_path):
    import torch

    torch.manual_seed(0)
    rec = get_recognizer_class("cnn")(CLASSES, channels=(8, 16, 32), hidden=64)
    X, y = torch.from_numpy(toy[0][:32]), torch.from_numpy(toy[1][:32])
    rec.net.train()
    torch.manual_seed(1)  # the same dropout masks in this forward pass and in the step's
    logits = rec.net(X).detach()
    ce = torch.nn.functional.cross_entropy
    torch.manual_seed(1)
    loss, _ = TorchStep(rec, 1e-3, optimizer="adamw", label_smoothing=0.1)(toy[0][:32], toy[1][:32])
    assert loss == pytest.approx(32 * float(ce(logits, y, label_smoothing=0.1)), rel=1e-5)
    assert abs(loss - 32 * float(ce(logits, y))) > 0.01  # not the one-hot loss
    r = run("cnn", toy_mix(toy), tmp_path, epochs=1, lr=3e-3, batch_size=16, threads=1, augment=False,
                 progress=False, log=lambda s: None, rec=rec, label_smoothing=0.1)
    assert json.loads(r.model_path.with_suffix(".json").read_text())["training"]["label_smoothing"] == 0.1
    with pytest.raises(OcrError, match="not mlp"):
        run("mlp", toy_mix(toy), tmp_path / "m", epochs=1, progress=False, log=lambda s: None, label_smoothing=0.1)
    with pytest.raises(OcrError, match="label-smoothing"):
        run("cnn", toy_mix(toy), tmp_path / "c", epochs=1, progress=False, log=lambda s: None, label_smoothing=1.0)


def test_ctrl_c_keeps_the_best_model_so_far(toy, tmp_path, monkeypatch):
    calls = {"n": 0}
    real_augment = __import__("ocr_cli.data.augment", fromlist=["augment"]).augment

    def interrupt_in_epoch_3(X, rng):
        calls["n"] += 1
        if calls["n"] > 2 * 45 + 10:  # 720 samples / 16 = 45 batches per epoch
            raise KeyboardInterrupt
        return real_augment(X, rng)

    monkeypatch.setattr("ocr_cli.data.augment.augment", interrupt_in_epoch_3)
    logs = []
    r = run("mlp", toy_mix(toy), tmp_path, epochs=10, lr=0.2, batch_size=16, progress=False, log=logs.append)
    assert r.interrupted and len(r.history) == 2
    assert any("interrupted" in line for line in logs)
    rec = load_recognizer(r.model_path)
    assert rec.info["metrics"]["epoch"] in (1, 2)
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind
    assert (tmp_path / "curves.png").is_file()


def test_init_from_continues_and_rejects_another_kind(toy, tmp_path):
    quiet = dict(batch_size=16, augment=False, progress=False, log=lambda s: None)
    first = run("mlp", toy_mix(toy), tmp_path / "a", epochs=4, lr=0.2, **quiet)
    again = run("mlp", toy_mix(toy), tmp_path / "b", epochs=1, lr=0.01, init_from=first.model_path, **quiet)
    assert again.history[0]["val_acc"] >= first.metrics["val_acc"] - 0.1  # started from the trained weights
    with pytest.raises(OcrError, match="mlp model, not fc"):
        run("fc", toy_mix(toy), tmp_path / "c", epochs=1, init_from=first.model_path, **quiet)


def test_cli_train_with_lr_comparison(tmp_path, monkeypatch):
    """End to end through the CLI on an ImageFolder tree; two rates give one comparison plot."""
    from PIL import Image

    X, y = generate(36 * 4, seed=3)
    for i, (x, label) in enumerate(zip(X, y)):
        d = tmp_path / "chars" / CLASSES[label]
        d.mkdir(parents=True, exist_ok=True)
        Image.fromarray(((1 - x) * 255).astype(np.uint8)).save(d / f"{i}.png")
    out = tmp_path / "run"
    result = CliRunner().invoke(cli, ["train", "--model", "mlp", "--dataset", f"folder:{tmp_path / 'chars'}",
                                      "--epochs", "2", "--lr", "0.1", "--lr", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "lr_comparison.png").stat().st_size > 1000
    for lr in ("0.1", "1"):
        meta = json.loads((out / f"lr_{lr}" / "mlp.json").read_text())
        assert meta["command"].startswith("ocr train --model mlp")
        assert meta["training"]["lr"] == float(lr)
        assert meta["data"]["heldout"] == {"folder": 36}  # round(0.3 * 4) = 1 per class
    assert "most confused" in result.output


def test_torch_threads_leave_a_core_to_the_synthetic_data_worker(toy):
    from ocr_cli.training.config import torch_threads

    assert torch_threads(1, cores=2, preferred=2) == 1  # the shared 2-core machine: the renderer takes one
    assert torch_threads(0, cores=2, preferred=2) == 2
    assert torch_threads(1, cores=16, preferred=8) == 8  # never more than torch's own choice
    assert torch_threads(1, cores=1, preferred=4) == 1
    Xt, yt, Xh, yh = toy
    synthetic = Source("synthetic", None, (Xh, yh))
    assert DataMix([synthetic], [synthetic], synthetic_n=100).workers(epochs=3) == 1
    assert DataMix([synthetic], [synthetic], synthetic_n=100).workers(epochs=1) == 0  # nothing rendered ahead
    assert toy_mix(toy).workers(epochs=3) == 0


def test_training_sets_torch_threads_unless_told(toy, tmp_path, monkeypatch):
    import torch

    from ocr_cli.training import steps

    before = torch.get_num_threads()
    try:
        monkeypatch.setattr(steps, "torch_threads", lambda workers: 1 + workers)
        rec = get_recognizer_class("cnn").create(CLASSES)
        steps.make_step(rec, TrainConfig(model="cnn", lr=1e-3, batch_size=8, epochs=1), workers=1)
        assert torch.get_num_threads() == 2
        steps.make_step(rec, TrainConfig(model="cnn", lr=1e-3, batch_size=8, epochs=1, threads=1), workers=1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_cnn_hidden_takes_the_conv_widths_too(toy, tmp_path):
    """``--hidden C1,C2,C3,H``: a wider or narrower cnn is one option away, and --init-from
    accepts the same four numbers back (one number stays the head's width)."""
    from ocr_cli.training.loop import initial_recognizer

    cls = get_recognizer_class("cnn")
    assert cls.check_hidden([96]) == 96 and cls.check_hidden([8, 16, 32, 24]) == [8, 16, 32, 24]
    with pytest.raises(OcrError, match="three conv widths"):
        cls.check_hidden([8, 16])
    r = run("cnn", toy_mix(toy), tmp_path / "a", hidden=[8, 16, 32, 24], epochs=1, lr=3e-3, batch_size=16,
            threads=1, augment=False, progress=False)
    assert load_recognizer(r.model_path).arch()["channels"] == [8, 16, 32]
    meta = json.loads(r.model_path.with_suffix(".json").read_text())
    assert meta["arch"] == {"channels": [8, 16, 32], "hidden": 24, "dropout": 0.3}
    again = initial_recognizer(TrainConfig(model="cnn", out=tmp_path / "b", hidden=[8, 16, 32, 24],
                                           init_from=r.model_path))
    assert again.arch()["hidden"] == 24
    with pytest.raises(OcrError, match="differs"):
        initial_recognizer(TrainConfig(model="cnn", out=tmp_path / "c", hidden=[8, 16, 64, 24],
                                       init_from=r.model_path))

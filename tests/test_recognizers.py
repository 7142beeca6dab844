"""The recognizer interface: round trips through files, mlp/fc equivalence, clear load errors."""
import json

import numpy as np
import pytest
from click.testing import CliRunner

from ocr_cli.charset import CLASSES
from ocr_cli.cli import cli
from ocr_cli.errors import OcrError
from ocr_cli.recognizers import REGISTRY, get_recognizer_class, load_recognizer

KINDS = ["mlp", "fc", "cnn"]


@pytest.fixture
def X():
    return np.random.default_rng(0).random((16, 32, 32), dtype=np.float32)


def trained_looking(name):
    """A recognizer with non-default weights, so a load that silently kept the init would show."""
    rec = get_recognizer_class(name)(CLASSES)
    if name == "mlp":
        for p in rec.model.params.values():
            p += np.random.default_rng(1).normal(0, 0.1, p.shape).astype(p.dtype)
    else:
        import torch

        torch.manual_seed(1)
        with torch.no_grad():
            for p in rec.net.parameters():
                p.add_(torch.randn_like(p) * 0.1)
            for m in rec.net.modules():  # move BatchNorm statistics away from (0, 1) too
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.running_mean.uniform_(-0.5, 0.5)
                    m.running_var.uniform_(0.5, 2.0)
    return rec


@pytest.mark.parametrize("name", KINDS)
def test_save_load_gives_identical_predictions(name, X, tmp_path):
    rec = trained_looking(name)
    path = rec.save(tmp_path / name, {"command": "test"})
    assert path.suffix == rec.weights_suffix and path.with_suffix(".json").is_file()
    loaded = load_recognizer(path)
    assert loaded.name == name and loaded.classes == CLASSES and loaded.info["command"] == "test"
    p = rec.predict_proba(X)
    assert p.shape == (16, 36)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(loaded.predict_proba(X), p)
    # loading through the sidecar path works the same
    np.testing.assert_array_equal(load_recognizer(path.with_suffix(".json")).predict_proba(X), p)


@pytest.mark.parametrize("name", ["fc", "cnn"])
def test_torch_predict_is_deterministic_eval_mode(name, X):
    """Dropout/BatchNorm must run in eval mode inside predict_proba, even if the net was left training."""
    rec = trained_looking(name)
    rec.net.train()
    a, b = rec.predict_proba(X), rec.predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert rec.net.training  # the caller's mode is restored
    single = rec.predict_proba(X[:1])
    np.testing.assert_allclose(single[0], a[0], rtol=1e-4, atol=1e-6)  # no batch statistics used


@pytest.mark.parametrize("hidden,activation", [((64,), "sigmoid"), ((32, 16), "tanh"), ((20,), "relu")])
def test_mlp_and_fc_agree_with_same_weights(hidden, activation, X):
    mlp = get_recognizer_class("mlp")(CLASSES, hidden=hidden, activation=activation, seed=3)
    fc = get_recognizer_class("fc")(CLASSES, hidden=hidden, activation=activation)
    assert not np.allclose(mlp.predict_proba(X), fc.predict_proba(X), atol=1e-3)  # different inits
    fc.set_layers(mlp.get_layers())
    np.testing.assert_allclose(fc.predict_proba(X), mlp.predict_proba(X), atol=1e-5)
    for (Wa, ba), (Wb, bb) in zip(mlp.get_layers(), fc.get_layers()):
        np.testing.assert_allclose(Wa, Wb, atol=1e-7)
        np.testing.assert_allclose(ba, bb, atol=1e-7)


def test_registry_names_match_classes():
    for name in KINDS:
        assert name in REGISTRY
        assert get_recognizer_class(name).name == name
    with pytest.raises(OcrError, match="unknown model"):
        get_recognizer_class("nope")


def one_line_error(fn):
    with pytest.raises(OcrError) as e:
        fn()
    msg = str(e.value)
    assert "\n" not in msg and len(msg) < 300, msg
    return msg


@pytest.mark.parametrize("name", KINDS)
def test_missing_corrupt_and_mismatched_files_fail_in_one_line(name, tmp_path):
    from ocr_cli.recognizers.base import write_model_file

    rec = get_recognizer_class(name)(CLASSES)
    path = rec.save(tmp_path / name)
    assert "no such" in one_line_error(lambda: load_recognizer(tmp_path / f"absent{path.suffix}"))

    # weights file missing next to a valid sidecar copy
    path.with_suffix(".json").rename(tmp_path / "lonely.json")
    assert "no such model file" in one_line_error(lambda: load_recognizer(tmp_path / "lonely.json"))
    # the weights file alone is the whole model: its sidecar is inside
    assert load_recognizer(path).info["arch"] == rec.arch()
    (tmp_path / "lonely.json").rename(path.with_suffix(".json"))

    # the sidecar inside declares another architecture than the weights hold (a crafted or swapped file)
    meta = json.loads(path.with_suffix(".json").read_text())
    meta["arch"]["hidden"] = [48] if name != "cnn" else 48
    swapped = write_model_file(path, tmp_path / f"swapped{path.suffix}", meta)
    assert swapped.name in one_line_error(lambda: load_recognizer(swapped))

    # a copy that does not describe its weights file: asked for by the copy, an error; by the weights, a warning
    path.with_suffix(".json").write_text(json.dumps(meta))
    assert "does not describe" in one_line_error(lambda: load_recognizer(path.with_suffix(".json")))
    from ocr_cli.errors import OcrWarning

    with pytest.warns(OcrWarning, match="does not describe"):
        assert load_recognizer(path).arch() == rec.arch()

    # corrupt weights and a corrupt sidecar copy
    rec.save(tmp_path / name)
    path.with_suffix(".json").write_text("{not json")
    assert "JSON" in one_line_error(lambda: load_recognizer(path.with_suffix(".json")))
    path.write_bytes(b"\x00garbage" * 10)
    one_line_error(lambda: load_recognizer(path))


def test_sidecar_of_another_kind_fails_clearly(tmp_path):
    from ocr_cli.recognizers.base import write_model_file

    path = get_recognizer_class("fc")(CLASSES).save(tmp_path / "m")
    meta = json.loads(path.with_suffix(".json").read_text())
    meta["model"] = "cnn"  # fc weights under a cnn sidecar
    msg = one_line_error(lambda: load_recognizer(write_model_file(path, tmp_path / "other.pt", meta)))
    assert "cnn" in msg


def test_cli_reports_a_corrupt_model_in_one_line(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a model")
    get_recognizer_class("cnn")(CLASSES).save(tmp_path / "bad")
    bad.write_bytes(b"not a model")  # the sidecar is fine, the weights are not
    result = CliRunner().invoke(cli, ["train", "--model", "cnn", "--dataset", "synthetic", "--init-from", str(bad),
                                      "--out", str(tmp_path / "run")])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "bad.pt" in lines[0], result.output

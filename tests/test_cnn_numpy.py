"""The torch-free cnn used by the page commands gives the torch model's probabilities."""
import numpy as np
import pytest
import torch

from ocr_cli.charset import CLASSES
from ocr_cli.recognizers import default_model_path, load_recognizer
from ocr_cli.recognizers.cnn_numpy import NumpyCNN, load_numpy_cnn, read_state_dict
from ocr_cli.recognizers.torch_nets import CNNRecognizer


def test_numpy_twin_matches_torch_with_trained_looking_batchnorm(tmp_path):
    torch.manual_seed(0)
    rec = CNNRecognizer(CLASSES)
    with torch.no_grad():  # non-trivial running statistics, so folding BatchNorm is really tested
        for m in rec.net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    path = rec.save(tmp_path / "cnn.pt")
    state = read_state_dict(path)
    assert set(state) == set(rec.net.state_dict())
    X = np.random.default_rng(0).random((7, 32, 32)).astype(np.float32)
    fast = load_numpy_cnn(path)
    assert isinstance(fast, NumpyCNN)
    assert np.allclose(fast.predict_proba(X), rec.predict_proba(X), atol=1e-5)


def test_other_models_fall_back_and_bad_files_fail_like_the_torch_loader(tmp_path):
    from ocr_cli.errors import OcrError
    from ocr_cli.recognizers.torch_nets import FCRecognizer

    assert load_numpy_cnn(FCRecognizer(CLASSES).save(tmp_path / "fc.pt")) is None
    (tmp_path / "bad.pt").write_bytes(b"not a zip")
    (tmp_path / "bad.json").write_text('{"model": "cnn", "classes": "AB"}')
    for path in (tmp_path / "bad.pt", tmp_path / "missing.pt"):  # no detour through torch to find out
        with pytest.raises(OcrError) as fast:
            load_numpy_cnn(path)
        with pytest.raises(OcrError) as slow:
            load_recognizer(path)
        assert str(fast.value) == str(slow.value)


def test_shipped_cnn_twin_agrees():
    path = default_model_path("cnn")
    if not path.is_file():
        pytest.skip("no shipped cnn")
    X = np.random.default_rng(1).random((5, 32, 32)).astype(np.float32)
    assert np.allclose(load_numpy_cnn(path).predict_proba(X), load_recognizer(path).predict_proba(X), atol=1e-5)


def test_load_for_inference_takes_the_registered_twin_where_there_is_one(tmp_path):
    from ocr_cli.recognizers.torch_nets import FCRecognizer

    assert isinstance(load_recognizer(CNNRecognizer(CLASSES).save(tmp_path / "cnn.pt"), inference=True), NumpyCNN)
    assert isinstance(load_recognizer(FCRecognizer(CLASSES).save(tmp_path / "fc.pt"), inference=True), FCRecognizer)
    narrow = CNNRecognizer(CLASSES, channels=(8, 16, 32), hidden=16).save(tmp_path / "small.pt")
    assert isinstance(load_recognizer(narrow, inference=True), NumpyCNN)  # any architecture of the cnn

"""The ``squeezenet`` recognizer: shapes, ImageNet-weight loading from a local file, save/load.

No ImageNet weights can be downloaded here, so the loading path is tested with a state dict
written from a randomly initialised torchvision ``squeezenet1_1``; the network is blocked.
"""
import socket

import numpy as np
import pytest

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")

from ocr_cli.charset import CLASSES  # noqa: E402
from ocr_cli.errors import OcrError  # noqa: E402
from ocr_cli.recognizers import get_recognizer_class, load_recognizer  # noqa: E402


@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch):
    """Point TORCH_HOME at a temp dir and make any connection attempt fail loudly."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))

    def refuse(*args, **kwargs):
        raise OSError("network disabled in tests")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    torch.manual_seed(0)


@pytest.fixture
def imagenet_file(tmp_path):
    """A torchvision squeezenet1_1 state dict (random weights) in the format torchvision ships."""
    net = torchvision.models.squeezenet1_1(weights=None)
    path = tmp_path / "squeezenet1_1-random.pth"
    torch.save(net.state_dict(), path)
    return path, net.state_dict()


def glyphs(n=5):
    X = np.zeros((n, 32, 32), np.float32)
    for i in range(n):
        X[i, 4:28, 6 + 3 * i:9 + 3 * i] = 1.0
    return X


def test_registered_and_outputs_probabilities():
    rec = get_recognizer_class("squeezenet")(CLASSES)
    p = rec.predict_proba(glyphs())
    assert p.shape == (5, 36)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    assert rec.predict_proba(glyphs(0)).shape == (0, 36)


def test_loads_imagenet_features_from_local_file(imagenet_file):
    path, ref = imagenet_file
    rec = get_recognizer_class("squeezenet")(CLASSES)
    head_before = rec.net.classifier[1].weight.detach().clone()
    rec.load_imagenet(path)
    stem = rec.net.features[0].weight
    assert stem.shape == (64, 1, 3, 3)
    torch.testing.assert_close(stem, ref["features.0.weight"].sum(dim=1, keepdim=True))
    torch.testing.assert_close(rec.net.features[12].expand3x3.weight, ref["features.12.expand3x3.weight"])
    # the 1000-way ImageNet head is not used: ours keeps its 36 outputs and its own init
    assert rec.net.classifier[1].weight.shape == (36, 512, 1, 1)
    torch.testing.assert_close(rec.net.classifier[1].weight, head_before)
    assert not (path.parent / "torch_home").exists()  # nothing was downloaded or cached


def test_summed_stem_equals_grey_repeated_into_rgb(imagenet_file):
    """Summing the RGB filters must compute what the original net computes on a grey image."""
    path, ref = imagenet_file
    rec = get_recognizer_class("squeezenet")(CLASSES)
    rec.load_imagenet(path)
    x = torch.rand(2, 1, 64, 64)
    rgb_conv = torch.nn.functional.conv2d(x.repeat(1, 3, 1, 1), ref["features.0.weight"], ref["features.0.bias"], stride=2)
    torch.testing.assert_close(rec.net.features[0](x), rgb_conv, rtol=1e-4, atol=1e-5)


def test_bad_pretrained_files_give_one_line_errors(tmp_path):
    rec = get_recognizer_class("squeezenet")(CLASSES)
    with pytest.raises(OcrError, match="no such"):
        rec.load_imagenet(tmp_path / "missing.pth")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a torch file")
    with pytest.raises(OcrError, match="not a torch weights file"):
        rec.load_imagenet(junk)
    other = tmp_path / "resnet-like.pth"
    torch.save({"conv1.weight": torch.zeros(1)}, other)
    with pytest.raises(OcrError, match="not a squeezenet1_1"):
        rec.load_imagenet(other)
    wrong = tmp_path / "squeezenet1_0.pth"
    torch.save(torchvision.models.squeezenet1_0(weights=None).state_dict(), wrong)
    with pytest.raises(OcrError, match="do not fit"):
        rec.load_imagenet(wrong)


def test_download_offline_is_a_clear_error():
    rec = get_recognizer_class("squeezenet")(CLASSES)
    with pytest.raises(OcrError, match="--pretrained PATH"):
        rec.load_imagenet(None)


def test_save_load_roundtrip(tmp_path, imagenet_file):
    rec = get_recognizer_class("squeezenet")(CLASSES[:26], input_size=48)
    rec.load_imagenet(imagenet_file[0])
    saved = rec.save(tmp_path / "sq", info={"note": "test"})
    back = load_recognizer(saved)
    assert back.classes == CLASSES[:26] and back.net.input_size == 48
    np.testing.assert_allclose(back.predict_proba(glyphs()), rec.predict_proba(glyphs()), rtol=1e-5, atol=1e-6)

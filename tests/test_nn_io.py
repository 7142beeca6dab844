"""Saving and loading NumPy models: round trip, and clear errors for bad files."""
import numpy as np
import pytest

from ocr_cli.errors import OcrError
from ocr_cli.nn import build_mlp, load_model, load_params, save_model


def test_round_trip_keeps_weights_and_metadata(tmp_path):
    model = build_mlp((20, 8, 5), hidden="tanh", seed=3)
    path = save_model(model, tmp_path / "m.npz", classes="ABCDE", extra={"epochs": 7})
    loaded, meta = load_model(path)
    assert meta["classes"] == "ABCDE" and meta["epochs"] == 7 and meta["sizes"] == [20, 8, 5]
    assert meta["hidden"] == "tanh" and meta["output"] == "linear"
    X = np.random.default_rng(0).standard_normal((3, 20))
    np.testing.assert_array_equal(loaded.forward(X), model.forward(X))
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]  # no temporary files left behind


def test_load_params_into_an_existing_model(tmp_path):
    src, dst = build_mlp((10, 4, 3), seed=1), build_mlp((10, 4, 3), seed=2)
    save_model(src, tmp_path / "m.npz")
    load_params(dst, tmp_path / "m.npz")
    for name, p in src.params.items():
        np.testing.assert_array_equal(dst.params[name], p)


def test_missing_corrupt_and_mismatched_files_fail_clearly(tmp_path):
    with pytest.raises(OcrError, match="no such model file"):
        load_model(tmp_path / "absent.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"this is not a zip file")
    with pytest.raises(OcrError, match="not a readable model file"):
        load_model(bad)
    plain = tmp_path / "plain.npz"
    np.savez(plain, W=np.zeros(3))
    with pytest.raises(OcrError, match="no metadata"):
        load_model(plain)
    save_model(build_mlp((10, 4, 3)), tmp_path / "small.npz")
    with pytest.raises(OcrError, match="layer sizes"):
        load_params(build_mlp((10, 5, 3)), tmp_path / "small.npz")
    with pytest.raises(OcrError, match="shape"):
        build_mlp((10, 5, 3)).set_params(build_mlp((10, 4, 3)).params)


def test_unknown_activation_or_init_is_a_user_error():
    with pytest.raises(OcrError, match="activation"):
        build_mlp((4, 2), hidden="swish")
    with pytest.raises(OcrError, match="init"):
        build_mlp((4, 2), init="ones")

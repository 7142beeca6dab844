"""Compression (issue 6): PSNR, PCA by SVD, the NumPy autoencoder, and the ocr compress commands."""
import json

import numpy as np
import pytest
from click.testing import CliRunner

from ocr_cli.cli import cli
from ocr_cli.compress import PCA, Autoencoder, load_codec, mean_psnr, psnr
from ocr_cli.compress.experiments import pick_examples
from ocr_cli.errors import OcrError
from ocr_cli.nn import SquaredError, check_model


def test_psnr_of_identical_images_is_infinite_without_warnings():
    x = np.random.default_rng(0).uniform(size=(32, 32))
    with np.errstate(all="raise"):
        assert psnr(x, x.copy()) == np.inf
        assert mean_psnr(np.stack([x, x]), np.stack([x, x])) == np.inf


@pytest.mark.parametrize("shape", [(32, 32), (5, 7), (100,)])
@pytest.mark.parametrize("data_range", [1.0, 255.0])
def test_psnr_matches_scikit_image(shape, data_range):
    from skimage.metrics import peak_signal_noise_ratio

    rng = np.random.default_rng(1)
    a = rng.uniform(0, data_range, shape)
    b = np.clip(a + rng.normal(0, 0.1 * data_range, shape), 0, data_range)
    assert psnr(a, b, data_range) == pytest.approx(peak_signal_noise_ratio(a, b, data_range=data_range), rel=1e-12)
    if data_range == 1.0:  # skimage's default range for non-negative float images is also 1
        assert psnr(a, b) == pytest.approx(peak_signal_noise_ratio(a, b), rel=1e-12)


def test_mean_psnr_averages_per_image_values():
    rng = np.random.default_rng(2)
    X, R = rng.uniform(size=(3, 32, 32)), rng.uniform(size=(3, 32, 32))
    assert mean_psnr(X, R) == pytest.approx(np.mean([psnr(x, r) for x, r in zip(X, R)]))


@pytest.mark.parametrize("center", [False, True])
def test_pca_with_all_components_is_exact(center):
    rng = np.random.default_rng(3)
    X_train, X_new = rng.uniform(size=(1030, 32, 32)), rng.uniform(size=(4, 32, 32))
    pca = PCA(1024, center=center).fit(X_train)
    np.testing.assert_allclose(pca.reconstruct(X_new), X_new, atol=1e-10)
    assert mean_psnr(X_new, pca.reconstruct(X_new)) > 150


def test_pca_with_as_many_components_as_the_data_rank_reproduces_training_images():
    rng = np.random.default_rng(4)
    X = (rng.uniform(size=(50, 6)) @ rng.uniform(size=(6, 1024))).reshape(50, 32, 32)
    np.testing.assert_allclose(PCA(6).fit(X).reconstruct(X), X, atol=1e-10)
    assert mean_psnr(X, PCA(5).fit(X).reconstruct(X)) < 100  # one component short is lossy


def test_pca_projection_size_rank_and_params():
    X = np.random.default_rng(5).uniform(size=(200, 32, 32))
    plain, centred = PCA(32).fit(X), PCA(32, center=True).fit(X)
    assert plain.components.shape == (32, 1024) and plain.rank() == 32
    np.testing.assert_allclose(plain.components @ plain.components.T, np.eye(32), atol=1e-10)
    assert plain.n_params() == 32 * 1024 == 32_768  # the seed's PCA count
    assert centred.n_params() == 32_768 + 1024
    assert np.allclose(plain.mean, 0) and not np.allclose(centred.mean, 0)
    with pytest.raises(OcrError, match="rank bound"):
        PCA(300).fit(X)


def test_autoencoder_architecture_and_seed_parameter_count():
    ae = Autoencoder(32)
    assert ae.model.meta["sizes"] == [1024, 32, 32, 32, 1024]
    assert [type(layer).__name__ for layer in ae.model.layers] == ["Linear", "ReLU"] * 3 + ["Linear", "Sigmoid"]
    assert ae.n_params() == 68_704  # the seed's autoencoder count


def test_autoencoder_gradient_check():
    """The full 1024-wide autoencoder (code size 4 to keep 9k parameters cheap), every parameter.

    Biases get small random values: with zero biases a narrow layer whose ReLUs are all off
    feeds the next one exactly 0, a kink where central differences are meaningless."""
    ae = Autoencoder(4, seed=1, dtype=np.float64)
    rng = np.random.default_rng(6)
    for name, p in ae.model.params.items():
        if name.endswith(".b"):
            p[...] = rng.uniform(0.05, 0.2, p.shape)
    X = rng.uniform(size=(3, 1024))
    errors = check_model(ae.model, SquaredError(), X, X)
    assert len(errors) == 9 and max(errors.values()) < 1e-6, errors


def test_autoencoder_training_lowers_the_loss_and_round_trips(tmp_path):
    X = np.random.default_rng(7).uniform(size=(72, 32, 32)) ** 4
    ae = Autoencoder(8, epochs=6, lr=1e-4).fit(X, X[:10])
    losses = [h["loss"] for h in ae.history]
    assert len(losses) == 6 and losses[-1] < losses[0] and "val_loss" in ae.history[0]
    loaded = load_codec(ae.save(tmp_path / "ae.npz"))
    assert isinstance(loaded, Autoencoder) and loaded.code_size == 8 and loaded.train["lr"] == 1e-4
    np.testing.assert_array_equal(loaded.reconstruct(X[:3]), ae.reconstruct(X[:3]))


def test_pca_round_trip_and_bad_files(tmp_path):
    X = np.random.default_rng(8).uniform(size=(40, 32, 32))
    pca = PCA(10, center=True).fit(X)
    loaded = load_codec(pca.save(tmp_path / "pca.npz"))
    assert isinstance(loaded, PCA) and loaded.center
    np.testing.assert_array_equal(loaded.reconstruct(X[:2]), pca.reconstruct(X[:2]))
    with pytest.raises(OcrError, match="no such model file"):
        load_codec(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(OcrError, match="not a readable"):
        load_codec(tmp_path / "junk.npz")


def test_reconstruction_figure_picks_five_classes_two_images_each():
    y = np.repeat(np.arange(26), 3)
    groups = pick_examples(y)
    assert len(groups) == 5 and all(len(g) == 2 and len(set(y[g])) == 1 for g in groups)
    assert len({y[g[0]] for g in groups}) == 5
    assert [len(g) for g in pick_examples(np.arange(3))] == [1, 1, 1]  # no class has two images


@pytest.fixture
def small_synthetic(monkeypatch):
    """Keep the synthetic held-out set tiny so the command tests stay fast."""
    monkeypatch.setattr("ocr_cli.data.mix.SYNTHETIC_HELDOUT", 30)


def test_compress_commands_on_synthetic_data(tmp_path, small_synthetic):
    run = CliRunner().invoke
    common = ["--dataset", "synthetic", "--synthetic", "60", "--out", str(tmp_path)]
    r = run(cli, ["compress", "train", "--method", "pca", "--code-size", "8", *common])
    assert r.exit_code == 0, r.output
    assert "projection 8×1024, rank 8" in r.output and "synthetic held-out set (30)" in r.output
    r = run(cli, ["compress", "train", "--method", "autoencoder", "--code-size", "8", "--epochs", "2", *common])
    assert r.exit_code == 0, r.output
    for name in ("pca.npz", "pca.json", "pca_reconstructions.png", "autoencoder.npz", "autoencoder_loss.png",
                 "autoencoder_reconstructions.png"):
        assert (tmp_path / name).is_file(), name
    report = json.loads((tmp_path / "autoencoder.json").read_text())
    assert report["n_params"] == 1024 * 8 + 8 + 2 * (8 * 8 + 8) + 8 * 1024 + 1024 and np.isfinite(report["psnr_db"])
    r = run(cli, ["compress", "eval", "--method", "autoencoder", "--dataset", "synthetic", "--out", str(tmp_path)])
    assert r.exit_code == 0 and f"{report['psnr_db']:.2f} dB" in r.output, r.output
    r = run(cli, ["compress", "compare", "--code-sizes", "4,8", "--epochs", "1", *common])
    assert r.exit_code == 0, r.output
    assert "PCA centred dB" in r.output and (tmp_path / "compare_psnr.png").is_file()
    assert len(json.loads((tmp_path / "compare.json").read_text())["rows"]) == 2


def test_compress_errors_are_one_line(tmp_path, small_synthetic):
    r = CliRunner().invoke(cli, ["compress", "eval", "--method", "pca", "--dataset", "synthetic", "--out", str(tmp_path)])
    assert r.exit_code == 1 and "no such model file" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(cli, ["compress", "compare", "--dataset", "synthetic", "--code-sizes", "8,x"])
    assert r.exit_code == 2


def test_compress_on_real_nist_letters(tmp_path, nist26_valid):
    r = CliRunner().invoke(cli, ["compress", "train", "--method", "pca", "--dataset", f"nist26:{nist26_valid}",
                                 "--augment", "0", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "nist26 training part (910)" in r.output and "nist26 held-out 30% (390)" in r.output
    report = json.loads((tmp_path / "pca.json").read_text())
    assert 13 < report["psnr_db"] < 20 and report["n_params"] == 32_768

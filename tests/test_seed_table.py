"""benchmarks/seed_table.py on tiny files in the seed's real formats (course .mat, IDX .gz)."""
import gzip
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from ocr_cli.charset import CLASSES
from ocr_cli.data.synthetic import generate

spec = importlib.util.spec_from_file_location("seed_table", Path(__file__).resolve().parents[1] / "benchmarks" / "seed_table.py")
seed_table = importlib.util.module_from_spec(spec)
spec.loader.exec_module(seed_table)


def write_nist36(path: Path, split: str, X, y):
    """The course layout: rows flattened in MATLAB column order, ink dark on light, one-hot labels."""
    import scipy.io

    data = (1.0 - X).reshape(len(X), -1, order="F")  # inverse of the loader's reshape(order="F")
    labels = np.eye(36)[y]
    scipy.io.savemat(path / f"nist36_{split}.mat", {f"{split}_data": data, f"{split}_labels": labels})


def write_idx(path: Path, images: np.ndarray, labels: np.ndarray, prefix: str, transpose: bool):
    """IDX files as MNIST/EMNIST ship them: gzip, big-endian header, white ink on black, 28×28."""
    path.mkdir(parents=True, exist_ok=True)
    imgs = (images[:, 2:30, 2:30] * 255).astype(np.uint8)
    if transpose:  # EMNIST stores each image transposed
        imgs = imgs.transpose(0, 2, 1)
    with gzip.open(path / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + np.array(imgs.shape, ">u4").tobytes() + imgs.tobytes())
    with gzip.open(path / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + np.array([len(labels)], ">u4").tobytes() + labels.astype(np.uint8).tobytes())


@pytest.fixture(scope="module")
def seed_data(tmp_path_factory):
    d = tmp_path_factory.mktemp("seed_data")
    X, y = generate(36 * 6, seed=11)
    Xt, yt = generate(36 * 2, seed=12)
    write_nist36(d, "train", X, y)
    write_nist36(d, "test", Xt, yt)
    digits, dt = y >= 26, yt >= 26
    write_idx(d / "MNIST" / "raw", X[digits], y[digits] - 26, "train", transpose=False)
    write_idx(d / "MNIST" / "raw", Xt[dt], yt[dt] - 26, "t10k", transpose=False)
    # EMNIST balanced labels: 0-9 digits, 10-35 capitals (then lower case, unused here)
    eb = np.where(y >= 26, y - 26, y + 10)
    ebt = np.where(yt >= 26, yt - 26, yt + 10)
    write_idx(d / "EMNIST" / "raw", X, eb, "emnist-balanced-train", transpose=True)
    write_idx(d / "EMNIST" / "raw", Xt, ebt, "emnist-balanced-test", transpose=True)
    return d


def test_every_seed_row_runs_on_tiny_real_format_files(seed_data, tmp_path):
    for _, dataset, _, _ in seed_table.SEED_ROWS:
        assert seed_table.data_present(dataset, seed_data), dataset
    rows = seed_table.table(seed_data, epochs=1, out=tmp_path, log=lambda s: None, ours_only=())
    seed_rows = rows[:len(seed_table.SEED_ROWS)]
    for r in seed_rows:
        assert r["acc"] is not None and 0.0 <= r["acc"] <= 1.0, r
    by = {(r["model"], r["data"]): r for r in seed_rows}
    assert by[("mlp", "nist36")]["n_train"] == 36 * 6 and by[("mlp", "nist36")]["n_test"] == 72
    assert by[("cnn", "mnist")]["n_train"] == 60  # the digit classes only
    assert by[("cnn", "emnist-balanced")]["n_test"] == 72
    assert "%" in seed_table.format_row(seed_rows[0])


def test_loaders_give_the_samples_back_upright(seed_data):
    """The formats written above must round-trip: an upright F stays an upright F."""
    from ocr_cli.data import load_dataset

    X, y, _ = load_dataset("nist36", "train", data_dir=seed_data)
    ref, ry = generate(36 * 6, seed=11)
    np.testing.assert_array_equal(y, ry)
    np.testing.assert_allclose(X, ref, atol=1e-6)
    Xe, ye, _ = load_dataset("emnist-balanced", "test", data_dir=seed_data)
    _, yt = generate(36 * 2, seed=12)
    np.testing.assert_array_equal(np.sort(ye), np.sort(yt))
    f = CLASSES.index("F")
    i = int(np.flatnonzero(ye == f)[0])
    top, bottom = Xe[i, :16].sum(), Xe[i, 16:].sum()
    assert top > bottom  # F has more ink in its upper half: not flipped


def test_absent_data_is_marked(tmp_path):
    empty = tmp_path / "none"
    empty.mkdir()
    rows = seed_table.table(empty, epochs=1, out=tmp_path / "out", log=lambda s: None, ours_only=())
    seed_rows = rows[:len(seed_table.SEED_ROWS)]
    assert all(r["acc"] is None for r in seed_rows)
    assert "data absent" in seed_table.format_row(seed_rows[0])


def test_the_mnist_row_on_the_real_test_set_scores_the_shipped_cnn(tmp_path):
    import gzip

    d = tmp_path / "mnist"
    d.mkdir()
    from test_data_loaders import draw

    images = np.repeat((draw("7") * 255).astype(np.uint8)[None], 4, axis=0)  # four upright 7s (no letter twin)
    for name, arr in (("t10k-images-idx3-ubyte.gz", images), ("t10k-labels-idx1-ubyte.gz", np.full(4, 7, np.uint8))):
        header = bytes([0, 0, 0x08, arr.ndim]) + np.array(arr.shape, ">u4").tobytes()
        with gzip.open(d / name, "wb") as f:
            f.write(header + arr.tobytes())
    row = seed_table.shipped_mnist_row(tmp_path)
    assert row["n_test"] == 4 and row["acc"] == 1.0 and row["seed"] == 0.978
    assert seed_table.shipped_mnist_row(tmp_path / "mnist" / "none") is None

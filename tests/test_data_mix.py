"""The data mix of a training run: the fixed held-out split and repeats per source."""
import numpy as np
import pytest

from ocr_cli.data.mix import DataMix, Source, heldout_mask, load_source
from ocr_cli.data.synthetic import generate
from ocr_cli.errors import OcrError


@pytest.fixture(scope="module")
def toy():
    """A small balanced synthetic problem: 20 training and 5 held-out samples per class."""
    X, y = generate(36 * 25, seed=7)
    held = heldout_mask(y, fraction=0.2)
    return X[~held], y[~held], X[held], y[held]


def test_heldout_split_is_fixed_stratified_and_independent_of_seed():
    y = np.repeat(np.arange(26), 50)
    np.random.default_rng(0).shuffle(y)
    a, b = heldout_mask(y), heldout_mask(y.copy())
    np.testing.assert_array_equal(a, b)  # no seed argument: the same labels give the same split
    for c in range(26):
        assert a[y == c].sum() == 15  # 30% of each class
    assert 0.29 < a.mean() < 0.31
    # a different file (other label order) gets its own, still stratified split
    y2 = np.roll(y, 7)
    assert all(heldout_mask(y2)[y2 == c].sum() == 15 for c in range(26))


def test_repeat_counts_per_source(toy):
    Xt, yt, Xh, yh = toy
    once = Source("a", (Xt, yt), (Xh, yh))
    thrice = Source("b", (Xt, yt), (Xh, yh), repeat=3)
    mix = DataMix([once, thrice], [once], repeat_real=2)
    X, y = mix.epoch(1)
    assert len(y) == mix.epoch_size() == (2 + 3) * len(yt)
    assert mix.describe()["train"][1]["samples_per_epoch"] == 3 * len(yt)
    with pytest.raises(OcrError, match="positive integer"):
        load_source("mnist5k*x")

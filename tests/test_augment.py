"""The training-time warps: the identity leaves a sample alone, the elastic warp moves ink by its size."""
import numpy as np
import pytest

from ocr_cli.data.augment import augment, random_affine

STILL = dict(rotate=0.0, shear=0.0, scale=0.0, shift=0.0)


def dots(n: int = 200) -> np.ndarray:
    """Small square dots at the centre: where each one lands is how far the warp moved it."""
    X = np.zeros((n, 32, 32), np.float32)
    X[:, 15:17, 15:17] = 1.0
    return X


def centroids(X: np.ndarray) -> np.ndarray:
    r, c = np.mgrid[0:32, 0:32]
    m = X.sum(axis=(1, 2))
    return np.stack([(X * r).sum(axis=(1, 2)) / m, (X * c).sum(axis=(1, 2)) / m], 1)


def test_the_identity_warp_leaves_samples_alone():
    X = np.random.default_rng(0).random((5, 32, 32)).astype(np.float32)
    np.testing.assert_allclose(random_affine(X, np.random.default_rng(1), **STILL), X, atol=1e-6)


@pytest.mark.parametrize("size", [0.75, 1.5])
def test_the_elastic_warp_moves_ink_by_about_its_size(size):
    X = dots()
    moved = centroids(random_affine(X, np.random.default_rng(2), elastic=size, **STILL)) - centroids(X)
    rms = float(np.sqrt((moved ** 2).sum(axis=1).mean()))
    assert 0.6 * size < rms < 1.6 * size  # a smooth field moves a small dot as a whole


def test_elastic_augmentation_keeps_the_letter():
    X = np.zeros((64, 32, 32), np.float32)
    X[:, 4:28, 14:18] = 1.0  # a bar
    out = augment(X, np.random.default_rng(3), elastic=1.5)
    assert out.shape == X.shape and out.min() >= 0 and out.max() <= 1
    kept = out.sum(axis=(1, 2)) / X.sum(axis=(1, 2))
    assert np.all(kept > 0.4) and np.all(kept < 2.5)  # warped, thinned or thickened, never wiped out
    assert np.abs(out - X).mean() > 0.01

"""The training-time augmentation: the identity warp leaves a sample alone; a warped letter stays a letter."""
import numpy as np

from ocr_cli.data.augment import augment, random_affine


def test_the_identity_warp_leaves_samples_alone():
    X = np.random.default_rng(0).random((5, 32, 32)).astype(np.float32)
    still = random_affine(X, np.random.default_rng(1), rotate=0.0, shear=0.0, scale=0.0, shift=0.0)
    np.testing.assert_allclose(still, X, atol=1e-6)


def test_augmentation_keeps_the_letter():
    X = np.zeros((64, 32, 32), np.float32)
    X[:, 4:28, 14:18] = 1.0  # a bar
    out = augment(X, np.random.default_rng(3))
    assert out.shape == X.shape and out.min() >= 0 and out.max() <= 1
    kept = out.sum(axis=(1, 2)) / X.sum(axis=(1, 2))
    assert np.all(kept > 0.4) and np.all(kept < 2.5)  # warped, thinned or thickened, never wiped out
    assert np.abs(out - X).mean() > 0.01  # and changed
    assert np.abs(out.sum(axis=(1, 2)) - X.sum(axis=(1, 2))).std() > 0  # each sample its own way

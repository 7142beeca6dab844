"""The NumPy image operations of the page pipeline agree with scipy.ndimage."""
import numpy as np
import pytest
from scipy import ndimage as ndi

from ocr_cli.page import morph


@pytest.mark.parametrize("seed", range(12))
def test_label_boxes_and_areas_match_scipy(seed):
    rng = np.random.default_rng(seed)
    mask = rng.random((int(rng.integers(1, 70)), int(rng.integers(1, 70)))) < rng.uniform(0.05, 0.6)
    expected, n = ndi.label(mask, structure=np.ones((3, 3)))
    labels, boxes, areas = morph.label(mask)
    assert np.array_equal(labels, expected) and len(boxes) == n
    for box, sl in zip(boxes, ndi.find_objects(expected)):
        assert tuple(box) == (sl[0].start, sl[0].stop, sl[1].start, sl[1].stop)
    assert np.array_equal(areas, np.bincount(expected.ravel(), minlength=n + 1)[1:])


def test_label_of_empty_and_full_masks():
    labels, boxes, areas = morph.label(np.zeros((5, 7), bool))
    assert labels.max() == 0 and boxes.shape == (0, 4) and areas.size == 0
    labels, boxes, areas = morph.label(np.ones((5, 7), bool))
    assert (labels == 1).all() and boxes.tolist() == [[0, 5, 0, 7]] and areas.tolist() == [35]


@pytest.mark.parametrize("seed", range(4))
def test_filters_match_scipy(seed):
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(3, 40)), int(rng.integers(3, 40)))
    mask, a = rng.random(shape) < 0.4, rng.random(shape).astype(np.float32)
    assert np.array_equal(morph.open2(mask), ndi.binary_opening(mask, structure=np.ones((2, 2))))
    assert np.array_equal(morph.erode(mask), ndi.binary_erosion(mask, structure=np.ones((3, 3))))
    assert np.array_equal(morph.dilate(mask), ndi.binary_dilation(mask, structure=np.ones((3, 3))))
    assert np.allclose(morph.max_filter(a, 5), ndi.maximum_filter(a, 5, mode="nearest"))
    for size in (2, 7, 8, 11):
        assert np.allclose(morph.min_filter(a, size), ndi.minimum_filter(a, size, mode="nearest"))
    assert np.allclose(morph.mean_filter(a, 5), ndi.uniform_filter(a, 5, mode="nearest"), atol=1e-5)
    yy, xx = np.mgrid[-2:3, -2:3]
    disk = ndi.grey_dilation(a, footprint=yy**2 + xx**2 <= 4.5, mode="constant", cval=0.0)
    assert np.allclose(morph.disk_max(a, 2), disk)

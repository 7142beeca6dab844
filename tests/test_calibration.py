"""Temperature scaling and calibration error on data whose calibration is known by construction."""
import numpy as np
import pytest

from ocr_cli.calibration import apply_temperature, calibrated, ece, fit_temperature, plot_reliability, top


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def calibrated_sample(n=20_000, k=10, seed=0):
    """Logits and labels drawn from softmax(logits): these probabilities are calibrated exactly."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 2.5, (n, k))
    p = softmax(z)
    y = (p.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    return z, y


def test_calibrated_probabilities_have_small_ece_and_fit_temperature_one():
    z, y = calibrated_sample()
    p = softmax(z)
    assert ece(*top(p, y)) < 0.015
    assert fit_temperature(p, y) == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("true_t", [0.5, 2.0])
def test_fit_temperature_undoes_over_and_under_confidence(true_t):
    z, y = calibrated_sample(seed=1)
    distorted = softmax(z / true_t)  # T > 1 under-confident, T < 1 over-confident
    t = fit_temperature(distorted, y)
    assert t == pytest.approx(1 / true_t, rel=0.08)
    before, after = ece(*top(distorted, y)), ece(*top(apply_temperature(distorted, t), y))
    assert after < 0.02 < before


def test_temperature_keeps_the_best_class_and_rows_sum_to_one():
    p = softmax(np.random.default_rng(2).normal(0, 3, (50, 36)))
    for t in (0.3, 1.0, 4.0):
        q = apply_temperature(p, t)
        assert (q.argmax(1) == p.argmax(1)).all() and np.allclose(q.sum(1), 1)


def test_calibrated_uses_the_sidecar_temperature():
    class Rec:
        info = {"calibration": {"temperature": 2.0}}

    p = softmax(np.random.default_rng(3).normal(0, 3, (5, 4)))
    assert np.allclose(calibrated(p, Rec()), apply_temperature(p, 2.0))
    Rec.info = {}
    assert np.allclose(calibrated(p, Rec()), p)


def test_reliability_plot_is_written(tmp_path):
    z, y = calibrated_sample(n=2000)
    out = plot_reliability({"raw": top(softmax(z * 2), y), "calibrated": top(softmax(z), y)}, tmp_path / "r.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

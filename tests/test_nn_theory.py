"""Numerical checks of the claims in docs/theory.md (each section there names its test here)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ocr_cli.nn import Linear, Sequential, Sigmoid, SoftmaxCrossEntropy, Tanh, build_mlp, softmax, xavier_uniform
from ocr_cli.nn.gradcheck import numerical_gradient

moderate = st.floats(-50, 50, allow_nan=False)
huge = st.floats(-1e300, 1e300, allow_nan=False)
matrices = st.tuples(st.integers(1, 5), st.integers(1, 8))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_softmax_rows_are_probability_vectors(data):
    Z = data.draw(arrays(np.float64, data.draw(matrices), elements=huge))
    P = softmax(Z)
    assert np.all(np.isfinite(P))
    assert np.all((P >= 0) & (P <= 1))
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_softmax_is_shift_invariant(data):
    shape = data.draw(matrices)
    Z = data.draw(arrays(np.float64, shape, elements=moderate))
    c = data.draw(arrays(np.float64, (shape[0], 1), elements=st.floats(-1e6, 1e6)))
    np.testing.assert_allclose(softmax(Z + c), softmax(Z), atol=1e-9)


def test_softmax_of_huge_inputs_does_not_overflow():
    Z = np.array([[1000.0, 999.0, 0.0], [1e308, -1e308, 1e308], [-1e300, -1e300, -1e300]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # fail on overflow or NaN
        P = softmax(Z)
    np.testing.assert_allclose(P[0], softmax(np.array([[1.0, 0.0, -999.0]]))[0])
    np.testing.assert_allclose(P[1], [0.5, 0.0, 0.5])
    np.testing.assert_allclose(P[2], [1 / 3] * 3)
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(Z[:1]) / np.exp(Z[:1]).sum()
    assert np.isnan(naive).any()  # why the max-shift is needed
    loss = SoftmaxCrossEntropy()
    assert np.isfinite(loss(Z[:1], [2])) and np.all(np.isfinite(loss.backward()))


def test_stacked_linear_layers_collapse_to_one_linear_map():
    rng = np.random.default_rng(0)
    a, b = Linear(6, 9, rng=1), Linear(9, 4, rng=2)
    a.params["b"][:] = rng.standard_normal(9)
    b.params["b"][:] = rng.standard_normal(4)
    X = rng.standard_normal((10, 6))
    W = a.params["W"] @ b.params["W"]
    bias = a.params["b"] @ b.params["W"] + b.params["b"]
    np.testing.assert_allclose(Sequential([a, b]).forward(X), X @ W + bias, atol=1e-12)
    assert np.linalg.matrix_rank(W) <= 4  # no more expressive than a single 6→4 layer


@settings(max_examples=50, deadline=None)
@given(st.floats(-30, 30))
def test_sigmoid_derivative_is_s_times_one_minus_s(x):
    s = Sigmoid()
    X = np.array([[x]])
    y = s.forward(X)[0, 0]
    numeric = numerical_gradient(lambda: Sigmoid().forward(X)[0, 0], X, eps=1e-5)[0, 0]
    assert numeric == pytest.approx(y * (1 - y), abs=1e-9)
    assert s.backward(np.ones((1, 1)))[0, 0] == pytest.approx(y * (1 - y), abs=1e-15)
    assert y * (1 - y) <= 0.25


@settings(max_examples=50, deadline=None)
@given(st.floats(-40, 40))
def test_tanh_is_a_rescaled_sigmoid(x):
    X = np.array([[x]])
    assert Tanh().forward(X)[0, 0] == pytest.approx(2 * Sigmoid().forward(2 * X)[0, 0] - 1, abs=1e-12)


def test_sigmoid_gradients_vanish_in_depth_tanh_gradients_do_not():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((64, 32)), rng.integers(0, 10, 64)
    ratio = {}
    for hidden in ("sigmoid", "tanh"):
        model = build_mlp([32] * 9 + [10], hidden=hidden, seed=0)
        loss = SoftmaxCrossEntropy()
        loss(model.forward(X), y)
        model.backward(loss.backward())
        ratio[hidden] = np.linalg.norm(model.grads["layer0.W"]) / np.linalg.norm(model.grads["layer8.W"])
    assert ratio["sigmoid"] < 1e-3  # σ' ≤ 1/4 per layer: 8 layers shrink it ≥ 4^8-fold
    assert 0.1 < ratio["tanh"] < 10  # tanh' ≤ 1 and = 1 at 0: the signal survives


def test_xavier_variance_and_scale_preservation():
    rng = np.random.default_rng(0)
    W = xavier_uniform(300, 500, rng)
    assert W.var() == pytest.approx(2 / 800, rel=0.03)
    assert abs(W).max() <= np.sqrt(6 / 800)
    # 10 square linear layers: Xavier keeps the activations' variance about constant
    # forward and the gradients' variance backward; unit-variance weights blow both up.
    X = rng.standard_normal((200, 256))
    xavier = Sequential([Linear(256, 256, rng=k) for k in range(10)])
    assert 0.3 < xavier.forward(X).var() < 3
    assert 0.3 < xavier.backward(np.ones((200, 256))).var() < 3
    unit = Sequential([Linear(256, 256, rng=k) for k in range(10)])
    for W in unit.params.values():
        W[...] = rng.standard_normal(W.shape) if W.ndim == 2 else 0
    assert unit.forward(X).var() > 1e20

"""Training behaviour: the symmetry problem of zero init, and that backprop actually learns."""
import numpy as np
import pytest

from ocr_cli.nn import SGD, Momentum, SoftmaxCrossEntropy, accuracy, build_mlp, fit, minibatches, train_epoch


def separable_problem(n_per_class=10, seed=0):
    """36 random binary 32×32 prototypes plus Gaussian noise: separable, but only a net whose
    hidden layer learns reaches full accuracy within a few epochs."""
    rng = np.random.default_rng(seed)
    protos = (rng.uniform(size=(36, 1024)) > 0.5).astype(float)
    y = np.repeat(np.arange(36), n_per_class)
    return protos[y] + rng.standard_normal((len(y), 1024)), y


def train_accuracy(model, epochs=10):
    X, y = separable_problem()
    fit(model, SoftmaxCrossEntropy(), SGD(lr=0.5), X, y, epochs=epochs, batch_size=32, seed=0)
    return accuracy(model.forward(X), y)


def test_1024_64_36_sigmoid_mlp_learns_a_separable_problem():
    assert train_accuracy(build_mlp((1024, 64, 36), hidden="sigmoid", seed=0)) > 0.95


def _frozen_hidden(model):
    """A broken backward pass: the first layer never receives a gradient."""
    first = model.layers[0]

    def backward(dY):
        first.grads["W"][...] = 0
        first.grads["b"][...] = 0
        return dY @ first.params["W"].T

    first.backward = backward


def _flipped_sigmoid(model):
    """A broken backward pass: the sigmoid's derivative has the wrong sign."""
    sig = model.layers[1]
    sig.backward = lambda dY: -dY * sig.Y * (1 - sig.Y)


@pytest.mark.parametrize("sabotage", [_frozen_hidden, _flipped_sigmoid])
def test_the_accuracy_assertion_fails_for_a_broken_backward(sabotage):
    model = build_mlp((1024, 64, 36), hidden="sigmoid", seed=0)
    sabotage(model)
    assert train_accuracy(model) < 0.8


def test_zero_init_keeps_hidden_units_identical_xavier_does_not():
    X, y = separable_problem(n_per_class=3)
    for init in ("zero", "xavier"):
        model = build_mlp((1024, 16, 36), hidden="sigmoid", init=init, seed=0)
        fit(model, SoftmaxCrossEntropy(), SGD(lr=0.5), X, y, epochs=3, seed=0)
        W1, W2 = model.params["layer0.W"], model.params["layer1.W"]
        identical = np.allclose(W1, W1[:, :1]) and np.allclose(W2, W2[:1, :])
        assert identical == (init == "zero"), init
        if init == "zero":
            assert np.abs(W2).max() > 0  # it did train, just all hidden units alike


def test_minibatches_cover_everything_once_and_reshuffle_each_epoch():
    rng = np.random.default_rng(0)
    first = list(minibatches(100, 32, rng))
    second = list(minibatches(100, 32, rng))
    assert [len(b) for b in first] == [32, 32, 32, 4]
    assert sorted(np.concatenate(first)) == list(range(100))
    assert not np.array_equal(np.concatenate(first), np.concatenate(second))
    again = list(minibatches(100, 32, np.random.default_rng(0)))
    assert all(np.array_equal(a, b) for a, b in zip(first, again))  # seedable


def test_sgd_and_momentum_update_rules():
    W = np.array([1.0, 2.0])
    g = np.array([0.5, -1.0])
    SGD(lr=0.1).step({"w": W}, {"w": g})
    np.testing.assert_allclose(W, [0.95, 2.1])
    W, opt = np.zeros(2), Momentum(lr=0.1, momentum=0.9)
    opt.step({"w": W}, {"w": g})  # M = -0.1 g
    opt.step({"w": W}, {"w": g})  # M = 0.9 M - 0.1 g = -0.19 g
    np.testing.assert_allclose(W, -0.29 * g)


def test_train_epoch_lowers_loss_and_float32_works():
    X, y = separable_problem(n_per_class=4)
    model = build_mlp((1024, 32, 36), seed=1, dtype=np.float32)
    opt, loss = Momentum(lr=0.05), SoftmaxCrossEntropy()
    first = train_epoch(model, loss, opt, X, y, rng=0)
    for _ in range(3):
        last = train_epoch(model, loss, opt, X, y, rng=0)
    assert last["loss"] < first["loss"] and 0 <= last["acc"] <= 1
    assert all(p.dtype == np.float32 for p in model.params.values())

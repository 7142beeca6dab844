"""Backprop of every layer, activation, loss and whole networks agrees with central differences."""
import numpy as np
import pytest
from click.testing import CliRunner

from ocr_cli.cli import cli
from ocr_cli.nn import (Identity, Linear, ReLU, Sigmoid, Softmax, SoftmaxCrossEntropy, SquaredError, Tanh,
                        build_mlp, check_layer, check_loss, check_model)

TOL = 1e-6
rng = np.random.default_rng(0)


@pytest.mark.parametrize("layer", [Linear(5, 4, rng=1), Sigmoid(), Tanh(), ReLU(), Identity(), Softmax()],
                         ids=lambda layer: type(layer).__name__)
def test_each_layer_gradients(layer):
    X = rng.standard_normal((6, 5)) * 2
    errors = check_layer(layer, X)
    assert set(errors) == {"input", *layer.params}
    assert max(errors.values()) < TOL, errors


def test_check_layer_catches_a_wrong_derivative():
    class BadSigmoid(Sigmoid):
        def backward(self, dY):  # forgets σ' entirely
            return dY

    assert check_layer(BadSigmoid(), rng.standard_normal((4, 3)))["input"] > 0.1


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("onehot", [False, True])
def test_cross_entropy_gradient(reduction, onehot):
    y = rng.integers(0, 5, size=7)
    target = np.eye(5)[y] if onehot else y
    assert check_loss(SoftmaxCrossEntropy(reduction), rng.standard_normal((7, 5)) * 3, target) < TOL


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_squared_error_gradient(reduction):
    assert check_loss(SquaredError(reduction), rng.standard_normal((4, 6)), rng.uniform(size=(4, 6))) < TOL


def test_one_hot_and_index_targets_give_the_same_loss():
    Z, y = rng.standard_normal((5, 4)), np.array([0, 3, 1, 1, 2])
    assert SoftmaxCrossEntropy()(Z, y) == pytest.approx(SoftmaxCrossEntropy()(Z, np.eye(4)[y]))


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("loss_name", ["cross_entropy", "squared_error"])
def test_whole_network_gradients(hidden, loss_name):
    X = rng.standard_normal((5, 8))
    if loss_name == "cross_entropy":
        model, loss, y = build_mlp((8, 6, 5, 3), hidden=hidden, seed=2), SoftmaxCrossEntropy(), rng.integers(0, 3, 5)
    else:
        model, loss, y = build_mlp((8, 4, 8), hidden=hidden, output="sigmoid", seed=2), SquaredError(), rng.uniform(size=(5, 8))
    errors = check_model(model, loss, X, y)
    assert set(errors) == {*model.params, "input"}
    assert max(errors.values()) < TOL, errors


def test_gradcheck_command_passes_and_fails_on_tolerance():
    r = CliRunner().invoke(cli, ["gradcheck"])
    assert r.exit_code == 0, r.output
    assert "layer0.W" in r.output and "relu" in r.output and "squared error" in r.output
    r = CliRunner().invoke(cli, ["gradcheck", "--tol", "1e-14"])
    assert r.exit_code == 1 and "NO" in r.output

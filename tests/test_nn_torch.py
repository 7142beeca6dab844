"""The NumPy MLP's forward and backward equal PyTorch autograd's on the same weights."""
import numpy as np
import pytest

from ocr_cli.nn import SoftmaxCrossEntropy, SquaredError, build_mlp, softmax

torch = pytest.importorskip("torch")
torch.set_num_threads(1)
TORCH_ACT = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


def torch_forward(model, X, hidden, output):
    """The same net written with torch ops on copies of the NumPy weights."""
    params = {k: torch.tensor(v, requires_grad=True) for k, v in model.params.items()}
    n = len(model.meta["sizes"]) - 1
    h = torch.tensor(X)
    for k in range(n):
        h = h @ params[f"layer{k}.W"] + params[f"layer{k}.b"]
        if k < n - 1:
            h = TORCH_ACT[hidden](h)
        elif output == "sigmoid":
            h = torch.sigmoid(h)
    return h, params


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
def test_classifier_matches_torch(hidden):
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((16, 40)), rng.integers(0, 10, 16)
    model = build_mlp((40, 24, 12, 10), hidden=hidden, seed=3)
    loss = SoftmaxCrossEntropy()
    out = model.forward(X)
    value = loss.forward(out, y)
    model.backward(loss.backward())

    t_out, t_params = torch_forward(model, X, hidden, "linear")
    t_loss = torch.nn.functional.cross_entropy(t_out, torch.tensor(y))
    t_loss.backward()
    np.testing.assert_allclose(out, t_out.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(softmax(out), torch.softmax(t_out, 1).detach().numpy(), atol=1e-12)
    assert value == pytest.approx(t_loss.item(), rel=1e-12)
    for name, g in model.grads.items():
        np.testing.assert_allclose(g, t_params[name].grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


def test_autoencoder_with_total_squared_error_matches_torch():
    rng = np.random.default_rng(2)
    X = rng.uniform(size=(8, 30))
    model = build_mlp((30, 6, 6, 30), hidden="relu", output="sigmoid", seed=4)
    loss = SquaredError()
    value = loss.forward(model.forward(X), X)
    model.backward(loss.backward())

    t_out, t_params = torch_forward(model, X, "relu", "sigmoid")
    t_loss = ((t_out - torch.tensor(X)) ** 2).sum()
    t_loss.backward()
    assert value == pytest.approx(t_loss.item(), rel=1e-12)
    for name, g in model.grads.items():
        np.testing.assert_allclose(g, t_params[name].grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)

"""A small neural-network library in NumPy: fully connected nets trained by backprop.

Arrays hold examples along rows (``N × D``); everything works in float64 (for gradient
checks) and float32 (for speed). Public API, kept stable for the recognizers:

Building and running
    ``build_mlp(sizes=(1024, 64, 36), hidden="sigmoid", output="linear", init="xavier",
    seed=0, dtype=np.float64) -> Sequential``
    ``model.forward(X)`` (X may be ``(N, 32, 32)``; it is flattened) and
    ``model.backward(dL_dout) -> dL_dX``; ``model.params`` / ``model.grads`` are dicts
    ``{"layer0.W": ..., "layer0.b": ..., "layer1.W": ...}`` (k-th Linear layer);
    ``model.n_params()``; ``model.meta`` (sizes, activations, init, seed, dtype).
Layers (``ocr_cli.nn.layers``)
    ``Linear``, ``Sigmoid``, ``Tanh``, ``ReLU``, ``Identity``, ``Softmax``; ``softmax(Z)``;
    ``xavier_uniform(n_in, n_out, rng)``.
Losses
    ``SoftmaxCrossEntropy(reduction="mean")`` on logits, targets one-hot or indices;
    ``SquaredError(reduction="sum")`` (total squared error); ``accuracy(scores, y)``;
    ``one_hot(y, C)``. Each loss: ``loss.forward(out, target) -> float``, ``loss.backward()``.
Training
    ``SGD(lr)``, ``Momentum(lr, momentum=0.9)`` with ``opt.step(model.params, model.grads)``;
    ``minibatches(n, batch_size, rng)``; ``train_epoch(model, loss, opt, X, y, batch_size, rng, threads=1)``;
    ``fit(model, loss, opt, X, y, epochs, batch_size, seed, X_val, y_val, callback, threads=1)``;
    ``blas_threads(n)`` (context manager; training uses 1 BLAS thread, much faster here).
Checking
    ``check_model(model, loss, X, y)``, ``check_layer(layer, X)``, ``check_loss(loss, out, y)``
    return relative errors; ``gradcheck_report()`` is what ``ocr gradcheck`` prints.
Files
    ``save_model(model, path, classes=None, extra=None)`` writes one ``.npz`` atomically;
    ``load_model(path) -> (model, meta)``; ``load_params(model, path) -> meta``. Missing,
    corrupt or mismatched files raise :class:`~ocr_cli.errors.OcrError`.

Example
-------
>>> model = build_mlp((1024, 64, 36), hidden="sigmoid", seed=0)
>>> loss, opt = SoftmaxCrossEntropy(), SGD(lr=0.1)
>>> history = fit(model, loss, opt, X_train, y_train, epochs=5)    # doctest: +SKIP
>>> probs = softmax(model.forward(X_test))                          # doctest: +SKIP
"""
from ocr_cli.nn.gradcheck import check_layer, check_loss, check_model, gradcheck_report, numerical_gradient, relative_error
from ocr_cli.nn.layers import ACTIVATIONS, Identity, Layer, Linear, ReLU, Sigmoid, Softmax, Tanh, softmax, xavier_uniform
from ocr_cli.nn.losses import SoftmaxCrossEntropy, SquaredError, accuracy, labels, one_hot
from ocr_cli.nn.model import Sequential, build_mlp, load_model, load_params, save_model
from ocr_cli.nn.optim import SGD, Momentum, blas_threads, fit, minibatches, train_epoch

__all__ = [
    "ACTIVATIONS", "Identity", "Layer", "Linear", "Momentum", "ReLU", "SGD", "Sequential", "Sigmoid",
    "Softmax", "SoftmaxCrossEntropy", "SquaredError", "Tanh", "accuracy", "blas_threads", "build_mlp", "check_layer",
    "check_loss", "check_model", "fit", "gradcheck_report", "labels", "load_model", "load_params",
    "minibatches", "numerical_gradient", "one_hot", "relative_error", "save_model", "softmax",
    "train_epoch", "xavier_uniform",
]

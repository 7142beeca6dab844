"""Recognizers: batches of canonical samples in, class probabilities out.

:data:`REGISTRY` is the one list of recognizer names (the CLI's ``--model`` choices come from
it); :func:`get_recognizer_class` imports one by name, :func:`load_recognizer` loads any saved
one. This package imports nothing heavy itself, so ``ocr --help`` can read the names at once:
the names below load :mod:`ocr_cli.recognizers.base` (NumPy) when first used.
"""

# name -> "module:Class"; modules are imported only when used so torch stays lazy.
REGISTRY = {
    "mlp": "ocr_cli.recognizers.mlp:MLPRecognizer",
    "fc": "ocr_cli.recognizers.torch_nets:FCRecognizer",
    "cnn": "ocr_cli.recognizers.torch_nets:CNNRecognizer",
    "squeezenet": "ocr_cli.recognizers.squeezenet:SqueezeNetRecognizer",
}
# name -> the loader of a saved model's inference form, which runs it without torch (None for
# an architecture it cannot run): what load_recognizer(path, inference=True) uses
INFERENCE = {
    "cnn": "ocr_cli.recognizers.cnn_numpy:load_numpy_cnn",
}

_FROM_BASE = ("Recognizer", "TrainDefaults", "default_model_path", "get_recognizer_class", "load_recognizer")
__all__ = ["INFERENCE", "REGISTRY", *_FROM_BASE]


def __getattr__(name: str):
    if name in _FROM_BASE:
        from ocr_cli.recognizers import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

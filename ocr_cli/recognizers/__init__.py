"""Recognizers: batches of canonical samples in, class probabilities out.

Pick one by name through :data:`REGISTRY`; load any saved one with :func:`load_recognizer`.
"""
from ocr_cli.recognizers.base import REGISTRY, Recognizer, default_model_path, get_recognizer_class, load_recognizer

__all__ = ["REGISTRY", "Recognizer", "default_model_path", "get_recognizer_class", "load_recognizer"]

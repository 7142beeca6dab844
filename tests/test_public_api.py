"""Public functions and methods of page/, nn/ and recognizers/ are typed and documented (issue 16).

An override of a documented base-class method inherits its docstring (``inspect.getdoc``);
every definition carries its own annotations (``self``/``cls`` aside, ``__init__`` returns
nothing).
"""
import ast
import importlib
import inspect
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "ocr_cli"
CHECKED = ["page", "nn", "recognizers"]


def _gaps(node: ast.FunctionDef, obj) -> list[str]:
    a = node.args
    args = a.posonlyargs + a.args + a.kwonlyargs + [x for x in (a.vararg, a.kwarg) if x]
    out = [f"untyped {x.arg}" for x in args if x.annotation is None and x.arg not in ("self", "cls")]
    if node.returns is None and node.name != "__init__":
        out.append("no return type")
    if not inspect.getdoc(obj):
        out.append("no docstring")
    return out


def _documented(cls: type, name: str):
    """The attribute ``name`` of ``cls``, or the nearest base's documented property of that name."""
    obj = inspect.getattr_static(cls, name)
    if not isinstance(obj, property):
        return getattr(cls, name)
    for base in cls.__mro__:
        b = base.__dict__.get(name)
        if isinstance(b, property) and b.__doc__:
            return b
    return obj


def public_gaps() -> list[str]:
    rows = []
    for f in sorted(p for part in CHECKED for p in (PACKAGE / part).rglob("*.py")):
        if f.name.startswith("_") and f.name != "__init__.py":
            continue
        module = importlib.import_module(".".join(("ocr_cli", *f.relative_to(PACKAGE).with_suffix("").parts))
                                         .removesuffix(".__init__"))
        where = f.relative_to(PACKAGE.parent)
        for node in ast.parse(f.read_text()).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                rows += [f"{where}:{node.lineno} {node.name}: {g}" for g in _gaps(node, getattr(module, node.name))]
            elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                cls = getattr(module, node.name)
                for m in node.body:
                    if isinstance(m, ast.FunctionDef) and not m.name.startswith("_"):
                        rows += [f"{where}:{m.lineno} {node.name}.{m.name}: {g}" for g in _gaps(m, _documented(cls, m.name))]
    return rows


def test_public_functions_are_typed_and_documented():
    gaps = public_gaps()
    assert not gaps, "\n".join(gaps)


def test_the_check_sees_a_gap():
    tree = ast.parse("def f(x):\n    return x\n")
    assert _gaps(tree.body[0], lambda x: x) == ["untyped x", "no return type", "no docstring"]

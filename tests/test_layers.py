"""The arrows between the layers point one way, read from the code's own imports.

cli -> render, store, core; render -> core; store -> core; core -> nothing of ours
but ``errors``, and neither Typer nor Rich. Lazy imports inside functions count too.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "alliance_cli"
LAYERS = ("cli", "render", "core", "store")
# What each layer may not import (its own package is always allowed).
FORBIDDEN = {
    "core": ("typer", "rich", "click", "tinydb", "alliance_cli.store", "alliance_cli.render", "alliance_cli.cli"),
    "store": ("typer", "rich", "click", "alliance_cli.render", "alliance_cli.cli"),
    "render": ("typer", "click", "tinydb", "alliance_cli.store", "alliance_cli.cli"),
    "cli": (),
}


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).glob("*.py"))


def test_every_module_is_in_a_layer():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "errors.py", "launch.py"]
    assert all(modules(layer) for layer in LAYERS)


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_imports_point_one_way(layer):
    wrong = {}
    for path in modules(layer):
        bad = sorted(name for name in imports_of(path)
                     if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[layer]))
        if bad:
            wrong[path.name] = bad
    assert not wrong, f"{layer} imports what it may not: {wrong}"


def test_the_arrow_test_sees_a_forbidden_import(tmp_path):
    """The checker itself: a core module importing the store is caught."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from alliance_cli.store import files\n    import rich.text\n")
    found = imports_of(sample)
    assert "alliance_cli.store" in found and "rich.text" in found

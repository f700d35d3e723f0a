"""The import graph keeps its shape: three apps side by side on a shared layer and the core.

    verifier_cli   trust_list   issuer_service      (apps: none imports another)
            \\           |           /
                  vaxcert_apps                      (what the apps share)
                        |
                     vaxcert                        (the core: no app, no web framework, no CLI)

Read from the source with ``ast`` (nothing is imported), so a forbidden import
inside a function or under ``TYPE_CHECKING`` counts too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = "vaxcert"
SHARED = "vaxcert_apps"
APPS = ("verifier_cli", "trust_list", "issuer_service")
PACKAGES = {CORE: ROOT / "src" / "vaxcert", SHARED: ROOT / SHARED, **{app: ROOT / app for app in APPS}}
SERVER_STACK = frozenset({"fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "psycopg"})
CLI_LIBRARIES = frozenset({"argparse", "click", "typer"})
FORBIDDEN: dict[str, frozenset[str]] = {
    CORE: frozenset({SHARED, *APPS}) | SERVER_STACK | CLI_LIBRARIES,
    SHARED: frozenset(APPS) | SERVER_STACK,
    **{app: frozenset(other for other in APPS if other != app) for app in APPS},
}


def imported_modules(source: str) -> Iterator[tuple[int, str]]:
    """(line, top-level module) for every absolute import, including ``importlib.import_module("x")``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            function = node.func
            name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value.split(".")[0]


def violations(package: str, folder: Path) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        for line, module in imported_modules(path.read_text(encoding="utf-8")):
            if module in FORBIDDEN[package]:
                found.append(f"{path.relative_to(folder.parent)}:{line} imports {module}")
    return found


@pytest.mark.parametrize("package", list(PACKAGES))
def test_package_imports_only_what_its_layer_allows(package: str) -> None:
    folder = PACKAGES[package]
    assert any(folder.rglob("*.py")), f"{folder} has no Python files: the check would pass vacuously"
    assert violations(package, folder) == []


@pytest.mark.parametrize(
    ("source", "module"),
    [
        ("from verifier_cli.render import render_human", "verifier_cli"),
        ("import trust_list.files as files", "trust_list"),
        ("def f():\n    from issuer_service import cli\n", "issuer_service"),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import fastapi\n", "fastapi"),
        ("import importlib\nimportlib.import_module('sqlalchemy.orm')\n", "sqlalchemy"),
    ],
)
def test_the_checker_sees_every_form_of_import(source: str, module: str) -> None:
    assert module in {name for _, name in imported_modules(source)}


def test_relative_imports_stay_inside_their_package() -> None:
    assert list(imported_modules("from . import render\nfrom .files import write_atomically\n")) == []


def test_a_cross_app_import_is_reported(tmp_path: Path) -> None:
    package = tmp_path / "trust_list"
    package.mkdir()
    (package / "cli.py").write_text("import json\nfrom verifier_cli.render import print_list\n", encoding="utf-8")
    assert violations("trust_list", package) == ["trust_list/cli.py:2 imports verifier_cli"]

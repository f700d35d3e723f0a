"""The import graph keeps its shape: three apps side by side on a shared layer and the core.

    verifier_cli   trust_list   issuer_service      (apps: none imports another)
            \\           |           /
                  vaxcert_apps                      (what the apps share)
                        |
                     vaxcert                        (the core: no app, no web framework, no CLI)

Inside the core, each credential format has its own subpackage over a shared layer::

    vaxcert.hcert   vaxcert.shc   vaxcert.vds   vaxcert.divoc    (formats: none imports another)
                            \\         /
           shared: errors, cose, keys, trust, registry, summary, outcome, ...

A format may import only shared modules that do not themselves (directly or through other shared
modules) reach a format: the format dispatch, which imports every format, is shared but off limits.

Read from the source with ``ast`` (nothing is imported), so a forbidden import
inside a function or under ``TYPE_CHECKING`` counts too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from vaxcert._moved import MOVED_TO_HCERT

ROOT = Path(__file__).resolve().parents[1]
CORE = "vaxcert"
SHARED = "vaxcert_apps"
APPS = ("verifier_cli", "trust_list", "issuer_service")
PACKAGES = {CORE: ROOT / "src" / "vaxcert", SHARED: ROOT / SHARED, **{app: ROOT / app for app in APPS}}
SERVER_STACK = frozenset({"fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "psycopg"})
CLI_LIBRARIES = frozenset({"argparse", "click", "typer"})
FORMATS = ("hcert", "shc", "vds", "divoc")
CORE_FOLDER = PACKAGES[CORE]
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


def core_imports(source: str, module: str, *, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """(line, dotted name) for every import by the module named ``module`` (e.g.
    ``vaxcert.hcert.pipeline``), relative ones resolved; ``from X import a`` yields ``X.a``,
    since ``a`` may be a submodule."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            for alias in node.names:
                yield node.lineno, f"{origin}.{alias.name}"
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            function = node.func
            name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value


def format_of(dotted: str) -> str | None:
    """The format subpackage a ``vaxcert`` module belongs to (old paths such as ``vaxcert.report``
    are HCERT's), or None for the shared layer and anything outside vaxcert."""
    parts = dotted.split(".")
    if parts[0] != CORE or len(parts) < 2:
        return None
    if parts[1] in FORMATS:
        return parts[1]
    return "hcert" if parts[1] in MOVED_TO_HCERT else None


def core_module_name(path: Path, folder: Path) -> str:
    relative = path.relative_to(folder.parent).with_suffix("")
    parts = list(relative.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def format_violations(folder: Path) -> list[str]:
    """Cross-format imports in the core at ``folder``, direct or through a shared module that reaches a format."""
    imports: dict[str, list[tuple[int, str]]] = {}
    paths: dict[str, Path] = {}
    for path in sorted(folder.rglob("*.py")):
        module = core_module_name(path, folder)
        paths[module] = path
        source = path.read_text(encoding="utf-8")
        imports[module] = list(core_imports(source, module, is_package=path.name == "__init__.py"))
    shared = {module for module in imports if format_of(module) is None and module != CORE}
    # Shared modules that reach a format, directly or through other shared modules.
    reaching = {module for module in shared if any(format_of(name) for _, name in imports[module])}

    def reaches(name: str) -> bool:
        return any(name == module or name.startswith(f"{module}.") for module in reaching)

    while True:
        more = {m for m in shared - reaching if any(reaches(name) for _, name in imports[m])}
        if not more:
            break
        reaching |= more
    found = []
    for module, names in imports.items():
        own = format_of(module)
        if own is None:
            continue
        for line, name in names:
            other = format_of(name)
            where = f"{paths[module].relative_to(folder.parent)}:{line}"
            if other is not None and other != own:
                found.append(f"{where} imports {name} (format {other})")
            elif reaches(name):
                found.append(f"{where} imports {name}, which reaches another format")
    return found


def test_formats_import_only_the_shared_layer() -> None:
    assert (CORE_FOLDER / "hcert" / "pipeline.py").is_file(), "the HCERT subpackage moved: the check would be vacuous"
    assert format_violations(CORE_FOLDER) == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("vaxcert.shc.jws", "from ..hcert import cose\n", ["vaxcert.hcert.cose"]),
        ("vaxcert.shc.jws", "from .. import hcert\n", ["vaxcert.hcert"]),
        ("vaxcert.shc.jws", "from . import numeric\n", ["vaxcert.shc.numeric"]),
        ("vaxcert.shc", "from .numeric import decode\n", ["vaxcert.shc.numeric.decode"]),
        ("vaxcert.vds.seal", "def f():\n    from vaxcert.divoc.zip import read\n", ["vaxcert.divoc.zip.read"]),
        ("vaxcert.vds.seal", "import vaxcert.hcert.cwt as cwt\n", ["vaxcert.hcert.cwt"]),
        ("vaxcert.vds.seal", "importlib.import_module('vaxcert.shc')\n", ["vaxcert.shc"]),
    ],
)
def test_relative_core_imports_are_resolved(module: str, source: str, expected: list[str]) -> None:
    is_package = module.count(".") == 1
    assert [name for _, name in core_imports(source, module, is_package=is_package)] == expected


def test_cross_format_imports_are_reported(tmp_path: Path) -> None:
    core = tmp_path / CORE
    for folder in ("hcert", "shc", "vds"):
        (core / folder).mkdir(parents=True)
        (core / folder / "__init__.py").write_text("", encoding="utf-8")
    (core / "__init__.py").write_text("from .hcert.pipeline import verify\n", encoding="utf-8")
    (core / "errors.py").write_text("class VaxcertError(ValueError): ...\n", encoding="utf-8")
    (core / "dispatch.py").write_text("from . import errors\nfrom .vds import seal\n", encoding="utf-8")
    (core / "hcert" / "pipeline.py").write_text("from ..errors import VaxcertError\n", encoding="utf-8")
    (core / "vds" / "seal.py").write_text("from ..errors import VaxcertError\n", encoding="utf-8")
    assert format_violations(core) == []
    (core / "shc" / "jws.py").write_text(
        "from .. import errors\nfrom ..vds import seal\nfrom vaxcert.report import StageOutcome\n"
        "from ..dispatch import verify_any\n",
        encoding="utf-8",
    )
    assert format_violations(core) == [
        "vaxcert/shc/jws.py:2 imports vaxcert.vds.seal (format vds)",
        "vaxcert/shc/jws.py:3 imports vaxcert.report.StageOutcome (format hcert)",
        "vaxcert/shc/jws.py:4 imports vaxcert.dispatch.verify_any, which reaches another format",
    ]

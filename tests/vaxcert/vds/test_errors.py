"""VDS-NC error codes: every code raised in the package starts with the stage of the class that raises it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import vaxcert.vds
from vaxcert.errors import VaxcertError
from vaxcert.vds import errors

SOURCE = Path(vaxcert.vds.__file__).resolve().parent
_CODE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_TYPES = {error.__name__: error for error in errors.STAGE_ERRORS}


def _raised() -> list[tuple[str, int, str, str]]:
    found = []
    for path in sorted(SOURCE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _TYPES and node.args:
                first = node.args[0]
                if isinstance(first, ast.JoinedStr) and isinstance(first.values[0], ast.Constant):
                    found.append((path.name, node.lineno, node.func.id, str(first.values[0].value) + "x"))
                elif isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.append((path.name, node.lineno, node.func.id, first.value))
    return found


def test_the_scan_sees_the_codes() -> None:
    assert len(_raised()) > 30


@pytest.mark.parametrize(("module", "line", "name", "code"), _raised())
def test_every_code_starts_with_its_stage(module: str, line: int, name: str, code: str) -> None:
    assert code.partition(".")[0] == _TYPES[name].stage, f"{module}:{line}"
    assert _CODE.match(code), f"{module}:{line}: {code!r}"


def test_one_error_type_per_stage() -> None:
    assert errors.STAGES == ("seal", "content", "certificate", "signature", "trust", "validity", "revocation")
    assert all(issubclass(error, VaxcertError) and issubclass(error, ValueError) for error in errors.STAGE_ERRORS)

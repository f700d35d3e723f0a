"""The README's 30-second library tour runs as printed, in a folder where `vaxcert demo` ran
(what `scripts/run`, the README's first command, leaves behind)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from issuer_service.cli import main as vaxcert_main
from tests.conftest import ROOT


def _tour() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## 30-second tour of the library", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the tour section has no python block"
    return match.group(1)


def test_the_library_tour_runs_after_command_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert vaxcert_main(["demo", "--dir", "vaxcert-demo"]) == 0
    namespace: dict[str, object] = {}
    exec(compile(_tour(), "README.md tour", "exec"), namespace)  # the README's own code
    report = namespace["report"]
    assert getattr(report, "valid", None) is True
    assert str(namespace["issued"].text).startswith("HC1:")  # type: ignore[attr-defined]
    assert not os.path.exists(tmp_path / "vaxcert-data"), "the demo must not write into the service's data folder"

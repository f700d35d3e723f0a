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
    """Every python block of the tour section, in order: later blocks build on earlier ones."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## 30-second tour of the library", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) >= 2, "the tour section lost its python blocks"
    return "\n".join(blocks)


def test_the_library_tour_runs_after_command_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert vaxcert_main(["demo", "--dir", "vaxcert-demo"]) == 0
    namespace: dict[str, object] = {}
    exec(compile(_tour(), "README.md tour", "exec"), namespace)  # the README's own code
    report = namespace["report"]
    assert getattr(report, "valid", None) is True
    assert str(namespace["issued"].text).startswith("HC1:")  # type: ignore[attr-defined]
    card = namespace["credential"]  # the last code the tour verifies: the SMART Health Card
    assert getattr(card, "format", None) == "shc" and getattr(card, "valid", None) is True
    assert not os.path.exists(tmp_path / "vaxcert-data"), "the demo must not write into the service's data folder"

"""Old module paths (``vaxcert.report``, ``vaxcert.rules``, ...) give the very module of the new path."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import vaxcert
from vaxcert._moved import MOVED, MOVED_TO_HCERT

SOURCE = Path(vaxcert.__file__).resolve().parent


@pytest.mark.parametrize(("old", "new"), sorted(MOVED.items()))
def test_each_old_path_is_the_new_module(old: str, new: str) -> None:
    assert importlib.import_module(old) is importlib.import_module(new)
    module = sys.modules[old]
    # The module keeps its own identity: reload, pickling and relative imports go by the new name.
    assert (module.__name__, module.__spec__ and module.__spec__.name) == (new, new)


@pytest.mark.parametrize("name", MOVED_TO_HCERT)
def test_no_stale_file_shadows_an_old_path(name: str) -> None:
    assert not (SOURCE / f"{name}.py").exists()
    assert (SOURCE / "hcert" / f"{name}.py").is_file()


def test_old_paths_in_a_fresh_interpreter_before_the_new_ones() -> None:
    # In this process the new modules are long imported; a fresh one imports the old path first.
    script = textwrap.dedent(
        """
        import vaxcert.rules
        from vaxcert.report import CHECKS, StageOutcome
        from vaxcert import revocation
        import vaxcert
        import vaxcert.hcert.rules
        import vaxcert.outcome

        assert vaxcert.rules is vaxcert.hcert.rules
        assert vaxcert.rules.RuleSet is vaxcert.hcert.rules.RuleSet
        assert revocation is vaxcert.hcert.revocation
        assert StageOutcome is vaxcert.outcome.StageOutcome is vaxcert.StageOutcome
        assert vaxcert.dcc.DigitalCovidCertificate is vaxcert.DigitalCovidCertificate  # attribute, no import
        assert len(CHECKS) > 5
        import vaxcert.cose
        assert vaxcert.cose.CoseSign1 is not None
        print("ok")
        """
    )
    # -W error: the old paths must not warn (test suites of integrators may turn warnings into errors).
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    assert (result.returncode, result.stdout.strip()) == (0, "ok"), result.stderr


def test_an_unknown_name_still_fails() -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("vaxcert.no_such_module")
    with pytest.raises(AttributeError):
        _ = vaxcert.no_such_module  # type: ignore[attr-defined]
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("vaxcert.hcert.trust")  # only old top-level names are aliased


def test_installing_twice_adds_one_finder() -> None:
    from vaxcert import _moved

    before = len(sys.meta_path)
    _moved.install()
    assert len(sys.meta_path) == before

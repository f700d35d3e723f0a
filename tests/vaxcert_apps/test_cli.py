"""The error handling the three CLIs share: which failure gives which exit code and line."""

from __future__ import annotations

import io

import pytest

from vaxcert import VaxcertError, trustlist
from vaxcert.hcert import revocation
from vaxcert_apps.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, run


def _raising(error: Exception) -> int:
    raise error


@pytest.mark.parametrize(
    ("error", "status", "line"),
    [
        (UsageError("--at: 'x' is not a date"), EXIT_USAGE, "tool: error: --at: 'x' is not a date\n"),
        (VaxcertError("base45.bad_character", "bad"), EXIT_FAILED, "tool: base45.bad_character: bad\n"),
        (
            trustlist.TrustListError("trustlist.rollback", "old"),
            EXIT_FAILED,
            "tool: danh sách tin cậy bị từ chối / trust list rejected: trustlist.rollback: old\n",
        ),
        (
            revocation.RevocationListError("revocationlist.bad_format", "bad"),
            EXIT_FAILED,
            "tool: danh sách thu hồi bị từ chối / revocation list rejected: revocationlist.bad_format: bad\n",
        ),
    ],
)
def test_each_failure_is_one_line_and_an_exit_code(error: Exception, status: int, line: str) -> None:
    err = io.StringIO()
    assert run("tool", lambda: _raising(error), stderr=err) == status
    assert err.getvalue() == line


def test_a_command_s_own_status_passes_through() -> None:
    err = io.StringIO()
    assert run("tool", lambda: EXIT_OK, stderr=err) == EXIT_OK and run("tool", lambda: 1, stderr=err) == 1
    assert err.getvalue() == ""


def test_bugs_are_not_swallowed() -> None:
    with pytest.raises(KeyError):
        run("tool", lambda: _raising(KeyError("x")), stderr=io.StringIO())

"""The admin CLI (vaxcert-issuer) when its database cannot be reached."""

from __future__ import annotations

import io

import pytest

from issuer_service.admin import main


@pytest.mark.parametrize("command", [["audit", "verify"], ["org", "create", "X"], ["migrate"]])
def test_unreachable_database_is_a_clear_error(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    monkeypatch.setenv("VAXCERT_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")  # nothing listens
    monkeypatch.setenv("VAXCERT_DATA_DIR", str(tmp_path))
    assert main(command, stdout=io.StringIO()) == 1
    assert "the database is unavailable" in capsys.readouterr().err

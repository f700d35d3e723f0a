"""The admin CLI (vaxcert-issuer) when its database cannot be reached."""

from __future__ import annotations

import io
from pathlib import Path

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


def _help(path: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main([*path, "--help"], stdout=io.StringIO())
    assert exited.value.code == 0
    return capsys.readouterr().out


def _entries(text: str) -> list[tuple[str, bool]]:
    """(invocation, has help text) for each argument argparse lists under its section headings."""
    entries: list[tuple[str, bool]] = []
    in_section = False
    for line in text.splitlines():
        if line.endswith(":") and not line.startswith(" "):
            in_section = line in ("options:", "positional arguments:")
        elif in_section and line.startswith("  ") and not line.startswith("   "):
            invocation, _, rest = line.strip().partition("  ")
            entries.append((invocation, bool(rest.strip())))
        elif in_section and line.startswith("   ") and entries:
            entries[-1] = (entries[-1][0], True)  # help (or a subcommand list) on the following lines
    return entries


def test_every_option_of_every_subcommand_has_help(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    pending: list[list[str]] = [[]]
    seen: list[str] = []
    while pending:
        path = pending.pop()
        for invocation, described in _entries(_help(path, capsys)):
            assert described, f"vaxcert-issuer {' '.join(path)}: {invocation} has no help text"
            if invocation.startswith("{"):
                pending += [[*path, name] for name in invocation.strip("{}").split(",")]
        seen.append(" ".join(path))
    assert {"serve", "bulk", "key create", "key list", "keys rotate", "audit seal"} <= set(seen)  # the walk got there


def test_key_list_shows_keys_never_their_secrets(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VAXCERT_DATABASE_URL", database_url)
    monkeypatch.setenv("VAXCERT_DATA_DIR", str(tmp_path / "data"))

    def run(*argv: str) -> str:
        out = io.StringIO()
        assert main(list(argv), stdout=out) == 0, capsys.readouterr().err
        return out.getvalue()

    assert "no API keys" in run("key", "list")
    run("org", "create", "Bach Mai Hospital")
    run("org", "create", "Cho Ray Hospital")
    issuer = run("key", "create", "--org", "Bach Mai Hospital", "--scopes", "issue,read").strip()
    reader = run("key", "create", "--org", "Cho Ray Hospital", "--scopes", "read").strip()
    revoked = run("key", "create", "--org", "Cho Ray Hospital", "--scopes", "revoke").strip()
    run("key", "revoke", revoked.split("_")[1])

    listing = run("key", "list")
    header, *rows = listing.splitlines()
    assert header.split() == ["prefix", "organisation", "scopes", "created", "(UTC)", "revoked", "(UTC)"]
    by_prefix = {row.split()[0]: row for row in rows}
    assert set(by_prefix) == {key.split("_")[1] for key in (issuer, reader, revoked)}
    issuer_row = by_prefix[issuer.split("_")[1]]
    assert "Bach Mai Hospital" in issuer_row and "issue,read" in issuer_row and issuer_row.rstrip().endswith("-")
    revoked_row = by_prefix[revoked.split("_")[1]]
    assert "Cho Ray Hospital" in revoked_row and not revoked_row.rstrip().endswith("-")
    for key in (issuer, reader, revoked):
        assert key.split("_", 2)[2] not in listing

    only = run("key", "list", "--org", "Cho Ray Hospital")
    assert {row.split()[0] for row in only.splitlines()[1:]} == {key.split("_")[1] for key in (reader, revoked)}
    with pytest.raises(SystemExit, match="no organisation named"):
        main(["key", "list", "--org", "Nowhere"], stdout=io.StringIO())

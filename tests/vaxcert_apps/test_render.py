"""The checkpoint's verdict is short, printable text whatever the (unverified) code holds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from vaxcert import CwtError, VerificationReport, cwt
from vaxcert.report import CHECKS, StageOutcome
from vaxcert_apps.render import render_human


def test_hostile_fields_render_as_short_printable_lines() -> None:
    loop: list[Any] = []
    loop.append(loop)
    dcc: dict[str, Any] = {
        "nam": {"fn": "\x1b[2J\x1b[31mFAKE", "gn": "A" * 100_000, "fnt": loop, "gnt": {"x": 1}},
        "dob": 10**5000,
        "v": [{"dn": loop, "sd": [0] * 1_000_000, "dt": "2021-06-01", "ci": "\x07" * 3, "mp": {"a": loop}}],
    }
    outcomes = tuple(
        StageOutcome.failed(name, CwtError("cwt.bad_iss", "bad \x1b]0;title\x07"))
        if name == "cwt"
        else StageOutcome.not_run(name)
        for name in CHECKS
    )
    report = VerificationReport(
        outcomes, datetime(2026, 1, 1, tzinfo=UTC), unverified_claims=cwt.CwtClaims("VN", 1, 10**5000, dcc)
    )
    text = render_human(report)
    assert "\x1b" not in text and "\x07" not in text
    assert max(len(line) for line in text.splitlines()) < 500
    assert "(list)" in text and "(a very large number)" in text and "[cwt.bad_iss]" in text

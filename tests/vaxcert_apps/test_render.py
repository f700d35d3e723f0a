"""The checkpoint's verdict is short, printable text whatever the (unverified) code holds."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings

from tests.conftest import VECTORS, load_vector_file
from tests.strategies import GARBAGE_CLAIMS, signed_code
from vaxcert import CwtError, PemSigner, Policy, TrustStore, VerificationReport, verify
from vaxcert.hcert import cwt, rules
from vaxcert.hcert.report import CHECKS
from vaxcert.outcome import StageOutcome
from vaxcert_apps.render import render_human

NOW = datetime(2026, 6, 1, tzinfo=UTC)
_VN_RULES = rules.RuleSet.load(VECTORS.parent / "rules-vn.json")


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


@given(claims=GARBAGE_CLAIMS)
@settings(max_examples=int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "300")), deadline=None)
def test_signed_garbage_claims_render_as_short_printable_lines(
    claims: dict[Any, Any], signer: PemSigner, trust: TrustStore
) -> None:
    """Genuinely signed CWTs holding any CBOR reach every check; the verdict text never fails."""
    text = signed_code(claims, signer)
    if text is None:
        return
    report = verify(text, trust, at=NOW, policy=Policy(rules=_VN_RULES, arrival_country="VN"))
    rendered = render_human(report)
    assert "\x1b" not in rendered
    assert max(len(line) for line in rendered.splitlines()) < 500
    for outcome in report.failures:
        assert f"[{outcome.code}]" in rendered


HOSTILE: list[dict[str, Any]] = load_vector_file("hostile.json")["hostile"]


@pytest.mark.parametrize("case", HOSTILE, ids=[case["id"] for case in HOSTILE])
def test_hostile_vectors_render_fast_with_their_code(case: dict[str, Any]) -> None:
    report = verify(case["hc1"], TrustStore())
    started = time.perf_counter()
    rendered = render_human(report)
    assert time.perf_counter() - started < 2.0, case["id"]  # generous for a noisy machine; measured < 20 ms
    assert f"[{case['code']}]" in rendered
    assert max(len(line) for line in rendered.splitlines()) < 500

"""The checkpoint's verdict is short, printable text whatever the (unverified) code holds."""

from __future__ import annotations

import os
import time
import zlib
from datetime import UTC, datetime
from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import VECTORS, load_vector_file
from vaxcert import CwtError, PemSigner, Policy, TrustStore, VerificationReport, cose, cwt, rules, verify
from vaxcert import base45 as b45
from vaxcert.report import CHECKS, StageOutcome
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


_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**200), max_value=2**200),
    st.floats(allow_nan=True, allow_infinity=True),
    st.binary(max_size=12),
    st.text(max_size=12),
    st.sampled_from(["1.3.0", "2021-06-01", "URN:UVCI:01:VN:X#Y", "EU/1/20/1528", "VN", "\x1b[2J"]),
    st.builds(
        cbor2.CBORTag, st.sampled_from([0, 1, 2, 18, 61, 1000]), st.one_of(st.binary(max_size=4), st.text(max_size=4))
    ),
)
_KEYS = st.one_of(
    st.sampled_from(["v", "t", "r", "nam", "dob", "ver", "ci", "dn", "fnt", "gnt"]), st.integers(-300, 300)
)
_VALUES = st.recursive(
    _LEAVES,
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(_KEYS, children, max_size=4)),
    max_leaves=12,
)


@given(
    claims=st.dictionaries(
        st.sampled_from([1, 4, 6, -260, 99]),
        st.one_of(_VALUES, st.dictionaries(st.sampled_from([1, 2]), _VALUES, max_size=2)),
        max_size=5,
    )
)
@settings(max_examples=int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "300")), deadline=None)
def test_signed_garbage_claims_render_as_short_printable_lines(
    claims: dict[Any, Any], signer: PemSigner, trust: TrustStore
) -> None:
    """Genuinely signed CWTs holding any CBOR reach every check; the verdict text never fails."""
    try:
        payload = cbor2.dumps(claims)
    except (cbor2.CBOREncodeError, ValueError, TypeError):
        return  # cbor2 itself cannot write it, so no issuer can either
    text = "HC1:" + b45.encode(zlib.compress(cose.sign(payload, signer, signer.certificate.kid)))
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

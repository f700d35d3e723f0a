"""Business rules end to end: Viet Nam's rule set on issued certificates, at clocks around each threshold."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import VECTORS
from vaxcert import PemSigner, Policy, TrustStore, issue, verify
from vaxcert.hcert.rules import ExternalParameters, Rule, RulesError, RuleSet, evaluate
from vaxcert.hcert.valuesets import ValueSets

RULES = RuleSet.load(VECTORS.parent / "rules-vn.json")
VN = Policy(rules=RULES, arrival_country="VN")


def _verify(text: str, trust: TrustStore, at: datetime, policy: Policy = VN) -> Any:
    return verify(text, trust, at=at, policy=policy)


def test_vaccination_thresholds(signer: PemSigner, trust: TrustStore, vaccination_payload: dict[str, Any]) -> None:
    vaccination_payload["v"][0]["dt"] = "2026-05-01"
    text = issue(vaccination_payload, signer, issued_at=datetime(2026, 5, 1, tzinfo=UTC)).text
    too_early = _verify(text, trust, datetime(2026, 5, 14, 23, 59, tzinfo=UTC))
    assert not too_early.valid and too_early.outcome("rules").code == "rules.failed"
    assert [o.rule.identifier for o in too_early.rule_outcomes if not o.passed] == ["VR-VN-0002"]
    assert "14 days" in (too_early.outcome("rules").message or "")
    on_time = _verify(text, trust, datetime(2026, 5, 15, tzinfo=UTC))
    assert on_time.valid, on_time.failures
    assert {o.rule.identifier for o in on_time.rule_outcomes} == {"VR-VN-0001", "VR-VN-0002", "VR-VN-0003"}


def test_incomplete_course_and_unlicensed_product(
    signer: PemSigner, trust: TrustStore, vaccination_payload: dict[str, Any]
) -> None:
    vaccination_payload["v"][0].update(dn=1, sd=2, mp="CoronaVac", ma="Sinovac-Biotech", dt="2026-01-01")
    text = issue(vaccination_payload, signer, issued_at=datetime(2026, 1, 2, tzinfo=UTC)).text
    report = _verify(text, trust, datetime(2026, 3, 1, tzinfo=UTC))
    assert {o.rule.identifier for o in report.rule_outcomes if not o.passed} == {"VR-VN-0001", "VR-VN-0003"}
    rules = report.to_json()["rules"]
    assert any("Vắc xin" in r["description"]["vi"] for r in rules if not r["passed"])


@pytest.mark.parametrize(
    ("test_type", "hours", "valid"),
    [("LP6464-4", 71.9, True), ("LP6464-4", 72, False), ("LP217198-3", 23.9, True), ("LP217198-3", 24, False)],
)
def test_test_windows(
    signer: PemSigner, trust: TrustStore, test_payload: dict[str, Any], test_type: str, hours: float, valid: bool
) -> None:
    sampled = datetime(2026, 3, 1, 7, 45, tzinfo=UTC)
    test_payload["t"][0].update(tt=test_type, sc=sampled.isoformat().replace("+00:00", "Z"))
    if test_type == "LP217198-3":
        test_payload["t"][0].pop("nm")
    text = issue(test_payload, signer, issued_at=sampled + timedelta(hours=1)).text
    assert _verify(text, trust, sampled + timedelta(hours=hours)).valid is valid


def test_positive_test_fails(signer: PemSigner, trust: TrustStore, test_payload: dict[str, Any]) -> None:
    test_payload["t"][0]["tr"] = "260373001"
    text = issue(test_payload, signer, issued_at=datetime(2026, 3, 1, 8, tzinfo=UTC)).text
    report = _verify(text, trust, datetime(2026, 3, 1, 9, tzinfo=UTC))
    assert [o.rule.identifier for o in report.rule_outcomes if not o.passed] == ["TR-VN-0001"]


@pytest.mark.parametrize(("day", "valid"), [(15, False), (16, True), (200, False)])
def test_recovery_window(
    signer: PemSigner, trust: TrustStore, recovery_payload: dict[str, Any], day: int, valid: bool
) -> None:
    text = issue(recovery_payload, signer, issued_at=datetime(2026, 1, 10, tzinfo=UTC)).text
    assert _verify(text, trust, datetime(2026, 1, 1, 12, tzinfo=UTC) + timedelta(days=day - 1)).valid is valid


def _rule(identifier: str, version: str = "1.0.0", **changes: Any) -> dict[str, Any]:
    rule = {
        "Identifier": identifier,
        "Type": "Acceptance",
        "Country": "VN",
        "Version": version,
        "SchemaVersion": "1.3.0",
        "Engine": "CERTLOGIC",
        "EngineVersion": "1.3.3",
        "CertificateType": "General",
        "Description": [{"lang": "en", "desc": identifier}],
        "ValidFrom": "2022-01-01T00:00:00Z",
        "ValidTo": "2030-01-01T00:00:00Z",
        "AffectedFields": [],
        "Logic": True,
    }
    rule.update(changes)
    return rule


def test_selection() -> None:
    rules = RuleSet.from_json(
        json.dumps(
            [
                _rule("GR-VN-0001", "1.0.0", Logic=False),
                _rule("GR-VN-0001", "1.1.0"),  # newer version wins
                _rule("GR-DE-0001", Country="DE"),  # another destination
                _rule("IR-AT-0001", Type="Invalidation", Country="AT"),  # invalidation of the issuing country
                _rule("IR-FR-0001", Type="Invalidation", Country="FR"),
                _rule("TR-VN-0009", CertificateType="Test"),
                _rule("VR-VN-0009", ValidFrom="2029-01-01T00:00:00Z"),  # not yet valid
            ]
        )
    )
    chosen = rules.select(
        arrival_country="VN", issuer_country="AT", certificate_type="v", at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert [(r.identifier, r.version) for r in chosen] == [("GR-VN-0001", (1, 1, 0)), ("IR-AT-0001", (1, 0, 0))]


WINDOWED = RuleSet.from_json(
    json.dumps(
        [
            _rule("GR-VN-0001", "1.0.0", ValidFrom="2024-01-01T00:00:00Z", ValidTo="2027-01-01T00:00:00Z"),
            _rule("GR-VN-0001", "2.0.0", ValidFrom="2026-01-01T00:00:00Z"),
            _rule("GR-VN-0002", ValidFrom="2025-06-01T00:00:00Z", ValidTo="2025-07-01T00:00:00Z"),
            _rule("IR-AT-0001", Type="Invalidation", Country="AT", ValidTo="2026-06-01T12:00:00Z"),
        ]
    )
)


@settings(max_examples=100, deadline=None)
@given(
    clocks=st.lists(
        st.datetimes(datetime(2023, 1, 1), datetime(2031, 1, 1), timezones=st.just(UTC)), min_size=1, max_size=12
    ),
    issuer=st.sampled_from(["AT", "VN"]),
)
def test_memoised_selection_matches_a_fresh_one_at_every_clock(clocks: list[datetime], issuer: str) -> None:
    # The same rule set asked at clocks that jump back and forth across ValidFrom/ValidTo edges
    # must answer exactly as a rule set that has never been asked before.
    def chosen(rule_set: RuleSet, at: datetime) -> list[tuple[str, tuple[int, ...]]]:
        found = rule_set.select(arrival_country="VN", issuer_country=issuer, certificate_type="v", at=at)
        return [(rule.identifier, rule.version) for rule in found]

    for at in clocks:
        assert chosen(WINDOWED, at) == chosen(RuleSet(WINDOWED.rules), at)


def test_rule_errors_fail_the_rule_and_are_reported(
    signer: PemSigner, trust: TrustStore, vaccination_payload: dict[str, Any]
) -> None:
    broken = RuleSet.from_json(json.dumps([_rule("GR-VN-0002", Logic={"<": [{"var": "payload.dob"}, 5]})]))
    text = issue(vaccination_payload, signer).text
    report = verify(text, trust, policy=Policy(rules=broken))
    assert report.checks["rules"] is False and report.rule_outcomes[0].error


def test_bad_rule_files() -> None:
    with pytest.raises(RulesError):
        RuleSet.from_json("{not json")
    with pytest.raises(RulesError):
        RuleSet.from_json(json.dumps([_rule("GR-VN-0003", Logic={"all": [1]})]))
    with pytest.raises(RulesError):
        Rule.from_json({"Identifier": "x"})
    with pytest.raises(RulesError):  # json.loads gives up on numbers beyond Python's digit limit
        RuleSet.from_json('[{"Logic": 1' + "0" * 5000 + "}]")


def test_huge_integer_literals_compile() -> None:
    # Built in Python, not read from JSON: their repr would exceed the digit limit in generated code.
    huge = 10**5000
    rule = Rule.from_json(_rule("GR-VN-0004", Logic={"<": [{"var": "payload.dn"}, huge]}))
    assert evaluate([rule], {"dn": 3}, {})[0].passed


_CBOR_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.binary(max_size=8),
        st.sampled_from(["", "2021-06-01", "9999-12-31", "2021-13-45", "2021-06-01T25:00:00Z", "EU/1/20/1528"]),
        st.text(max_size=12),
    ),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.text(max_size=3), children)),
    max_leaves=10,
)
_ENTRY = st.dictionaries(st.sampled_from(["dn", "sd", "dt", "mp", "sc", "tt", "tr", "df", "du", "ci"]), _CBOR_VALUES)


@settings(max_examples=300, deadline=None)
@given(
    payload=st.dictionaries(
        st.sampled_from(["v", "t", "r", "dob"]), st.one_of(st.lists(_ENTRY, max_size=2), _CBOR_VALUES)
    )
)
def test_rules_on_any_foreign_payload_give_outcomes_never_exceptions(payload: dict[str, Any]) -> None:
    external = ExternalParameters(
        at=datetime(2026, 1, 1, tzinfo=UTC),
        arrival_country="VN",
        issuer_country="XX",
        issued_at=None,
        expires_at=None,
        kid=None,
        value_sets=ValueSets.bundled(),
    )
    # The property is that this returns at all: a failure inside a rule is its outcome.
    outcomes = evaluate(RULES.rules, payload, external)
    assert [outcome.rule for outcome in outcomes] == list(RULES.rules)


def test_rules_compile_on_first_use_and_a_broken_one_fails_alone() -> None:
    good = Rule.from_json(_rule("GR-VN-0005", Logic={"===": [{"var": "payload.dob"}, "1990"]}))
    broken = Rule(  # built directly, so Rule.from_json's validation never saw it
        identifier="GR-VN-0006",
        rule_type="Acceptance",
        country="VN",
        version=(1, 0, 0),
        certificate_type="General",
        valid_from=datetime(2022, 1, 1, tzinfo=UTC),
        valid_to=datetime(2030, 1, 1, tzinfo=UTC),
        logic={"no-such-operator": [1]},
        descriptions={"en": "broken"},
    )
    passed, failed = evaluate([good, broken], {"dob": "1990"}, {})
    assert passed.passed and not failed.passed and "no-such-operator" in (failed.error or "")

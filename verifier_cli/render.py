"""The human-readable verdict shown to checkpoint staff."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TextIO

from vaxcert import ValueSets, VerificationReport
from vaxcert.trustlist import VerifiedTrustList
from vaxcert.valuesets import TEST_TYPE, VACCINE_MANUFACTURER, VACCINE_PRODUCT

_GREEN = "\033[1;32m"
_RED = "\033[1;31m"
_RESET = "\033[0m"
_TYPE_NAMES = {"v": "Vaccination", "t": "Test", "r": "Recovery"}
_TEST_RESULTS = {"260415000": "not detected (negative)", "260373001": "detected (positive)"}


def render_human(report: VerificationReport, colour: bool = False) -> str:
    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if colour else text

    lines: list[str] = []
    kind = _TYPE_NAMES.get(report.certificate_type or "", "Health")
    if report.valid:
        lines.append(paint(f"VALID   {kind} certificate", _GREEN))
    else:
        lines.append(paint(f"INVALID {kind} certificate", _RED))
        for outcome in report.failures:
            lines.append(f"  reason ({outcome.name}): {outcome.message}  [{outcome.code}]")
    claims = report.unverified_claims
    if claims is not None:
        if not report.valid:
            lines.append("  The details below are NOT trustworthy:")
        lines.extend(_holder_lines(claims.dcc))
        if claims.issuer:
            lines.append(f"  Issuing country:  {claims.issuer}")
        if claims.expires_at is not None:
            lines.append(f"  QR valid until:   {_date(claims.expires_at)}")
    if report.signer is not None:
        lines.append(f"  Signed by:        {report.signer.subject}")
    lines.extend(_policy_lines(report))
    for note in report.notes:
        lines.append(f"  note: {note}")
    for finding in report.value_set_findings:
        lines.append(f"  note: {finding.describe()}")
    return "\n".join(lines)


def _policy_lines(report: VerificationReport) -> list[str]:
    """What the destination's rules and the revocation list said, when they were checked."""
    lines = []
    checks = report.checks
    if checks.get("rules") is not None:
        passed = sum(1 for outcome in report.rule_outcomes if outcome.passed)
        total = len(report.rule_outcomes)
        lines.append(f"  Entry rules:      {passed} of {total} passed" if total else "  Entry rules:      none apply")
        for outcome in report.rule_outcomes:
            if not outcome.passed:  # staff read Vietnamese first; travellers may need English
                rule = outcome.rule
                text = " / ".join(dict.fromkeys(rule.description((language,)) for language in ("vi", "en")))
                lines.append(f"    failed {rule.identifier}: {text}" + (f" ({outcome.error})" if outcome.error else ""))
    if checks.get("revocation") is True:
        lines.append("  Revocation:       not on the revocation list")
    return lines


def _holder_lines(dcc: dict[str, Any]) -> list[str]:
    name = dcc.get("nam") if isinstance(dcc.get("nam"), dict) else {}
    native = " ".join(str(name.get(k)) for k in ("fn", "gn") if name.get(k))
    standard = "<<".join(str(name.get(k)) for k in ("fnt", "gnt") if name.get(k))
    lines = [f"  Name:             {native or standard}" + (f" ({standard})" if native and standard else "")]
    lines.append(f"  Date of birth:    {dcc.get('dob') or 'unknown'}")
    for group in ("v", "t", "r"):
        entries = dcc.get(group)
        if not isinstance(entries, list) or not entries or not isinstance(entries[0], dict):
            continue
        entry = entries[0]
        if group == "v":
            lines.append(f"  Vaccination:      dose {entry.get('dn')} of {entry.get('sd')} on {entry.get('dt')}")
            product = _display(VACCINE_PRODUCT, entry.get("mp"))
            lines.append(f"  Vaccine:          {product}, {_display(VACCINE_MANUFACTURER, entry.get('ma'))}")
        elif group == "t":
            result = _TEST_RESULTS.get(str(entry.get("tr")), str(entry.get("tr")))
            lines.append(f"  Test:             {_display(TEST_TYPE, entry.get('tt'))} sampled {entry.get('sc')}")
            lines.append(f"  Result:           {result}")
        else:
            lines.append(f"  Recovery:         first positive {entry.get('fr')}")
            lines.append(f"  Recovery valid:   {entry.get('df')} to {entry.get('du')}")
        lines.append(f"  Certificate id:   {entry.get('ci')}")
    return lines


def _display(value_set_id: str, code: object) -> str:
    value_set = ValueSets.bundled().get(value_set_id)
    entry = value_set.entries.get(code) if value_set is not None and isinstance(code, str) else None
    return f"{entry.display} ({code})" if entry else str(code)


def _date(timestamp: int) -> str:
    try:
        return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, OSError, ValueError):
        return str(timestamp)


def print_list(checked: VerifiedTrustList, at: datetime, out: TextIO) -> None:
    """A trust list for people: state, age, entries and rejected entries."""
    content = checked.content
    state = "STALE" if checked.is_stale(at) else "fresh"
    age = at - content.issued_at
    out.write(
        f"trust list #{content.sequence}, signed by {checked.signer.subject}\n"
        f"issued {content.issued_at.isoformat()} ({age.total_seconds() / 3600:.1f} h ago), "
        f"next update {content.next_update.isoformat()}: {state}\n"
        f"{len(content.entries)} DSCs, {len(content.cscas)} CSCAs\n"
    )
    for entry in content.entries:
        types = ",".join(sorted(entry.types))
        out.write(f"  {entry.certificate.kid_b64}  {entry.country}  [{types}]  {entry.certificate.subject}\n")
    for item in checked.rejected:
        out.write(f"  rejected {item.description}: {item.reason}\n")

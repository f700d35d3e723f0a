"""The human-readable verdict shown to checkpoint staff, and summaries of the lists a verifier holds."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from vaxcert import ValueSets, VerificationReport
from vaxcert.hcert.revocation import RevocationList
from vaxcert.hcert.rules import RuleSet
from vaxcert.hcert.valuesets import TEST_TYPE, VACCINE_MANUFACTURER, VACCINE_PRODUCT
from vaxcert.summary import STATUS_TEXT, CredentialReport, Status
from vaxcert.trustlist import VerifiedTrustList

_GREEN = "\033[1;32m"
_RED = "\033[1;31m"
_RESET = "\033[0m"
_TYPE_NAMES = {"v": "Vaccination", "t": "Test", "r": "Recovery"}
_TEST_RESULTS = {"260415000": "not detected (negative)", "260373001": "detected (positive)"}
_MAX_FIELD = 80  # a line per field: no certificate field is longer, a hostile one may be
# Codes a scan cut short produces: the reader stopped before the end of the QR text.
INCOMPLETE_SCAN_CODES = frozenset({"base45.bad_length", "base45.overflow", "decompress.truncated"})
INCOMPLETE_SCAN = "Mã quét chưa đủ, hãy quét lại / Incomplete scan, scan again"
RULES_ONLY = (
    "Chứng nhận là thật nhưng không đáp ứng quy định nhập cảnh / "
    "The certificate is genuine but does not meet the entry rules"
)
NOT_TRUSTWORTHY = "Các thông tin dưới đây KHÔNG đáng tin / The details below are NOT trustworthy"
REVOCATION_NOT_CHECKED = "Chưa kiểm tra thu hồi / Revocation not checked"


def _text(value: object, limit: int = _MAX_FIELD) -> str:
    """One field as a short line, whatever the (unverified) certificate put there."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, (int, float)):  # bool included
        text = str(value) if not isinstance(value, int) or value.bit_length() <= 64 else "(a very large number)"
    else:
        return f"({type(value).__name__})"  # a list or map where text belongs: never str() a hostile structure
    # Control characters could drive the checkpoint's terminal (escape sequences).
    text = "".join(ch if ch.isprintable() else "?" for ch in text[: limit + 1])
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_human(report: VerificationReport, colour: bool = False, credential: CredentialReport | None = None) -> str:
    """The HCERT verdict; with ``credential`` (the multi-format view of the same run) its status line too.

    A WHO DDCC code fails the EU checks (it carries no EU DCC) yet can be valid: then the
    credential's verdict and holder are shown instead.
    """
    if credential is not None and credential.detail is not None and getattr(credential.detail, "ddcc", None):
        return render_credential(credential, colour)

    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if colour else text

    lines: list[str] = []
    kind = _TYPE_NAMES.get(report.certificate_type or "", "Health")
    if report.valid:
        lines.append(paint(f"VALID   {kind} certificate", _GREEN))
    else:
        lines.append(paint(f"INVALID {kind} certificate", _RED))
        if any(outcome.code in INCOMPLETE_SCAN_CODES for outcome in report.failures):
            lines.append(f"  {INCOMPLETE_SCAN}")
        for outcome in report.failures:
            lines.append(f"  reason ({outcome.name}): {_text(outcome.message, 400)}  [{outcome.code}]")
    claims = report.unverified_claims
    if claims is not None:
        if not report.valid:
            # Only the destination's rules failed: the certificate itself is authentic, its details true.
            rules_only = bool(report.failures) and all(outcome.name == "rules" for outcome in report.failures)
            lines.append(f"  {RULES_ONLY}" if rules_only else f"  {NOT_TRUSTWORTHY}:")
        lines.extend(_holder_lines(claims.dcc))
        if claims.issuer:
            lines.append(f"  Issuing country:  {_text(claims.issuer)}")
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


_FORMAT_NAMES = {
    "hcert": "HCERT (EU DCC / WHO DDCC)",
    "shc": "SMART Health Card",
    "icao-vds-nc": "ICAO VDS-NC",
    "divoc": "DIVOC",
    "unknown": "unknown format",
}
_EVENT_NAMES = {
    "vaccination": "Tiêm chủng / Vaccination",
    "test": "Xét nghiệm / Test",
    "recovery": "Khỏi bệnh / Recovery",
}


def render_credential(credential: CredentialReport, colour: bool = False) -> str:
    """The verdict for a code of any format: status, holder, events, and the reason when not valid."""

    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if colour else text

    vietnamese, english = STATUS_TEXT[credential.status]
    headline = f"{'HỢP LỆ / VALID' if credential.valid else 'KHÔNG HỢP LỆ / INVALID'}: {vietnamese} / {english}"
    lines = [paint(headline, _GREEN if credential.valid else _RED)]
    lines.append(f"  Định dạng / Format:      {_FORMAT_NAMES[credential.format]}")
    if not credential.valid and credential.code:
        if credential.status is Status.INVALID_ENCODING:
            lines.append(f"  {INCOMPLETE_SCAN}")
        lines.append(f"  Lý do / Reason:          {_text(credential.message, 400)}  [{credential.code}]")
    if credential.holder is not None or credential.events:
        if not credential.valid:
            lines.append(f"  {NOT_TRUSTWORTHY}:")
        if credential.holder is not None:
            lines.append(f"  Họ tên / Name:           {_text(credential.holder.name)}")
            lines.append(f"  Ngày sinh / Born:        {_text(credential.holder.birth_date) or '?'}")
        for event in credential.events:
            details = [_text(event.date) or "?"]
            if event.dose is not None:
                details.append(f"mũi / dose {event.dose}")
            if event.result:
                details.append(_text(event.result))
            if event.country:
                details.append(_text(event.country))
            lines.append(f"  {_EVENT_NAMES[event.type] + ':':<24} {', '.join(details)}")
    if credential.issuer:
        lines.append(f"  Nơi ký / Signed by:      {_text(credential.issuer)}")
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
    elif checks.get("revocation") is None and checks.get("signature") is True:
        # Said out loud: a certificate revoked since issue looks exactly like a valid one here.
        lines.append(f"  {REVOCATION_NOT_CHECKED}")
    return lines


def _holder_lines(dcc: Mapping[str, Any]) -> list[str]:
    if not isinstance(dcc, Mapping):
        return []
    raw_name = dcc.get("nam")
    name: Mapping[str, Any] = raw_name if isinstance(raw_name, Mapping) else {}
    native = " ".join(_text(name.get(k)) for k in ("fn", "gn") if name.get(k))
    standard = "<<".join(_text(name.get(k)) for k in ("fnt", "gnt") if name.get(k))
    lines = [f"  Name:             {native or standard}" + (f" ({standard})" if native and standard else "")]
    lines.append(f"  Date of birth:    {_text(dcc.get('dob')) or 'unknown'}")
    for group in ("v", "t", "r"):
        entries = dcc.get(group)
        if not isinstance(entries, list) or not entries or not isinstance(entries[0], Mapping):
            continue
        entry = entries[0]
        if group == "v":
            dose, doses, day = (_text(entry.get(key)) for key in ("dn", "sd", "dt"))
            lines.append(f"  Vaccination:      dose {dose} of {doses} on {day}")
            product = _display(VACCINE_PRODUCT, entry.get("mp"))
            lines.append(f"  Vaccine:          {product}, {_display(VACCINE_MANUFACTURER, entry.get('ma'))}")
        elif group == "t":
            result = _TEST_RESULTS.get(_text(entry.get("tr")), _text(entry.get("tr")))
            lines.append(f"  Test:             {_display(TEST_TYPE, entry.get('tt'))} sampled {_text(entry.get('sc'))}")
            lines.append(f"  Result:           {result}")
        else:
            lines.append(f"  Recovery:         first positive {_text(entry.get('fr'))}")
            lines.append(f"  Recovery valid:   {_text(entry.get('df'))} to {_text(entry.get('du'))}")
        lines.append(f"  Certificate id:   {_text(entry.get('ci'))}")
    return lines


def _display(value_set_id: str, code: object) -> str:
    value_set = ValueSets.bundled().get(value_set_id)
    entry = value_set.entries.get(code) if value_set is not None and isinstance(code, str) else None
    return f"{entry.display} ({_text(code)})" if entry else _text(code)


def _date(timestamp: int) -> str:
    try:
        return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, OSError, ValueError, TypeError):
        return _text(timestamp)


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


def print_revocations(revocations: RevocationList, at: datetime, out: TextIO) -> None:
    """A revocation list for people: sequence, age, state and how many hashes it holds per DSC."""
    state = "STALE" if revocations.is_stale(at) else "fresh"
    age = at - revocations.issued_at
    hashes = sum(len(batch) for batch in revocations.batches)
    out.write(
        f"revocation list #{revocations.sequence}: {hashes} revoked hashes in {len(revocations.batches)} batches\n"
        f"issued {revocations.issued_at.isoformat()} ({age.total_seconds() / 3600:.1f} h ago), "
        f"next update {revocations.next_update.isoformat()}: {state}\n"
    )


def print_rules(rules: RuleSet, out: TextIO) -> None:
    """Business rules for people: one line per rule, its description Vietnamese first."""
    out.write(f"{len(rules.rules)} entry rules\n")
    for rule in rules.rules:
        text = " / ".join(dict.fromkeys(rule.description((language,)) for language in ("vi", "en")))
        fields = (rule.identifier, rule.country, rule.rule_type, rule.certificate_type)
        out.write(f"  {'  '.join(_text(field) for field in fields)}  {_text(text, 200)}\n")

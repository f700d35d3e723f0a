"""The human-readable verdict shown to checkpoint staff, and summaries of the lists a verifier holds."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from vaxcert import ValueSets, VerificationReport
from vaxcert.hcert.revocation import RevocationList
from vaxcert.hcert.rules import RuleSet
from vaxcert.hcert.valuesets import TEST_TYPE, VACCINE_MANUFACTURER, VACCINE_PRODUCT
from vaxcert.summary import CredentialReport, Status
from vaxcert.trustlist import TrustListContent, VerifiedTrustList
from vaxcert_apps.i18n import DEFAULT_LANGUAGE, N_, Translator, both, translator

_GREEN = "\033[1;32m"
_RED = "\033[1;31m"
_RESET = "\033[0m"
_KIND_NAMES = {
    "v": N_("Vaccination certificate"),
    "t": N_("Test certificate"),
    "r": N_("Recovery certificate"),
}
_HEALTH_CERTIFICATE = N_("Health certificate")
_TEST_RESULTS = {"260415000": N_("not detected (negative)"), "260373001": N_("detected (positive)")}
_EVENT_RESULTS = {"negative": N_("negative"), "positive": N_("positive")}
# The stage a failure happened in, as staff read it (the English text is the stage's own name).
_STAGE_NAMES = {
    stage: name
    for stage, name in (
        ("picture", N_("picture")),
        ("unprefix", N_("unprefix")),
        ("base45", N_("base45")),
        ("decompress", N_("decompress")),
        ("cose", N_("cose")),
        ("signature", N_("signature")),
        ("cwt", N_("cwt")),
        ("schema", N_("schema")),
        ("expiry", N_("expiry")),
        ("key_usage", N_("key_usage")),
        ("revocation", N_("revocation")),
        ("rules", N_("rules")),
    )
}
_MAX_FIELD = 80  # a line per field: no certificate field is longer, a hostile one may be
# Codes a scan cut short produces: the reader stopped before the end of the QR text.
INCOMPLETE_SCAN_CODES = frozenset({"base45.bad_length", "base45.overflow", "decompress.truncated"})
_INCOMPLETE_SCAN = N_("Incomplete scan, scan again")
_RULES_ONLY = N_("The certificate is genuine but does not meet the entry rules")
_NOT_TRUSTWORTHY = N_("The details below are NOT trustworthy")
_REVOCATION_NOT_CHECKED = N_("Revocation not checked")
# Both languages in one line, for callers that print without choosing a language.
INCOMPLETE_SCAN = " / ".join(both(_INCOMPLETE_SCAN))
RULES_ONLY = " / ".join(both(_RULES_ONLY))
NOT_TRUSTWORTHY = " / ".join(both(_NOT_TRUSTWORTHY))
REVOCATION_NOT_CHECKED = " / ".join(both(_REVOCATION_NOT_CHECKED))


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


def _rows(rows: list[tuple[str, str]], indent: str = "  ") -> list[str]:
    """Label and value pairs with the values lined up, whatever the language's label lengths."""
    width = max((len(label) for label, _ in rows), default=0) + 2
    return [f"{indent}{label + ':':<{width}}{value}" for label, value in rows]


def _on(t: Translator, value: object) -> str:
    """A date from the certificate as people here write it; anything else as the field's own short text."""
    return t.date(value) if isinstance(value, (str, datetime)) else _text(value)


def _country(t: Translator, code: object) -> str:
    """``Việt Nam (VN)``: the name people read and the code as printed on the certificate."""
    name, shown = t.country(code), _text(code)
    return name if name == shown else f"{name} ({shown})"


def render_human(
    report: VerificationReport,
    colour: bool = False,
    credential: CredentialReport | None = None,
    lang: str = DEFAULT_LANGUAGE,
) -> str:
    """The HCERT verdict in ``lang``; with ``credential`` (the multi-format view of the same run) its status too.

    A WHO DDCC code fails the EU checks (it carries no EU DCC) yet can be valid: then the
    credential's verdict and holder are shown instead.
    """
    if credential is not None and credential.detail is not None and getattr(credential.detail, "ddcc", None):
        return render_credential(credential, colour, lang)
    t = translator(lang)

    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if colour else text

    lines: list[str] = []
    kind = t.gettext(_KIND_NAMES.get(report.certificate_type or "", _HEALTH_CERTIFICATE))
    if report.valid:
        lines.append(paint(t.gettext("VALID") + f": {kind}", _GREEN))
    else:
        lines.append(paint(t.gettext("INVALID") + f": {kind}", _RED))
        if any(outcome.code in INCOMPLETE_SCAN_CODES for outcome in report.failures):
            lines.append(f"  {t.gettext(_INCOMPLETE_SCAN)}")
        for outcome in report.failures:
            stage = t.gettext(_STAGE_NAMES.get(outcome.name, outcome.name))
            reason = t.gettext("reason ({stage})").format(stage=stage)
            lines.append(f"  {reason}: {_text(outcome.message, 400)}  [{outcome.code}]")
    claims = report.unverified_claims
    rows: list[tuple[str, str]] = []
    if claims is not None:
        if not report.valid:
            # Only the destination's rules failed: the certificate itself is authentic, its details true.
            rules_only = bool(report.failures) and all(outcome.name == "rules" for outcome in report.failures)
            lines.append(f"  {t.gettext(_RULES_ONLY)}" if rules_only else f"  {t.gettext(_NOT_TRUSTWORTHY)}:")
        rows.extend(_holder_rows(claims.dcc, t))
        if claims.issuer:
            rows.append((t.gettext("Issuing country"), _country(t, claims.issuer)))
        if claims.expires_at is not None:
            rows.append((t.gettext("QR valid until"), _on(t, _moment(claims.expires_at))))
    if report.signer is not None:
        rows.append((t.gettext("Signed by"), report.signer.subject))
    lines.extend(_rows(rows))
    lines.extend(_policy_lines(report, t))
    note = t.gettext("note")
    for text in report.notes:
        lines.append(f"  {note}: {text}")
    for finding in report.value_set_findings:
        lines.append(f"  {note}: {finding.describe()}")
    return "\n".join(lines)


_FORMAT_NAMES = {
    "hcert": "HCERT (EU DCC / WHO DDCC)",
    "shc": "SMART Health Card",
    "icao-vds-nc": "ICAO VDS-NC",
    "divoc": "DIVOC",
    "unknown": N_("unknown format"),
}
_EVENT_NAMES = {
    "vaccination": N_("Vaccination"),
    "test": N_("Test"),
    "recovery": N_("Recovery"),
}


def render_credential(credential: CredentialReport, colour: bool = False, lang: str = DEFAULT_LANGUAGE) -> str:
    """The verdict for a code of any format in ``lang``: status, holder, events, the reason when not valid."""
    t = translator(lang)

    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if colour else text

    verdict = t.gettext("VALID") if credential.valid else t.gettext("INVALID")
    status = t.status(credential.status)
    headline = verdict if status.casefold() == verdict.casefold() else f"{verdict}: {status}"
    lines = [paint(headline, _GREEN if credential.valid else _RED)]
    if not credential.valid and credential.code and credential.status is Status.INVALID_ENCODING:
        lines.append(f"  {t.gettext(_INCOMPLETE_SCAN)}")
    rows = [(t.gettext("Format"), t.gettext(_FORMAT_NAMES[credential.format]))]
    if not credential.valid and credential.code:
        rows.append((t.gettext("Reason"), f"{_text(credential.message, 400)}  [{credential.code}]"))
    details: list[tuple[str, str]] = []
    if credential.holder is not None:
        details.append((t.gettext("Name"), _text(credential.holder.name)))
        details.append((t.gettext("Date of birth"), _on(t, credential.holder.birth_date) or "?"))
    for event in credential.events:
        parts = [_on(t, event.date) or "?"]
        if event.dose is not None:
            parts.append(t.gettext("dose {dose}").format(dose=_text(event.dose)))
        if event.result:
            parts.append(t.gettext(_EVENT_RESULTS.get(event.result, "")) or _text(event.result))
        if event.country:
            parts.append(_country(t, event.country))
        details.append((t.gettext(_EVENT_NAMES[event.type]), ", ".join(parts)))
    if credential.issuer:
        details.append((t.gettext("Signed by"), _text(credential.issuer)))
    every = rows + details
    width = max(len(label) for label, _ in every) + 2
    lines.extend(f"  {label + ':':<{width}}{value}" for label, value in rows)
    if (credential.holder is not None or credential.events) and not credential.valid:
        lines.append(f"  {t.gettext(_NOT_TRUSTWORTHY)}:")
    lines.extend(f"  {label + ':':<{width}}{value}" for label, value in details)
    return "\n".join(lines)


def _policy_lines(report: VerificationReport, t: Translator) -> list[str]:
    """What the destination's rules and the revocation list said, when they were checked."""
    lines = []
    checks = report.checks
    other = "en" if t.language == "vi" else "vi"
    if checks.get("rules") is not None:
        passed = sum(1 for outcome in report.rule_outcomes if outcome.passed)
        total = len(report.rule_outcomes)
        summary = (
            t.gettext("{passed} of {total} passed").format(passed=passed, total=total)
            if total
            else t.gettext("none apply")
        )
        lines.append("  " + t.gettext("Entry rules") + f": {summary}")
        for outcome in report.rule_outcomes:
            if not outcome.passed:  # the rule set's own text, in this language when it has it
                rule = outcome.rule
                text = rule.description((t.language, other))
                failed = t.gettext("failed {rule}").format(rule=rule.identifier)
                lines.append(f"    {failed}: {text}" + (f" ({outcome.error})" if outcome.error else ""))
    if checks.get("revocation") is True:
        lines.append("  " + t.gettext("Revocation") + ": " + t.gettext("not on the revocation list"))
    elif checks.get("revocation") is None and checks.get("signature") is True:
        # Said out loud: a certificate revoked since issue looks exactly like a valid one here.
        lines.append(f"  {t.gettext(_REVOCATION_NOT_CHECKED)}")
    return lines


def _holder_rows(dcc: Mapping[str, Any], t: Translator) -> list[tuple[str, str]]:
    if not isinstance(dcc, Mapping):
        return []
    raw_name = dcc.get("nam")
    name: Mapping[str, Any] = raw_name if isinstance(raw_name, Mapping) else {}
    native = " ".join(_text(name.get(k)) for k in ("fn", "gn") if name.get(k))
    standard = "<<".join(_text(name.get(k)) for k in ("fnt", "gnt") if name.get(k))
    rows = [(t.gettext("Name"), (native or standard) + (f" ({standard})" if native and standard else ""))]
    rows.append((t.gettext("Date of birth"), _on(t, dcc.get("dob")) or t.gettext("unknown")))
    for group in ("v", "t", "r"):
        entries = dcc.get(group)
        if not isinstance(entries, list) or not entries or not isinstance(entries[0], Mapping):
            continue
        entry = entries[0]
        if group == "v":
            dose, doses = (_text(entry.get(key)) for key in ("dn", "sd"))
            day = _on(t, entry.get("dt"))
            given = t.gettext("dose {dose} of {doses} on {date}").format(dose=dose, doses=doses, date=day)
            rows.append((t.gettext("Vaccination"), given))
            product = _display(VACCINE_PRODUCT, entry.get("mp"))
            rows.append((t.gettext("Vaccine"), f"{product}, {_display(VACCINE_MANUFACTURER, entry.get('ma'))}"))
        elif group == "t":
            code = _text(entry.get("tr"))
            result = t.gettext(_TEST_RESULTS[code]) if code in _TEST_RESULTS else code
            test = t.value(entry.get("tt")) or _display(TEST_TYPE, entry.get("tt"))
            sampled = t.gettext("{test} sampled {date}").format(test=test, date=_on(t, entry.get("sc")))
            rows.append((t.gettext("Test"), sampled))
            rows.append((t.gettext("Result"), result))
        else:
            first = t.gettext("first positive {date}").format(date=_on(t, entry.get("fr")))
            rows.append((t.gettext("Recovery"), first))
            period = t.gettext("{start} to {end}").format(start=_on(t, entry.get("df")), end=_on(t, entry.get("du")))
            rows.append((t.gettext("Recovery valid"), period))
        if entry.get("co"):
            rows.append((t.gettext("Country"), _country(t, entry.get("co"))))
        rows.append((t.gettext("Certificate id"), _text(entry.get("ci"))))
    return rows


def _display(value_set_id: str, code: object) -> str:
    value_set = ValueSets.bundled().get(value_set_id)
    entry = value_set.entries.get(code) if value_set is not None and isinstance(code, str) else None
    return f"{entry.display} ({_text(code)})" if entry else _text(code)


def _moment(timestamp: int) -> datetime | int:
    try:
        return datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, OSError, ValueError, TypeError):
        return timestamp


def framework_counts(content: TrustListContent) -> str:
    """One line: keys per framework (the list's DSCs under DCC), then the revocation data it carries."""
    counts = ", ".join(f"{framework} {count}" for framework, count in content.counts().items())
    return (
        f"keys: {counts}; {len(content.x509_crls)} X.509 CRLs, "
        f"{len(content.shc_revocations)} SHC revocation lists (format {content.format_version})"
    )


def _state(stale: bool, t: Translator) -> str:
    return t.gettext("STALE") if stale else t.gettext("fresh")


def _age(t: Translator, issued: datetime, at: datetime, next_update: datetime, stale: bool) -> str:
    return t.gettext("issued {issued} ({hours} h ago), next update {next}: {state}").format(
        issued=t.date(issued),
        hours=f"{(at - issued).total_seconds() / 3600:.1f}",
        next=t.date(next_update),
        state=_state(stale, t),
    )


def print_list(checked: VerifiedTrustList, at: datetime, out: TextIO, lang: str = "en") -> None:
    """A trust list for people: state, age, entries and rejected entries (English unless ``lang`` says)."""
    t = translator(lang)
    content = checked.content
    heading = t.gettext("trust list #{sequence}, signed by {signer}")
    out.write(
        heading.format(sequence=content.sequence, signer=checked.signer.subject)
        + "\n"
        + _age(t, content.issued_at, at, content.next_update, checked.is_stale(at))
        + "\n"
        + f"{len(content.entries)} DSCs, {len(content.cscas)} CSCAs\n"
        + f"{framework_counts(content)}\n"
    )
    for entry in content.entries:
        types = ",".join(sorted(entry.types))
        out.write(f"  {entry.certificate.kid_b64}  {entry.country}  [{types}]  {entry.certificate.subject}\n")
    rejected = t.gettext("rejected {entry}: {reason}")
    for item in checked.rejected:
        out.write("  " + rejected.format(entry=item.description, reason=item.reason) + "\n")


def print_revocations(revocations: RevocationList, at: datetime, out: TextIO, lang: str = "en") -> None:
    """A revocation list for people: sequence, age, state and how many hashes it holds per DSC."""
    t = translator(lang)
    hashes = sum(len(batch) for batch in revocations.batches)
    heading = t.gettext("revocation list #{sequence}: {hashes} revoked hashes in {batches} batches")
    out.write(
        heading.format(sequence=revocations.sequence, hashes=hashes, batches=len(revocations.batches))
        + "\n"
        + _age(t, revocations.issued_at, at, revocations.next_update, revocations.is_stale(at))
        + "\n"
    )


def print_rules(rules: RuleSet, out: TextIO, lang: str = "en") -> None:
    """Business rules for people: one line per rule, its description in ``lang`` first, then the other language."""
    t = translator(lang)
    out.write(t.gettext("{count} entry rules").format(count=len(rules.rules)) + "\n")
    order = ("vi", "en") if lang == "vi" else ("en", "vi")
    for rule in rules.rules:
        text = " / ".join(dict.fromkeys(rule.description((language,)) for language in order))
        fields = (rule.identifier, rule.country, rule.rule_type, rule.certificate_type)
        out.write(f"  {'  '.join(_text(field) for field in fields)}  {_text(text, 200)}\n")

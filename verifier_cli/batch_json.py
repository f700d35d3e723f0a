"""The JSON text of an HCERT verdict, written straight from the reports' fields.

The contract is what the single-code path prints: ``json.dumps(document, ensure_ascii=False)``
of ``report.to_json()`` updated with the shared fields of the credential report
(``spec/verifier-json.md``).  Building that document and then walking it again in the
encoder cost a batch nearly a third of a verification per code, so the batch writes the
same text from the fields directly: flags and library-written codes from precomputed
pieces, texts through the encoder's own C string quoting, the payload through the C
encoder once a bounded walk has shown it is plain JSON.

Anything outside the shapes this knows (a value of an unexpected type, a payload that
needs the bounded converter, a repeated check name) makes :func:`hcert_line` answer None,
and the caller takes the generic path: the output is the same byte for byte either way.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from json.encoder import encode_basestring
from operator import attrgetter
from typing import Any

from vaxcert.hcert.cwt import JSON_MAX_DEPTH, JSON_MAX_VALUES, CwtClaims
from vaxcert.hcert.report import CHECKS, VerificationReport
from vaxcert.outcome import StageOutcome
from vaxcert.summary import CredentialReport, HealthEvent, Status

__all__ = ["hcert_line"]


def _json_encoder() -> Callable[[Any], str]:
    """``json.dumps(value, ensure_ascii=False)`` for acyclic values, with the C encoder made once."""
    c_make_encoder = getattr(json.encoder, "c_make_encoder", None)  # not in the typing stubs
    if c_make_encoder is None:  # an interpreter without the _json accelerator
        return json.JSONEncoder(ensure_ascii=False, check_circular=False).encode
    # No cycle markers: every value given is acyclic (a bounded walk or converter made sure).
    encoder = c_make_encoder(None, None, encode_basestring, None, ": ", ", ", False, False, True)
    return lambda value: "".join(encoder(value, 0))


_encode = _json_encoder()
_quote = encode_basestring  # the C quoting the encoder itself uses when ensure_ascii is off
_LITERAL = {True: "true", False: "false", None: "null"}
_QUOTED_CHECK = {name: _quote(name) for name in CHECKS}
_QUOTED_STATUS = {status: _quote(str(status)) for status in Status}
_SIGNATURE = CHECKS.index("signature")
# The copy the report's own converter makes is skipped for integers within every JSON reader's range only.
_SAFE_INT = 1 << 63
_names = attrgetter("name")
_passed = attrgetter("passed")

# The "checks" object's text, the failed checks' positions and the stage, by the checks' results.
# Few combinations occur (a batch of valid codes has one); the bound keeps hostile input from
# growing it past a few hundred kilobytes.
_CHECKS_TEXT: dict[tuple[bool | None, ...], tuple[str, tuple[int, ...], str]] = {}
_CHECKS_TEXT_LIMIT = 512


class _Unusual(Exception):
    """A value this writer does not know how to print exactly as json.dumps would."""


def hcert_line(report: VerificationReport, credential: CredentialReport, clock: tuple[datetime, str]) -> str | None:
    """The document's JSON text and a newline, or None when only the generic path prints it exactly.

    ``clock`` is a validation clock and its quoted ISO text, reused when the report's clock is that object.
    """
    try:
        return _hcert_line(report, credential, clock)
    except (_Unusual, TypeError):  # TypeError: the string quoting was given something other than text
        return None


def _checks(passed: tuple[bool | None, ...]) -> tuple[str, tuple[int, ...], str]:
    known = _CHECKS_TEXT.get(passed)
    if known is None:
        failed = tuple(index for index, result in enumerate(passed) if result is False)
        # VerificationReport.valid and .stage: valid when nothing failed and the signature was verified.
        stage = CHECKS[failed[0]] if failed else "ok" if passed[_SIGNATURE] is True else "signature"
        entries = ", ".join(
            f"{_QUOTED_CHECK[name]}: {_LITERAL[result]}" for name, result in zip(CHECKS, passed, strict=True)
        )
        known = ("{" + entries + "}", failed, _quote(stage))
        if len(_CHECKS_TEXT) >= _CHECKS_TEXT_LIMIT:
            _CHECKS_TEXT.clear()
        _CHECKS_TEXT[passed] = known
    return known


def _hcert_line(report: VerificationReport, credential: CredentialReport, clock: tuple[datetime, str]) -> str:
    # Texts go through _quote, which refuses anything but str with a TypeError: the generic path then.
    quote = _quote
    outcomes = report.outcomes
    # The pipeline reports every check once, in this order; anything else takes the generic path.
    if tuple(map(_names, outcomes)) != CHECKS:
        raise _Unusual
    passed = tuple(map(_passed, outcomes))
    for result in passed:
        if result is not True and result is not False and result is not None:
            raise _Unusual
    if report.qr_text is not None:
        raise _Unusual  # a picture's report: no batch line has one
    checks, failed, stage = _checks(passed)
    errors = ", ".join([_error(outcomes[index]) for index in failed]) if failed else ""
    claims = report.unverified_claims
    kid = report.kid
    signer = report.signer
    schema_version = report.schema_version
    certificate_type = report.certificate_type
    findings = report.value_set_findings
    notes = report.notes
    moment = report.validation_clock
    holder = credential.holder
    code = credential.code
    message = credential.message
    # One f-string: every piece is copied once, into the line (which is as wide as its widest
    # character, so each extra concatenation would widen and copy the whole line again).
    return (
        f'{{"valid": {_LITERAL[credential.valid]}, "stage": {stage}, "checks": {checks}, "errors": {{{errors}}}, '
        f'"payload": {"null" if claims is None else _payload(claims)}, '
        f'"kid": {quote(base64.b64encode(kid).decode("ascii")) if kid else "null"}, '
        f'"signer": {quote(signer.subject) if signer else "null"}, '
        f'"schema_version": {"null" if schema_version is None else quote(schema_version)}, '
        f'"certificate_type": {"null" if certificate_type is None else quote(certificate_type)}, '
        f'"value_set_findings": {_texts([finding.describe() for finding in findings]) if findings else "[]"}, '
        f'"notes": {_texts(notes) if notes else "[]"}, '
        f'"rules": {_encode(report.rules_json()) if report.rule_outcomes else "[]"}, '
        f'"validation_clock": {clock[1] if moment is clock[0] else quote(moment.isoformat())}, '
        f'"format": {quote(credential.format)}, '
        f'"status": {_QUOTED_STATUS.get(credential.status) or quote(str(credential.status))}, '
        f'"holder": {"null" if holder is None else _holder(holder.name, holder.birth_date)}, '
        f'"events": [{", ".join([_event(event) for event in credential.events])}], '
        f'"code": {"null" if code is None else quote(code)}, '
        f'"message": {"null" if message is None else quote(message)}}}\n'
    )


def _holder(name: str, birth_date: str | None) -> str:
    return f'{{"name": {_quote(name)}, "birth_date": {"null" if birth_date is None else _quote(birth_date)}}}'


def _error(outcome: StageOutcome) -> str:
    code, message = outcome.code, outcome.message
    text = (
        f'{_QUOTED_CHECK[outcome.name]}: {{"code": {"null" if code is None else _quote(code)}, '
        f'"message": {"null" if message is None else _quote(message)}'
    )
    legacy = outcome.legacy_code
    if legacy is not None:
        text += f', "legacy_code": {_quote(legacy)}'
    return text + "}"


def _event(event: HealthEvent) -> str:
    dose = event.dose
    if dose is None:
        dose_text = "null"
    elif type(dose) is int:
        dose_text = int.__repr__(dose)  # what the encoder writes for an int
    else:
        raise _Unusual
    date, country, product, result = event.date, event.country, event.product, event.result
    return (
        f'{{"type": {_quote(event.type)}, "date": {"null" if date is None else _quote(date)}, "dose": {dose_text}, '
        f'"country": {"null" if country is None else _quote(country)}, '
        f'"product": {"null" if product is None else _quote(product)}, '
        f'"result": {"null" if result is None else _quote(result)}}}'
    )


def _texts(values: Sequence[object]) -> str:
    return "[" + ", ".join([_quote(value) for value in values]) + "]"  # type: ignore[arg-type]  # str or TypeError


def _payload(claims: CwtClaims) -> str:
    root = {"iss": claims.issuer, "iat": claims.issued_at, "exp": claims.expires_at, "hcert": claims.dcc}
    if _plain(root, 0, [JSON_MAX_VALUES - 1]):
        # Exactly what CwtClaims.to_json's lean copy would hold, so the encoder prints the same text.
        return _encode(root)
    return _encode(claims.to_json())


def _plain(container: dict[Any, Any] | list[Any], depth: int, left: list[int]) -> bool:
    """Whether CwtClaims.to_json would copy ``container`` as it stands (plain JSON within the printing bounds).

    Accepts no more than that copy does (exact types, text keys, integers below 2**63, finite
    floats, the same depth and value budget), so a True here means its copy equals the original.
    """
    if depth >= JSON_MAX_DEPTH:
        return False
    left[0] -= len(container)
    if left[0] < 0:
        return False
    if type(container) is dict:
        for key in container:
            if type(key) is not str:
                return False
        items: Iterable[Any] = container.values()
    else:
        items = container
    depth += 1
    for item in items:
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if -_SAFE_INT <= item < _SAFE_INT:
                continue
            return False
        if kind is float:
            if math.isfinite(item):
                continue
            return False
        if (kind is dict or kind is list) and _plain(item, depth, left):
            continue
        return False
    return True

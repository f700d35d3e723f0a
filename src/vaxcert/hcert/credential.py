"""HCERT (``HC1:``) codes in the multi-format view: EU DCC and WHO DDCC, one status, holder and events.

The HCERT pipeline (:func:`vaxcert.verify`) stays the authority: this module runs it
with the DSCs of every trust input, then reads its report in the shared vocabulary.

Two things only the multi-format view adds:

- **registry key status**: a DCC key listed in a trust registry as terminated,
  revoked or expired (or used outside its validity window) fails as such, above a
  bad signature in the precedence;
- **WHO DDCC variants**: a code whose CWT carries no EU claim -260 but a DDCC core
  data set (``name``, ``birthDate``, ``vaccine``, ``date``, ``dose``...) is verified
  the same way (signature, key, expiry claim) and its holder and events are read
  from the data set.  A signed CWT holding neither is ``not_supported``.
"""

from __future__ import annotations

import base64
import contextlib
import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import cose
from .._cbor import HCERT_PAYLOAD, CborFormatError, loads_strict
from ..errors import CwtError, ExpiryError, SignatureError
from ..outcome import StageOutcome
from ..registry import TrustRegistry
from ..summary import CredentialReport, HealthEvent, Holder, Status, report_from_outcomes
from ..trust import DocumentSignerCertificate, TrustStore
from . import base45, compression, prefix
from .cwt import CLAIM_EXP, CLAIM_HCERT
from .pipeline import Policy
from .pipeline import verify as verify_hcert_pipeline
from .report import VerificationReport
from .valuesets import ValueSets

# Each check's failure in the shared vocabulary; codes listed in _STATUS_BY_CODE refine it.
_STATUS_BY_STAGE: Mapping[str, Status] = {
    "picture": Status.NOT_SUPPORTED,
    "unprefix": Status.NOT_SUPPORTED,
    "base45": Status.INVALID_ENCODING,
    "decompress": Status.INVALID_COMPRESSION,
    "cose": Status.INVALID_SIGNING_FORMAT,
    "cwt": Status.INVALID_SIGNING_FORMAT,
    "signature": Status.INVALID_SIGNATURE,
    # The signed content is not the EU DCC it claims to be.
    "schema": Status.INVALID_SIGNING_FORMAT,
    "expiry": Status.EXPIRED,
    # The signer is trusted, but not for this kind of certificate.
    "key_usage": Status.ISSUER_NOT_TRUSTED,
    "revocation": Status.REVOKED,
    "rules": Status.RULES_NOT_MET,
}
_STATUS_BY_CODE: Mapping[str, Status] = {
    "cwt.not_health_certificate": Status.NOT_SUPPORTED,
    "signature.no_kid": Status.INVALID_SIGNING_FORMAT,
    "signature.no_alg": Status.INVALID_SIGNING_FORMAT,
    "signature.bad_length": Status.INVALID_SIGNING_FORMAT,
    "signature.unsupported_algorithm": Status.INVALID_SIGNING_FORMAT,
    "signature.kid_not_found": Status.ISSUER_NOT_TRUSTED,
    "signature.list_stale": Status.ISSUER_NOT_TRUSTED,
    "expiry.dsc_expired": Status.EXPIRED_KEYS,
    "expiry.dsc_not_yet_valid": Status.EXPIRED_KEYS,
    "revocation.list_stale": Status.REVOCATION_UNKNOWN,
    "signature.key_terminated": Status.TERMINATED_KEYS,
    "signature.key_revoked": Status.REVOKED_KEYS,
    "signature.key_expired": Status.EXPIRED_KEYS,
}
_DDCC_MARKERS = ("vaccine", "birthDate", "dose", "date", "certificate")


@dataclass(frozen=True, slots=True)
class HcertDetail:
    """The HCERT view's own detail: the full HCERT report, and the DDCC data set when that is what was signed."""

    report: VerificationReport
    ddcc: Mapping[str, Any] | None = None


def dcc_trust_store(registry: TrustRegistry, base: TrustStore | None = None) -> TrustStore:
    """The DSCs an HCERT code may be signed by: ``base``, the registry's DCC keys, and anchor certificates.

    Nothing is converted up front: a kid is looked up in the registry when a code names
    it, so verifying with the full registry snapshot (900 DCC keys) costs what verifying
    with one key does.
    """
    return TrustStore(_RegistryKidIndex(registry, base), base.source if base is not None else None)


class _RegistryKidIndex(Mapping[bytes, tuple[DocumentSignerCertificate, ...]]):
    """kid -> DSCs over a base store, the registry's DCC keys and its anchor certificates."""

    def __init__(self, registry: TrustRegistry, base: TrustStore | None) -> None:
        self._registry = registry
        self._base: Mapping[bytes, tuple[DocumentSignerCertificate, ...]] = base.by_kid if base is not None else {}
        self._anchors: dict[bytes, tuple[DocumentSignerCertificate, ...]] = {}
        for der in registry.anchors:
            dsc = _anchor_dsc(der)
            if dsc is not None:
                self._anchors[dsc.kid] = (*self._anchors.get(dsc.kid, ()), dsc)
        self._found: dict[bytes, tuple[DocumentSignerCertificate, ...]] = {}

    def __getitem__(self, kid: bytes) -> tuple[DocumentSignerCertificate, ...]:
        found = self._found.get(kid)
        if found is None:
            listed = _registry_dsc(self._registry, kid)
            found = (*self._base.get(kid, ()), *self._anchors.get(kid, ()), *((listed,) if listed else ()))
            if not found:
                raise KeyError(kid)
            self._found[kid] = found
        return found

    def __iter__(self) -> Iterator[bytes]:
        kids = dict.fromkeys([*self._base, *self._anchors])
        for framework, key_id in self._registry.keys:
            if framework == "DCC":
                with contextlib.suppress(ValueError):
                    kids.setdefault(base64.b64decode(key_id, validate=True))
        return iter(kids)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _registry_dsc(registry: TrustRegistry, kid: bytes) -> DocumentSignerCertificate | None:
    key_id = base64.b64encode(kid).decode("ascii")
    key = registry.key("DCC", key_id)
    if key is None:
        return None
    try:
        public_key = key.public_key
    except ValueError:
        return None  # an unusable entry trusts nothing; the others still work
    return DocumentSignerCertificate(
        der=key.spki,
        public_key=public_key,  # type: ignore[arg-type]  # HCERT checks the key type when verifying
        kid=kid,
        subject=key.name or f"registry DCC key {key_id}",
        country=None,
        not_before=key.valid_from,
        not_after=key.valid_until,
        allowed_types=None,
    )


@functools.lru_cache(maxsize=1024)
def _anchor_dsc(der: bytes) -> DocumentSignerCertificate | None:
    try:
        return DocumentSignerCertificate.from_der(der)
    except ValueError:
        return None  # a CSCA or VDS signer that is no DSC: other formats use it


def verify_hcert(
    text: str,
    registry: TrustRegistry | None = None,
    *,
    at: datetime,
    trust: TrustStore | None = None,
    policy: Policy | None = None,
    value_sets: ValueSets | None = None,
    report: VerificationReport | None = None,
) -> CredentialReport:
    """Verify an ``HC1:`` code (EU DCC or WHO DDCC) and read it in the shared vocabulary.

    ``report`` is an HCERT report already made for ``text`` (the verifier CLI prints
    both views of one run); otherwise the pipeline runs here.
    """
    registry = registry or TrustRegistry()
    if report is None:
        store = dcc_trust_store(registry, trust)
        report = verify_hcert_pipeline(text, store, at=at, policy=policy, value_sets=value_sets)
    outcomes = list(report.outcomes)
    ddcc: Mapping[str, Any] | None = None
    cwt_outcome = report.outcome("cwt")
    if cwt_outcome.code in ("cwt.no_hcert", "cwt.no_dcc"):
        payload = _unverified_payload(text)
        ddcc = _ddcc_data_set(payload)
        index = outcomes.index(cwt_outcome)
        if ddcc is None:
            outcomes[index] = StageOutcome.failed(
                "cwt",
                CwtError("cwt.not_health_certificate", "the signed CWT holds no EU DCC and no WHO DDCC data set"),
            )
        else:
            outcomes[index] = StageOutcome("cwt", True)
            outcomes[outcomes.index(report.outcome("expiry"))] = _ddcc_expiry(payload, at)
    key_status = _registry_key_status(report, registry, at)
    if key_status is not None:
        # A key the registry no longer trusts outranks whatever the signature check found.
        outcomes[outcomes.index(report.outcome("signature"))] = key_status
    pairs = [(outcome, _status_of(outcome)) for outcome in outcomes]
    holder, events = _summary(report, ddcc)
    signer = report.signer.subject if report.signer else None
    return report_from_outcomes(
        "hcert", pairs, holder=holder, events=events, issuer=signer, detail=HcertDetail(report, ddcc)
    )


def _status_of(outcome: StageOutcome) -> Status | None:
    if outcome.passed is not False:
        return None
    return _STATUS_BY_CODE.get(outcome.code or "") or _STATUS_BY_STAGE.get(outcome.name, Status.INVALID_SIGNATURE)


def _registry_key_status(report: VerificationReport, registry: TrustRegistry, at: datetime) -> StageOutcome | None:
    if report.kid is None:
        return None
    key = registry.key("DCC", base64.b64encode(report.kid).decode("ascii"))
    if key is None:
        return None
    status = key.status_at(at)
    if status == "current":
        return None
    return StageOutcome.failed(
        "signature", SignatureError(f"signature.key_{status}", f"the registry lists the signing key as {status}")
    )


def _unverified_payload(text: str) -> Any:
    # Only reached after the pipeline decoded the same text, so every step succeeds here.
    try:
        message = cose.decode(compression.decode(base45.decode(prefix.decode(text))))
        return loads_strict(message.payload, HCERT_PAYLOAD)
    except (ValueError, CborFormatError):
        return None


def _ddcc_data_set(payload: Any) -> Mapping[str, Any] | None:
    """The DDCC core data set: the claim set itself, or a map inside the hcert claim or another claim."""
    if not isinstance(payload, Mapping):
        return None
    candidates: list[Any] = [payload]
    hcert = payload.get(CLAIM_HCERT)
    if isinstance(hcert, Mapping):
        candidates.extend(hcert.values())
    candidates.extend(value for key, value in payload.items() if key != CLAIM_HCERT)
    for candidate in candidates:
        if (
            isinstance(candidate, Mapping)
            and isinstance(candidate.get("name"), str)
            and any(marker in candidate for marker in _DDCC_MARKERS)
        ):
            return candidate
    return None


def _ddcc_expiry(payload: Any, at: datetime) -> StageOutcome:
    exp = payload.get(CLAIM_EXP) if isinstance(payload, Mapping) else None
    if isinstance(exp, int) and not isinstance(exp, bool) and at.timestamp() > exp:
        return StageOutcome.failed("expiry", ExpiryError("expiry.expired", "the certificate's exp claim has passed"))
    return StageOutcome("expiry", True)


def _summary(report: VerificationReport, ddcc: Mapping[str, Any] | None) -> tuple[Holder | None, list[HealthEvent]]:
    if ddcc is not None:
        return _ddcc_summary(ddcc)
    claims = report.unverified_claims
    if claims is None:
        return None, []
    return dcc_summary(claims.dcc)


def dcc_summary(dcc: Mapping[str, Any]) -> tuple[Holder | None, list[HealthEvent]]:
    """Holder and events of an EU DCC (already schema-checked or not: every field is read defensively)."""
    raw_name = dcc.get("nam")
    name: Mapping[str, Any] = raw_name if isinstance(raw_name, Mapping) else {}
    given = _text(name.get("gn")) or _text(name.get("gnt"))
    family = _text(name.get("fn")) or _text(name.get("fnt"))
    full = " ".join(part for part in (given, family) if part)
    holder = Holder(full, _text(dcc.get("dob")) or None) if full else None
    events: list[HealthEvent] = []
    for entry in _entries(dcc, "v"):
        events.append(
            HealthEvent(
                "vaccination",
                _date(entry.get("dt")),
                _int(entry.get("dn")),
                _text(entry.get("co")) or None,
                _text(entry.get("mp")) or None,
            )
        )
    for entry in _entries(dcc, "t"):
        result = {"260373001": "positive", "260415000": "negative"}.get(_text(entry.get("tr")))
        events.append(
            HealthEvent(
                "test",
                _date(entry.get("sc")),
                None,
                _text(entry.get("co")) or None,
                _text(entry.get("ma")) or _text(entry.get("nm")) or None,
                result,
            )
        )
    for entry in _entries(dcc, "r"):
        events.append(HealthEvent("recovery", _date(entry.get("fr")), None, _text(entry.get("co")) or None))
    return holder, events


def _ddcc_summary(ddcc: Mapping[str, Any]) -> tuple[Holder | None, list[HealthEvent]]:
    name = _text(ddcc.get("name"))
    holder = Holder(name, _text(ddcc.get("birthDate")) or None) if name else None
    events: list[HealthEvent] = []
    vaccinations = ddcc.get("vaccination")
    entries = vaccinations if isinstance(vaccinations, list) else [ddcc] if "vaccine" in ddcc else []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        events.append(
            HealthEvent(
                "vaccination",
                _date(entry.get("date")),
                _int(entry.get("dose")),
                _coded(entry.get("country")),
                _coded(entry.get("vaccine")),
            )
        )
    return holder, events


def _entries(dcc: Mapping[str, Any], group: str) -> list[Mapping[str, Any]]:
    entries = dcc.get(group)
    return [entry for entry in entries if isinstance(entry, Mapping)] if isinstance(entries, list) else []


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _date(value: Any) -> str | None:
    text = _text(value)
    return text[:10] if len(text) >= 10 else text or None


def _coded(value: Any) -> str | None:
    if isinstance(value, Mapping):
        return _text(value.get("code")) or None
    return _text(value) or None

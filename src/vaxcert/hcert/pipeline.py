"""The whole HCERT pipeline in one place: :func:`issue` one way, :func:`verify` back.

Each stage lives in its own module as a pure function; this file only
strings them together and records every outcome in a
:class:`~vaxcert.hcert.report.VerificationReport`.  Nothing here does I/O except
reading an image the caller named.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .. import cose, qr
from ..errors import (
    CompressionError,
    ExpiryError,
    IssuanceError,
    KeyUsageError,
    PrefixError,
    RevocationError,
    RulesError,
    SchemaError,
    SignatureError,
    TrustError,
    VaxcertError,
)
from ..keys import Signer
from ..outcome import StageOutcome
from ..trust import DocumentSignerCertificate, TrustStore
from . import base45, compression, cwt, payload_checks, prefix, rules, schema, uvci
from .report import CHECKS, VerificationReport
from .revocation import RevocationList
from .rules import RuleSet
from .valuesets import ValueSetFinding, ValueSets

if TYPE_CHECKING:  # pydantic costs ~100 ms at import; verifiers never need it
    from .dcc import DigitalCovidCertificate

# Vietnam's rule (MoH Decision 5772/QĐ-BYT): a QR expires 12 months after creation.
DEFAULT_VALIDITY = timedelta(days=365)
MAX_TEXT_LENGTH = 16 * 1024
_TYPE_NAMES = {"v": "vaccination", "t": "test", "r": "recovery"}
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class IssuedCertificate:
    """A freshly signed certificate: the QR text and what was put in it."""

    text: str
    uvci: str
    kid: bytes
    certificate_type: str
    issued_at: datetime
    expires_at: datetime
    # The DCC exactly as signed (names transliterated, UVCI in place): for the issuer's own
    # records, so nobody decodes the QR text back.  Kept out of repr: it is personal data.
    dcc: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def png(self, scale: int = 4) -> bytes:
        return qr.encode_png(self.text, scale)

    def svg(self, scale: int = 4) -> str:
        return qr.encode_svg(self.text, scale)


def issue(
    certificate: DigitalCovidCertificate | Mapping[str, Any],
    signer: Signer,
    *,
    issuer_country: str = "VN",
    issued_at: datetime | None = None,
    validity: timedelta = DEFAULT_VALIDITY,
    value_sets: ValueSets | None = None,
) -> IssuedCertificate:
    """Sign a DCC and return its ``HC1:`` text.

    Refuses (with :class:`IssuanceError` or :class:`SchemaError`) a payload
    that fails the model or the official schema, a code missing from the value
    sets, a UVCI with a wrong check character, a DSC whose EKU excludes the
    certificate type, and an ``exp`` the DSC would not outlive.
    """
    dcc, certificate_uvci, kind = _validated(certificate, issuer_country, value_sets)
    dsc = signer.certificate
    if not dsc.may_sign(kind):
        raise IssuanceError(
            "issue.dsc_not_allowed", f"the DSC's extended key usage does not allow {_TYPE_NAMES[kind]} certificates"
        )
    now = (issued_at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    expires = now + validity
    if dsc.not_after is not None and expires > dsc.not_after:
        raise IssuanceError(
            "issue.exp_after_dsc",
            f"the certificate would expire {expires.isoformat()}, after its DSC ({dsc.not_after.isoformat()})",
        )
    if dsc.not_before is not None and now < dsc.not_before:
        raise IssuanceError("issue.dsc_not_yet_valid", f"the DSC is valid only from {dsc.not_before.isoformat()}")
    claims = cwt.CwtClaims(issuer_country, int(now.timestamp()), int(expires.timestamp()), dcc)
    message = cose.sign(cwt.encode(claims), signer, dsc.kid)
    text = prefix.encode(base45.encode(compression.encode(message)))
    return IssuedCertificate(text, certificate_uvci, dsc.kid, kind, now, expires, dcc)


def _validated(
    certificate: DigitalCovidCertificate | Mapping[str, Any], country: str, value_sets: ValueSets | None
) -> tuple[dict[str, Any], str, str]:
    """The payload as it will be signed, its UVCI and its type; raises for anything refused.

    A plain payload the lean checks vouch for skips the pydantic model and the schema
    validator (together over half of issue() in place): those checks imply both.  Anything
    else, a model instance included, goes through the model and then the schema, which
    word the refusal.
    """
    if type(certificate) is dict:
        payload, _ = _with_generated_uvci(certificate, country)
        dcc = payload_checks.checked_payload(payload)
        if dcc is not None:
            kind = "v" if "v" in dcc else "t" if "t" in dcc else "r"
            _refuse_unknown_codes((value_sets or ValueSets.bundled()).check(dcc))
            return dcc, dcc[kind][0]["ci"], kind
    model, generated_uvci = _model(certificate, country)
    dcc = model.to_json()
    result = schema.validate(dcc, value_sets)
    _refuse_unknown_codes(result.value_set_findings)
    certificate_uvci = model.uvci or ""
    if not generated_uvci and "#" in certificate_uvci and not uvci.has_valid_checksum(certificate_uvci):
        raise IssuanceError("issue.bad_uvci_checksum", f"UVCI {certificate_uvci!r} has a wrong check character")
    return dcc, certificate_uvci, result.certificate_type


def _refuse_unknown_codes(findings: tuple[ValueSetFinding, ...]) -> None:
    if findings:
        raise IssuanceError("issue.unknown_code", "; ".join(finding.describe() for finding in findings))


def _model(
    certificate: DigitalCovidCertificate | Mapping[str, Any], country: str
) -> tuple[DigitalCovidCertificate, bool]:
    """The validated model with a UVCI, and whether that UVCI was generated here."""
    from pydantic import ValidationError

    from .dcc import DigitalCovidCertificate

    generated: str | None = None
    if not isinstance(certificate, DigitalCovidCertificate):
        if not isinstance(certificate, Mapping):
            raise SchemaError("schema.not_an_object", "the certificate payload must be a JSON object")
        # A UVCI put in before validation is checked by the model like a given one, and spares
        # the two model copies with_uvci() makes afterwards (a fifth of issue() in all).
        certificate, generated = _with_generated_uvci(certificate, country)
        try:
            certificate = DigitalCovidCertificate.model_validate(certificate)
        except ValidationError as exc:
            kinds = {item["type"] for item in exc.errors()}
            if all(kind.startswith("issue.") for kind in kinds):  # the model's issuing checks (see dcc.py)
                raise IssuanceError(exc.errors()[0]["type"], describe_validation_error(exc)) from None
            raise SchemaError("schema.invalid", f"invalid certificate: {describe_validation_error(exc)}") from None
    if generated is not None:
        return certificate, True
    if certificate.uvci:
        return certificate, False
    return certificate.with_uvci(uvci.generate(country)), True


def _with_generated_uvci(payload: Mapping[str, Any], country: str) -> tuple[Mapping[str, Any], str | None]:
    """The payload with a fresh UVCI in its single entry when it has none, and that UVCI.

    Anything unusual (no single entry, a ``ci`` already there, a bad country) comes back
    untouched, so the model and the checks after it refuse it exactly as they always have.
    """
    found = payload_checks.single_entry(payload)
    if found is None or found[1].get("ci") is not None:
        return payload, None
    group, entry = found
    try:
        generated = uvci.generate(country)
    except VaxcertError:
        return payload, None
    return {**payload, group: [{**entry, "ci": generated}]}, generated


def describe_validation_error(error: Any) -> str:
    """pydantic's errors as one line naming each field, e.g. ``v.0.dn: Input should be >= 1``."""
    return "; ".join(
        f"{'.'.join(str(part) for part in item['loc']) or '(root)'}: {item['msg']}" for item in error.errors()
    )


@dataclass(frozen=True, slots=True)
class Policy:
    """What a verifier checks beyond authenticity: destination rules and revocation.

    ``rules`` are evaluated for ``arrival_country``; ``revocations`` is a
    verified revocation list.  A stale revocation list fails the revocation
    check unless ``allow_stale_revocations``.
    """

    rules: RuleSet | None = None
    arrival_country: str = "VN"
    region: str = ""
    revocations: RevocationList | None = None
    allow_stale_revocations: bool = False


_NO_POLICY = Policy()  # shared: a frozen dataclass costs microseconds to build on every scan


def verify(
    text: str,
    trust: TrustStore | None = None,
    *,
    at: datetime | None = None,
    value_sets: ValueSets | None = None,
    clock_skew: timedelta = timedelta(0),
    policy: Policy | None = None,
) -> VerificationReport:
    """Check an ``HC1:`` string completely and offline; never raises on bad input."""
    trust = trust if trust is not None else TrustStore()
    return _Verification(trust, at, value_sets, clock_skew, policy).run(text)


def verify_image(
    image: bytes | str | Path,
    trust: TrustStore | None = None,
    *,
    at: datetime | None = None,
    value_sets: ValueSets | None = None,
    clock_skew: timedelta = timedelta(0),
    policy: Policy | None = None,
) -> VerificationReport:
    """Read the QR code in a PNG/JPEG image, then :func:`verify` its text."""
    trust = trust if trust is not None else TrustStore()
    verification = _Verification(trust, at, value_sets, clock_skew, policy)
    try:
        text = qr.decode(image)
    except VaxcertError as exc:
        return verification.report({"picture": StageOutcome.failed("picture", exc)})
    return verification.run(text, picture=StageOutcome.ok("picture"))


class _Verification:
    """One verification run; collects outcomes and turns them into a report."""

    # What the checks learn along the way, for the report: typed fields (not a dict spread
    # into it) so mypy checks each one.  Class-level defaults, because most runs that fail
    # early set none of them and a verify() on the hot path should not pay for eight stores.
    kid: bytes | None = None
    signer: DocumentSignerCertificate | None = None
    claims: cwt.CwtClaims | None = None
    schema_version: str | None = None
    certificate_type: str | None = None
    value_set_findings: tuple[ValueSetFinding, ...] = ()
    notes: tuple[str, ...] = ()
    rule_outcomes: tuple[rules.RuleOutcome, ...] = ()

    def __init__(
        self,
        trust: TrustStore,
        at: datetime | None,
        value_sets: ValueSets | None,
        clock_skew: timedelta,
        policy: Policy | None = None,
    ) -> None:
        self.policy = policy or _NO_POLICY
        self.trust = trust
        clock = at or datetime.now(UTC)
        self.clock = clock if clock.tzinfo is UTC else clock.astimezone(UTC)
        self.value_sets = value_sets
        self.skew = clock_skew

    def report(self, outcomes: dict[str, StageOutcome], qr_text: str | None = None) -> VerificationReport:
        ordered = tuple([outcomes.get(name) or StageOutcome.not_run(name) for name in CHECKS])
        # Positional, in the report's field order: keywords cost ~0.5 us a call on the hot path.
        return VerificationReport(
            ordered,
            self.clock,
            qr_text,
            self.kid,
            self.signer,
            self.claims,
            self.schema_version,
            self.certificate_type,
            self.value_set_findings,
            self.notes,
            self.rule_outcomes,
        )

    def run(self, text: str, picture: StageOutcome | None = None) -> VerificationReport:
        outcomes: dict[str, StageOutcome] = {}
        qr_text = None
        if picture is not None:
            outcomes["picture"] = picture
            qr_text = text
        try:
            message = self._decode_to_cose(text, outcomes)
        except VaxcertError as exc:
            outcomes[exc.stage] = StageOutcome.failed(exc.stage, exc)
            return self.report(outcomes, qr_text)
        self.kid = message.kid
        claims = self.claims = _attempt("cwt", outcomes, lambda: cwt.decode(message.payload))
        signer: DocumentSignerCertificate | None = _attempt(
            "signature", outcomes, lambda: self._check_signature(message)
        )
        self.signer = signer
        if claims is not None:
            result: schema.SchemaResult | None = _attempt(
                "schema", outcomes, lambda: schema.validate(claims.dcc, self.value_sets)
            )
            if result is not None:
                self.schema_version = result.schema_version
                self.value_set_findings = result.value_set_findings
                self.certificate_type = result.certificate_type
            else:
                self.certificate_type = schema.certificate_type(claims.dcc)
            _attempt("expiry", outcomes, lambda: self._check_expiry(claims, signer))
            candidates = (signer,) if signer else self.trust.candidates(message.kid)
            if candidates and any(group in claims.dcc for group in schema.ENTRY_GROUPS):
                _attempt("key_usage", outcomes, lambda: _check_key_usage(candidates, claims.dcc))
            if self.policy.revocations is not None:
                _attempt("revocation", outcomes, lambda: self._check_revocation(claims, message))
            if self.policy.rules is not None:
                _attempt("rules", outcomes, lambda: self._check_rules(claims, message.kid))
        return self.report(outcomes, qr_text)

    def _check_revocation(self, claims: cwt.CwtClaims, message: cose.CoseSign1) -> None:
        revocations = self.policy.revocations
        assert revocations is not None
        if revocations.is_stale(self.clock):
            note = f"the revocation list was due for update {revocations.next_update.isoformat()}"
            if not self.policy.allow_stale_revocations:
                raise RevocationError("revocation.list_stale", note)
            self.notes = (*self.notes, note)
        listed = revocations.revoked(claims, message)
        if listed is not None:
            raise RevocationError("revocation.revoked", f"the certificate is revoked (listed by its {listed} hash)")

    def _check_rules(self, claims: cwt.CwtClaims, kid: bytes | None) -> None:
        rule_set = self.policy.rules
        assert rule_set is not None
        kind = self.certificate_type
        if kind is None:
            raise RulesError("rules.no_type", "the certificate has no single v, t or r entry to apply rules to")
        policy = self.policy
        selected = rule_set.select(
            arrival_country=policy.arrival_country,
            issuer_country=claims.issuer,
            certificate_type=kind,
            at=self.clock,
            region=policy.region,
        )
        external = rules.ExternalParameters(
            at=self.clock,
            arrival_country=policy.arrival_country,
            issuer_country=claims.issuer,
            issued_at=claims.issued_at,
            expires_at=claims.expires_at,
            kid=kid,
            value_sets=self.value_sets or ValueSets.bundled(),
            region=policy.region,
        )
        outcomes = rules.evaluate(selected, claims.dcc, external)
        self.rule_outcomes = outcomes
        failed = [outcome for outcome in outcomes if not outcome.passed]
        if failed:
            reasons = "; ".join(
                f"{o.rule.identifier}: {o.rule.description(('en',))}" + (f" ({o.error})" if o.error else "")
                for o in failed
            )
            raise RulesError("rules.failed", f"failed {len(failed)} of {len(outcomes)} rules: {reasons}")

    def _decode_to_cose(self, text: str, outcomes: dict[str, StageOutcome]) -> cose.CoseSign1:
        if isinstance(text, str) and len(text) > MAX_TEXT_LENGTH:
            raise PrefixError("unprefix.too_long", f"the code is longer than {MAX_TEXT_LENGTH} characters")
        body = prefix.decode(text)
        outcomes["unprefix"] = StageOutcome.ok("unprefix")
        data = base45.decode(body)
        outcomes["base45"] = StageOutcome.ok("base45")
        inflated = compression.inflate(data)
        if inflated.was_compressed:
            outcomes["decompress"] = StageOutcome.ok("decompress")
        else:
            # Keep decoding so the report can show what the code says, but the
            # missing compression alone makes the code invalid.
            outcomes["decompress"] = StageOutcome.failed(
                "decompress",
                CompressionError(
                    "decompress.not_compressed", "the payload is not zlib-compressed, which HCERT requires"
                ),
            )
        message = cose.decode(inflated.data)
        outcomes["cose"] = StageOutcome.ok("cose")
        return message

    def _check_signature(self, message: cose.CoseSign1) -> DocumentSignerCertificate:
        source = self.trust.source
        if source is not None and source.is_stale(self.clock):
            note = f"{source.description} is stale: it was due for update {source.next_update.isoformat()}"
            if source.fail_when_stale:
                raise TrustError("signature.list_stale", note)
            self.notes = (*self.notes, note)
        if message.kid is None:
            raise TrustError("signature.no_kid", "kid not found: the message carries no key identifier")
        candidates = self.trust.candidates(message.kid)
        if not candidates:
            raise TrustError("signature.kid_not_found", f"kid not found in the trusted signers ({message.kid.hex()})")
        failure: VaxcertError | None = None
        for dsc in candidates:
            try:
                cose.verify(message, dsc.public_key)
            except SignatureError as exc:
                failure = exc
                continue
            return dsc
        assert failure is not None
        raise failure

    def _check_expiry(self, claims: cwt.CwtClaims, signer: DocumentSignerCertificate | None) -> None:
        now = int(self.clock.timestamp())
        skew = int(self.skew.total_seconds())
        if claims.expires_at is None:
            raise ExpiryError("expiry.no_exp", "the certificate has no expiry time (exp)")
        if claims.issued_at is not None and now + skew < claims.issued_at:
            raise ExpiryError(
                "expiry.not_yet_valid", f"issued at {_iso(claims.issued_at)}, after the clock {self.clock.isoformat()}"
            )
        if now - skew > claims.expires_at:
            raise ExpiryError("expiry.expired", f"expired at {_iso(claims.expires_at)}")
        # Shell model: the signing DSC itself must be valid at the clock too.
        if signer is None or signer.is_valid_at(self.clock, self.skew):
            return
        if signer.not_after is not None and self.clock - self.skew > signer.not_after:
            raise ExpiryError("expiry.dsc_expired", f"the signing DSC expired {signer.not_after.isoformat()}")
        assert signer.not_before is not None  # not valid, yet not expired: it is not valid yet
        raise ExpiryError(
            "expiry.dsc_not_yet_valid", f"the signing DSC is valid only from {signer.not_before.isoformat()}"
        )


def _check_key_usage(candidates: tuple[DocumentSignerCertificate, ...], dcc: Mapping[str, Any]) -> None:
    kinds = [group for group in schema.ENTRY_GROUPS if group in dcc]
    for dsc in candidates:
        if all(dsc.may_sign(kind) for kind in kinds):
            return
    names = ", ".join(_TYPE_NAMES[kind] for kind in kinds)
    raise KeyUsageError("key_usage.type_not_allowed", f"the signing DSC may not sign {names} certificates")


def _attempt(name: str, outcomes: dict[str, StageOutcome], check: Callable[[], _T]) -> _T | None:
    try:
        value = check()
    except VaxcertError as exc:
        outcomes[name] = StageOutcome.failed(name, exc)
        return None
    outcomes[name] = StageOutcome.ok(name)
    return value


def _iso(timestamp: int) -> str:
    try:
        return datetime.fromtimestamp(timestamp, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return str(timestamp)


def decode_unverified(text: str) -> cwt.CwtClaims:
    """Decode an ``HC1:`` string WITHOUT checking its signature.

    For display and debugging only: anyone can produce a code that decodes.
    Raises the typed error of the first stage that fails.
    """
    data = compression.decode(base45.decode(prefix.decode(text)))
    return cwt.decode(cose.decode(data).payload)

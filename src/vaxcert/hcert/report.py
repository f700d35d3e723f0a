"""The immutable verification report: every stage's outcome, in pipeline order."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import STAGES, SignatureError
from ..outcome import StageOutcome
from ..trust import DocumentSignerCertificate
from .cwt import CwtClaims, json_compatible
from .valuesets import ValueSetFinding

if TYPE_CHECKING:
    from .rules import RuleOutcome

# The checks in the order the pipeline runs them; the JSON report uses these names.
CHECKS = STAGES


@dataclass(frozen=True, slots=True)
class VerifiedCertificate:
    """A health certificate whose every check passed.  Only a valid report makes one."""

    claims: CwtClaims
    certificate_type: str
    signer: DocumentSignerCertificate
    schema_version: str

    @property
    def dcc(self) -> dict[str, Any]:
        return self.claims.dcc

    @property
    def entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = self.claims.dcc[self.certificate_type][0]
        return entry

    @property
    def uvci(self) -> str:
        return str(self.entry.get("ci", ""))


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """What :func:`vaxcert.verify` found, stage by stage.  Never raises on bad input."""

    outcomes: tuple[StageOutcome, ...]
    validation_clock: datetime
    qr_text: str | None = None
    kid: bytes | None = None
    signer: DocumentSignerCertificate | None = None
    unverified_claims: CwtClaims | None = None
    schema_version: str | None = None
    certificate_type: str | None = None
    value_set_findings: tuple[ValueSetFinding, ...] = ()
    notes: tuple[str, ...] = ()
    rule_outcomes: tuple[RuleOutcome, ...] = ()  # when rules were evaluated

    @property
    def checks(self) -> dict[str, bool | None]:
        return {outcome.name: outcome.passed for outcome in self.outcomes}

    def outcome(self, name: str) -> StageOutcome:
        for outcome in self.outcomes:
            if outcome.name == name:
                return outcome
        raise KeyError(name)

    @property
    def valid(self) -> bool:
        # One pass over the outcomes, no dict: the CLI and the credential view ask several times per code.
        signed = False
        for outcome in self.outcomes:
            if outcome.passed is False:
                return False
            if outcome.passed is True and outcome.name == "signature":
                signed = True
        return signed

    @property
    def failures(self) -> tuple[StageOutcome, ...]:
        return tuple(outcome for outcome in self.outcomes if outcome.passed is False)

    @property
    def stage(self) -> str:
        """``"ok"`` when valid, else the name of the first failed check."""
        if self.valid:
            return "ok"
        failures = self.failures
        return failures[0].name if failures else "signature"

    def raise_for_failure(self) -> None:
        """Raise the typed error of the first failed check (for callers who prefer exceptions)."""
        for outcome in self.failures:
            error = outcome.error()
            if error is not None:
                raise error
        if not self.valid:
            raise SignatureError("signature.not_checked", "the signature was not checked")

    @property
    def certificate(self) -> VerifiedCertificate:
        """The trusted certificate; raises the first stage error when the report is not valid."""
        self.raise_for_failure()
        assert self.unverified_claims is not None and self.signer is not None  # valid implies both
        return VerifiedCertificate(
            claims=self.unverified_claims,
            certificate_type=self.certificate_type or "",
            signer=self.signer,
            schema_version=self.schema_version or "",
        )

    def to_json(self) -> dict[str, Any]:
        """The verifier CLI's JSON contract (see ``spec/verifier-json.md``).

        Built from values whose JSON types are known (flags, codes, library-written text),
        so only the payload, which came from the scanned code, goes through the bounded converter.
        """
        valid = self.valid
        failures = self.failures
        document: dict[str, Any] = {
            "valid": valid,
            "stage": "ok" if valid else (failures[0].name if failures else "signature"),
            "checks": self.checks,
            "errors": {outcome.name: _error_json(outcome) for outcome in failures},
            "payload": None,  # converted on its own below, with its own size budget
            "kid": base64.b64encode(self.kid).decode("ascii") if self.kid else None,
            "signer": self.signer.subject if self.signer else None,
            "schema_version": self.schema_version,
            "certificate_type": self.certificate_type,
            "value_set_findings": [finding.describe() for finding in self.value_set_findings],
            "notes": list(self.notes),
            "rules": self.rules_json(),
            "validation_clock": self.validation_clock.isoformat(),
        }
        if self.qr_text is not None:
            document["qr_text"] = self.qr_text
        if self.unverified_claims is not None:
            document["payload"] = self.unverified_claims.to_json()
        return document

    def rules_json(self) -> list[Any]:
        """The ``rules`` member of :meth:`to_json`: each evaluated rule, printable whatever it holds."""
        if not self.rule_outcomes:
            return []
        # A rule set is trusted input, but its texts and error values come from JSON files
        # and CertLogic: the bounded converter keeps them printable whatever they hold.
        rules: list[Any] = json_compatible(
            [
                {
                    "id": o.rule.identifier,
                    "type": o.rule.rule_type,
                    "passed": o.passed,
                    "error": o.error,
                    "description": dict(o.rule.descriptions),
                }
                for o in self.rule_outcomes
            ]
        )
        return rules


def _error_json(outcome: StageOutcome) -> dict[str, Any]:
    document: dict[str, Any] = {"code": outcome.code, "message": outcome.message}
    legacy = outcome.legacy_code
    if legacy is not None:
        document["legacy_code"] = legacy
    return document

"""The format-neutral view of a verified credential: who it names, which events, and one status.

Every wire format (HCERT, SMART Health Card, ICAO VDS-NC, DIVOC) verifies into a
:class:`CredentialReport`, so a checkpoint screen, the JSON contract and a caller's code
read the same fields whatever the traveller's country issued.  The format's own report
stays available as :attr:`CredentialReport.detail`.

The status vocabulary is WHO ddcc-validator's, lower-cased, with ``revoked`` (the
credential itself is listed) and ``expired`` (past its own expiry) added, and two of
vaxcert's own that only a verifier policy produces (``revocation_unknown``,
``rules_not_met``).  When several
faults apply, the one earliest in :data:`STATUS_PRECEDENCE` is reported: a broken
envelope says more than a bad signature, which says more than an expiry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from .outcome import StageOutcome

Format = Literal["hcert", "shc", "icao-vds-nc", "divoc", "unknown"]
FORMATS: tuple[Format, ...] = ("hcert", "shc", "icao-vds-nc", "divoc", "unknown")
EventType = Literal["vaccination", "test", "recovery"]


class Status(StrEnum):
    VERIFIED = "verified"
    NOT_SUPPORTED = "not_supported"
    INVALID_ENCODING = "invalid_encoding"
    INVALID_COMPRESSION = "invalid_compression"
    INVALID_SIGNING_FORMAT = "invalid_signing_format"
    ISSUER_NOT_TRUSTED = "issuer_not_trusted"
    TERMINATED_KEYS = "terminated_keys"
    REVOKED_KEYS = "revoked_keys"
    EXPIRED_KEYS = "expired_keys"
    INVALID_SIGNATURE = "invalid_signature"
    REVOKED = "revoked"
    EXPIRED = "expired"
    # vaxcert's own, outside WHO's vocabulary: they arise only under a verifier policy
    # (the destination's business rules, a revocation list too old to rely on).
    REVOCATION_UNKNOWN = "revocation_unknown"
    RULES_NOT_MET = "rules_not_met"


# First applicable wins.  The three key statuses share one rank: a key has one status.
STATUS_PRECEDENCE: tuple[Status, ...] = (
    Status.NOT_SUPPORTED,
    Status.INVALID_ENCODING,
    Status.INVALID_COMPRESSION,
    Status.INVALID_SIGNING_FORMAT,
    Status.ISSUER_NOT_TRUSTED,
    Status.TERMINATED_KEYS,
    Status.REVOKED_KEYS,
    Status.EXPIRED_KEYS,
    Status.INVALID_SIGNATURE,
    Status.REVOKED,
    Status.EXPIRED,
    Status.REVOCATION_UNKNOWN,
    Status.RULES_NOT_MET,
)
_RANK = {status: rank for rank, status in enumerate(STATUS_PRECEDENCE)}


def first_status(statuses: Iterable[Status]) -> Status:
    """The status to report for a set of faults: the earliest in precedence, or verified if none."""
    found = [status for status in statuses if status is not Status.VERIFIED]
    return min(found, key=_RANK.__getitem__) if found else Status.VERIFIED


@dataclass(frozen=True, slots=True)
class Holder:
    """The person a credential names.  ``birth_date`` is ISO text, possibly partial (``1978`` or ``1978-04``)."""

    name: str
    birth_date: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "birth_date": self.birth_date}


@dataclass(frozen=True, slots=True)
class HealthEvent:
    """One vaccination, test or recovery a credential attests.

    ``date`` is ``YYYY-MM-DD`` (vaccination date, sample collection, first positive
    result); ``country`` an ISO 3166 code where the format gives one; ``product`` the
    vaccine or test the format names, as the format codes it (CVX, SNOMED, EU product id).
    """

    type: EventType
    date: str | None
    dose: int | None = None
    country: str | None = None
    product: str | None = None
    result: str | None = None  # tests only: "positive" / "negative" / the format's code

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "date": self.date,
            "dose": self.dose,
            "country": self.country,
            "product": self.product,
            "result": self.result,
        }


@dataclass(frozen=True, slots=True)
class CredentialReport:
    """What verifying one credential of any format found.  Never raises on bad input.

    ``outcomes`` lists the format's own stages in the order they ran; ``code`` and
    ``message`` explain the reported status when it is not ``verified`` (the failed
    stage's ``<stage>.<reason>``).  ``holder`` and ``events`` are filled whenever the
    content could be read, also for an invalid credential, so a checkpoint can say
    whose code failed; only ``valid`` says whether to trust them.
    """

    format: Format
    status: Status
    outcomes: tuple[StageOutcome, ...] = ()
    holder: Holder | None = None
    events: tuple[HealthEvent, ...] = ()
    code: str | None = None
    message: str | None = None
    issuer: str | None = None  # who signed: DSC subject, SHC iss, VDS signer country, DIVOC DID
    detail: Any = field(default=None, compare=False)

    @property
    def valid(self) -> bool:
        return self.status is Status.VERIFIED

    @property
    def checks(self) -> dict[str, bool | None]:
        return {outcome.name: outcome.passed for outcome in self.outcomes}

    @property
    def stage(self) -> str:
        """``"ok"`` when valid, else the name of the stage whose failure decided the status."""
        if self.valid:
            return "ok"
        deciding = next((o for o in self.outcomes if o.passed is False and o.code == self.code), None)
        return deciding.name if deciding else "unknown"

    def to_json(self) -> dict[str, Any]:
        """The multi-format JSON contract (``spec/verifier-json.md``)."""
        return {
            "format": self.format,
            "valid": self.valid,
            "status": str(self.status),
            "stage": self.stage,
            "code": self.code,
            "message": self.message,
            "issuer": self.issuer,
            "holder": self.holder.to_json() if self.holder else None,
            "events": [event.to_json() for event in self.events],
            "checks": self.checks,
            "errors": {
                outcome.name: {"code": outcome.code, "message": outcome.message}
                for outcome in self.outcomes
                if outcome.passed is False
            },
        }


def report_from_outcomes(
    format: Format,
    outcomes: Iterable[tuple[StageOutcome, Status | None]],
    *,
    holder: Holder | None = None,
    events: Iterable[HealthEvent] = (),
    issuer: str | None = None,
    detail: Any = None,
) -> CredentialReport:
    """Build a report from each stage's outcome and the status its failure stands for.

    A failed stage without a status (``None``) is informative only (for example a
    value-set warning) and does not change the verdict.
    """
    pairs = outcomes if isinstance(outcomes, list | tuple) else tuple(outcomes)
    # Every format's verification ends here: list comprehensions and positional fields, no
    # generators, and nothing to rank when no stage failed.
    failures = [(outcome, status) for outcome, status in pairs if status is not None and outcome.passed is False]
    deciding: StageOutcome | None = None
    if failures:
        status = first_status([status for _, status in failures])
        deciding = next((outcome for outcome, s in failures if s is status), None)
    else:
        status = Status.VERIFIED
    return CredentialReport(
        format,
        status,
        tuple([outcome for outcome, _ in pairs]),
        holder,
        events if type(events) is tuple else tuple(events),
        deciding.code if deciding else None,
        deciding.message if deciding else None,
        issuer,
        detail,
    )


STATUS_TEXT: Mapping[Status, tuple[str, str]] = {
    Status.VERIFIED: ("Hợp lệ", "Valid"),
    Status.NOT_SUPPORTED: ("Không phải chứng nhận y tế được hỗ trợ", "Not a supported health certificate"),
    Status.INVALID_ENCODING: ("Mã bị hỏng hoặc quét thiếu, hãy quét lại", "Damaged or incomplete code, scan again"),
    Status.INVALID_COMPRESSION: ("Nội dung nén bị hỏng", "Compressed content is broken"),
    Status.INVALID_SIGNING_FORMAT: ("Định dạng chữ ký không hợp lệ", "Invalid signature format"),
    Status.ISSUER_NOT_TRUSTED: ("Nơi cấp không nằm trong danh sách tin cậy", "Issuer not trusted"),
    Status.TERMINATED_KEYS: ("Khoá ký của nơi cấp đã ngừng sử dụng", "Issuer's signing key terminated"),
    Status.REVOKED_KEYS: ("Khoá ký của nơi cấp đã bị thu hồi", "Issuer's signing key revoked"),
    Status.EXPIRED_KEYS: ("Khoá ký của nơi cấp đã hết hạn", "Issuer's signing key expired"),
    Status.INVALID_SIGNATURE: ("Chữ ký không đúng: mã đã bị sửa hoặc giả", "Signature invalid: altered or forged"),
    Status.REVOKED: ("Chứng nhận đã bị thu hồi", "Certificate revoked"),
    Status.EXPIRED: ("Chứng nhận đã hết hạn", "Certificate expired"),
    Status.REVOCATION_UNKNOWN: (
        "Không kiểm tra được thu hồi: danh sách thu hồi đã cũ",
        "Revocation not checked: the revocation list is out of date",
    ),
    Status.RULES_NOT_MET: ("Chứng nhận thật, nhưng không đạt quy định nhập cảnh", "Genuine, but entry rules not met"),
}
"""A one-line verdict per status, Vietnamese first with English beside it."""

"""Any QR code in, one :class:`~vaxcert.summary.CredentialReport` out: format detection and dispatch.

Detection looks only at the envelope, so it is cheap and never fails:

=============  ============================================================
``hcert``      text starting with ``HC1:`` (any case)
``shc``        text starting with ``shc:`` (any case), one or several chunks
``icao-vds-nc``  text that is a JSON object with ``data`` and ``sig`` members
``divoc``      bytes starting with the ZIP signature ``PK\\x03\\x04``
``unknown``    anything else, reported as ``not_supported``
=============  ============================================================

Each format's verifier is imported on first use, so a checkpoint that scans only EU
codes never loads the JSON-LD machinery DIVOC needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from ._json import CREDENTIAL, JsonFormatError, loads_bounded
from .errors import PrefixError
from .hcert.credential import verify_hcert
from .hcert.pipeline import Policy
from .hcert.valuesets import ValueSets
from .outcome import StageOutcome
from .registry import TrustRegistry
from .summary import CredentialReport, Format, Status, report_from_outcomes
from .trust import TrustStore

ZIP_SIGNATURE = b"PK\x03\x04"
MAX_INPUT_BYTES = 1 << 20  # far above any QR code (a version-40 code holds under 3 KB)

Scanned = str | bytes | Sequence[str]


def detect_format(data: Scanned) -> Format:
    """The format a scanned code claims to be, from its envelope alone."""
    if isinstance(data, bytes):
        if data.startswith(ZIP_SIGNATURE):
            return "divoc"
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            return "unknown"
    if not isinstance(data, str):
        texts = list(data)
        if len(texts) == 1:
            return detect_format(texts[0])
        return "shc" if texts and all(_is_shc(text) for text in texts) else "unknown"
    text = data.strip()
    if text[:4].upper() == "HC1:":
        return "hcert"
    if _is_shc(text):
        return "shc"
    if text.startswith("{") and len(text) <= MAX_INPUT_BYTES:
        try:
            document = loads_bounded(text, CREDENTIAL)
        except JsonFormatError:
            return "unknown"
        if isinstance(document, dict) and "data" in document and "sig" in document:
            return "icao-vds-nc"
    return "unknown"


def verify_credential(
    data: Scanned,
    registry: TrustRegistry | None = None,
    *,
    at: datetime | None = None,
    hcert_trust: TrustStore | None = None,
    policy: Policy | None = None,
    value_sets: ValueSets | None = None,
) -> CredentialReport:
    """Verify a code of any supported format offline; never raises on bad input.

    ``data`` is the scanned text, the raw bytes of a binary code (DIVOC), or the
    chunks of a chunked SMART Health Card in scan order.  ``registry`` holds the
    trust of every framework; ``hcert_trust`` adds EU DSCs (a signed trust list),
    and ``policy`` (revocation, rules) applies to HCERT codes.
    """
    registry = registry or TrustRegistry()
    moment = at or datetime.now(UTC)
    if isinstance(data, bytes | str) and len(data) > MAX_INPUT_BYTES:
        return _not_supported("unknown", "unprefix.too_large", f"the code is longer than {MAX_INPUT_BYTES} bytes")
    kind = detect_format(data)
    if kind == "hcert":
        text = _single_text(data).strip()
        return verify_hcert(
            "HC1:" + text[4:], registry, at=moment, trust=hcert_trust, policy=policy, value_sets=value_sets
        )
    if kind == "shc":
        from .shc import verify_shc

        chunks = [data] if isinstance(data, str) else [data.decode("utf-8")] if isinstance(data, bytes) else list(data)
        return verify_shc([chunk.strip() for chunk in chunks], registry, at=moment)
    if kind == "icao-vds-nc":
        from .vds import verify_vds

        return verify_vds(_single_text(data), registry, at=moment)
    if kind == "divoc":
        from .divoc import verify_divoc

        assert isinstance(data, bytes)
        return verify_divoc(data, registry, at=moment)
    return _not_supported("unknown", "unprefix.unknown_format", "not a health certificate format this verifier reads")


def _single_text(data: Scanned) -> str:
    if isinstance(data, bytes):
        return data.decode("utf-8")
    if isinstance(data, str):
        return data
    return data[0]


def _is_shc(text: str) -> bool:
    return text.strip()[:4].lower() == "shc:"


def _not_supported(kind: Format, code: str, message: str) -> CredentialReport:
    outcome = StageOutcome.failed("unprefix", PrefixError(code, message))
    return report_from_outcomes(kind, [(outcome, Status.NOT_SUPPORTED)])

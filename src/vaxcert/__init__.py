"""vaxcert: issue and verify vaccination certificates: EU DCC (HCERT, ``HC1:``), and verify
SMART Health Cards, ICAO VDS-NC seals and DIVOC credentials too.

The 30-second tour::

    from vaxcert import PemSigner, TrustStore, issue, verify

    signer = PemSigner.from_files("dsc-key.pem", "dsc.pem")
    issued = issue(payload, signer)                  # payload: dict or DigitalCovidCertificate
    report = verify(issued.text, TrustStore.of([signer.certificate]))
    report.valid, report.checks                      # every stage's outcome
    report.certificate.dcc                           # raises unless every check passed

    # Any format a traveller carries, one verdict:
    registry = TrustRegistry.load(registries=["registry_normalized.json"])
    credential = verify_credential(scanned_text_or_bytes, registry)
    credential.status, credential.holder, credential.events
"""

from typing import TYPE_CHECKING, Any

from . import _moved
from .dispatch import detect_format, verify_credential
from .errors import (
    Base45Error,
    CompressionError,
    CoseError,
    CwtError,
    ExpiryError,
    IssuanceError,
    KeyProviderError,
    KeyUsageError,
    PictureError,
    PrefixError,
    RevocationError,
    RulesError,
    SchemaError,
    SignatureError,
    TrustError,
    VaxcertError,
)
from .hcert.pipeline import IssuedCertificate, Policy, decode_unverified, issue, verify, verify_image
from .hcert.report import VerificationReport, VerifiedCertificate
from .hcert.valuesets import ValueSets
from .keys import PemSigner, Signer
from .outcome import StageOutcome
from .registry import TrustRegistry
from .summary import CredentialReport, HealthEvent, Holder, Status
from .trust import DocumentSignerCertificate, TrustStore

if TYPE_CHECKING:
    from .hcert.dcc import DigitalCovidCertificate, PersonName, Recovery, Test, Vaccination

__version__ = "0.1.0"

# The HCERT stage modules moved to vaxcert.hcert; their old paths (vaxcert.report, ...) still import.
_moved.install()

_LAZY_FROM_DCC = {"DigitalCovidCertificate", "PersonName", "Recovery", "Test", "Vaccination"}


def __getattr__(name: str) -> Any:
    # The pydantic models are for issuers; importing them lazily keeps the
    # verifier's cold start (one process per scan in some integrations) short.
    if name in _LAZY_FROM_DCC:
        from .hcert import dcc

        return getattr(dcc, name)
    moved = _moved.resolve(name)
    if moved is not None:
        return moved
    raise AttributeError(f"module 'vaxcert' has no attribute {name!r}")


__all__ = [
    "Base45Error",
    "CompressionError",
    "CoseError",
    "CredentialReport",
    "CwtError",
    "DigitalCovidCertificate",
    "DocumentSignerCertificate",
    "ExpiryError",
    "HealthEvent",
    "Holder",
    "IssuanceError",
    "IssuedCertificate",
    "KeyProviderError",
    "KeyUsageError",
    "PemSigner",
    "PersonName",
    "PictureError",
    "Policy",
    "PrefixError",
    "Recovery",
    "RevocationError",
    "RulesError",
    "SchemaError",
    "SignatureError",
    "Signer",
    "StageOutcome",
    "Status",
    "Test",
    "TrustError",
    "TrustRegistry",
    "TrustStore",
    "Vaccination",
    "ValueSets",
    "VaxcertError",
    "VerificationReport",
    "VerifiedCertificate",
    "decode_unverified",
    "detect_format",
    "issue",
    "verify",
    "verify_credential",
    "verify_image",
]

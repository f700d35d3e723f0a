"""SMART Health Cards from the stored records, and the issuer's public keys (``/.well-known/jwks.json``).

One record gives both codes: the card is made on demand from the vaccination record inside
the stored ``HC1:`` text, signed by the same key provider (PEM in development, PKCS#11 in
production) with the DSC key that signs vaccination certificates.  Nothing new is stored,
so a card needs no migration, follows a revocation at once (a revoked record gets no new
card) and follows a key rotation (the next download is signed by the new key).

The card's ``nbf`` is the record's issuance time, so every download of one record carries
the same payload; only the ECDSA signature differs.  Keys in the JWK Set: every active DSC
that signs vaccinations and every retired one still published in the trust list (until the
last certificate it signed expires), so cards downloaded before a rotation keep verifying.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import Session

from vaxcert import KeyProviderError, VaxcertError, decode_unverified
from vaxcert.cose import CoseAlgorithm
from vaxcert.shc import CoseSignerAdapter, IssuedShc, issue_shc, public_jwk
from vaxcert.shc.bundle import shc_bundle

from . import keyring
from .errors import Conflict, Invalid, Unavailable
from .metrics import Metrics
from .settings import Settings
from .signers import SignerSet
from .store import IssuedRecord

log = logging.getLogger("vaxcert.issuer")
SHC_TYPE = "v"  # SMART Health Cards are issued for vaccinations only


class HealthCards:
    """Sign a record's SMART Health Card; list the public keys verifiers need for it."""

    def __init__(self, settings: Settings, signers: SignerSet, metrics: Metrics) -> None:
        self.settings = settings
        self.signers = signers
        self.metrics = metrics
        if not self.issuer.startswith("https://"):
            log.warning(
                "no SMART Health Cards: their issuer must be an https URL (verifiers fetch its keys), not %s; "
                "set VAXCERT_SHC_ISSUER or an https VAXCERT_PUBLIC_URL",
                self.issuer,
            )
        elif not self.available:
            log.warning("no SMART Health Cards: the DSC that signs vaccinations is not an ES256 (P-256) key")

    @property
    def issuer(self) -> str:
        return self.settings.resolved_shc_issuer

    @property
    def available(self) -> bool:
        """Whether cards can be made: the specification allows only an https ``iss`` and ES256 keys."""
        return self.issuer.startswith("https://") and self.signers.for_type(SHC_TYPE).algorithm is CoseAlgorithm.ES256

    def card(self, record: IssuedRecord) -> IssuedShc:
        """The record's card; refuses a revoked record and anything but a vaccination."""
        if record.revoked_at is not None:
            raise Conflict("certificate_revoked", "this certificate is revoked: no SMART Health Card is made for it")
        if record.certificate_type != SHC_TYPE:
            raise Invalid(
                "issue.shc_not_vaccination",
                "SMART Health Cards are issued for vaccination certificates only (format=hcert serves this one)",
            )
        if not self.available:
            raise Unavailable(
                "shc_not_configured",
                "SMART Health Cards need an https issuer URL (VAXCERT_SHC_ISSUER, or an https VAXCERT_PUBLIC_URL) "
                "and an ES256 (P-256) DSC for vaccinations",
            )
        started = time.perf_counter()
        try:
            bundle = shc_bundle(decode_unverified(record.hc1).dcc)  # our own signed text, from our database
            signer = CoseSignerAdapter(self.signers.for_type(SHC_TYPE))
            return issue_shc(bundle, signer, issuer=self.issuer, issued_at=record.issued_at)
        except KeyProviderError as exc:
            self.metrics.errors.labels(stage="keys").inc()
            raise Unavailable("hsm_unavailable", f"the signing key is unavailable: {exc.message}") from None
        except VaxcertError as exc:
            self.metrics.errors.labels(stage=exc.stage).inc()
            raise Invalid(exc.code, exc.message) from None
        finally:
            self.metrics.signing_seconds.observe(time.perf_counter() - started)

    def jwks(self, session: Session) -> dict[str, Any]:
        """The JWK Set (public keys only) of the DSCs whose cards verifiers must accept now."""
        keys: dict[str, dict[str, Any]] = {}
        for record in keyring.published(session).records:
            if record.status == keyring.ACTIVE and SHC_TYPE not in record.types:
                continue
            public = record.certificate.public_key
            # SHC is ES256 only: an RSA (PS256) DSC signs EU certificates but never cards.
            if isinstance(public, ec.EllipticCurvePublicKey) and isinstance(public.curve, ec.SECP256R1):
                jwk = public_jwk(public)
                keys.setdefault(jwk["kid"], jwk)
        return {"keys": list(keys.values())}

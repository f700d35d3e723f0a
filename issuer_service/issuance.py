"""Issuing single certificates and reading them back.

Order of work for one certificate: validate, sign (outside any database
transaction, so a slow or failing HSM holds no locks), then write the
certificate, its idempotency record and its audit entry in ONE transaction.
Either everything is stored or nothing is; a certificate is acknowledged to
the caller only after that commit.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vaxcert import DigitalCovidCertificate, IssuedCertificate, KeyProviderError, VaxcertError, issue
from vaxcert.hcert import payload_checks, uvci

from . import audit
from .auth import Caller
from .errors import Conflict, Exhausted, Forbidden, Invalid, NotFound, Unavailable
from .metrics import Metrics
from .models import Certificate, IdempotencyRecord, Organisation
from .problems import describe, one_line
from .settings import Settings
from .signers import SignerSet
from .store import IssuedRecord, Store, certificate_values


def request_digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class Issuance:
    """Sign and store certificates, once per Idempotency-Key; read an organisation's own certificates."""

    def __init__(self, settings: Settings, store: Store, signers: SignerSet, metrics: Metrics) -> None:
        self.settings = settings
        self.store = store
        self.signers = signers
        self.metrics = metrics
        self._prefixes: dict[int, str] = {}

    def sign(self, caller: Caller, payload: DigitalCovidCertificate | dict[str, Any]) -> IssuedCertificate:
        if isinstance(payload, dict):
            prepared = self._plain_in_namespace(caller, payload)
            if prepared is not None:
                # issue() checks plain JSON without building the model (half its cost); only a
                # refusal builds the model, so the caller reads the service's usual wording.
                plain, certificate_type = prepared
                try:
                    return self._signed(plain, certificate_type)
                except Invalid:
                    _validate(payload)
                    raise
        model = payload if isinstance(payload, DigitalCovidCertificate) else _validate(payload)
        model = self._in_namespace(caller, model)
        return self._signed(model, model.certificate_type)

    def _signed(self, payload: DigitalCovidCertificate | dict[str, Any], certificate_type: str) -> IssuedCertificate:
        signer = self.signers.for_type(certificate_type)
        started = time.perf_counter()
        try:
            issued = issue(
                payload,
                signer,
                issuer_country=self.settings.issuer_country,
                validity=timedelta(days=self.settings.validity_days),
            )
        except KeyProviderError as exc:
            self.metrics.errors.labels(stage="keys").inc()
            raise Unavailable("hsm_unavailable", f"the signing key is unavailable: {exc.message}") from None
        except VaxcertError as exc:
            self.metrics.errors.labels(stage=exc.stage).inc()
            raise Invalid(exc.code, exc.message) from None
        finally:
            self.metrics.signing_seconds.observe(time.perf_counter() - started)
        return issued

    def _in_namespace(self, caller: Caller, model: DigitalCovidCertificate) -> DigitalCovidCertificate:
        """The model with a fresh UVCI of the caller's namespace, or its own UVCI if that lies inside it.

        A UVCI outside the namespace is refused before the database is asked
        about it, so no answer tells a caller whether another organisation's
        UVCI exists.
        """
        prefix = self._uvci_prefix(caller)
        if model.uvci is None:
            return model.with_uvci(uvci.generate(self.settings.issuer_country, prefix))
        namespace = uvci_namespace(self.settings, prefix)
        if not model.uvci.startswith(namespace):
            self.metrics.errors.labels(stage="issue").inc()
            raise Invalid(
                "uvci_outside_namespace",
                f"{model.certificate_type}.0.ci: a UVCI this organisation supplies must start with {namespace} "
                "(its namespace); leave ci out to have one generated",
            )
        return model

    def _plain_in_namespace(self, caller: Caller, payload: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
        """A plain payload with the UVCI _in_namespace() would give it, and its type; None when its
        shape is unusual (then the model path decides)."""
        found = payload_checks.single_entry(payload)
        if found is None:
            return None
        group, entry = found
        given = entry.get("ci")
        if given is None:
            generated = uvci.generate(self.settings.issuer_country, self._uvci_prefix(caller))
            return {**payload, group: [{**entry, "ci": generated}]}, group
        if type(given) is not str:
            return None
        namespace = uvci_namespace(self.settings, self._uvci_prefix(caller))
        if not given.strip().startswith(namespace):
            return None  # the model path words the refusal
        return payload, group

    def _uvci_prefix(self, caller: Caller) -> str:
        if caller.uvci_prefix:
            return caller.uvci_prefix
        # Callers built without a prefix (the admin CLI's bulk command): the organisation row has it.
        prefix = self._prefixes.get(caller.organisation_id)
        if prefix is None:
            with self.store.read_sessions() as session:
                prefix = session.scalar(
                    select(Organisation.uvci_prefix).where(Organisation.id == caller.organisation_id)
                )
            if not prefix:
                raise Forbidden("forbidden", "the organisation of this key no longer exists")
            self._prefixes[caller.organisation_id] = prefix
        return prefix

    def issue(
        self, caller: Caller, payload: DigitalCovidCertificate | dict[str, Any], idempotency_key: str | None = None
    ) -> IssuedRecord:
        if isinstance(payload, DigitalCovidCertificate):
            digest = request_digest(payload.model_dump(mode="json", by_alias=True, exclude_none=True))
        else:
            digest = request_digest(payload)
        if idempotency_key:
            existing = self._replay(caller, idempotency_key, digest)
            if existing is not None:
                return existing
        supplied = (
            payload.uvci if isinstance(payload, DigitalCovidCertificate) else _supplied_uvci(payload)
        ) is not None
        for _ in range(3):  # a generated UVCI colliding is astronomically rare; retry anyway
            issued = self.sign(caller, payload)
            try:
                with self.store.transaction() as session:
                    row = self._store(session, caller, issued)
                    if idempotency_key:
                        session.add(
                            IdempotencyRecord(
                                organisation_id=caller.organisation_id,
                                key=idempotency_key,
                                request_sha256=digest,
                                uvci=row.uvci,
                            )
                        )
                    audit.append(session, caller.organisation_id, "issue", row.uvci, f"type={row.certificate_type}")
            except IntegrityError:
                if idempotency_key:
                    existing = self._replay(caller, idempotency_key, digest)
                    if existing is not None:  # a concurrent retry with the same key won the race
                        return existing
                if supplied:  # inside the caller's own namespace: only its own certificates can collide
                    raise Conflict(
                        "uvci_exists",
                        f"{issued.certificate_type}.0.ci: a certificate with this UVCI exists; each needs its own",
                    ) from None
                continue
            self.metrics.issued.labels(type=row.certificate_type, organisation=caller.organisation_name).inc()
            return IssuedRecord.of(row)
        raise Exhausted("uvci_collision", "could not allocate a unique UVCI")

    def _replay(self, caller: Caller, key: str, digest: str) -> IssuedRecord | None:
        with self.store.transaction() as session:
            record = session.scalar(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.organisation_id == caller.organisation_id, IdempotencyRecord.key == key
                )
            )
            if record is None:
                return None
            if record.request_sha256 != digest:
                raise Conflict("idempotency_key_reused", "this Idempotency-Key was used for a different request")
            row = session.get(Certificate, record.uvci)
            assert row is not None
            return IssuedRecord.of(row, replayed=True)

    def _store(self, session: Session, caller: Caller, issued: IssuedCertificate) -> Certificate:
        values = certificate_values(caller, issued)
        # A Core INSERT, not session.add(): the ORM's unit of work costs more than
        # the signature, and this runs while holding the (SQLite) write lock.
        session.execute(insert(Certificate).values(**values))
        return Certificate(**values)

    def get(self, caller: Caller, uvci: str, *, audit_as: str = "read") -> IssuedRecord:
        with self.store.transaction() as session:
            row = session.get(Certificate, uvci)
            if row is None or row.organisation_id != caller.organisation_id:
                raise NotFound("not_found", "no such certificate for this organisation")
            audit.append(session, caller.organisation_id, audit_as, uvci)
            return IssuedRecord.of(row)


def uvci_namespace(settings: Settings, uvci_prefix: str) -> str:
    """What every UVCI of the organisation with ``uvci_prefix`` starts with."""
    namespace: str = uvci.namespace(settings.issuer_country, uvci_prefix)
    return namespace


def _supplied_uvci(payload: dict[str, Any]) -> object:
    for group in ("v", "t", "r"):
        entries = payload.get(group)
        if isinstance(entries, list) and entries and isinstance(entries[0], dict):
            return entries[0].get("ci")
    return None


def _validate(payload: dict[str, Any]) -> DigitalCovidCertificate:
    try:
        return DigitalCovidCertificate.model_validate(payload)
    except ValidationError as exc:
        raise Invalid("schema.invalid", one_line(describe(exc.errors()), whole="(root)")) from None

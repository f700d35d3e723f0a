"""Which keys sign: the recorded keys, from the provider they were created with.

Production (``VAXCERT_ENV=production``): every key — the DSCs and the list
signer — is a PKCS#11 object in the configured token, provisioned beforehand
by the key custodian; nothing is created here, and a missing or development
key, PIN or token stops the start with one line.  Development mode creates
what is missing through :mod:`issuer_service.dev_keys` (never imported in
production) and says so on every start.

The first start records provider, token and label of each key in the
database (``signing_keys``); later starts use exactly those keys, and refuse
when the configuration points elsewhere.  ``vaxcert-issuer keys`` rotates.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from vaxcert import DocumentSignerCertificate, VaxcertError
from vaxcert.hsm import DEFAULT_MODULE, PIN_FILE_ENV, HsmConfig, Pkcs11Signer, read_pin
from vaxcert.keys import Signer
from vaxcert_apps.files import write_atomically

from . import db, keyring
from .keyring import DSC, LIST, KeyRecord
from .settings import Settings

log = logging.getLogger("vaxcert.issuer")
PKCS11 = "pkcs11"
DEV_TOKEN_LABEL = "vaxcert-dev"  # dev_keys.DEV_TOKEN; repeated so production needs no dev import
DEVELOPMENT_MARK = "DEVELOPMENT"


class StartupRefused(VaxcertError):
    """The service or admin CLI must not start with this configuration (one line says why)."""

    stage = "startup"


@dataclass
class SignerSet:
    """The DSC signer per certificate type, and the list signer."""

    by_type: dict[str, Signer]
    trust_list_signer: Signer | None
    mode: str  # "hsm", "softhsm-dev" or "pem-dev"
    closers: list[Callable[[], None]] = field(default_factory=list)

    def for_type(self, certificate_type: str) -> Signer:
        return self.by_type[certificate_type]

    def certificates(self) -> list[DocumentSignerCertificate]:
        unique = {signer.certificate.der: signer.certificate for signer in self.by_type.values()}
        return list(unique.values())

    def close(self) -> None:
        for close in self.closers:
            close()


# ---------------------------------------------------------------------- production checks


def preflight(settings: Settings) -> None:
    """Configuration-only checks (no database, no HSM): the production refusals that need nothing else."""
    if not settings.production:
        return
    if not settings.hsm_token:
        raise StartupRefused("startup.no_hsm", "production mode needs an HSM: set VAXCERT_HSM_TOKEN (and its PIN)")
    if settings.hsm_token == DEV_TOKEN_LABEL:
        raise StartupRefused("startup.dev_token", f"production mode refuses the development token {DEV_TOKEN_LABEL!r}")
    dev_pki = (settings.data_dir / "dev-pki").resolve()
    for variable in ("SOFTHSM2_CONF", PIN_FILE_ENV):
        value = os.environ.get(variable)
        if value and Path(value).resolve().is_relative_to(dev_pki):
            raise StartupRefused(
                "startup.dev_pin" if variable == PIN_FILE_ENV else "startup.dev_token",
                f"production mode refuses {variable} inside the development folder {dev_pki}",
            )
    dev_pin = dev_pki / "softhsm" / "pin"
    try:
        pin = read_pin()
    except VaxcertError as exc:
        raise StartupRefused("startup.no_pin", exc.message) from None
    if dev_pin.exists() and dev_pin.read_text().strip() == pin:
        raise StartupRefused("startup.dev_pin", "production mode refuses the development token's PIN")
    if settings.resolved_database_url.startswith("sqlite") and not settings.allow_sqlite:
        raise StartupRefused(
            "startup.sqlite",
            "production mode needs PostgreSQL (VAXCERT_DATABASE_URL=postgresql+psycopg://…); "
            "set VAXCERT_ALLOW_SQLITE=1 to accept SQLite",
        )


def _check_production_keys(records: list[KeyRecord]) -> None:
    for record in records:
        if record.provider != PKCS11:
            raise StartupRefused(
                "startup.dev_key",
                f"production mode refuses the development {record.role} key {record.kid} ({record.where()})",
            )
        certificate = record.certificate
        from cryptography import x509

        parsed = x509.load_der_x509_certificate(certificate.der)
        if DEVELOPMENT_MARK in parsed.subject.rfc4514_string() or DEVELOPMENT_MARK in parsed.issuer.rfc4514_string():
            raise StartupRefused(
                "startup.dev_key",
                f"production mode refuses key {record.kid}: its certificate comes from a development CSCA",
            )


# ---------------------------------------------------------------------- loading


def load_signers(settings: Settings, sessions: sessionmaker[Session] | None = None) -> SignerSet:
    """The signers of the recorded keys (recording them on the first start); refuses a silent switch.

    Also exports the published certificates as PEM (see :func:`export_certificates`).
    """
    preflight(settings)
    if sessions is None:
        engine = db.make_engine(settings.resolved_database_url)
        try:
            db.migrate(engine)
            return load_signers(settings, db.session_factory(engine))
        finally:
            engine.dispose()
    if settings.production:
        with sessions() as session:
            _check_production_keys(keyring.records(session, active_only=True))
        signers = _load_hsm(settings, sessions, create_missing=False)
        try:
            with sessions() as session:  # what the first start has just recorded, too
                _check_production_keys(keyring.records(session, active_only=True))
            export_certificates(settings, sessions)
        except BaseException:
            signers.close()
            raise
        return signers
    if settings.hsm_token:
        signers = _load_hsm(settings, sessions, create_missing=True)
    else:
        from . import dev_keys

        with dev_keys.provisioning_lock(settings.data_dir):
            signers = _load_development(settings, sessions)
    export_certificates(settings, sessions)  # every start: the PEM files always show the recorded keys
    log.warning(
        "DEVELOPMENT MODE (VAXCERT_ENV=development): keys may be created on the fly; "
        "never issue real certificates like this (VAXCERT_ENV=production refuses development keys)"
    )
    public = settings.public_url.startswith("https://")
    if public or not settings.resolved_database_url.startswith("sqlite"):
        log.warning(
            "!!! this looks like a deployment (%s) running in DEVELOPMENT mode: set VAXCERT_ENV=production !!!",
            "public https URL" if public else "server database",
        )
    return signers


def _hsm_config(settings: Settings) -> HsmConfig:
    assert settings.hsm_token
    return HsmConfig(settings.hsm_token, read_pin(), settings.hsm_module or DEFAULT_MODULE)


def _refuse_switch(recorded: list[KeyRecord], provider: str, token: str | None) -> None:
    """A start whose configuration points at other keys than the recorded ones refuses instead of switching."""
    for record in recorded:
        if record.role == DSC and (record.provider != provider or (token and record.token != token)):
            wanted = f"{provider} token {token!r}" if token else provider
            raise StartupRefused(
                "startup.key_provider_changed",
                f"this database's keys were created with {record.where()}, the configuration now says {wanted}; "
                "refusing to switch (change keys explicitly: vaxcert-issuer keys rotate)",
            )


def _record(sessions: sessionmaker[Session], **values: object) -> KeyRecord:
    try:
        with db.transaction(sessions) as session:
            return keyring.register(session, **values)  # type: ignore[arg-type]
    except IntegrityError:  # another process recorded the same key a moment earlier
        with sessions() as session:
            kid = values["certificate"].kid.hex()  # type: ignore[attr-defined]
            return next(r for r in keyring.records(session) if r.kid == kid)


def _load_hsm(settings: Settings, sessions: sessionmaker[Session], *, create_missing: bool) -> SignerSet:
    config = _hsm_config(settings)
    with sessions() as session:
        recorded = keyring.records(session, active_only=True)
    _refuse_switch(recorded, PKCS11, settings.hsm_token)
    dscs = [r for r in recorded if r.role == DSC]
    if dscs and settings.labels_configured:
        recorded_labels = {t: r.label for r in dscs for t in r.types}
        configured = {t: settings.key_label_for(t) for t in keyring.TYPES}
        if recorded_labels != configured:
            raise StartupRefused(
                "startup.key_labels_changed",
                f"VAXCERT_DSC_KEY_LABELS names {_labels(configured)} but the recorded DSCs are "
                f"{_labels(recorded_labels)}; rotate with vaxcert-issuer keys rotate (or unset the variable)",
            )
    signers: dict[str, Signer] = {}
    closers: list[Callable[[], None]] = []
    by_label: dict[str, Pkcs11Signer] = {}
    try:
        if dscs:
            for record in dscs:
                signer = Pkcs11Signer(config, record.label, record.certificate)
                by_label[record.label] = signer
                closers.append(signer.close)
                for kind in record.types:
                    signers[kind] = signer
        else:  # first start: record the configured, already provisioned keys
            for kind in keyring.TYPES:
                label = settings.key_label_for(kind)
                if label not in by_label:
                    try:
                        by_label[label] = Pkcs11Signer(config, label)
                    except VaxcertError as exc:
                        raise StartupRefused(
                            "startup.no_dsc",
                            f"the DSC {label!r} is not provisioned in token {settings.hsm_token!r} ({exc.message}); "
                            "keys are never created here: provision it (vaxcert-trust pki hsm-keygen/csr/import-dsc)",
                        ) from None
                    closers.append(by_label[label].close)
                signers[kind] = by_label[label]
            for label, signer in by_label.items():
                types = "".join(t for t in keyring.TYPES if signers[t] is signer)
                _record(
                    sessions,
                    role=DSC,
                    provider=PKCS11,
                    token=settings.hsm_token,
                    label=label,
                    certificate=signer.certificate,
                    types=types,
                    replace=False,
                )
        missing = [t for t in keyring.TYPES if t not in signers]
        if missing:
            raise StartupRefused("startup.no_signer", f"no active DSC signs type(s) {''.join(missing)}")
        list_signer = _hsm_list_signer(settings, config, sessions, recorded, create_missing)
        closers.append(list_signer.close)
    except BaseException:
        for close in closers:
            close()
        raise
    return SignerSet(signers, list_signer, "hsm", closers)


def _labels(mapping: dict[str, str]) -> str:
    return ",".join(f"{t}={mapping[t]}" for t in sorted(mapping))


def _hsm_list_signer(
    settings: Settings,
    config: HsmConfig,
    sessions: sessionmaker[Session],
    recorded: list[KeyRecord],
    create_missing: bool,
) -> Pkcs11Signer:
    current = next((r for r in recorded if r.role == LIST), None)
    if current is not None and current.provider == PKCS11:
        return Pkcs11Signer(config, current.label, current.certificate)
    label = settings.list_signer_label
    try:
        signer = Pkcs11Signer(config, label)
    except VaxcertError as exc:
        if not create_missing:
            raise StartupRefused(
                "startup.no_list_signer",
                f"the list signer {label!r} is not provisioned in token {settings.hsm_token!r} ({exc.message}); "
                "production mode never creates keys: provision it (vaxcert-trust pki hsm-keygen/csr/import-dsc)",
            ) from None
        from . import dev_keys

        signer = Pkcs11Signer(config, label, dev_keys.hsm_key(config, label, settings.data_dir))
    _record(sessions, role=LIST, provider=PKCS11, token=settings.hsm_token, label=label, certificate=signer.certificate)
    return signer


def _load_development(settings: Settings, sessions: sessionmaker[Session]) -> SignerSet:
    from . import dev_keys

    data_dir = settings.data_dir
    with sessions() as session:
        recorded = keyring.records(session, active_only=True)
    dscs = [r for r in recorded if r.role == DSC]
    if dscs:
        provider = dscs[0].provider
        if provider == PKCS11:
            raise StartupRefused(
                "startup.key_provider_changed",
                f"this database's keys live in HSM token {dscs[0].token!r}; refusing to switch to "
                "development keys: set VAXCERT_HSM_TOKEN (and its PIN)",
            )
        explicit = {"softhsm": dev_keys.SOFTHSM, "pem": dev_keys.PEM}.get(settings.dev_keys)
        if explicit is not None and "dev_keys" in settings.model_fields_set and explicit != provider:
            _refuse_switch(dscs, explicit, None)
    else:
        dscs = _adopt_development_keys(settings, sessions)
        provider = dscs[0].provider
    signers: dict[str, Signer] = {}
    closers: list[Callable[[], None]] = []
    for record in dscs:
        signer = dev_keys.signer(data_dir, record.provider, record.label, record.certificate)
        if isinstance(signer, Pkcs11Signer):
            closers.append(signer.close)
        for kind in record.types:
            signers[kind] = signer
    anchor = dev_keys.pem_anchor(data_dir)
    if not any(r.role == LIST and r.kid == anchor.certificate.kid.hex() for r in recorded):
        anchor_values = {"provider": dev_keys.PEM, "token": None, "label": "anchor-key.pem"}
        _record(sessions, role=LIST, certificate=anchor.certificate, **anchor_values)
    where = dev_keys.pki_dir(data_dir)
    if provider == dev_keys.SOFTHSM:
        log.warning("DEVELOPMENT keys: DSC key in a local SoftHSM2 token under %s, not a production HSM", where)
    else:
        log.warning(
            "!!! DEVELOPMENT ONLY: the DSC private key is a PEM file in %s (no HSM token configured%s). "
            "Never issue real certificates like this. !!!",
            where,
            "" if dev_keys.softhsm_installed() else ", SoftHSM2 not installed",
        )
    log.warning("DEVELOPMENT: the trust and revocation lists are signed by the PEM key %s/anchor-key.pem", where)
    return SignerSet(signers, anchor, provider, closers)


def _adopt_development_keys(settings: Settings, sessions: sessionmaker[Session]) -> list[KeyRecord]:
    """First start with this database: record the development keys the data folder holds, or create one.

    When several exist (an earlier version switched from a PEM key to SoftHSM2 behind the operator's
    back), the one that signed the newest certificate stays active and the others are recorded
    retired, so the trust list keeps publishing every DSC that signed a valid certificate.
    """
    from sqlalchemy import func, select

    from . import dev_keys
    from .models import Certificate

    data_dir = settings.data_dir
    found = dev_keys.existing_dscs(data_dir)
    if not found:
        provider = dev_keys.choose_provider(data_dir, settings.dev_keys)
        label, certificate = dev_keys.new_dsc(data_dir, provider)
        found = [(provider, label, certificate)]
    with sessions() as session:
        query = (
            select(Certificate.kid, func.max(Certificate.issued_at))
            .where(Certificate.kid.in_([c.kid.hex() for _, _, c in found]))
            .group_by(Certificate.kid)
        )
        latest = {kid: str(moment) for kid, moment in session.execute(query)}
    if latest:
        current = max((item for item in found if item[2].kid.hex() in latest), key=lambda i: latest[i[2].kid.hex()])
    else:
        preferred = dev_keys.choose_provider(data_dir, settings.dev_keys)
        current = next((item for item in found if item[0] == preferred), found[0])
    for provider, label, certificate in found:
        if certificate.kid.hex() in latest or (provider, label) == current[:2]:
            _record(
                sessions,
                role=DSC,
                provider=provider,
                token=dev_keys.DEV_TOKEN if provider == dev_keys.SOFTHSM else None,
                label=label,
                certificate=certificate,
                types=keyring.TYPES if (provider, label) == current[:2] else "",
                replace=False,
            )
    with sessions() as session:
        return keyring.records(session, role=DSC, active_only=True)


# ---------------------------------------------------------------------- exported certificates


def export_certificates(settings: Settings, sessions: sessionmaker[Session]) -> list[Path]:
    """Write the published DSCs and the list signer as PEM where operators and verifiers look.

    ``<data dir>/dsc/<kid>.pem`` for every DSC the trust list carries (and no other), ``dsc/current-<type>.pem``
    for the DSC signing each type now (also ``dev-pki/dsc.pem`` for vaccinations in development,
    where the README points), and ``list-signer.pem`` for the key verifiers pin.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    def pem(certificate: DocumentSignerCertificate) -> bytes:
        return x509.load_der_x509_certificate(certificate.der).public_bytes(serialization.Encoding.PEM)

    with sessions() as session:
        listed = keyring.published(session).records
        active = keyring.records(session, active_only=True)
    folder = settings.data_dir / "dsc"
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for record in listed:
        write_atomically(folder / f"{record.kid}.pem", pem(record.certificate))
        written.append(folder / f"{record.kid}.pem")
    kids = {record.kid for record in listed}
    for stale in folder.glob("*.pem"):  # a DSC that left the trust list leaves the folder too
        if len(stale.stem) == 16 and stale.stem not in kids and all(c in "0123456789abcdef" for c in stale.stem):
            stale.unlink(missing_ok=True)
    for record in active:
        if record.role == LIST:
            write_atomically(settings.data_dir / "list-signer.pem", pem(record.certificate))
            written.append(settings.data_dir / "list-signer.pem")
            continue
        for kind in record.types:
            write_atomically(folder / f"current-{kind}.pem", pem(record.certificate))
            written.append(folder / f"current-{kind}.pem")
            if kind == "v" and not settings.production:
                write_atomically(settings.data_dir / "dev-pki" / "dsc.pem", pem(record.certificate))
                written.append(settings.data_dir / "dev-pki" / "dsc.pem")
    return written


# ---------------------------------------------------------------------- rotation


def rotate(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    label: str | None,
    types: str = keyring.TYPES,
    list_signer: bool = False,
) -> KeyRecord:
    """Make a new key the active one (a DSC for ``types``, or the list signer); audited.

    In an HSM the key and its certificate must already be provisioned under ``label`` (production
    never creates keys); development mode creates a development key when no label is given.
    The replaced DSC stays published until the last certificate it signed expires.
    """
    preflight(settings)
    unknown = [t for t in types if t not in keyring.TYPES]
    if unknown or not types:
        raise StartupRefused("startup.bad_types", f"--types takes letters among v, t, r (got {types!r})")
    with sessions() as session:
        recorded = keyring.records(session, active_only=True)
    dscs = [r for r in recorded if r.role == DSC]
    role = LIST if list_signer else DSC
    token: str | None
    if settings.hsm_token:
        _refuse_switch(dscs, PKCS11, settings.hsm_token)
        config = _hsm_config(settings)
        if label is None:
            if settings.production:
                raise StartupRefused(
                    "startup.label_required",
                    "production mode never creates keys: provision the new key in the HSM, then "
                    "vaxcert-issuer keys rotate --label LABEL",
                )
            from datetime import UTC, datetime

            from . import dev_keys

            label = f"{role}-{datetime.now(UTC).strftime('%Y%m%d%H%M%S')}"
            dev_keys.hsm_key(config, label, settings.data_dir, f"VN DCC {role} (DEVELOPMENT, rotated)")
        with Pkcs11Signer(config, label) as signer:
            certificate = signer.certificate
        provider, token = PKCS11, settings.hsm_token
    else:
        if settings.production:
            raise StartupRefused("startup.no_hsm", "production mode needs an HSM: set VAXCERT_HSM_TOKEN")
        if list_signer:
            raise StartupRefused(
                "startup.dev_list_signer",
                "the development list signer is dev-pki/anchor.pem; configure an HSM token to rotate it",
            )
        from . import dev_keys

        with dev_keys.provisioning_lock(settings.data_dir):
            provider = dscs[0].provider if dscs else dev_keys.choose_provider(settings.data_dir, settings.dev_keys)
            if provider == PKCS11:
                raise StartupRefused(
                    "startup.key_provider_changed",
                    f"this database's keys live in HSM token {dscs[0].token!r}; set VAXCERT_HSM_TOKEN to rotate",
                )
            created, certificate = dev_keys.new_dsc(settings.data_dir, provider, label)
            label = created
        token = dev_keys.DEV_TOKEN if provider == dev_keys.SOFTHSM else None
    if settings.production:
        from cryptography import x509

        parsed = x509.load_der_x509_certificate(certificate.der)
        if DEVELOPMENT_MARK in parsed.subject.rfc4514_string() + parsed.issuer.rfc4514_string():
            raise StartupRefused("startup.dev_key", f"production mode refuses key {label!r}: a development certificate")
    with db.transaction(sessions) as session:
        return keyring.register(
            session,
            role=role,
            provider=provider,
            token=token,
            label=label,
            certificate=certificate,
            types=types if role == DSC else "",
            actor="cli",
        )

"""Service configuration: environment variables ``VAXCERT_*`` or a ``.env``-style settings file.

| variable | default | meaning |
|---|---|---|
| VAXCERT_DATA_DIR | ./vaxcert-data | keys, development PKI, SQLite file, published trust list |
| VAXCERT_DATABASE_URL | sqlite:///<data dir>/issuer.db | SQLAlchemy URL; ``postgresql+psycopg://…`` in production |
| VAXCERT_HSM_TOKEN | (unset) | PKCS#11 token label; when set, DSC keys are used from the HSM |
| VAXCERT_HSM_MODULE | SoftHSM2's module | PKCS#11 module path |
| VAXCERT_HSM_PIN / VAXCERT_HSM_PIN_FILE | | the token's user PIN |
| VAXCERT_DSC_KEY_LABELS | dsc | HSM key label(s) recorded at first start: ``dsc``, or ``v=dsc-v,t=dsc-t,r=dsc-r`` |
| VAXCERT_ISSUER_COUNTRY | VN | CWT ``iss`` and UVCI country |
| VAXCERT_VALIDITY_DAYS | 365 | certificate lifetime |
| VAXCERT_MAX_BODY_BYTES | 65536 | larger JSON bodies are refused (413) |
| VAXCERT_MAX_UPLOAD_BYTES | 1073741824 | bulk upload limit |
| VAXCERT_PUBLIC_URL | http://127.0.0.1:8000 | base of the links returned to clients |
| VAXCERT_SHC_ISSUER | the public URL | SMART Health Card ``iss`` (``<iss>/.well-known/jwks.json`` is served here) |
| VAXCERT_TRUST_LIST_HOURS | 48 | next-update window of the published trust list |
| VAXCERT_AUTH_CACHE_SECONDS | 5 | how long a worker remembers a key's owner and scopes (revocation: every request) |
| VAXCERT_AUDIT_SEAL_SECONDS | 0.5 | PostgreSQL: how often audit events are chained from the outbox into the log |
| VAXCERT_BULK_LEASE_SECONDS | 30 | a bulk job's lease: unrenewed that long, another instance takes the job |
| VAXCERT_BULK_POLL_SECONDS | 1 | how often each instance looks for bulk jobs to run |
| VAXCERT_DEV_KEYS | auto | no HSM token set: ``softhsm`` (local SoftHSM2 token), ``pem`` (warns), ``auto`` |
| VAXCERT_ENV | development | ``production``: refuse to start without an HSM, with development keys or |
|  |  | PINs, with keys that would be created on the fly, or on SQLite |
| VAXCERT_LIST_SIGNER_LABEL | list-signer | HSM key label of the trust-list / revocation-list signer |
| VAXCERT_ALLOW_SQLITE | false | production mode: accept a SQLite database anyway |

Once the service has started, the database records which key provider and
labels its keys live under (table ``signing_keys``); a later start that would
use another provider, token or label refuses instead of switching.  Keys
change only through ``vaxcert-issuer keys rotate|retire``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, FilePath
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VAXCERT_", env_file=None, extra="ignore")

    data_dir: Path = Path("vaxcert-data")
    database_url: str | None = None
    hsm_token: str | None = None
    hsm_module: str | None = None
    dsc_key_labels: str = "dsc"
    issuer_country: str = Field(default="VN", pattern=r"^[A-Z]{2}$")
    issuer_name: str = "Ministry of Health of Viet Nam"
    # The certificate PDF's header: the issuer's name in Vietnamese above the English one, and a logo.
    issuer_name_vi: str | None = Field(default="Bộ Y tế Việt Nam", max_length=200)
    issuer_logo: FilePath | None = None
    validity_days: int = Field(default=365, ge=1)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=1024 * 1024 * 1024, ge=1024)
    public_url: str = "http://127.0.0.1:8000"
    shc_issuer: str | None = Field(default=None, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$", max_length=200)
    trust_list_hours: float = Field(default=48, gt=0)
    dev_keys: str = Field(default="auto", pattern="^(auto|softhsm|pem)$")
    auth_cache_seconds: float = Field(default=5.0, ge=0)
    audit_seal_seconds: float = Field(default=0.5, gt=0)
    bulk_lease_seconds: float = Field(default=30.0, ge=1)
    bulk_poll_seconds: float = Field(default=1.0, gt=0)
    env: str = Field(default="development", pattern="^(development|production)$")
    list_signer_label: str = Field(default="list-signer", min_length=1, max_length=100)
    allow_sqlite: bool = False

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'issuer.db').resolve()}"

    @property
    def resolved_shc_issuer(self) -> str:
        """The SHC ``iss``: verifiers fetch ``<iss>/.well-known/jwks.json``, so it never ends in ``/``."""
        return (self.shc_issuer or self.public_url).rstrip("/")

    @property
    def labels_configured(self) -> bool:
        """Whether VAXCERT_DSC_KEY_LABELS was set explicitly (the default follows the recorded keys)."""
        return "dsc_key_labels" in self.model_fields_set

    def key_label_for(self, certificate_type: str) -> str:
        """HSM key label for a certificate type (one DSC per type when configured)."""
        labels = {}
        for part in self.dsc_key_labels.split(","):
            kind, sep, label = part.strip().partition("=")
            if sep:
                labels[kind.strip()] = label.strip()
            else:
                labels["*"] = kind.strip()
        return labels.get(certificate_type) or labels.get("*") or "dsc"

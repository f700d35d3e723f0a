"""SMART Health Cards from the service: the card routes, the public JWK Set, key providers and rotation.

Every card is verified the way a verifier abroad would: ``vaxcert.shc.verify_shc`` with a
TrustRegistry built from nothing but the service's ``/.well-known/jwks.json``.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from pypdf import PdfReader

from issuer_service.app import create_app
from issuer_service.settings import Settings
from tests.conftest import HSM_PIN, PKI_START, PKI_VALIDITY, SENTINEL, leaked_log_lines
from tests.issuer_service.conftest import auth, make_key
from tests.issuer_service.test_keys import cli, environment, provision, restarted
from vaxcert import DocumentSignerCertificate, qr
from vaxcert.hsm import HsmConfig, HsmSession
from vaxcert.pki import IssuedKeyPair, csr_for_hsm_key, sign_csr
from vaxcert.registry import TrustRegistry
from vaxcert.shc import verify_shc
from vaxcert.summary import CredentialReport

ORGANISATION = "Trạm y tế Ba Đình"
ISSUER = "https://vaxcert.moh.example/vn"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared PKCS#11 (SoftHSM2) service settings with an https card issuer, as SMART Health Cards require.

    Overrides the package fixture, so ``client`` runs this configuration.
    """
    return settings.model_copy(update={"shc_issuer": ISSUER})


def _issue(client: TestClient, key: str, payload: dict[str, Any]) -> dict[str, Any]:
    created = client.post("/v1/certificates", json=payload, headers=auth(key))
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def _registry(client: TestClient, settings: Settings) -> TrustRegistry:
    published = client.get("/.well-known/jwks.json")
    assert published.status_code == 200
    assert published.headers["access-control-allow-origin"] == "*"
    return TrustRegistry.from_jwks(published.json(), issuer=settings.resolved_shc_issuer)


def _verify(text: str, registry: TrustRegistry) -> CredentialReport:
    report = verify_shc(text, registry, at=datetime.now(UTC))
    assert report.valid, (report.status, report.code, report.message)
    return report


def _card_from_png(client: TestClient, key: str, body: dict[str, Any]) -> str:
    link = urlsplit(body["links"]["shc_png"])
    png = client.get(f"{link.path}?{link.query}", headers=auth(key))
    assert png.status_code == 200 and png.headers["content-type"] == "image/png", png.text
    text = qr.decode(png.content)
    assert text.startswith("shc:/") and text[5:].isdigit()
    return text


def test_one_record_gives_both_codes_and_the_card_verifies_from_the_published_keys(
    client: TestClient, settings: Settings, vaccination_payload: dict[str, Any]
) -> None:
    key = make_key(settings, ORGANISATION, {"issue", "read"})
    body = _issue(client, key, vaccination_payload)
    path = f"/v1/certificates/{quote(body['uvci'], safe='')}"
    assert body["links"]["shc_png"].endswith(f"{path}/qr.png?format=shc")
    assert body["links"]["shc_pdf"].endswith(f"{path}/pdf?format=shc")
    text = _card_from_png(client, key, body)
    report = _verify(text, _registry(client, settings))
    assert report.format == "shc" and report.issuer == settings.resolved_shc_issuer
    assert report.holder is not None
    assert report.holder.name == "Thị Phương Nguyễn" and report.holder.birth_date == "1990-04-15"
    [event] = report.events
    assert (event.type, event.date) == ("vaccination", "2021-09-20") and "208" in (event.product or "")
    # The default format is still the EU code, the SVG carries a card too.
    assert qr.decode(client.get(f"{path}/qr.png", headers=auth(key)).content) == body["hc1"]
    svg = client.get(f"{path}/qr.svg?format=shc", headers=auth(key))
    assert svg.status_code == 200 and "</svg>" in svg.text


def test_the_pdf_carries_the_card_and_the_record(
    client: TestClient, settings: Settings, vaccination_payload: dict[str, Any]
) -> None:
    key = make_key(settings, ORGANISATION, {"issue", "read"})
    body = _issue(client, key, vaccination_payload)
    pdf = client.get(f"/v1/certificates/{quote(body['uvci'], safe='')}/pdf?format=shc", headers=auth(key))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf", pdf.text
    page = PdfReader(io.BytesIO(pdf.content)).pages[0]
    words = page.extract_text()
    assert "Nguyễn Thị Phương" in words and "SMART Health Card" in words and "QR code valid until" not in words
    [image] = page.images
    png = io.BytesIO()
    image.image.save(png, "PNG")
    _verify(qr.decode(png.getvalue()), _registry(client, settings))


@pytest.mark.parametrize("kind", ["test", "recovery"])
def test_only_vaccinations_get_a_card(
    client: TestClient, settings: Settings, kind: str, request: pytest.FixtureRequest
) -> None:
    key = make_key(settings, ORGANISATION, {"issue", "read"})
    body = _issue(client, key, request.getfixturevalue(f"{kind}_payload"))
    assert body["links"]["shc_png"] is None and body["links"]["png"]
    refused = client.get(f"/v1/certificates/{quote(body['uvci'], safe='')}/qr.png?format=shc", headers=auth(key))
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "issue.shc_not_vaccination"


def test_a_revoked_record_gets_no_new_card(
    client: TestClient, settings: Settings, vaccination_payload: dict[str, Any]
) -> None:
    key = make_key(settings, ORGANISATION, {"issue", "read", "revoke"})
    body = _issue(client, key, vaccination_payload)
    path = f"/v1/certificates/{quote(body['uvci'], safe='')}"
    assert client.post(f"{path}/revoke", json={"reason": "entered twice"}, headers=auth(key)).status_code == 200
    assert client.get(path, headers=auth(key)).json()["links"]["shc_png"] is None
    for suffix in ("/qr.png", "/qr.svg", "/pdf"):
        refused = client.get(f"{path}{suffix}?format=shc", headers=auth(key))
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "certificate_revoked"


def test_cards_need_the_read_scope_and_an_unknown_format_is_refused(
    client: TestClient, settings: Settings, vaccination_payload: dict[str, Any]
) -> None:
    issuer_only = make_key(settings, ORGANISATION, {"issue"})
    body = _issue(client, issuer_only, vaccination_payload)
    path = f"/v1/certificates/{quote(body['uvci'], safe='')}/qr.png"
    assert client.get(f"{path}?format=shc").status_code == 401
    assert client.get(f"{path}?format=shc", headers=auth(issuer_only)).status_code == 403
    reader = make_key(settings, ORGANISATION, {"read"})
    assert client.get(f"{path}?format=divoc", headers=auth(reader)).status_code == 422


def test_the_key_set_is_public_keys_only(client: TestClient, settings: Settings) -> None:
    document = client.get("/.well-known/jwks.json").json()
    [jwk] = document["keys"]
    assert set(jwk) >= {"kty", "crv", "x", "y", "kid"} and "d" not in jwk
    assert (jwk["kty"], jwk["crv"], jwk.get("use", "sig"), jwk.get("alg", "ES256")) == ("EC", "P-256", "sig", "ES256")


def test_cards_from_before_a_rotation_keep_verifying(
    settings: Settings, csca: IssuedKeyPair, vaccination_payload: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = make_key(settings, ORGANISATION, {"issue", "read"})
    with TestClient(create_app(settings)) as client:
        before = _card_from_png(client, key, _issue(client, key, vaccination_payload))
    assert settings.hsm_token is not None
    environment(monkeypatch, settings)
    assert cli("keys", "rotate", "--label", provision(settings.hsm_token, csca))[0] == 0
    with TestClient(create_app(restarted(settings))) as client:
        after = _card_from_png(client, key, _issue(client, key, vaccination_payload))
        registry = _registry(client, settings)
    assert len(registry.keys) == 2
    kids = {_verify(text, registry).detail.kid for text in (before, after)}
    assert len(kids) == 2


@pytest.fixture
def pem_settings(tmp_path: Path) -> Settings:
    """Development mode with the DSC key in a PEM file (no token)."""
    return Settings(
        data_dir=tmp_path / "pem", dev_keys="pem", auth_cache_seconds=0, shc_issuer="https://vn.example/shc/"
    )


@pytest.fixture
def pem_client(pem_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(pem_settings)) as test_client:
        yield test_client


def test_development_pem_keys_sign_cards_too_and_the_issuer_setting_is_used(
    pem_client: TestClient, pem_settings: Settings, vaccination_payload: dict[str, Any]
) -> None:
    assert pem_settings.resolved_shc_issuer == "https://vn.example/shc"  # never a trailing slash
    key = make_key(pem_settings, ORGANISATION, {"issue", "read"})
    text = _card_from_png(pem_client, key, _issue(pem_client, key, vaccination_payload))
    assert _verify(text, _registry(pem_client, pem_settings)).issuer == "https://vn.example/shc"
    # Trusted for another issuer URL, the same key does not verify the card.
    elsewhere = TrustRegistry.from_jwks(pem_client.get("/.well-known/jwks.json").json(), issuer="https://other.example")
    assert not verify_shc(text, elsewhere, at=datetime.now(UTC)).valid


def test_without_an_https_issuer_there_are_no_cards(
    tmp_path: Path, pem_settings: Settings, vaccination_payload: dict[str, Any]
) -> None:
    plain = pem_settings.model_copy(update={"shc_issuer": None, "data_dir": tmp_path / "plain"})
    assert plain.resolved_shc_issuer == "http://127.0.0.1:8000"
    key = make_key(plain, ORGANISATION, {"issue", "read"})
    with TestClient(create_app(plain)) as client:
        body = _issue(client, key, vaccination_payload)
        assert body["links"]["shc_png"] is None
        path = f"/v1/certificates/{quote(body['uvci'], safe='')}/qr.png?format=shc"
        refused = client.get(path, headers=auth(key))
    assert refused.status_code == 503 and refused.json()["error"]["code"] == "shc_not_configured"


def test_cards_log_no_personal_data(
    client: TestClient, settings: Settings, vaccination_payload: dict[str, Any]
) -> None:
    key = make_key(settings, ORGANISATION, {"issue", "read"})
    payload = {**vaccination_payload, "nam": {"fn": SENTINEL, "gn": SENTINEL}}
    body = _issue(client, key, payload)
    text = _card_from_png(client, key, body)
    assert not leaked_log_lines(text[5:45]) and not leaked_log_lines(SENTINEL)


def _provision_rsa(token: str, csca: IssuedKeyPair) -> str:
    """A PS256 DSC for vaccinations in the token (the key custodian's ceremony, RSA this time)."""
    label = f"dsc-rsa-{uuid.uuid4().hex[:8]}"
    with HsmSession(HsmConfig(token, HSM_PIN), read_write=True) as session:
        session.generate_key(label, "PS256")
        certificate = sign_csr(
            csca,
            csr_for_hsm_key(session, label, f"VN DSC {label}"),
            certificate_types="v",
            valid_from=PKI_START,
            validity=PKI_VALIDITY,
        )
        session.store_certificate(
            label, DocumentSignerCertificate.from_der(certificate.public_bytes(serialization.Encoding.DER))
        )
    return label


def test_an_rsa_vaccination_dsc_signs_no_cards_and_publishes_no_key(
    settings: Settings, csca: IssuedKeyPair, vaccination_payload: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = make_key(settings, ORGANISATION, {"issue", "read"})
    with TestClient(create_app(settings)):  # the first start records the ES256 DSC
        pass
    assert settings.hsm_token is not None
    environment(monkeypatch, settings)
    label = _provision_rsa(settings.hsm_token, csca)
    assert cli("keys", "rotate", "--label", label, "--types", "v")[0] == 0
    with TestClient(create_app(restarted(settings))) as client:
        body = _issue(client, key, vaccination_payload)
        refused = client.get(f"/v1/certificates/{quote(body['uvci'], safe='')}/qr.png?format=shc", headers=auth(key))
        published = client.get("/.well-known/jwks.json").json()
    assert body["links"]["shc_png"] is None and body["links"]["png"]
    assert refused.status_code == 503 and refused.json()["error"]["code"] == "shc_not_configured"
    # The ES256 key left signing only tests and recoveries, the RSA key cannot sign cards: nothing to publish.
    assert published == {"keys": []}

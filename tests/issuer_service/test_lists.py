"""The public lists: signed once per change, served with ETag / 304, and fresh across processes."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from issuer_service.admin import main
from issuer_service.app import create_app
from issuer_service.settings import Settings
from tests.issuer_service.conftest import auth, make_key
from tests.issuer_service.test_keys import environment, first_start, provision
from vaxcert import DocumentSignerCertificate, trustlist
from vaxcert.hcert import revocation
from vaxcert.pki import IssuedKeyPair

ROUTES = ("/v1/trust-list", "/v1/revocation-list")


def _anchor(settings: Settings) -> DocumentSignerCertificate:
    return DocumentSignerCertificate.load(settings.data_dir / "list-signer.pem")


@pytest.mark.parametrize("route", ROUTES)
def test_unchanged_list_is_served_from_the_cache_with_an_etag(client: TestClient, route: str) -> None:
    first = client.get(route)
    second = client.get(route)
    assert first.status_code == second.status_code == 200
    # ECDSA signatures are randomised: equal bytes mean the list was not signed again.
    assert first.content == second.content
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag == second.headers["etag"]
    unchanged = client.get(route, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged.headers["etag"] == etag
    assert client.get(route, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get(route, headers={"If-None-Match": '"other"'}).status_code == 200


def test_a_revocation_in_another_process_is_published(settings: Settings, vaccination_payload: dict[str, Any]) -> None:
    """Two service instances on one database: the second notices the first one's revocation."""
    key = make_key(settings, "Bệnh viện Bạch Mai", {"issue", "revoke"})
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        before = two.get("/v1/revocation-list")
        issued = one.post("/v1/certificates", json=vaccination_payload, headers=auth(key)).json()
        assert two.get("/v1/revocation-list").headers["etag"] == before.headers["etag"]  # nothing revoked yet
        path = f"/v1/certificates/{quote(issued['uvci'], safe='')}/revoke"
        revoked = one.post(path, json={"reason": "cấp nhầm"}, headers=auth(key))
        assert revoked.status_code == 200
        after = two.get("/v1/revocation-list", headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    listed = revocation.verify(after.content, [_anchor(settings)])
    kid, hashes = revocation.hashes_for_code(issued["hc1"])
    assert listed.revoked_by(kid, hashes) is not None


def test_a_rotation_is_published_by_a_running_service(
    settings: Settings, csca: IssuedKeyPair, monkeypatch: pytest.MonkeyPatch, vaccination_payload: dict[str, Any]
) -> None:
    first_start(monkeypatch, settings)
    key = make_key(settings, "Sở Y tế Hà Nội", {"issue"})
    with TestClient(create_app(Settings(**settings.model_dump(exclude={"dsc_key_labels"})))) as client:
        # The old DSC signed a certificate, so it stays listed next to the new one.
        assert client.post("/v1/certificates", json=vaccination_payload, headers=auth(key)).status_code == 201
        before = client.get("/v1/trust-list")
        assert settings.hsm_token is not None
        label = provision(settings.hsm_token, csca)
        environment(monkeypatch, settings)
        assert main(["keys", "rotate", "--label", label], stdout=io.StringIO()) == 0
        after = client.get("/v1/trust-list", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    entries = trustlist.verify(after.content, [_anchor(settings)]).content.entries
    old = trustlist.verify(before.content, [_anchor(settings)]).content.entries
    assert len(entries) == len(old) + 1 and {e.kid for e in old} < {e.kid for e in entries}
    new = DocumentSignerCertificate.load(settings.data_dir / "dsc" / "current-v.pem")
    assert new.kid in {e.kid for e in entries}

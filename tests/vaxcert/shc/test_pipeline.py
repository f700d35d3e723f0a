"""verify_shc end to end: the shared corpus, forgeries, key status, revocation, expiry, and hostile input."""

from __future__ import annotations

import base64
import json
import os
import re
import time
import unicodedata
import zlib
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.multiformat_corpus import CorpusCase, corpus_cases
from tests.vaxcert.shc.conftest import AT, ISSUED_AT, ISSUER, card_claims, signed_card
from vaxcert.registry import KeyStatus, ShcRevocationList, TrustedKey, TrustRegistry
from vaxcert.shc import PemJwsSigner, issue_shc, jwks_for, numeric, public_jwk, verify_shc
from vaxcert.shc import jws as shc_jws
from vaxcert.summary import CredentialReport, Status

FUZZ_EXAMPLES = int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "300"))
CASES = corpus_cases("shc")


# -- the shared corpus ------------------------------------------------------------------------


def _tokens(*parts: Any) -> list[str]:
    # The harness's comparison: diacritics and case folded, split on anything not a letter or digit.
    out: list[str] = []
    for part in parts:
        if part:
            text = unicodedata.normalize("NFKD", str(part)).replace("Đ", "D").replace("đ", "d")
            text = "".join(c for c in text if not unicodedata.combining(c)).lower()
            out += [token for token in re.split(r"[^0-9a-z]+", text) if token]
    return out


def _holder_matches(expected: dict[str, Any], report: CredentialReport) -> bool:
    if report.holder is None:
        return False
    want = Counter(_tokens(expected.get("family"), expected.get("given"), expected.get("name")))
    got = Counter(_tokens(report.holder.name))
    optional = set(_tokens(expected.get("optional")))
    if want - got or [token for token in got - want if token not in optional]:
        return False
    birth = expected.get("birth_date")
    return not birth or report.holder.birth_date == birth or str(report.holder.birth_date).startswith(birth)


def _events_match(expected: list[dict[str, Any]], report: CredentialReport) -> bool:
    if len(expected) != len(report.events):
        return False
    pool = list(report.events)
    for want in sorted(expected, key=lambda event: event.get("dose") is None):
        found = [e for e in pool if e.type == want["type"] and e.date == want.get("date")]
        if want.get("dose") is not None:
            found = [e for e in found if e.dose == want["dose"]]
        if not found:
            return False
        pool.remove(found[0])
    return True


@pytest.mark.skipif(not CASES, reason="the shared multi-format corpus is not checked out")
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_corpus_case(case: CorpusCase) -> None:
    report = verify_shc(list(case.qr), case.registry(), at=case.at)
    assert report.format == "shc"
    assert report.status == case.expected["status"], (report.code, report.message)
    assert report.valid == (case.expected["status"] == "verified")
    if "holder" in case.expected:
        assert _holder_matches(case.expected["holder"], report), report.holder
    if "events" in case.expected:
        assert _events_match(case.expected["events"], report), report.events


def test_corpus_has_every_shc_case() -> None:
    if CASES:
        assert len(CASES) >= 61


# -- forgeries --------------------------------------------------------------------------------


def test_payload_edited_after_signing_is_rejected(
    vaccination_bundle: dict[str, Any], shc_signer: PemJwsSigner, shc_registry: TrustRegistry
) -> None:
    issued = issue_shc(vaccination_bundle, shc_signer, issuer=ISSUER, issued_at=ISSUED_AT)
    header, body, signature = issued.jws.split(".")
    claims = zlib.decompress(shc_jws.b64url_decode(body), -15).replace(b"2021-09-20", b"2021-09-21")
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    edited = shc_jws.b64url_encode(compressor.compress(claims) + compressor.flush())
    report = verify_shc(numeric.encode(f"{header}.{edited}.{signature}"), shc_registry, at=AT)
    assert report.status is Status.INVALID_SIGNATURE and report.code == "signature.mismatch"
    # What the forged card claims is still shown, so the officer sees whose code failed.
    assert report.holder is not None and any(event.date == "2021-09-21" for event in report.events)


def test_key_with_the_same_kid_from_another_issuer_does_not_verify(
    vaccination_bundle: dict[str, Any], shc_signer: PemJwsSigner
) -> None:
    # The attacker runs a trusted issuer of its own and publishes its key under the victim's kid.
    attacker = PemJwsSigner(ec.generate_private_key(ec.SECP256R1()))
    forged_jwk = {**attacker.public_jwk(), "kid": shc_signer.kid}
    registry = TrustRegistry.from_jwks(jwks_for([shc_signer]), issuer=ISSUER).merged(
        TrustRegistry.from_jwks({"keys": [forged_jwk]}, issuer="https://attacker.example")
    )
    header = {"alg": "ES256", "zip": "DEF", "kid": shc_signer.kid}
    forged = signed_card(attacker, card_claims(vaccination_bundle), header)
    report = verify_shc(forged, registry, at=AT)
    assert report.status is Status.INVALID_SIGNATURE  # only the victim's own key is tried for its iss
    genuine = issue_shc(vaccination_bundle, shc_signer, issuer=ISSUER, issued_at=ISSUED_AT)
    assert verify_shc(genuine.text, registry, at=AT).valid


def test_trusted_key_of_another_issuer_cannot_sign_for_this_one(
    vaccination_bundle: dict[str, Any], shc_signer: PemJwsSigner
) -> None:
    other = PemJwsSigner(ec.generate_private_key(ec.SECP256R1()))
    registry = TrustRegistry.from_jwks(jwks_for([shc_signer]), issuer=ISSUER).merged(
        TrustRegistry.from_jwks(jwks_for([other]), issuer="https://other.example")
    )
    report = verify_shc(signed_card(other, card_claims(vaccination_bundle)), registry, at=AT)
    assert report.status is Status.ISSUER_NOT_TRUSTED and report.code == "trust.unknown_key"


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ({"alg": "none", "zip": "DEF", "kid": "K"}, "jose.alg_none"),
        ({"alg": "ES384", "zip": "DEF", "kid": "K"}, "jose.unsupported_alg"),
        ({"alg": "HS256", "zip": "DEF", "kid": "K"}, "jose.unsupported_alg"),
        ({"zip": "DEF", "kid": "K"}, "jose.no_alg"),
        ({"alg": "ES256", "zip": "DEF"}, "jose.no_kid"),
        ({"alg": "ES256", "zip": "DEF", "kid": ""}, "jose.no_kid"),
        (b"not json", "jose.header_not_json"),
        (b"[1,2]", "jose.header_not_json"),
    ],
)
def test_signing_format_faults(
    header: dict[str, Any] | bytes,
    code: str,
    vaccination_bundle: dict[str, Any],
    shc_signer: PemJwsSigner,
    shc_registry: TrustRegistry,
) -> None:
    if isinstance(header, dict) and header.get("kid") == "K":
        header["kid"] = shc_signer.kid
    report = verify_shc(signed_card(shc_signer, card_claims(vaccination_bundle), header), shc_registry, at=AT)
    assert report.status is Status.INVALID_SIGNING_FORMAT and report.code == code


def test_alg_none_with_an_empty_signature(vaccination_bundle: dict[str, Any], shc_registry: TrustRegistry) -> None:
    header = shc_jws.b64url_encode(b'{"alg":"none","zip":"DEF","kid":"x"}')
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = json.dumps(card_claims(vaccination_bundle)).encode()
    payload = shc_jws.b64url_encode(compressor.compress(body) + compressor.flush())
    report = verify_shc(numeric.encode(f"{header}.{payload}."), shc_registry, at=AT)
    assert report.status is Status.INVALID_SIGNING_FORMAT and report.code == "jose.alg_none"


def test_der_signature_is_a_signing_format_fault(
    vaccination_bundle: dict[str, Any], shc_signer: PemJwsSigner, shc_registry: TrustRegistry
) -> None:
    issued = issue_shc(vaccination_bundle, shc_signer, issuer=ISSUER, issued_at=ISSUED_AT)
    header, body, signature = issued.jws.split(".")
    raw = shc_jws.b64url_decode(signature)
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    report = verify_shc(numeric.encode(f"{header}.{body}.{shc_jws.b64url_encode(der)}"), shc_registry, at=AT)
    assert report.status is Status.INVALID_SIGNING_FORMAT and report.code == "jose.signature_size"


@pytest.mark.parametrize(
    ("header", "deflate", "code"),
    [
        ({"alg": "ES256", "kid": "K"}, True, "inflate.no_zip"),
        ({"alg": "ES256", "kid": "K"}, False, "inflate.no_zip"),
        ({"alg": "ES256", "zip": "GZIP", "kid": "K"}, True, "inflate.unsupported_zip"),
        ({"alg": "ES256", "zip": "DEF", "kid": "K"}, False, "inflate.corrupt"),
    ],
)
def test_compression_faults(
    header: dict[str, Any],
    deflate: bool,
    code: str,
    vaccination_bundle: dict[str, Any],
    shc_signer: PemJwsSigner,
    shc_registry: TrustRegistry,
) -> None:
    header["kid"] = shc_signer.kid
    card = signed_card(shc_signer, card_claims(vaccination_bundle), header, deflate=deflate)
    report = verify_shc(card, shc_registry, at=AT)
    assert report.status is Status.INVALID_COMPRESSION and report.code == code


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({"nbf": 1, "vc": {}}, "payload.no_iss"),
        ({"iss": ISSUER, "nbf": 1}, "payload.no_vc"),
        ({"iss": ISSUER, "vc": []}, "payload.no_vc"),
        ({"iss": ISSUER, "nbf": "yesterday", "vc": {}}, "payload.bad_nbf"),
        ({"iss": ISSUER, "exp": 1e300, "vc": {}}, "payload.bad_exp"),
        ([1, 2, 3], "payload.not_object"),
        (b"\xff\xfe", "payload.not_json"),
    ],
)
def test_claim_set_faults(claims: Any, code: str, shc_signer: PemJwsSigner, shc_registry: TrustRegistry) -> None:
    report = verify_shc(signed_card(shc_signer, claims), shc_registry, at=AT)
    assert report.status is Status.INVALID_SIGNING_FORMAT and report.code == code


def test_card_without_the_health_card_type_is_not_supported(
    vaccination_bundle: dict[str, Any], shc_signer: PemJwsSigner, shc_registry: TrustRegistry
) -> None:
    claims = card_claims(vaccination_bundle)
    claims["vc"]["type"] = ["VerifiableCredential", "https://smarthealth.cards#immunization"]
    report = verify_shc(signed_card(shc_signer, claims), shc_registry, at=AT)
    assert report.status is Status.NOT_SUPPORTED and report.code == "content.not_health_card"
    assert report.checks["signature"] is True  # the other checks still ran
    claims["vc"] = {"type": ["https://smarthealth.cards#health-card"], "credentialSubject": {}}
    report = verify_shc(signed_card(shc_signer, claims), shc_registry, at=AT)
    assert report.status is Status.NOT_SUPPORTED and report.code == "content.no_bundle"


def test_precedence_signing_format_before_expiry(
    vaccination_bundle: dict[str, Any], shc_signer: PemJwsSigner, shc_registry: TrustRegistry
) -> None:
    claims = card_claims(vaccination_bundle, exp=int((AT - timedelta(days=1)).timestamp()))
    header = {"alg": "ES384", "zip": "DEF", "kid": shc_signer.kid}
    assert verify_shc(signed_card(shc_signer, claims, header), shc_registry, at=AT).status is (
        Status.INVALID_SIGNING_FORMAT
    )
    assert verify_shc(signed_card(shc_signer, claims), shc_registry, at=AT).status is Status.EXPIRED


# -- keys: status, validity window, x5c -------------------------------------------------------


def _registry_with(signer: PemJwsSigner, **changes: Any) -> TrustRegistry:
    base = TrustRegistry.from_jwks(jwks_for([signer]), issuer=ISSUER)
    key = base.keys[("SHC", f"{ISSUER}#{signer.kid}")]
    fields = {name: getattr(key, name) for name in TrustedKey.__slots__}  # type: ignore[attr-defined]
    fields.update(changes)
    return TrustRegistry(keys={("SHC", key.key_id): TrustedKey(**fields)})


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"status": KeyStatus.TERMINATED}, Status.TERMINATED_KEYS, "key.terminated"),
        ({"status": KeyStatus.REVOKED}, Status.REVOKED_KEYS, "key.revoked"),
        ({"status": KeyStatus.EXPIRED}, Status.EXPIRED_KEYS, "key.expired"),
        ({"valid_until": AT - timedelta(days=1)}, Status.EXPIRED_KEYS, "key.expired"),
        ({"valid_from": AT + timedelta(days=1)}, Status.EXPIRED_KEYS, "key.expired"),
        ({"valid_from": AT - timedelta(days=9), "valid_until": AT + timedelta(days=9)}, Status.VERIFIED, None),
    ],
)
def test_key_status(
    changes: dict[str, Any],
    status: Status,
    code: str | None,
    vaccination_bundle: dict[str, Any],
    shc_signer: PemJwsSigner,
) -> None:
    issued = issue_shc(vaccination_bundle, shc_signer, issuer=ISSUER, issued_at=ISSUED_AT)
    report = verify_shc(issued.text, _registry_with(shc_signer, **changes), at=AT)
    assert report.status is status and report.code == code


def _certificate(key: ec.EllipticCurvePrivateKey, not_before: datetime, not_after: datetime) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SHC issuer")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(ISSUER)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


@pytest.mark.parametrize(
    ("not_before", "not_after", "status"),
    [
        (AT - timedelta(days=90), AT + timedelta(days=90), Status.VERIFIED),
        (AT - timedelta(days=90), AT - timedelta(days=1), Status.EXPIRED_KEYS),
        (AT + timedelta(days=1), AT + timedelta(days=90), Status.EXPIRED_KEYS),
    ],
)
def test_x5c_leaf_validity(
    not_before: datetime, not_after: datetime, status: Status, vaccination_bundle: dict[str, Any]
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    signer = PemJwsSigner(key)
    jwk = {**public_jwk(key.public_key()), "x5c": [_certificate(key, not_before, not_after)]}
    registry = TrustRegistry.from_jwks({"keys": [jwk]}, issuer=ISSUER)
    issued = issue_shc(vaccination_bundle, signer, issuer=ISSUER, issued_at=ISSUED_AT)
    assert verify_shc(issued.text, registry, at=AT).status is status


def test_key_trusted_for_any_issuer(vaccination_bundle: dict[str, Any], shc_signer: PemJwsSigner) -> None:
    registry = TrustRegistry.from_jwks(jwks_for([shc_signer]))  # a JWK Set without "iss"
    issued = issue_shc(vaccination_bundle, shc_signer, issuer=ISSUER, issued_at=ISSUED_AT)
    assert verify_shc(issued.text, registry, at=AT).valid


# -- revocation and expiry --------------------------------------------------------------------


def _with_crl(registry: TrustRegistry, kid: str, rids: list[str], ctr: int = 1) -> TrustRegistry:
    document = {"kid": kid, "method": "rid", "ctr": ctr, "rids": rids}
    return registry.merged(TrustRegistry.from_shc_revocation_list(document))


@pytest.mark.parametrize(
    ("rids", "status"),
    [
        (["Rev0ked"], Status.REVOKED),
        ([f"Rev0ked.{int((ISSUED_AT + timedelta(hours=1)).timestamp())}"], Status.REVOKED),
        ([f"Rev0ked.{int((ISSUED_AT - timedelta(hours=1)).timestamp())}"], Status.VERIFIED),
        (["other", "Rev0ked2"], Status.VERIFIED),
        ([], Status.VERIFIED),
    ],
)
def test_revocation_by_rid(
    rids: list[str],
    status: Status,
    vaccination_bundle: dict[str, Any],
    shc_signer: PemJwsSigner,
    shc_registry: TrustRegistry,
) -> None:
    issued = issue_shc(vaccination_bundle, shc_signer, issuer=ISSUER, issued_at=ISSUED_AT, rid="Rev0ked")
    report = verify_shc(issued.text, _with_crl(shc_registry, shc_signer.kid, rids), at=AT)
    assert report.status is status
    assert report.detail.revocation_list is (status is Status.VERIFIED)


def test_revocation_list_of_another_key_does_not_apply(
    vaccination_bundle: dict[str, Any], shc_signer: PemJwsSigner, shc_registry: TrustRegistry
) -> None:
    issued = issue_shc(vaccination_bundle, shc_signer, issuer=ISSUER, issued_at=ISSUED_AT, rid="Rev0ked")
    assert verify_shc(issued.text, _with_crl(shc_registry, "another-kid", ["Rev0ked"]), at=AT).valid


def test_a_list_older_than_the_keys_crl_version_is_flagged(
    vaccination_bundle: dict[str, Any], shc_signer: PemJwsSigner
) -> None:
    registry = _registry_with(shc_signer, crl_version=3)
    issued = issue_shc(vaccination_bundle, shc_signer, issuer=ISSUER, issued_at=ISSUED_AT, rid="abc")
    stale = verify_shc(issued.text, _with_crl(registry, shc_signer.kid, ["zzz"], ctr=2), at=AT)
    assert stale.valid and stale.detail.revocation_list_stale
    current = verify_shc(issued.text, _with_crl(registry, shc_signer.kid, ["zzz"], ctr=3), at=AT)
    assert current.valid and not current.detail.revocation_list_stale
    assert isinstance(registry.shc_revocation("none") or ShcRevocationList("k", 1, {}), ShcRevocationList)


@pytest.mark.parametrize(
    ("extra", "status", "code"),
    [
        ({"exp": int((AT - timedelta(seconds=1)).timestamp())}, Status.EXPIRED, "expiry.expired"),
        ({"exp": int((AT + timedelta(days=1)).timestamp())}, Status.VERIFIED, None),
        ({"nbf": int((AT + timedelta(days=1)).timestamp())}, Status.EXPIRED, "expiry.not_yet_valid"),
        ({"nbf": int((AT + timedelta(minutes=2)).timestamp())}, Status.VERIFIED, None),
        ({"nbf": None}, Status.VERIFIED, None),
    ],
)
def test_card_validity_window(
    extra: dict[str, Any],
    status: Status,
    code: str | None,
    vaccination_bundle: dict[str, Any],
    shc_signer: PemJwsSigner,
    shc_registry: TrustRegistry,
) -> None:
    claims = card_claims(vaccination_bundle, **extra)
    report = verify_shc(signed_card(shc_signer, claims), shc_registry, at=AT)
    assert report.status is status and report.code == code


# -- hostile input ----------------------------------------------------------------------------


def _fast(qr: Any, registry: TrustRegistry) -> CredentialReport:
    start = time.perf_counter()
    report = verify_shc(qr, registry, at=AT)
    assert time.perf_counter() - start < 1.0
    return report


def test_ten_megabyte_numeric_string(shc_registry: TrustRegistry) -> None:
    report = _fast("shc:/" + "56" * 5_000_000, shc_registry)
    assert report.status is Status.INVALID_ENCODING and report.code == "numeric.too_long"


def test_a_thousand_chunks(shc_registry: TrustRegistry) -> None:
    report = _fast([f"shc:/{i}/1000/5676" for i in range(1, 1001)], shc_registry)
    assert report.status is Status.INVALID_ENCODING and report.code == "numeric.too_many_chunks"
    report = _fast([f"shc:/{i}/60/" + "56" * 200_000 for i in range(1, 61)], shc_registry)
    assert report.code == "numeric.too_long"


def test_deflate_bomb(shc_signer: PemJwsSigner, shc_registry: TrustRegistry) -> None:
    bomb = b'{"iss":"' + b"a" * 50_000_000 + b'"}'
    report = _fast(signed_card(shc_signer, bomb), shc_registry)
    assert report.status is Status.INVALID_COMPRESSION and report.code == "inflate.too_large"


def test_deeply_nested_payload(shc_signer: PemJwsSigner, shc_registry: TrustRegistry) -> None:
    deep = b'{"iss":"x","vc":' + b"[" * 20_000 + b"]" * 20_000 + b"}"
    report = _fast(signed_card(shc_signer, deep), shc_registry)
    assert report.status is Status.INVALID_SIGNING_FORMAT and report.code == "payload.too_deep"


def test_huge_number_in_payload(shc_signer: PemJwsSigner, shc_registry: TrustRegistry) -> None:
    report = _fast(signed_card(shc_signer, b'{"iss":"x","nbf":' + b"9" * 5000 + b',"vc":{}}'), shc_registry)
    assert report.code == "payload.too_large"


_DIGITS = st.text(alphabet="0123456789", max_size=400)
_TEXT = st.one_of(
    st.text(max_size=300),
    _DIGITS.map(lambda digits: "shc:/" + digits),
    st.tuples(st.integers(0, 99), st.integers(0, 99), _DIGITS).map(lambda t: f"shc:/{t[0]}/{t[1]}/{t[2]}"),
)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(texts=st.lists(_TEXT, min_size=0, max_size=5))
def test_random_input_gets_a_report(texts: list[str], shc_registry: TrustRegistry) -> None:
    report = verify_shc(texts if len(texts) != 1 else texts[0], shc_registry, at=AT)
    assert report.format == "shc" and report.status in set(Status)
    assert report.valid is False


@pytest.fixture(scope="module")
def valid_card(shc_signer: PemJwsSigner) -> str:
    from tests.conftest import load_vector_file

    bundle = load_vector_file("shc/bundle-vaccination.json")
    return issue_shc(bundle, shc_signer, issuer=ISSUER, issued_at=ISSUED_AT).text


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(data=st.data())
def test_mutated_cards_get_a_report(data: st.DataObject, valid_card: str, shc_registry: TrustRegistry) -> None:
    text = valid_card
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(text) - 1))
        action = data.draw(st.sampled_from(["replace", "delete", "insert", "swap"]))
        digit = data.draw(st.sampled_from("0123456789/:x"))
        if action == "replace":
            text = text[:position] + digit + text[position + 1 :]
        elif action == "delete":
            text = text[:position] + text[position + 1 :]
        elif action == "insert":
            text = text[:position] + digit + text[position:]
        else:
            text = (
                text[:position]
                + text[position + 2 : position + 4]
                + text[position : position + 2]
                + text[position + 4 :]
            )
    report = verify_shc(text, shc_registry, at=AT)
    assert report.status in set(Status)
    if text != valid_card:
        # A JWS has one text: any change breaks the encoding, the format or the signature.
        assert not report.valid


def test_valid_card_fixture_is_valid(valid_card: str, shc_registry: TrustRegistry) -> None:
    assert verify_shc(valid_card, shc_registry, at=AT).valid

"""issue() and verify() through the public API: round trips, refusals, forgeries, fuzzing."""

from __future__ import annotations

import contextlib
import json
import os
import unicodedata
import zlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vaxcert
import vaxcert.hcert.revocation
import vaxcert.signed
import vaxcert.trustlist
from tests.conftest import QUIET_HEALTH_CHECKS, VECTORS, load_vector_file
from tests.mutations import paths, replace_at
from tests.strategies import CBOR_VALUES, GARBAGE_CLAIMS, signed_code
from vaxcert import (
    IssuanceError,
    PemSigner,
    SchemaError,
    SignatureError,
    TrustStore,
    VaxcertError,
    VerificationReport,
    decode_unverified,
    issue,
    verify,
)
from vaxcert.hcert import base45 as b45
from vaxcert.hcert.report import CHECKS

NOW = datetime(2026, 6, 1, tzinfo=UTC)
_VN_RULES = vaxcert.hcert.rules.RuleSet.load(VECTORS.parent / "rules-vn.json")
ISSUED = NOW - timedelta(days=10)


def _assert_report_shape(report: VerificationReport, *, valid: bool | None) -> None:
    """Checks a report against what the test expects (``valid``; None when a fuzz input may go
    either way) and against its own promises, each through a different part of the public API."""
    assert tuple(outcome.name for outcome in report.outcomes) == CHECKS
    if valid is not None:
        assert report.valid is valid, report.failures
    if report.valid:
        assert report.stage == "ok" and report.failures == ()
        assert report.certificate.signer is report.signer  # no exception: a valid report yields its certificate
        return
    assert report.stage in CHECKS
    with pytest.raises(VaxcertError) as raised:
        report.raise_for_failure()
    # The first failed check, as the exception of its own stage, with a code named after it.
    assert raised.value.stage == report.stage, (raised.value, report.stage)
    assert raised.value.code.startswith(f"{report.stage}."), raised.value.code
    if report.failures:
        assert report.failures[0].name == report.stage
    else:  # nothing failed, yet the signature was never checked: that is the reason
        assert report.stage == "signature" and report.checks["signature"] is None


@pytest.mark.parametrize("kind", ["vaccination", "test", "recovery"])
def test_issue_and_verify_every_type(
    kind: str, signer: PemSigner, trust: TrustStore, request: pytest.FixtureRequest
) -> None:
    payload = request.getfixturevalue(f"{kind}_payload")
    issued = issue(payload, signer, issued_at=ISSUED)
    assert issued.text.startswith("HC1:")
    report = verify(issued.text, trust, at=NOW)
    _assert_report_shape(report, valid=True)
    assert report.stage == "ok"
    certificate = report.certificate
    assert certificate.uvci == issued.uvci
    assert certificate.signer.kid == signer.certificate.kid
    assert certificate.claims.issuer == "VN"
    assert certificate.claims.expires_at == int((ISSUED + timedelta(days=365)).timestamp())
    assert certificate.dcc["nam"]["fn"] == payload["nam"]["fn"]


def test_vietnamese_names_are_transliterated_and_uvci_generated(
    signer: PemSigner, trust: TrustStore, test_payload: dict[str, Any]
) -> None:
    issued = issue(test_payload, signer, issued_at=ISSUED)
    dcc = verify(issued.text, trust, at=NOW).certificate.dcc
    assert dcc["nam"] == {"fn": "Đặng", "fnt": "DANG", "gn": "Văn Lưỡng", "gnt": "VAN<LUONG"}
    assert vaxcert.hcert.uvci.has_valid_checksum(dcc["t"][0]["ci"])
    assert dcc["t"][0]["ci"].startswith("URN:UVCI:01:VN:")


def test_ps256_issue_and_verify(rsa_signer: PemSigner, trust: TrustStore, vaccination_payload: dict[str, Any]) -> None:
    issued = issue(vaccination_payload, rsa_signer, issued_at=ISSUED)
    assert verify(issued.text, trust, at=NOW).valid


def test_typical_vietnamese_certificate_fits_qr_version_25(
    signer: PemSigner, vaccination_payload: dict[str, Any]
) -> None:
    assert len(issue(vaccination_payload, signer).text) <= 1041


def test_model_input_is_accepted(signer: PemSigner, trust: TrustStore, vaccination_payload: dict[str, Any]) -> None:
    vaccination_payload["v"][0]["ci"] = vaxcert.hcert.uvci.generate()
    model = vaxcert.DigitalCovidCertificate.model_validate(vaccination_payload)
    assert verify(issue(model, signer, issued_at=ISSUED).text, trust, at=NOW).valid


class TestIssuerRefuses:
    def test_unknown_value_set_code(self, signer: PemSigner, vaccination_payload: dict[str, Any]) -> None:
        vaccination_payload["v"][0]["mp"] = "Nanocovax"
        with pytest.raises(IssuanceError) as info:
            issue(vaccination_payload, signer)
        assert info.value.code == "issue.unknown_code" and "v.0.mp" in info.value.message

    def test_invalid_payload_names_the_field(self, signer: PemSigner, vaccination_payload: dict[str, Any]) -> None:
        vaccination_payload["v"][0]["dn"] = 0
        with pytest.raises(SchemaError) as info:
            issue(vaccination_payload, signer)
        assert "v.0.dn" in info.value.message

    def test_impossible_date_of_birth(self, signer: PemSigner, vaccination_payload: dict[str, Any]) -> None:
        vaccination_payload["dob"] = "1990-02-30"
        with pytest.raises(SchemaError):
            issue(vaccination_payload, signer)

    def test_wrong_uvci_checksum(self, signer: PemSigner, vaccination_payload: dict[str, Any]) -> None:
        vaccination_payload["v"][0]["ci"] = "URN:UVCI:01:NL:187/37512422923#A"
        with pytest.raises(IssuanceError) as info:
            issue(vaccination_payload, signer)
        assert info.value.code == "issue.bad_uvci_checksum"

    def test_type_outside_the_dsc_eku(self, vaccination_signer: PemSigner, test_payload: dict[str, Any]) -> None:
        with pytest.raises(IssuanceError) as info:
            issue(test_payload, vaccination_signer)
        assert info.value.code == "issue.dsc_not_allowed"

    def test_exp_beyond_the_dsc(self, signer: PemSigner, vaccination_payload: dict[str, Any]) -> None:
        with pytest.raises(IssuanceError) as info:
            issue(vaccination_payload, signer, validity=timedelta(days=30 * 365))
        assert info.value.code == "issue.exp_after_dsc"

    def test_not_a_mapping(self, signer: PemSigner) -> None:
        with pytest.raises(SchemaError):
            issue(["not", "a", "payload"], signer)  # type: ignore[arg-type]


class TestVerifierRejects:
    @pytest.fixture(scope="class")
    @classmethod
    def text(cls, signer: PemSigner) -> str:
        return issue(load_vector_file("payloads/vn-vaccination.json"), signer, issued_at=ISSUED).text

    @staticmethod
    def _retamper(text: str, edit: Any) -> str:
        items = list(cbor2.loads(zlib.decompress(b45.decode(text[4:]))).value)
        edit(items)
        return "HC1:" + b45.encode(zlib.compress(cbor2.dumps(cbor2.CBORTag(18, items))))

    def test_unknown_kid(self, text: str) -> None:
        report = verify(text, TrustStore(), at=NOW)
        assert not report.valid and report.stage == "signature"
        assert report.outcome("signature").code == "signature.kid_not_found"
        assert "kid not found" in (report.outcome("signature").message or "")
        # decoding and schema still ran
        assert report.checks["cwt"] and report.checks["schema"] and report.checks["expiry"]
        assert report.checks["key_usage"] is None

    @given(position=st.integers(0, 63), bit=st.integers(0, 7))
    @settings(max_examples=40)
    def test_any_flipped_signature_bit(self, text: str, trust: TrustStore, position: int, bit: int) -> None:
        def flip(items: list[Any]) -> None:
            signature = bytearray(items[3])
            signature[position] ^= 1 << bit
            items[3] = bytes(signature)

        report = verify(self._retamper(text, flip), trust, at=NOW)
        assert not report.valid and report.checks["signature"] is False

    @given(data=st.data())
    @settings(max_examples=40)
    def test_payload_edited_after_signing(self, text: str, trust: TrustStore, data: st.DataObject) -> None:
        def edit(items: list[Any]) -> None:
            payload = bytearray(items[2])
            index = data.draw(st.integers(0, len(payload) - 1))
            payload[index] ^= data.draw(st.integers(1, 255))
            items[2] = bytes(payload)

        report = verify(self._retamper(text, edit), trust, at=NOW)
        assert not report.valid and report.checks["signature"] is False

    def test_kid_swapped_to_another_trusted_dsc(
        self, text: str, trust: TrustStore, vaccination_signer: PemSigner
    ) -> None:
        def swap(items: list[Any]) -> None:
            items[0] = cbor2.dumps({1: -7, 4: vaccination_signer.certificate.kid})

        report = verify(self._retamper(text, swap), trust, at=NOW)
        assert report.checks["signature"] is False
        assert report.signer is None

    def test_alg_header_changed(self, text: str, trust: TrustStore) -> None:
        def to_ps256(items: list[Any]) -> None:
            header = cbor2.loads(items[0])
            items[0] = cbor2.dumps({**header, 1: -37})

        report = verify(self._retamper(text, to_ps256), trust, at=NOW)
        assert report.outcome("signature").code == "signature.alg_mismatch"

    def test_alg_moved_to_unprotected_header_with_other_value(self, text: str, trust: TrustStore) -> None:
        def strip_alg(items: list[Any]) -> None:
            header = dict(cbor2.loads(items[0]))
            del header[1]
            items[0] = cbor2.dumps(header)
            items[1] = {1: -37}

        assert not verify(self._retamper(text, strip_alg), trust, at=NOW).valid

    def test_expired_and_not_yet_valid(self, text: str, trust: TrustStore) -> None:
        late = verify(text, trust, at=ISSUED + timedelta(days=366))
        early = verify(text, trust, at=ISSUED - timedelta(seconds=1))
        assert late.outcome("expiry").code == "expiry.expired"
        assert early.outcome("expiry").code == "expiry.not_yet_valid"
        assert late.checks["signature"] and late.checks["schema"] and late.checks["key_usage"]

    def test_clock_skew_tolerance(self, text: str, trust: TrustStore) -> None:
        early = ISSUED - timedelta(seconds=30)
        assert not verify(text, trust, at=early).valid
        assert verify(text, trust, at=early, clock_skew=timedelta(minutes=5)).valid

    def test_report_refuses_to_hand_out_an_invalid_certificate(self, text: str) -> None:
        report = verify(text, TrustStore(), at=NOW)
        with pytest.raises(SignatureError):
            _ = report.certificate
        assert report.unverified_claims is not None  # still shown, under an explicit name

    def test_several_dscs_with_the_same_kid_are_all_tried(self, text: str, signer: PemSigner) -> None:
        impostor = vaxcert.DocumentSignerCertificate(
            der=b"other",
            public_key=vaxcert.PemSigner.__init__.__globals__["ec"]
            .generate_private_key(vaxcert.PemSigner.__init__.__globals__["ec"].SECP256R1())
            .public_key(),
            kid=signer.certificate.kid,
            subject="impostor",
            country=None,
            not_before=None,
            not_after=None,
            allowed_types=None,
        )
        store = TrustStore.of([impostor, signer.certificate])
        assert len(store.candidates(signer.certificate.kid)) == 2
        assert verify(text, store, at=NOW).valid


def test_decode_unverified(signer: PemSigner, vaccination_payload: dict[str, Any]) -> None:
    claims = decode_unverified(issue(vaccination_payload, signer).text)
    assert claims.dcc["nam"]["fnt"] == "NGUYEN"


@given(st.text(max_size=300))
@settings(max_examples=300)
def test_fuzz_any_text_gives_a_report(text: str) -> None:
    report = verify(text, TrustStore(), at=NOW)
    _assert_report_shape(report, valid=False)
    assert isinstance(report.to_json(), dict)


@given(data=st.data())
@settings(max_examples=300)
def test_fuzz_mutated_real_codes(data: st.DataObject, signer: PemSigner, trust: TrustStore) -> None:
    text = _cached_code(signer)
    chars = list(text)
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(chars) - 1))
        chars[index] = data.draw(st.sampled_from(b45.ALPHABET + "#\x00é"))
    mutated = "".join(chars)
    report = verify(mutated, trust, at=NOW)
    _assert_report_shape(report, valid=None)
    if mutated != text:
        assert not report.valid or mutated[4:] == text[4:]


@given(st.binary(max_size=2000))
@settings(max_examples=200)
def test_fuzz_well_encoded_garbage(data: bytes) -> None:
    """Random bytes behind a valid prefix, Base45 and zlib reach the CBOR parsers."""
    text = "HC1:" + b45.encode(zlib.compress(data))
    report = verify(text, TrustStore(), at=NOW)
    _assert_report_shape(report, valid=False)


_CODES: dict[bytes, str] = {}


def _cached_code(signer: PemSigner) -> str:
    kid = signer.certificate.kid
    if kid not in _CODES:
        payload = {
            "ver": "1.3.0",
            "nam": {"fn": "Lê", "gn": "Văn Tám"},
            "dob": "1970",
            "r": [{"fr": "2026-01-05", "df": "2026-01-16", "du": "2026-07-04", "co": "VN", "is": "MoH VN"}],
        }
        _CODES[kid] = issue(payload, signer, issued_at=ISSUED).text
    return _CODES[kid]


def test_huge_input_is_refused_quickly() -> None:
    report = verify("HC1:" + "A" * 1_000_000, TrustStore(), at=NOW)
    assert report.outcome("unprefix").code == "unprefix.too_long"


latin_names = st.text(
    alphabet=st.sampled_from(
        "abcdefghijklmnopqrstuvwxyzĐđăâêôơưáàảãạấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ -"
    ),
    min_size=1,
    max_size=30,
).filter(lambda name: any(ch.isalpha() for ch in name))


@given(
    family=latin_names,
    given_name=latin_names,
    dob=st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)),  # born before any vaccination day
    dose=st.integers(1, 9),
    product=st.sampled_from([("EU/1/20/1528", "ORG-100030215"), ("BBIBP-CorV", "ORG-100020693")]),
    day=st.dates(min_value=date(2021, 1, 1), max_value=date(2026, 5, 1)),
)
@settings(max_examples=60)
def test_whole_chain_round_trip(
    signer: PemSigner,
    trust: TrustStore,
    family: str,
    given_name: str,
    dob: date,
    dose: int,
    product: tuple[str, str],
    day: date,
) -> None:
    payload = {
        "ver": "1.3.0",
        "nam": {"fn": family.strip() or "x", "gn": given_name.strip() or "y"},
        "dob": dob.isoformat(),
        "v": [
            {
                "tg": "840539006",
                "vp": "1119349007",
                "mp": product[0],
                "ma": product[1],
                "dn": dose,
                "sd": dose,
                "dt": day.isoformat(),
                "co": "VN",
                "is": "Ministry of Health of Viet Nam",
            }
        ],
    }
    issued = issue(payload, signer, issued_at=ISSUED)
    report = verify(issued.text, trust, at=NOW)
    assert report.valid, report.failures
    dcc = report.certificate.dcc
    assert dcc["nam"]["fn"] == unicodedata.normalize("NFC", payload["nam"]["fn"])  # type: ignore[index]
    assert dcc["v"][0]["dn"] == dose and dcc["v"][0]["dt"] == day.isoformat() and dcc["dob"] == dob.isoformat()


@given(claims=GARBAGE_CLAIMS)
@settings(max_examples=int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "300")), deadline=None)
def test_fuzz_signed_garbage_claims_reach_every_stage(
    claims: dict[Any, Any], signer: PemSigner, trust: TrustStore
) -> None:
    """Genuinely signed CWTs holding any CBOR: the report, its JSON and its human form never fail."""
    text = signed_code(claims, signer)
    if text is None:
        return
    policy = vaxcert.Policy(rules=_VN_RULES, arrival_country="VN")
    report = verify(text, trust, at=NOW, policy=policy)
    _assert_report_shape(report, valid=None)
    assert report.checks["signature"] is True
    json.dumps(report.to_json())


@given(data=st.data())
@settings(
    max_examples=int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "300")),
    deadline=None,
    # The payload fixture is copied, never changed, so sharing it between examples is safe.
    suppress_health_check=[*QUIET_HEALTH_CHECKS, HealthCheck.function_scoped_fixture],
)
def test_fuzz_signed_real_payload_with_one_field_replaced(
    data: st.DataObject, signer: PemSigner, trust: TrustStore, vaccination_payload: dict[str, Any]
) -> None:
    """A real DCC, signed, with any one field (or container) swapped for any CBOR value."""
    claims: dict[Any, Any] = {1: "VN", 4: int(NOW.timestamp()) + 86400, 6: int(ISSUED.timestamp())}
    claims[-260] = {1: json.loads(json.dumps(vaccination_payload))}
    replace_at(claims, data.draw(st.sampled_from(paths(claims)[1:])), data.draw(CBOR_VALUES))
    text = signed_code(claims, signer)
    if text is None:
        return
    report = verify(text, trust, at=NOW, policy=vaxcert.Policy(rules=_VN_RULES, arrival_country="VN"))
    _assert_report_shape(report, valid=None)
    json.dumps(report.to_json())


# Tags cbor2 decodes by itself (value sharing 28/29, string references 25/256, ...), the COSE/CWT
# envelope tags, and any other number: every decoding stage must refuse them with a typed error.
_TAG_NUMBERS = st.one_of(
    st.sampled_from([0, 1, 2, 3, 4, 5, 18, 25, 28, 29, 30, 35, 36, 37, 52, 54, 61, 100, 256, 258, 260, 261, 1004]),
    st.sampled_from([43000, 55799, 55800]),
    st.integers(min_value=0, max_value=2**64 - 1),
)
_TAGGED_LEAVES = st.one_of(
    st.integers(-3, 3), st.text(max_size=6), st.binary(max_size=6), st.none(), st.floats(allow_nan=False)
)
_TAGGED_VALUES = st.recursive(
    _TAGGED_LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=3), st.integers(-300, 300)), children, max_size=4),
        st.builds(cbor2.CBORTag, _TAG_NUMBERS, children),
    ),
    max_leaves=16,
)


def _encode(value: Any) -> bytes | None:
    try:
        return cbor2.dumps(value)
    except (cbor2.CBOREncodeError, ValueError, TypeError, OverflowError):
        return None


@given(value=_TAGGED_VALUES, position=st.sampled_from(["claim", "dcc-field", "payload", "protected", "unprotected"]))
@settings(max_examples=int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "300")), deadline=None)
def test_fuzz_tagged_cbor_in_every_position_gives_typed_failures(
    value: Any, position: str, signer: PemSigner, trust: TrustStore
) -> None:
    """CBOR with any tags, nested anywhere a code or a signed list carries CBOR: typed errors, never another."""
    raw = _encode(value)
    if raw is None:
        return  # cbor2 cannot write it
    claims: dict[Any, Any] = {1: "VN", 4: int(NOW.timestamp()) + 86400, 6: int(ISSUED.timestamp())}
    claims[-260] = {1: {"ver": "1.3.0", "v": [{"ci": "URN:UVCI:01:VN:X"}]}}
    protected = cbor2.dumps({1: -7, 4: signer.certificate.kid})
    unprotected_raw = b"\xa0"
    if position == "claim":
        claims[-261] = value
    elif position == "dcc-field":
        claims[-260][1]["v"][0]["x"] = value
    elif position == "protected":
        protected = cbor2.dumps({1: -7, 4: signer.certificate.kid, 99: value})
    elif position == "unprotected":
        unprotected_raw = b"\xa1\x18\x63" + raw
    payload = raw if position == "payload" else _encode(claims)
    assert payload is not None
    signature = signer.sign(vaxcert.cose.sig_structure(protected, payload))
    message = b"\xd2\x84" + cbor2.dumps(protected) + unprotected_raw + cbor2.dumps(payload) + cbor2.dumps(signature)

    for decode in (vaxcert.cose.decode, vaxcert.hcert.cwt.decode):
        with contextlib.suppress(VaxcertError):
            decode(raw)
    with contextlib.suppress(VaxcertError):
        vaxcert.cose.decode(message)
    with contextlib.suppress(VaxcertError):
        vaxcert.hcert.cwt.decode(payload)
    for module in (vaxcert.trustlist, vaxcert.hcert.revocation):
        with contextlib.suppress(VaxcertError):
            module.verify(vaxcert.signed.sign(raw, module.CONTENT_TYPE, signer), [signer.certificate])
    report = verify("HC1:" + b45.encode(zlib.compress(message)), trust, at=NOW)
    _assert_report_shape(report, valid=None)
    json.dumps(report.to_json())

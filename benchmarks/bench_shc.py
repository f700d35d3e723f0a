"""SMART Health Cards benchmark: verify_shc and issue_shc against bare `cryptography` P-256, and a JOSE library.

    .venv/bin/python benchmarks/bench_shc.py

Every ratio compares measurements taken in this same run on one pinned core, in wall
time and, steadier on a shared machine, in this process's CPU time.  The
"joserfc" rows answer whether a JOSE library could do the JWS step: once on its own
(parse + verify of the compact JWS) and once in the whole pipeline in place of the
direct `cryptography` call.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

from common import HEADER, interleaved_cpu_seconds, interleaved_per_call_seconds, pin_to_one_core, row
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from vaxcert.registry import TrustedKey, TrustRegistry
from vaxcert.shc import PemJwsSigner, issue_shc, jwks_for, verify_shc
from vaxcert.shc import jws as shc_jws
from vaxcert.shc import pipeline as shc_pipeline
from vaxcert.shc import signature as shc_signature

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = json.loads((ROOT / "spec/vectors/shc/bundle-vaccination.json").read_text(encoding="utf-8"))
ISSUER = "https://vaxcert.example/shc"
ISSUED_AT = datetime(2024, 1, 1, tzinfo=UTC)


def main() -> None:
    pin_to_one_core()
    key = ec.generate_private_key(ec.SECP256R1())
    signer = PemJwsSigner(key)
    registry = TrustRegistry.from_jwks(jwks_for([signer]), issuer=ISSUER)
    issued = issue_shc(BUNDLE, signer, issuer=ISSUER, issued_at=ISSUED_AT)
    at = ISSUED_AT + timedelta(days=30)
    assert verify_shc(issued.text, registry, at=at).valid

    # Baseline: a bare verify of this very signature over this very signing input.
    token = shc_jws.decode(issued.jws)
    public = key.public_key()
    der = encode_dss_signature(int.from_bytes(token.signature[:32], "big"), int.from_bytes(token.signature[32:], "big"))
    signing_input = token.signing_input

    def bare() -> None:
        public.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))

    def direct_jws() -> None:
        parsed = shc_jws.decode(issued.jws)
        shc_signature.verify(parsed.signing_input, parsed.signature, registry.shc_keys(ISSUER, signer.kid)[0])

    functions = {
        "bare": bare,
        "verify_shc": lambda: verify_shc(issued.text, registry, at=at),
        "direct jws": direct_jws,
    }
    library = _joserfc(issued.jws, public)
    if library is not None:
        jws_only, swap = library
        functions["joserfc jws"] = jws_only

        def pipeline_with_library() -> None:
            with swap:
                verify_shc(issued.text, registry, at=at)

        functions["verify_shc + joserfc"] = pipeline_with_library
    raw_sign = lambda: key.sign(signing_input, ec.ECDSA(hashes.SHA256()))  # noqa: E731
    functions["raw sign"] = raw_sign
    functions["issue_shc"] = lambda: issue_shc(BUNDLE, signer, issuer=ISSUER, issued_at=ISSUED_AT)
    timings = interleaved_per_call_seconds(functions, min_time=1.0, rounds=15)
    verifying = ("bare", "verify_shc", "direct jws")
    cpu = interleaved_cpu_seconds({name: functions[name] for name in verifying}, min_time=1.0, rounds=15)

    print(f"Python {sys.version.split()[0]}, one pinned core, JWS {len(issued.jws)} characters\n")
    print(HEADER)
    print(row("raw cryptography P-256 verify (baseline)", timings["bare"], "itself", timings["bare"]))
    print(
        row(
            "vaxcert verify_shc(shc:/) -> report", timings["verify_shc"], "raw verify", timings["bare"], "target ≥ 0.5×"
        )
    )
    print(row("JWS parse + verify, direct cryptography", timings["direct jws"], "raw verify", timings["bare"]))
    print(row("raw cryptography P-256 verify (baseline)", cpu["bare"], "itself", cpu["bare"], "CPU time"))
    print(row("vaxcert verify_shc(shc:/) -> report", cpu["verify_shc"], "raw verify", cpu["bare"], "CPU time, ≥ 0.5×"))
    print(row("JWS parse + verify, direct cryptography", cpu["direct jws"], "raw verify", cpu["bare"], "CPU time"))
    if "joserfc jws" in timings:
        print(row("JWS parse + verify, joserfc", timings["joserfc jws"], "raw verify", timings["bare"]))
        print(
            row(
                "verify_shc with joserfc for the signature",
                timings["verify_shc + joserfc"],
                "raw verify",
                timings["bare"],
                "the library alternative",
            )
        )
    print(row("raw cryptography P-256 sign (baseline)", timings["raw sign"], "itself", timings["raw sign"]))
    print(row("vaxcert issue_shc(bundle) -> shc:/", timings["issue_shc"], "raw sign", timings["raw sign"], "QR sizing"))


def _joserfc(token: str, public: ec.EllipticCurvePublicKey) -> tuple[object, mock._patch[object]] | None:  # type: ignore[type-arg]
    try:
        from joserfc import jws as jose_jws
        from joserfc.jwk import ECKey
        from joserfc.registry import HeaderParameter
    except ImportError:
        return None
    # SMART Health Cards put "zip" (a JWE member) in the JWS header; the registry must allow it.
    registry = jose_jws.JWSRegistry(
        header_registry={"zip": HeaderParameter("Compression", "str")}, algorithms=["ES256"]
    )
    library_key = ECKey.import_key(public)

    def jws_only() -> None:
        jose_jws.deserialize_compact(token, library_key, registry=registry)

    keys: dict[bytes, ECKey] = {}

    def library_verify(signing_input: bytes, signature: bytes, key: TrustedKey) -> None:
        imported = keys.get(key.spki) or keys.setdefault(key.spki, ECKey.import_key(key.public_key))  # type: ignore[arg-type]
        text = signing_input.decode("ascii") + "." + shc_jws.b64url_encode(signature)
        jose_jws.deserialize_compact(text, imported, registry=registry)

    return jws_only, mock.patch.object(shc_pipeline.signature, "verify", library_verify)


if __name__ == "__main__":
    main()

"""The python-cwt side of bench_peers.py; runs inside ``.venv-peers`` (python-cwt pins cbor2 < 6).

Reads the key and claims as JSON on stdin, prints timings as JSON.  It must not import
vaxcert: the peer environment does not have it.
"""

from __future__ import annotations

import json
import sys

import cwt
from common import interleaved_cpu_seconds, interleaved_per_call_seconds, pin_to_one_core
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec


def main() -> None:
    pin_to_one_core()
    given = json.load(sys.stdin)
    kid = bytes.fromhex(given["kid"])
    private = cwt.COSEKey.from_pem(given["private_pem"].encode(), alg="ES256", kid=kid)
    public = cwt.COSEKey.from_pem(given["public_pem"].encode(), alg="ES256", kid=kid)
    claims = {1: given["iss"], 4: given["exp"], 6: given["iat"], -260: {1: given["dcc"]}}
    token = cwt.encode(claims, private)
    assert cwt.decode(token, public)[-260][1] == given["dcc"]

    raw_key = serialization.load_pem_private_key(given["private_pem"].encode(), password=None)
    assert isinstance(raw_key, ec.EllipticCurvePrivateKey)
    raw_public = raw_key.public_key()
    data = b"x" * int(given["signed_size"])
    der = raw_key.sign(data, ec.ECDSA(hashes.SHA256()))
    measure = interleaved_cpu_seconds if given["clock"] == "cpu" else interleaved_per_call_seconds
    timings = measure(
        {
            "raw verify": lambda: raw_public.verify(der, data, ec.ECDSA(hashes.SHA256())),
            "verify": lambda: cwt.decode(token, public),
            "raw sign": lambda: raw_key.sign(data, ec.ECDSA(hashes.SHA256())),
            "issue": lambda: cwt.encode(claims, private),
        },
        min_time=float(given["min_time"]),
        rounds=int(given["rounds"]),
    )
    json.dump({"version": cwt.__version__, "token_size": len(token), **timings}, sys.stdout)


if __name__ == "__main__":
    main()

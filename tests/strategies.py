"""Hypothesis strategies shared by the fuzz tests: CBOR values as a forger could write them."""

from __future__ import annotations

import zlib
from typing import Any

import cbor2
from hypothesis import strategies as st

from vaxcert import cose
from vaxcert.hcert import base45
from vaxcert.keys import Signer

CBOR_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.integers(min_value=-(2**200), max_value=2**200),  # bignums (tags 2 and 3)
    st.floats(allow_nan=True, allow_infinity=True),
    st.binary(max_size=12),
    st.text(max_size=12),
    st.sampled_from(["1.3.0", "1.0.0", "2021-06-01", "URN:UVCI:01:VN:X#Y", "EU/1/20/1528", "VN", "\x1b[2J"]),
    st.builds(
        cbor2.CBORTag,
        st.sampled_from([0, 1, 2, 3, 18, 61, 1000]),
        st.one_of(st.binary(max_size=4), st.text(max_size=4), st.integers(-5, 5)),
    ),
    st.just(cbor2.undefined),
)
CBOR_KEYS = st.one_of(
    st.sampled_from(["v", "t", "r", "nam", "dob", "ver", "ci", "dn", "sd", "dt", "fnt", "gnt"]), st.integers(-300, 300)
)
CBOR_VALUES = st.recursive(
    CBOR_LEAVES,
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(CBOR_KEYS, children, max_size=4)),
    max_leaves=12,
)
# A CWT claim set with any CBOR under the registered claims and the hcert claim (-260).
GARBAGE_CLAIMS = st.dictionaries(
    st.sampled_from([1, 4, 6, -260, 99]),
    st.one_of(CBOR_VALUES, st.dictionaries(st.sampled_from([1, 2]), CBOR_VALUES, max_size=2)),
    max_size=5,
)


def signed_code(claims: Any, signer: Signer) -> str | None:
    """``claims`` as a genuinely signed HC1 code, or None when cbor2 itself cannot write them (nor could an issuer)."""
    try:
        payload = cbor2.dumps(claims)
    except (cbor2.CBOREncodeError, ValueError, TypeError):
        return None
    return "HC1:" + base45.encode(zlib.compress(cose.sign(payload, signer, signer.certificate.kid)))

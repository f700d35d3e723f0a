"""URDNA2015 through pyld, offline and bounded."""

from __future__ import annotations

import json
import os
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaxcert.divoc import CanonicalError, canonicalize
from vaxcert.divoc.canonical import (
    MAX_BLANK_NODES,
    MAX_OBJECTS,
    SECURITY_V2,
    proof_options,
    signing_digests,
    unsigned_document,
)

from .support import CREATED, ED_DID, template

FUZZ = int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "300"))


def _shuffled(value: Any, rng: random.Random) -> Any:
    """The same JSON with every object's members in another order."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {key: _shuffled(child, rng) for key, child in items}
    if isinstance(value, list):
        return [_shuffled(child, rng) for child in value]
    return value


@given(seed=st.integers(0, 2**32), indent=st.sampled_from([None, 0, 2, 7]))
@settings(max_examples=min(FUZZ, 60), deadline=None)
def test_canonical_form_is_stable_under_reserialisation(seed: int, indent: int | None) -> None:
    credential = template()
    reserialised = json.loads(json.dumps(_shuffled(credential, random.Random(seed)), indent=indent))
    assert canonicalize(reserialised).nquads == canonicalize(credential).nquads


@given(name=st.text(min_size=1, max_size=40).filter(str.strip))
@settings(max_examples=min(FUZZ, 60), deadline=None)
def test_the_holder_name_is_in_the_canonical_form(name: str) -> None:
    credential = template()
    credential["credentialSubject"]["name"] = name
    canonical = canonicalize(credential)
    assert name in canonical.literals
    other = dict(credential, credentialSubject={**credential["credentialSubject"], "name": name + "x"})
    assert canonicalize(other).nquads != canonical.nquads


def test_an_undefined_term_is_not_in_the_canonical_form() -> None:
    credential = template("v1")  # the v1 context defines no dob
    assert credential["credentialSubject"]["dob"] not in canonicalize(credential).literals


def test_proof_options_drop_the_signature_value_and_take_security_v2() -> None:
    proof = {"type": "Ed25519Signature2018", "created": CREATED, "verificationMethod": ED_DID, "jws": "a..b"}
    options = proof_options(proof)
    assert "jws" not in options and options["@context"] == SECURITY_V2
    assert "proof" not in unsigned_document({"proof": proof, "a": 1})


def test_signing_digests_are_two_sha256_values() -> None:
    proof = {"type": "Ed25519Signature2018", "created": CREATED, "verificationMethod": ED_DID}
    assert len(signing_digests(template(), proof)) == 64


def test_unknown_context_is_a_clear_error_naming_it() -> None:
    with pytest.raises(CanonicalError) as raised:
        canonicalize({"@context": "https://example.org/not-shipped", "name": "x"})
    assert raised.value.code == "canonical.unknown_context"
    assert "https://example.org/not-shipped" in raised.value.message


def test_a_context_nested_in_an_inline_context_is_resolved_only_from_shipped_copies() -> None:
    document = {"@context": [{"@context": "https://example.org/nested"}], "name": "x"}
    with pytest.raises(CanonicalError) as raised:
        canonicalize(document)
    assert raised.value.code in ("canonical.unknown_context", "canonical.bad_jsonld")


def test_a_context_cached_by_pyld_elsewhere_in_the_process_is_not_used() -> None:
    from pyld import jsonld

    url = "https://example.org/poisoned-cache"

    # Another part of the process (any other pyld user) resolved this URL with its own loader.
    def other_loader(requested: str, options: Any = None) -> dict[str, Any]:
        return {
            "contextUrl": None,
            "documentUrl": requested,
            "document": {"@context": {"n": "http://x/n"}},
            "tag": "static",
        }

    jsonld.expand({"@context": url, "n": "v"}, {"documentLoader": other_loader})
    with pytest.raises(CanonicalError) as raised:
        canonicalize({"@context": url, "n": "v"})
    assert raised.value.code == "canonical.unknown_context"


@pytest.mark.parametrize("size", [3, 4])
def test_small_symmetric_graphs_canonicalise(size: int) -> None:
    labels = [f"_:n{i}" for i in range(size)]
    graph = [{"@id": label, "http://ex/p": [{"@id": o} for o in labels if o != label]} for label in labels]
    canonical = canonicalize({"@graph": graph})
    assert canonical.nquads.count("\n") == size * (size - 1)


@pytest.mark.parametrize(
    "graph",
    [
        # a clique of indistinguishable blank nodes
        [{"@id": f"_:n{i}", "http://ex/p": [{"@id": f"_:n{j}"} for j in range(6) if j != i]} for i in range(6)],
        # a long ring: every node looks alike
        [{"@id": f"_:n{i}", "http://ex/p": {"@id": f"_:n{(i + 1) % 30}"}} for i in range(30)],
    ],
    ids=["clique", "ring"],
)
def test_poison_graphs_hit_the_work_bound(graph: list[dict[str, Any]]) -> None:
    with pytest.raises(CanonicalError) as raised:
        canonicalize({"@graph": graph})
    assert raised.value.code == "canonical.too_complex"


def test_too_many_blank_nodes() -> None:
    graph = [{"@id": f"_:n{i}", "http://ex/v": str(i)} for i in range(MAX_BLANK_NODES + 1)]
    with pytest.raises(CanonicalError) as raised:
        canonicalize({"@graph": graph})
    assert raised.value.code == "canonical.too_large"


def test_too_many_quads() -> None:
    with pytest.raises(CanonicalError) as raised:
        canonicalize({"@id": "http://ex/s", "http://ex/v": [str(i) for i in range(2000)]})
    assert raised.value.code == "canonical.too_large"


@pytest.mark.parametrize(
    "document",
    [
        {"@context": 5},
        {"@context": {"@version": 2.0}},
        {"@context": {"a": {"@id": 5}}, "a": 1},
        {"@id": 5},
        {"@type": {"x": 1}},
        {"http://ex/p": {"@value": {"x": 1}}},
        {"@context": {"@vocab": "http://ex/"}, "p": {"@list": [{"@list": [1]}]}},
    ],
)
def test_malformed_json_ld_is_a_typed_error(document: dict[str, Any]) -> None:
    try:
        canonicalize(document)
    except CanonicalError as exc:
        assert exc.code.startswith("canonical.")


def test_too_many_json_objects_are_refused_before_expansion() -> None:
    """Each node object re-processes the type-scoped contexts: hundreds of them would cost seconds."""
    import time

    credential = template()
    credential["evidence"] = [{"type": ["Vaccination"], "facility": {"name": str(i)}} for i in range(MAX_OBJECTS)]
    started = time.perf_counter()
    with pytest.raises(CanonicalError) as raised:
        canonicalize(credential)
    assert raised.value.code == "canonical.too_large" and "JSON objects" in raised.value.message
    assert time.perf_counter() - started < 0.5


def test_pyld_loads_only_when_a_credential_is_canonicalised() -> None:
    import subprocess
    import sys

    probe = "import sys, vaxcert.divoc; print('pyld' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"

"""The lean issuing checks never disagree with the pydantic model or the official schema."""

from __future__ import annotations

import copy
import json
import os
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.conftest import load_vector_file
from vaxcert import DigitalCovidCertificate, PemSigner, cose, issue
from vaxcert.hcert import base45, compression, cwt, prefix, schema
from vaxcert.hcert.payload_checks import checked_payload

MUTATIONS = load_vector_file("payload-mutations.json")
CLOCK = datetime.fromisoformat(MUTATIONS["clock"])
VALUES: list[Any] = MUTATIONS["values"]
BASES = {name: load_vector_file(f"payloads/vn-{name}.json") for name in ("vaccination", "test", "recovery")}
for _kind, _payload in zip("vtr", BASES.values(), strict=True):
    _payload[_kind][0]["ci"] = "URN:UVCI:01:VN:TESTVECTOR001#2"
EXAMPLES = int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "300"))


def _model_dump(payload: Any) -> dict[str, Any] | None:
    try:
        return DigitalCovidCertificate.model_validate(payload, context={"now": CLOCK}).to_json()
    except (ValidationError, ValueError, TypeError):
        return None


def _assert_agrees(payload: Any) -> dict[str, Any] | None:
    lean = checked_payload(payload, CLOCK)
    if lean is not None:
        dumped = _model_dump(payload)
        assert dumped is not None, "the lean checks accepted what the model refuses"
        # Same keys in the same order: the CBOR the certificate is signed over must not change.
        assert json.dumps(lean, ensure_ascii=False) == json.dumps(dumped, ensure_ascii=False)
        assert schema.validate(lean).schema_version == "1.3.0"  # raises if the schema refuses
    return lean


@pytest.mark.parametrize("name", BASES)
def test_the_shipped_payloads_take_the_lean_path(name: str) -> None:
    assert _assert_agrees(BASES[name]) is not None


@pytest.mark.parametrize("name", BASES)
def test_an_unknown_field_is_left_to_the_model(name: str) -> None:
    payload = copy.deepcopy(BASES[name])
    payload["nam"]["xx"] = "NGUYEN"
    assert checked_payload(payload, CLOCK) is None
    assert _model_dump(payload) is None


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*path, index))
    return found


@pytest.mark.parametrize("name", BASES)
def test_every_single_substitution_agrees(name: str) -> None:
    # Exhaustive over one change at a time: every field (and container) of the payload,
    # replaced by every value in the vector file, or removed.
    base = BASES[name]
    accepted = 0
    for path in _paths(base):
        for value in [*VALUES, _REMOVED]:
            payload = copy.deepcopy(base)
            parent = payload
            for step in path[:-1]:
                parent = parent[step]
            if value is _REMOVED:
                if not isinstance(parent, dict):
                    continue
                del parent[path[-1]]
            else:
                parent[path[-1]] = copy.deepcopy(value)
            accepted += _assert_agrees(payload) is not None
    assert accepted > len(_paths(base))  # the lean path really ran on many of them


_REMOVED = object()


@st.composite
def mutated_payloads(draw: st.DrawFn) -> Any:
    payload = copy.deepcopy(BASES[draw(st.sampled_from(sorted(BASES)))])
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(_paths(payload)))
        parent = payload
        for step in path[:-1]:
            parent = parent[step]
        if not isinstance(parent, (dict, list)):
            continue
        action = draw(st.sampled_from(["set", "set", "text", "delete", "add"]))
        last = path[-1]
        if action == "delete" and isinstance(parent, dict):
            del parent[last]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["fn", "gnt", "ver", "v", "t", "r", "ci", "nm", "tc", "is_", "extra"]))] = draw(
                st.sampled_from(VALUES)
            )
        elif action == "text":
            parent[last] = draw(st.text(max_size=12))
        else:
            parent[last] = copy.deepcopy(draw(st.sampled_from(VALUES)))
    return payload


@settings(max_examples=EXAMPLES, deadline=None)
@given(mutated_payloads())
def test_the_lean_checks_agree_with_the_model_and_the_schema(payload: Any) -> None:
    _assert_agrees(payload)


@pytest.mark.parametrize("name", BASES)
def test_issue_signs_the_same_payload_from_a_model_or_from_json(name: str, signer: PemSigner) -> None:
    # A model instance takes the model path; the same JSON takes the lean path.
    payload = BASES[name]
    signed = []
    for given_form in (DigitalCovidCertificate.model_validate(payload), payload):
        text = issue(given_form, signer).text
        message = cose.decode(compression.decode(base45.decode(prefix.decode(text))))
        signed.append(json.dumps(cwt.decode(message.payload).dcc, ensure_ascii=False))
    assert signed[0] == signed[1]

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import load_vector_file
from vaxcert import IssuanceError
from vaxcert.hcert import uvci

VECTORS = load_vector_file("uvci.json")


@pytest.mark.parametrize("value", VECTORS["valid"])
def test_valid_checksums(value: str) -> None:
    assert uvci.has_valid_checksum(value)


@pytest.mark.parametrize("value", VECTORS["invalid"])
def test_invalid_checksums(value: str) -> None:
    assert not uvci.has_valid_checksum(value)


def test_generated_layout() -> None:
    value = uvci.generate("VN")
    assert re.fullmatch(r"URN:UVCI:01:VN:[A-Z0-9]{13}#[A-Z0-9/:]", value)
    assert uvci.has_valid_checksum(value)
    assert len(value) == 30


@given(st.text(alphabet=uvci.CHARSET, min_size=1, max_size=60), st.sampled_from(uvci.CHARSET))
def test_single_substitution_is_detected(body: str, replacement: str) -> None:
    full = f"{body}#{uvci.check_character(body)}"
    assert uvci.has_valid_checksum(full)
    changed = replacement + body[1:]
    if changed != body:
        assert not uvci.has_valid_checksum(f"{changed}#{uvci.check_character(body)}")


@pytest.mark.parametrize("value", VECTORS["valid"])
def test_valid_vectors_fit_the_issuing_grammar(value: str) -> None:
    assert uvci.grammar_problem(value) is None


@pytest.mark.parametrize(
    "case",
    [c for c in load_vector_file("issue-refusals.json")["refused"] if c["code"] == "issue.bad_uvci"],
    ids=lambda case: case["name"],
)
def test_grammar_refuses(case: dict[str, str]) -> None:
    assert uvci.grammar_problem(next(iter(case["set"].values()))) is not None


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=20), st.sampled_from(["VN", "NL"]))
def test_namespaced_uvcis_fit_the_grammar_and_their_namespace(entity: str, country: str) -> None:
    value = uvci.generate(country, entity)
    assert value.startswith(uvci.namespace(country, entity)) and value.startswith(f"URN:UVCI:01:{country}:{entity}/")
    assert uvci.grammar_problem(value) is None and uvci.has_valid_checksum(value)
    assert not value.startswith(uvci.namespace(country, entity + "0"))


@pytest.mark.parametrize("entity", ["", "ab12", "AB/12", "A" * 21, "AB:1"])
def test_bad_issuing_entities(entity: str) -> None:
    with pytest.raises(IssuanceError) as info:
        uvci.generate("VN", entity)
    assert info.value.code == "uvci.bad_issuing_entity"


def test_unprefixed_and_namespaced_uvcis_never_meet() -> None:
    """A namespaced UVCI has a '/' in its opaque field, an unprefixed generated one never does."""
    plain = uvci.generate("VN")
    assert "/" not in plain.rpartition("#")[0] and uvci.grammar_problem(plain) is None


def _luhn_mod_n_reference(body: str) -> str:
    """The eHN guidelines' algorithm, one character at a time (the library sums whole byte strings)."""
    n = len(uvci.CHARSET)
    factor, total = 2, 0
    for ch in reversed(body):
        addend = factor * uvci.CHARSET.index(ch)
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return uvci.CHARSET[(n - total % n) % n]


@given(st.text(alphabet=uvci.CHARSET, min_size=1, max_size=120))
def test_check_character_matches_the_per_character_algorithm(body: str) -> None:
    assert uvci.check_character(body) == _luhn_mod_n_reference(body)


@given(st.text(min_size=1, max_size=40).filter(lambda text: any(ch not in uvci.CHARSET for ch in text)))
def test_check_character_refuses_characters_outside_the_alphabet(body: str) -> None:
    with pytest.raises(IssuanceError) as caught:
        uvci.check_character(body)
    assert caught.value.code == "uvci.bad_character"


def test_generated_characters_are_uniform() -> None:
    # 260,000 characters: each of the 36 is expected 7,222 times (sd ~84); a modulo bias
    # (256 % 36 = 4 characters a seventh likelier) would put four of them near 8,200.
    counts = Counter(ch for _ in range(20_000) for ch in uvci.generate("VN")[15:28])
    assert set(counts) == set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    assert all(6_600 < count < 7_850 for count in counts.values()), counts

"""--batch writes HCERT verdicts straight from the reports: each line is the text --json prints for that code."""

from __future__ import annotations

import io
import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import QUIET_HEALTH_CHECKS, VECTORS, load_vector_file
from tests.mutations import paths, replace_at
from tests.strategies import CBOR_KEYS, CBOR_VALUES, GARBAGE_CLAIMS, signed_code
from vaxcert import PemSigner, issue
from vaxcert.hcert.valuesets import ValueSets
from verifier_cli.main import main

CLOCK = "2026-06-01T00:00:00Z"
ISSUED_AT = datetime.fromisoformat("2026-05-01T00:00:00+00:00")
RULES = Path(__file__).resolve().parents[2] / "spec" / "rules-vn.json"
EXAMPLES = int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=QUIET_HEALTH_CHECKS)


def batch_lines(codes: list[str], *options: str, from_file: bool) -> list[str]:
    """The batch's output lines for ``codes``: from a file (verified in steps) or from stdin (line by line)."""
    text = "".join(f"{code}\n" for code in codes)
    out = io.StringIO()
    if from_file:
        with tempfile.TemporaryDirectory() as folder:
            batch = Path(folder) / "codes.txt"
            batch.write_text(text, encoding="utf-8")
            main(["verify", *options, "--batch", str(batch)], stdout=out)
    else:
        main(["verify", *options, "--batch", "-"], stdout=out, stdin=io.StringIO(text))
    # Split on "\n" only: a verdict may quote text holding other line separators (U+2028, U+0085).
    return [line + "\n" for line in out.getvalue().split("\n")[:-1]]


def assert_same(codes: list[str], *options: str) -> list[dict[str, Any]]:
    """Each batch line is what ``--json`` prints for that code alone, whether the batch came from a file or stdin."""
    singles = []
    for code in codes:
        single = io.StringIO()
        main(["verify", "--json", *options, "--", code], stdout=single)
        singles.append(single.getvalue())
    assert batch_lines(codes, *options, from_file=True) == singles
    assert batch_lines(codes, *options, from_file=False) == singles
    return [json.loads(line) for line in singles]


@pytest.fixture(scope="module")
def trust(pki_dir: Path) -> tuple[str, ...]:
    return ("--at", CLOCK, "--trust-cert", str(pki_dir / "dsc-all.pem"))


@pytest.fixture(scope="module")
def valid_codes(signer: PemSigner) -> list[str]:
    return [
        issue(load_vector_file(f"payloads/{name}.json"), signer, issued_at=ISSUED_AT).text
        for name in ("vn-vaccination", "vn-test", "vn-recovery")
    ]


def test_valid_and_failing_codes_print_as_in_json_mode(valid_codes: list[str], trust: tuple[str, ...]) -> None:
    first = valid_codes[0]
    codes = [
        *valid_codes,
        first[:-7],  # cut short
        first[:60] + ("A" if first[60] != "A" else "B") + first[61:],  # one character changed
        first[4:],  # no prefix: a renamed code, so its error carries legacy_code
        "HC2:" + first[4:],
        "NCFOXN",
        'not a code at all, "quoted" \\ and \t tabbed',
        "",
    ]
    documents = assert_same(codes, *trust)
    assert [d["valid"] for d in documents[:3]] == [True, True, True]
    assert not any(d["valid"] for d in documents[3:])
    assert any("legacy_code" in error for d in documents for error in d["errors"].values())
    # Without trust, at a later clock (every certificate expired), at a clock written in another zone.
    assert_same(codes, "--at", "2031-01-01T00:00:00Z")
    assert_same(codes, *trust[2:], "--at", "2026-06-01T09:00:00+07:00")


def test_rules_and_value_set_findings_print_as_in_json_mode(
    signer: PemSigner, vaccination_payload: dict[str, Any], trust: tuple[str, ...]
) -> None:
    recent = json.loads(json.dumps(vaccination_payload))
    recent["v"][0]["dt"] = "2026-04-28"  # the VN rules want 14 days since the last dose
    unknown = json.loads(json.dumps(vaccination_payload))
    unknown["v"][0]["mp"] = "EU/1/26/1999"  # listed in an update only, not in the bundled value sets
    update = ValueSets.bundled().with_file(VECTORS / "valuesets" / "vaccine-medicinal-product-2026-10.json")
    codes = [issue(payload, signer, issued_at=ISSUED_AT).text for payload in (vaccination_payload, recent)]
    codes.append(issue(unknown, signer, issued_at=ISSUED_AT, value_sets=update).text)
    documents = assert_same(codes, *trust[2:], "--at", "2026-05-02T00:00:00Z", "--rules", str(RULES))
    assert [d["checks"]["rules"] for d in documents[:2]] == [True, False] and documents[0]["rules"]
    assert documents[2]["value_set_findings"]


def test_hostile_codes_print_as_in_json_mode(trust: tuple[str, ...]) -> None:
    codes = [case["hc1"] for case in load_vector_file("hostile.json")["hostile"]]
    documents = assert_same(codes, *trust)
    assert len(documents) == len(codes) and not any(d["valid"] for d in documents)


# A claim set with an EU DCC map (key 1 under -260) of any content, and any iss/exp/iat.
DCC_CLAIMS = st.fixed_dictionaries(
    {-260: st.fixed_dictionaries({1: st.dictionaries(CBOR_KEYS, CBOR_VALUES, max_size=5)})},
    optional={1: CBOR_VALUES, 4: CBOR_VALUES, 6: CBOR_VALUES},
)


@FUZZ
@given(claims=st.lists(st.one_of(DCC_CLAIMS, GARBAGE_CLAIMS), min_size=1, max_size=3))
def test_any_signed_payload_prints_as_in_json_mode(claims: list[Any], signer: PemSigner, pki_dir: Path) -> None:
    """Bytes, tags, big and odd numbers, non-text keys: the writer falls back exactly where it must."""
    codes = [code for claim in claims if (code := signed_code(claim, signer)) is not None]
    if codes:
        assert_same(codes, "--at", CLOCK, "--trust-cert", str(pki_dir / "dsc-all.pem"))


@FUZZ
@given(data=st.data())
def test_a_real_dcc_with_one_part_replaced_prints_as_in_json_mode(
    data: st.DataObject, signer: PemSigner, pki_dir: Path
) -> None:
    dcc = load_vector_file("payloads/vn-vaccination.json")
    path = data.draw(st.sampled_from(paths(dcc)[1:]))
    replace_at(dcc, path, data.draw(CBOR_VALUES))
    code = signed_code({1: "VN", 4: 1_900_000_000, 6: 1_700_000_000, -260: {1: dcc}}, signer)
    if code is not None:
        assert_same([code], "--at", CLOCK, "--trust-cert", str(pki_dir / "dsc-all.pem"))


TEXT = st.text(st.characters(blacklist_characters="\r\n"), max_size=12)
DDCC_DATA_SETS = st.fixed_dictionaries(
    {"name": TEXT},
    optional={
        "birthDate": st.one_of(TEXT, CBOR_VALUES),
        "vaccine": st.one_of(TEXT, st.fixed_dictionaries({"code": TEXT})),
        "date": st.one_of(TEXT, CBOR_VALUES),
        "dose": st.one_of(st.integers(-3, 2**70), st.booleans(), TEXT),
        "country": st.one_of(TEXT, st.fixed_dictionaries({"code": CBOR_VALUES})),
    },
)


@FUZZ
@given(data_set=DDCC_DATA_SETS, under_hcert=st.booleans())
def test_who_ddcc_data_sets_print_as_in_json_mode(
    data_set: dict[str, Any], under_hcert: bool, signer: PemSigner, pki_dir: Path
) -> None:
    """The holder and events come from the data set here, whatever its fields hold."""
    code = signed_code({-260: {-6: data_set}} if under_hcert else data_set, signer)
    if code is not None:
        assert_same([code], "--at", CLOCK, "--trust-cert", str(pki_dir / "dsc-all.pem"))


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, 10_000), TEXT), max_size=3), extra=TEXT)
def test_damaged_codes_and_any_text_print_as_in_json_mode(
    edits: list[tuple[int, str]], extra: str, valid_codes: list[str], trust: tuple[str, ...]
) -> None:
    code = valid_codes[0]
    for position, text in edits:
        at = position % (len(code) + 1)
        code = code[:at] + text + code[at + len(text) :]
    assert_same([code.strip(), extra.strip(), ("HC1:" + extra).strip()], *trust)

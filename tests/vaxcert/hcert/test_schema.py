from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import load_vector_file
from vaxcert import SchemaError
from vaxcert.hcert import schema

CASES: list[dict[str, Any]] = load_vector_file("schema-cases.json")


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_schema_cases(case: dict[str, Any]) -> None:
    if case["valid"]:
        result = schema.validate(case["dcc"])
        assert result.certificate_type in ("v", "t", "r")
    else:
        with pytest.raises(SchemaError):
            schema.validate(case["dcc"])


def test_version_selection() -> None:
    assert schema.schema_version_for("1.3.0") == "1.3.0"
    assert schema.schema_version_for("1.3.9") == "1.3.3"
    assert schema.schema_version_for("1.2.5") == "1.2.1"
    assert schema.schema_version_for("2.0.0") == "1.3.3"
    assert schema.schema_version_for("0.9.0") == "1.3.3"
    assert schema.schema_version_for(None) == "1.3.3"
    assert set(schema.available_versions()) >= {"1.0.0", "1.3.3"}


def test_unknown_value_set_code_is_a_finding_not_a_failure() -> None:
    dcc = dict(CASES[0]["dcc"])
    dcc["v"] = [{**dcc["v"][0], "mp": "Nanocovax"}]
    result = schema.validate(dcc)
    assert [(f.path, f.problem) for f in result.value_set_findings] == [("v.0.mp", "unknown")]


def test_non_json_values_are_a_schema_error() -> None:
    with pytest.raises(SchemaError):
        schema.validate({"ver": "1.3.0", "nam": {"fnt": b"bytes"}, "dob": "1990", "r": [{}]})
    with pytest.raises(SchemaError):
        schema.validate(["not", "a", "map"])  # type: ignore[arg-type]


def test_schema_errors_are_bounded() -> None:
    """A hostile DCC with thousands of broken entries: a few problems are named, the rest are not collected."""
    import time

    dcc = {"ver": "1.3.0", "nam": {"fnt": "X"}, "dob": "1990-01-01", "v": [{} for _ in range(20_000)]}
    started = time.perf_counter()
    with pytest.raises(SchemaError) as info:
        schema.validate(dcc)
    assert time.perf_counter() - started < 2.0
    assert info.value.code == "schema.invalid"
    assert "(and more)" in info.value.message and len(info.value.message) < 1000

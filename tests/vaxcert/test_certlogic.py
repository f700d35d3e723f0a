"""The official CertLogic suites, run unmodified from ../shared/conformance/certlogic/."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from vaxcert.certlogic import CertLogicError, evaluate, to_plain, validate

SHARED = Path(os.environ.get("VAXCERT_SHARED", Path(__file__).resolve().parents[3] / "shared"))
SUITES = SHARED / "conformance" / "certlogic"


def _cases(folder: Path) -> list[Any]:
    found = []
    for path in sorted(folder.glob("*.json")) if folder.exists() else []:
        if path.name.startswith("_"):
            continue
        suite = json.loads(path.read_text(encoding="utf-8"))
        for case in suite["cases"]:
            name = case.get("name") or json.dumps(case.get("certLogicExpression"))[:40]
            found.append(pytest.param(suite, case, id=f"{path.stem}: {name}"))
    return found


EVALUATION = _cases(SUITES)
VALIDATION = _cases(SUITES / "validation")


@pytest.mark.skipif(not EVALUATION, reason="shared CertLogic suites not beside the checkout")
@pytest.mark.parametrize(("suite", "case"), EVALUATION)
def test_evaluation_suite(suite: dict[str, Any], case: dict[str, Any]) -> None:
    # The suites mark a few assertions "skip" (behaviour the specification leaves undefined,
    # such as "in" on null); those are honoured. The suite-level skip of the "patched reduce"
    # file is not: vaxcert implements that patch, so its cases must pass.
    if case.get("directive") == "skip":
        pytest.skip("case marked skip by the suite")
    for assertion in case["assertions"]:
        if assertion.get("directive") == "skip":
            continue
        expression = assertion.get("certLogicExpression", case.get("certLogicExpression"))
        result = to_plain(evaluate(expression, assertion["data"]))
        assert result == assertion["expected"], assertion.get("message", assertion)


@pytest.mark.skipif(not VALIDATION, reason="shared CertLogic suites not beside the checkout")
@pytest.mark.parametrize(("suite", "case"), VALIDATION)
def test_validation_suite(suite: dict[str, Any], case: dict[str, Any]) -> None:
    assert validate(case["certLogicExpression"]) == case["issues"]


@pytest.mark.parametrize(
    ("expression", "data"),
    [
        ({"if": [{"var": "x"}, 1, 2]}, {"x": 3.5}),
        ({"<": [1, "2"]}, {}),
        ({"in": [1, 2]}, {}),
        ({"before": ["2021-01-01", "2021-01-02"]}, {}),
        ({"plusTime": ["not a date", 1, "day"]}, {}),
        ({"unknown": [1]}, {}),
        ({"reduce": [3, {"var": "current"}, 0]}, {}),
    ],
)
def test_undefined_evaluations_raise_a_typed_error(expression: Any, data: Any) -> None:
    with pytest.raises(CertLogicError):
        evaluate(expression, data)


def test_plus_time_follows_javascript_date_rollover() -> None:
    assert to_plain(evaluate({"plusTime": ["2020-02-29", 1, "year"]}, {})) == "2021-03-01T00:00:00.000Z"
    assert to_plain(evaluate({"plusTime": ["2021-01-31", 1, "month"]}, {})) == "2021-03-03T00:00:00.000Z"
    assert to_plain(evaluate({"dccDateOfBirth": ["2004"]}, {})) == "2004-12-31T00:00:00.000Z"
    assert to_plain(evaluate({"dccDateOfBirth": ["2004-02"]}, {})) == "2004-02-29T00:00:00.000Z"

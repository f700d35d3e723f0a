"""The official CertLogic suites, run unmodified from ../shared/conformance/certlogic/."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import QUIET_HEALTH_CHECKS, load_vector_file
from tests.vaxcert.hcert.certlogic_reference import interpret
from vaxcert.hcert.certlogic import CertLogicError, compile_expression, evaluate, to_plain, validate
from vaxcert.hcert.rules import ExternalParameters
from vaxcert.hcert.valuesets import ValueSets

SHARED = Path(os.environ.get("VAXCERT_SHARED", Path(__file__).resolve().parents[4] / "shared"))
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


EXTRA = load_vector_file("certlogic-extra.json")


@pytest.mark.parametrize("case", EXTRA["undefined"], ids=lambda case: case["why"])
def test_undefined_evaluations_raise_a_typed_error(case: dict[str, Any]) -> None:
    with pytest.raises(CertLogicError):
        evaluate(case["expression"], case["data"])


@pytest.mark.parametrize("case", EXTRA["evaluations"], ids=lambda case: case["why"])
def test_plus_time_follows_javascript_date_rollover(case: dict[str, Any]) -> None:
    assert to_plain(evaluate(case["expression"], case["data"])) == case["expected"]


# ------------------------------------------------ generated code against a plain interpreter

_STRINGS = ["", "x", "2021-06-01", "2021-06-01T10:00:00Z", "2020-02-29", "1990-07", "URN:UVCI:01:VN:AB/12#Q"]
_PATHS = ["a", "a.b", "a.0", "a.0.b", "n", "s", "l", "l.1", "", "current", "accumulator.b", "data.n"]
_PATHS += ["external.validationClock", "external.countryCode"]
_LITERALS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(_STRINGS))
_JSON = st.recursive(
    _LITERALS,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.sampled_from(["a", "b", "0", "1"]), children, max_size=3)
    ),
    max_leaves=8,
)


def _operations(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    dates = st.one_of(
        children,
        st.builds(
            lambda text, amount, unit: {"plusTime": [text, amount, unit]},
            st.one_of(children, st.just({"var": "external.validationClock"})),
            st.integers(-30, 30),
            st.sampled_from(["year", "month", "day", "hour"]),
        ),
    )
    return st.one_of(
        st.builds(lambda a, b, c: {"if": [a, b, c]}, children, children, children),
        st.lists(children, min_size=2, max_size=4).map(lambda items: {"and": items}),
        children.map(lambda a: {"!": [a]}),
        st.builds(lambda a, b: {"===": [a, b]}, children, st.one_of(children, _LITERALS)),
        st.builds(
            lambda a, b: {"in": [a, b]},
            children,
            st.one_of(children, st.lists(st.sampled_from(_STRINGS), min_size=1, max_size=3)),
        ),
        st.builds(lambda a, b: {"+": [a, b]}, children, children),
        st.builds(
            lambda op, items: {op: items},
            st.sampled_from(["<", ">", "<=", ">="]),
            st.lists(children, min_size=2, max_size=3),
        ),
        st.builds(
            lambda op, items: {op: items},
            st.sampled_from(["before", "after", "not-before", "not-after"]),
            st.lists(dates, min_size=2, max_size=3),
        ),
        dates,
        children.map(lambda a: {"dccDateOfBirth": [a]}),
        st.builds(lambda a, i: {"extractFromUVCI": [a, i]}, children, st.integers(-1, 5)),
        st.builds(lambda a, b, c: {"reduce": [a, b, c]}, children, children, children),
    )


_EXPRESSIONS = st.recursive(
    st.one_of(_LITERALS, st.sampled_from(_PATHS).map(lambda path: {"var": path})), _operations, max_leaves=14
)


def _external(kind: str) -> Any:
    clock = datetime(2021, 6, 30, 12, 0, 0, 123456, tzinfo=UTC)
    if kind == "dict":
        return {"validationClock": clock.isoformat(), "countryCode": "VN"}
    return ExternalParameters(
        at=clock,
        arrival_country="VN",
        issuer_country="VN",
        issued_at=None,
        expires_at=None,
        kid=None,
        value_sets=ValueSets.bundled(),
    )


def _outcome(run: Any) -> tuple[str, str]:
    try:
        return "value", json.dumps(to_plain(run()), sort_keys=True, default=repr)
    except CertLogicError:
        return "error", ""


@settings(max_examples=1500, deadline=None, suppress_health_check=QUIET_HEALTH_CHECKS)
@given(
    expression=_EXPRESSIONS,
    data=st.fixed_dictionaries({"a": _JSON, "n": _JSON, "s": _JSON, "l": _JSON}),
    external=st.sampled_from(["dict", "verifier"]),
)
def test_generated_code_agrees_with_a_plain_interpreter(expression: Any, data: dict[str, Any], external: str) -> None:
    data["external"] = _external(external)
    compiled = _outcome(lambda: compile_expression(expression)(data))
    assert compiled == _outcome(lambda: interpret(expression, data)), json.dumps(expression)


def test_deeply_nested_rules_compile_or_fail_cleanly() -> None:
    deep: Any = {"var": "n"}
    for _ in range(150):  # deeper than the Python parser's nesting limit if written inline
        deep = {"if": [True, deep, 0]}
    assert evaluate(deep, {"n": 7}) == 7
    for _ in range(5000):
        deep = {"!": [deep]}
    with pytest.raises(CertLogicError):
        evaluate(deep, {"n": 7})


# ------------------------------------------------ one structural checker for validation and compilation

_UNEVALUABLE = [
    {"foo": [1]},
    {"if": [True, 1]},
    {"var": 1},
    {"and": {"var": "a"}},
    {"plusTime": [{"var": "a"}, 1.5, "day"]},
    {"plusTime": [{"var": "a"}, 1, "week"]},
    1.5,
    {"===": [1, {"in": [1]}]},
    {"a": 1, "b": 2},
]


@pytest.mark.parametrize("expression", _UNEVALUABLE, ids=json.dumps)
def test_compiling_refuses_what_validation_reports_with_the_same_words(expression: Any) -> None:
    reported = [issue["message"] for issue in validate(expression)]
    with pytest.raises(CertLogicError) as raised:
        compile_expression(expression)
    assert raised.value.message in reported


@pytest.mark.parametrize(
    ("expression", "data", "value"),
    [
        (None, {}, None),
        ({"var": "a..b"}, {"a": {"b": 1}}, None),
        ({"if": [False, {"extractFromUVCI": [None, "x"]}, 7]}, {}, 7),
    ],
    ids=["null", "odd-path", "bad-index-not-reached"],
)
def test_evaluation_is_more_lenient_than_validation(expression: Any, data: Any, value: Any) -> None:
    assert validate(expression) != []
    assert evaluate(expression, data) == value

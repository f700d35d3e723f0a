"""A plain tree-walking CertLogic interpreter: the oracle the generated code is checked against.

Deliberately naive (re-walks every path, evaluates every operand through one
recursive function) so that it is easy to read against the specification.
It shares only the leaf helpers (date parsing, strict equality, truthiness)
with vaxcert.hcert.certlogic; the code generator's structure is what it checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from vaxcert.hcert.certlogic import (
    CertLogicError,
    DateTime,
    _boolish,
    _chain,
    _date_of_birth,
    _extract_from_uvci,
    _is_integer,
    _parse_date_time,
    _plus,
    _strict_equal,
)

_DATE_SYMBOLS = {"before": "<", "after": ">", "not-before": ">=", "not-after": "<="}


def interpret(expression: Any, data: Any) -> Any:
    try:
        return _value(expression, data)
    except CertLogicError:
        raise
    except Exception as exc:
        raise CertLogicError(f"evaluation failed: {exc}") from None


def _walk(path: str, data: Any) -> Any:
    value = data
    for fragment in path.split(".") if path else []:
        if isinstance(value, list):
            if not (fragment.isascii() and fragment.isdigit()) or int(fragment) >= len(value):
                return None
            value = value[int(fragment)]
        elif isinstance(value, Mapping):
            value = value.get(fragment)
        else:
            return None
    return value


def _value(expression: Any, data: Any) -> Any:
    if expression is None or isinstance(expression, (str, bool)) or _is_integer(expression):
        return expression
    if isinstance(expression, float):
        if expression.is_integer():
            return int(expression)
        raise CertLogicError("non-integer number")
    if isinstance(expression, list):
        return [_value(item, data) for item in expression]
    if not isinstance(expression, Mapping) or len(expression) != 1:
        raise CertLogicError("invalid expression")
    ((operator, values),) = expression.items()
    if operator == "var":
        if not isinstance(values, str):
            raise CertLogicError("bad var")
        return _walk(values, data)
    if operator == "if":
        guard, then, otherwise = values
        return _value(then if _boolish(_value(guard, data), "if") else otherwise, data)
    if operator == "and":
        result = None
        for operand in values:
            result = _value(operand, data)
            if not _boolish(result, "and"):
                return result
        return result
    if operator == "!":
        return not _boolish(_value(values[0], data), "!")
    if operator == "===":
        return _strict_equal(_value(values[0], data), _value(values[1], data))
    if operator == "in":
        needle, haystack = _value(values[0], data), _value(values[1], data)
        if not isinstance(haystack, list):
            raise CertLogicError("in needs an array")
        return any(_strict_equal(needle, item) for item in haystack)
    if operator == "+":
        left, right = _value(values[0], data), _value(values[1], data)
        if not (_is_integer(left) and _is_integer(right)):
            raise CertLogicError("+ needs integers")
        return left + right
    if operator in ("<", ">", "<=", ">="):
        numbers = [_value(value, data) for value in values]
        if not all(_is_integer(number) for number in numbers):
            raise CertLogicError("comparison needs integers")
        return _chain(operator, numbers)
    if operator in _DATE_SYMBOLS:
        moments = [_value(value, data) for value in values]
        if not all(isinstance(moment, DateTime) for moment in moments):
            raise CertLogicError("comparison needs date-times")
        return _chain(_DATE_SYMBOLS[operator], [moment.instant for moment in moments])
    if operator == "plusTime":
        text, amount, unit = values
        if not _is_integer(amount) or unit not in ("year", "month", "day", "hour"):
            raise CertLogicError("bad plusTime")
        moment = _parse_date_time(_value(text, data))
        if unit == "day":
            return DateTime(moment + timedelta(days=amount))
        if unit == "hour":
            return DateTime(moment + timedelta(hours=amount))
        return DateTime(_plus(moment, amount, unit))
    if operator == "dccDateOfBirth":
        text = _value(values[0], data)
        if not isinstance(text, str):
            raise CertLogicError("dccDateOfBirth needs a string")
        return DateTime(_date_of_birth(text))
    if operator == "extractFromUVCI":
        return _extract_from_uvci(_value(values[0], data), values[1])
    if operator == "reduce":
        array, step, initial = values
        items, accumulator = _value(array, data), _value(initial, data)
        if items is None:
            return accumulator
        if not isinstance(items, list):
            raise CertLogicError("reduce needs an array")
        for current in items:
            accumulator = _value(step, {"current": current, "accumulator": accumulator, "data": data})
        return accumulator
    raise CertLogicError(f"unknown operator {operator}")

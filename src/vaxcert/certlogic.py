"""CertLogic: the JsonLogic subset, with DCC date-time extensions, that business rules are written in.

:func:`evaluate` follows the CertLogic specification (dgc-business-rules,
1.3.x): strict truthiness, integer-only arithmetic and comparisons, dates only
from ``plusTime`` and ``dccDateOfBirth``.  Anything the specification leaves
undefined raises :class:`CertLogicError`; callers evaluating rules treat that
as a failed rule.  :func:`validate` lists the structural problems of an
expression without evaluating it.
"""

from __future__ import annotations

import calendar
import functools
import itertools
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import VaxcertError


class CertLogicError(VaxcertError):
    """An expression that is invalid or cannot be evaluated on the given data."""

    stage = "rules"

    def __init__(self, message: str) -> None:
        super().__init__("rules.certlogic", message)


class DateTime:
    """A CertLogic date-time: a UTC instant with millisecond precision.

    A plain slotted class rather than a dataclass: rules create several per scan.
    """

    __slots__ = ("instant",)

    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DateTime) and other.instant == self.instant

    def __hash__(self) -> int:
        return hash(self.instant)

    def __repr__(self) -> str:
        return f"DateTime({self.instant!r})"

    def __str__(self) -> str:
        return self.instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")


_PATH = re.compile(r"^[^.]+(\.[^.]+)*$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
_DATE_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$", re.IGNORECASE
)
_UNITS = ("year", "month", "day", "hour")
_LITERALS = (str, bool, int, type(None))
_DATE_COMPARISONS = ("before", "not-before", "after", "not-after")
_INTEGER_COMPARISONS = ("<", ">", "<=", ">=")


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_truthy(value: Any) -> bool:
    return (
        value is True
        or (isinstance(value, (list, tuple, dict, str)) and len(value) > 0)
        or (_is_integer(value) and value != 0)
    )


def is_falsy(value: Any) -> bool:
    return (
        value is False
        or value is None
        or (isinstance(value, (list, tuple, dict, str)) and len(value) == 0)
        or (_is_integer(value) and value == 0)
    )


def _boolish(value: Any, operation: str) -> bool:
    if is_truthy(value):
        return True
    if is_falsy(value):
        return False
    raise CertLogicError(f"operand of {operation} is neither truthy nor falsy: {value!r}")


# ---------------------------------------------------------------- validation


def validate(expression: Any) -> list[dict[str, Any]]:
    """Structural issues of an expression: ``[{"expr": …, "message": …}]`` (empty when valid)."""
    issues: list[dict[str, Any]] = []
    _validate(expression, issues)
    return issues


def _issue(issues: list[dict[str, Any]], expression: Any, message: str) -> None:
    issues.append({"expr": expression, "message": message})


def _validate(expression: Any, issues: list[dict[str, Any]]) -> None:
    if expression is None:
        _issue(issues, expression, "invalid CertLogic expression")
        return
    if isinstance(expression, (bool, str)) or _is_integer(expression):
        return
    if isinstance(expression, float):
        shown = int(expression) if expression.is_integer() else expression
        if not expression.is_integer():
            _issue(issues, expression, f"{shown} is a non-integer number")
        return
    if isinstance(expression, (list, tuple)):
        for item in expression:
            _validate(item, issues)
        return
    if not isinstance(expression, Mapping):
        _issue(issues, expression, "invalid CertLogic expression")
        return
    if len(expression) != 1:
        _issue(issues, expression, f"expression object must have exactly one key, but it has {len(expression)}")
        return
    operator, values = next(iter(expression.items()))
    if operator == "var":
        if not isinstance(values, str):
            _issue(issues, expression, 'not of the form { "var": "<path>" }')
        elif values != "" and not _PATH.match(values):
            _issue(issues, expression, f"data access path doesn't have a valid format: {values}")
        return
    if not isinstance(values, (list, tuple)):
        _issue(issues, expression, 'operation not of the form { "<operator>": [ <values...> ] }')
        return
    arity = _ARITY.get(operator)
    if arity is None:
        _issue(issues, expression, f'unrecognised operator: "{operator}"')
        return
    low, high = arity
    if not low <= len(values) <= high:
        wanted = str(low) if low == high else f"{low} to {high}" if high < 99 else f"at least {low}"
        _issue(issues, expression, f'an "{operator}" operation must have {wanted} operands')
    if operator == "plusTime" and len(values) == 3:
        if not _is_integer(values[1]):
            _issue(issues, expression, 'the amount of a "plusTime" operation must be an integer literal')
        if values[2] not in _UNITS:
            _issue(issues, expression, f'the unit of a "plusTime" operation must be one of {", ".join(_UNITS)}')
    if operator == "extractFromUVCI" and len(values) == 2 and not _is_integer(values[1]):
        _issue(issues, expression, 'the index of an "extractFromUVCI" operation must be an integer literal')
    for value in values:
        _validate(value, issues)


_ARITY: dict[str, tuple[int, int]] = {
    "if": (3, 3),
    "===": (2, 2),
    "and": (2, 99),
    "!": (1, 1),
    "<": (2, 3),
    ">": (2, 3),
    "<=": (2, 3),
    ">=": (2, 3),
    "in": (2, 2),
    "+": (2, 2),
    "reduce": (3, 3),
    "after": (2, 3),
    "before": (2, 3),
    "not-after": (2, 3),
    "not-before": (2, 3),
    "plusTime": (3, 3),
    "dccDateOfBirth": (1, 1),
    "extractFromUVCI": (2, 2),
}


# ---------------------------------------------------------------- evaluation


def evaluate(expression: Any, data: Any) -> Any:
    """The value of ``expression`` on ``data``; raises :class:`CertLogicError` when undefined."""
    return compile_expression(expression)(data)


Program = Callable[[Any], Any]


def compile_expression(expression: Any) -> Program:
    """Turn an expression into a function of the data, once; rules are then run many times.

    Structural errors (unknown operators, wrong operand counts) raise here;
    data-dependent errors raise when the function runs.  Either way the
    caller sees a :class:`CertLogicError`.
    """
    try:
        return _compile(expression)
    except RecursionError:
        raise CertLogicError("expression nested too deeply") from None


def _constant(value: Any) -> Program:
    return lambda data: value


def _compile(expression: Any) -> Program:
    kind = type(expression)
    if kind in _LITERALS:
        return _constant(expression)
    if kind is float:
        if expression.is_integer():
            return _constant(int(expression))
        raise CertLogicError(f"{expression} is a non-integer number")
    if kind in (list, tuple):
        if all(type(item) in _LITERALS for item in expression):
            items = list(expression)
            return lambda data: list(items)  # e.g. the accepted products of an "in"
        parts = [_compile(item) for item in expression]
        return lambda data: [part(data) for part in parts]
    if not isinstance(expression, Mapping) or len(expression) != 1:
        raise CertLogicError(f"invalid CertLogic expression: {expression!r}")
    operator, values = next(iter(expression.items()))
    if operator == "var":
        if not isinstance(values, str):
            raise CertLogicError('not of the form { "var": "<path>" }')
        fragments = tuple(values.split(".")) if values else ()
        return lambda data: _walk(fragments, data)
    if not isinstance(values, (list, tuple)):
        raise CertLogicError(f'operation not of the form {{ "{operator}": [ <values...> ] }}')
    arity = _ARITY.get(operator)
    if arity is None:
        raise CertLogicError(f'unrecognised operator: "{operator}"')
    if not arity[0] <= len(values) <= arity[1]:
        raise CertLogicError(f'wrong number of operands for "{operator}": {len(values)}')
    if operator == "plusTime":
        return _compile_plus_time(values)
    if operator == "extractFromUVCI":
        uvci, index = _compile(values[0]), values[1]
        return lambda data: _extract_from_uvci(uvci(data), index)
    operands = [_compile(value) for value in values]
    if operator == "in":
        return _compile_in(operator, operands, values[1])
    return _COMPILERS[operator](operator, operands)


def _compile_if(operator: str, operands: list[Program]) -> Program:
    guard, then, otherwise = operands
    return lambda data: then(data) if _boolish(guard(data), "if") else otherwise(data)


def _compile_and(operator: str, operands: list[Program]) -> Program:
    def run(data: Any) -> Any:
        result: Any = None
        for operand in operands:
            result = operand(data)
            if not _boolish(result, "and"):
                return result
        return result

    return run


def _compile_not(operator: str, operands: list[Program]) -> Program:
    (operand,) = operands
    return lambda data: not _boolish(operand(data), "!")


def _compile_equal(operator: str, operands: list[Program]) -> Program:
    left, right = operands
    return lambda data: _strict_equal(left(data), right(data))


def _compile_in(operator: str, operands: list[Program], literal: Any = None) -> Program:
    needle, haystack = operands
    if isinstance(literal, list) and literal and all(type(item) is str for item in literal):
        # A literal list of strings (accepted products, countries…): a set lookup gives the
        # same answer as strict equality against each item, for any needle.
        members = frozenset(literal)
        return lambda data: (value := needle(data)).__class__ is str and value in members

    def run(data: Any) -> bool:
        value, items = needle(data), haystack(data)
        if not isinstance(items, list):
            raise CertLogicError(f'the second operand of "in" must be an array, not {items!r}')
        return any(_strict_equal(value, item) for item in items)

    return run


def _compile_plus(operator: str, operands: list[Program]) -> Program:
    left, right = operands

    def run(data: Any) -> int:
        a, b = left(data), right(data)
        if not (_is_integer(a) and _is_integer(b)):
            raise CertLogicError(f'"+" needs two integers, not {a!r} and {b!r}')
        return int(a + b)

    return run


def _compile_integer_comparison(operator: str, operands: list[Program]) -> Program:
    def run(data: Any) -> bool:
        numbers = [operand(data) for operand in operands]
        if not all(_is_integer(number) for number in numbers):
            raise CertLogicError(f'"{operator}" compares integers only, not {numbers!r}')
        return _chain(operator, numbers)

    return run


def _compile_date_comparison(operator: str, operands: list[Program]) -> Program:
    symbol = {"before": "<", "after": ">", "not-before": ">=", "not-after": "<="}[operator]

    def run(data: Any) -> bool:
        moments = [operand(data) for operand in operands]
        if not all(isinstance(moment, DateTime) for moment in moments):
            raise CertLogicError(f'"{operator}" compares date-times (from plusTime or dccDateOfBirth) only')
        return _chain(symbol, [moment.instant for moment in moments])

    return run


def _compile_plus_time(values: Sequence[Any]) -> Program:
    text, amount, unit = _compile(values[0]), values[1], values[2]
    if not _is_integer(amount) or unit not in _UNITS:
        raise CertLogicError('"plusTime" needs an integer literal amount and a unit: year, month, day or hour')
    if unit in ("day", "hour"):
        step = timedelta(days=amount) if unit == "day" else timedelta(hours=amount)
        return lambda data: DateTime(_parse_date_time(text(data)) + step)
    return lambda data: DateTime(_plus(_parse_date_time(text(data)), amount, unit))


def _compile_date_of_birth(operator: str, operands: list[Program]) -> Program:
    (operand,) = operands

    def run(data: Any) -> DateTime:
        text = operand(data)
        if not isinstance(text, str):
            raise CertLogicError(f'"dccDateOfBirth" needs a string, not {text!r}')
        return DateTime(_date_of_birth(text))

    return run


def _compile_reduce(operator: str, operands: list[Program]) -> Program:
    array_of, step, initial_of = operands

    def run(data: Any) -> Any:
        array, accumulator = array_of(data), initial_of(data)
        if array is None:
            return accumulator
        if not isinstance(array, list):
            raise CertLogicError(f'the first operand of "reduce" must be an array or null, not {array!r}')
        for current in array:
            # "data" inside the lambda is the patch that lets rules reach outside the array
            # (dgc-business-rules "patched reduce").
            accumulator = step({"current": current, "accumulator": accumulator, "data": data})
        return accumulator

    return run


_COMPILERS: dict[str, Callable[[str, list[Program]], Program]] = {
    "if": _compile_if,
    "and": _compile_and,
    "!": _compile_not,
    "===": _compile_equal,
    "in": _compile_in,
    "+": _compile_plus,
    "<": _compile_integer_comparison,
    ">": _compile_integer_comparison,
    "<=": _compile_integer_comparison,
    ">=": _compile_integer_comparison,
    "before": _compile_date_comparison,
    "after": _compile_date_comparison,
    "not-before": _compile_date_comparison,
    "not-after": _compile_date_comparison,
    "dccDateOfBirth": _compile_date_of_birth,
    "reduce": _compile_reduce,
}


def _walk(fragments: tuple[str, ...], data: Any) -> Any:
    value = data
    for fragment in fragments:
        kind = type(value)
        if kind is dict:
            value = value.get(fragment)
        elif kind is list:
            if not fragment.isdigit():
                return None
            index = int(fragment)
            value = value[index] if index < len(value) else None
        elif value is None:
            return None
        elif isinstance(value, Mapping):
            value = value.get(fragment)
        else:
            return None
    return value


def _strict_equal(left: Any, right: Any) -> bool:
    kind = type(left)
    if kind is type(right) and (kind is str or kind is int):
        return bool(left == right)
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return left == right
    if isinstance(left, DateTime) and isinstance(right, DateTime):
        return left == right
    if left is None or right is None:
        return left is right
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    return left is right  # arrays and objects compare by identity, as in JavaScript


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}


def _chain(symbol: str, items: Sequence[Any]) -> bool:
    compare = _COMPARE[symbol]
    if len(items) == 2:
        return compare(items[0], items[1])
    return all(compare(a, b) for a, b in itertools.pairwise(items))


_KNOWN_INSTANTS: dict[str, datetime] = {}


def remember_instant(text: str, moment: datetime) -> None:
    """Tell the parser which instant ``text`` denotes (the verifier formats its own clock).

    Saves re-parsing the validation clock the verifier has just formatted; at most
    a few recent clocks are kept.
    """
    if len(_KNOWN_INSTANTS) >= 64:
        _KNOWN_INSTANTS.clear()
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    _KNOWN_INSTANTS[text] = utc.replace(microsecond=utc.microsecond - utc.microsecond % 1000)


def _parse_date_time(text: Any) -> datetime:
    if isinstance(text, str):
        known = _KNOWN_INSTANTS.get(text)
        return known if known is not None else _parse_date_time_text(text)
    raise CertLogicError(f"not a date or date-time string: {text!r}")


@functools.lru_cache(maxsize=4096)  # the same clock and dates are parsed for every rule
def _parse_date_time_text(text: str) -> datetime:
    value = text.strip()
    if len(value) >= 16 and value[10] in "Tt ":
        # Full date-times: the C parser is ~10x faster than the regex below.
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            moment = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
            return moment.replace(microsecond=moment.microsecond // 1000 * 1000)  # CertLogic keeps milliseconds
    partial = _DATE.match(value)
    if partial:
        year, month, day = partial.groups()
        if month is None or day is None:
            return _date_of_birth(value)  # partial dates: the latest date they allow
        return _utc(int(year), int(month), int(day))
    match = _DATE_TIME.match(value)
    if not match:
        raise CertLogicError(f"not a date or date-time string: {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    microseconds = int((fraction or "0")[:3].ljust(3, "0")) * 1000  # CertLogic keeps milliseconds
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), microseconds, tzinfo=UTC
        )
    except ValueError as exc:
        raise CertLogicError(f"impossible date-time {text!r}: {exc}") from None
    if zone and zone.upper() != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        moment -= sign * offset
    return moment


def _utc(year: int, month: int, day: int) -> datetime:
    try:
        return datetime(year, month, day, tzinfo=UTC)
    except ValueError as exc:
        raise CertLogicError(f"impossible date {year:04}-{month:02}-{day:02}: {exc}") from None


def _date_of_birth(text: str) -> datetime:
    match = _DATE.match(text.strip())
    if not match:
        raise CertLogicError(f"not a (partial) date of birth: {text!r}")
    year, month, day = match.groups()
    if month is None:
        return _utc(int(year), 12, 31)
    if day is None:
        if not 1 <= int(month) <= 12:
            raise CertLogicError(f"impossible month in {text!r}")
        return _utc(int(year), int(month), calendar.monthrange(int(year), int(month))[1])
    return _utc(int(year), int(month), int(day))


def _plus(moment: datetime, amount: int, unit: str) -> datetime:
    if unit == "hour":
        return moment + timedelta(hours=amount)
    if unit == "day":
        return moment + timedelta(days=amount)
    # year/month: JavaScript's setUTCFullYear/setUTCMonth, where a day past the month's
    # end rolls over into the next month (2020-02-29 + 1 year = 2021-03-01).
    months = moment.month - 1 + amount * (12 if unit == "year" else 1)
    year, month = moment.year + months // 12, months % 12 + 1
    last = calendar.monthrange(year, month)[1]
    base = moment.replace(year=year, month=month, day=min(moment.day, last))
    return base + timedelta(days=moment.day - min(moment.day, last))


def _extract_from_uvci(uvci: Any, index: Any) -> str | None:
    if not _is_integer(index):
        raise CertLogicError('the index of "extractFromUVCI" must be an integer')
    if uvci is None:
        return None
    if not isinstance(uvci, str):
        raise CertLogicError(f'"extractFromUVCI" needs a string or null, not {uvci!r}')
    text = uvci[len("URN:UVCI:") :] if uvci.startswith("URN:UVCI:") else uvci
    fragments = re.split(r"[/#:]", text)
    return fragments[index] if 0 <= index < len(fragments) else None


def to_plain(value: Any) -> Any:
    """Results for comparison and JSON: date-times become ISO strings."""
    if isinstance(value, DateTime):
        return str(value)
    if isinstance(value, list):
        return [to_plain(item) for item in value]
    return value


__all__ = ["CertLogicError", "DateTime", "evaluate", "is_falsy", "is_truthy", "to_plain", "validate"]

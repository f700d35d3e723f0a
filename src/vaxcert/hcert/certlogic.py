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

from ..errors import VaxcertError


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
    _validate(expression, issues, strict=True)
    return issues


def _first_evaluation_issue(expression: Any) -> str | None:
    """The first problem that makes ``expression`` impossible to evaluate, or None.

    The one structural checker serves both uses.  Evaluation (the specification's
    ``evaluate``) is more lenient than validation: a ``null`` literal evaluates to
    null, a path is walked whatever its form, and a non-integer ``extractFromUVCI``
    index fails only if that operation is reached.
    """
    issues: list[dict[str, Any]] = []
    _validate(expression, issues, strict=False)
    return issues[0]["message"] if issues else None


def _issue(issues: list[dict[str, Any]], expression: Any, message: str) -> None:
    issues.append({"expr": expression, "message": message})


def _validate(expression: Any, issues: list[dict[str, Any]], *, strict: bool) -> None:
    if expression is None:
        if strict:
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
            _validate(item, issues, strict=strict)
            if issues and not strict:
                return
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
        elif strict and values != "" and not _PATH.match(values):
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
    if strict and operator == "extractFromUVCI" and len(values) == 2 and not _is_integer(values[1]):
        _issue(issues, expression, 'the index of an "extractFromUVCI" operation must be an integer literal')
    for value in values:
        if issues and not strict:
            return  # evaluation stops at the first problem
        _validate(value, issues, strict=strict)


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
    """Turn an expression into a Python function of the data, once; rules then run on every scan.

    Structural errors (unknown operators, wrong operand counts) raise here;
    data-dependent errors raise when the function runs.  Either way the
    caller sees a :class:`CertLogicError`.
    """
    try:
        problem = _first_evaluation_issue(expression)
        if problem is not None:
            raise CertLogicError(problem)
        return _ProgramWriter().program(expression)
    except RecursionError:
        raise CertLogicError("expression nested too deeply") from None


class _ProgramWriter:
    """Writes an expression as Python source and compiles it.

    A rule runs on every scan, and a tree of small closures spends most of its
    time calling them; straight-line Python with the common cases inlined runs
    3-4x faster.  Safety: the source contains only names made up here, Python
    keywords and operators, and literals written with ``repr`` (str, int, bool,
    None); every other value from the rule is passed in as a named constant.
    Nothing a rule file says is ever run as code.

    Each data scope (the rule, and the step of every ``reduce``) becomes one
    function that first walks every data path it reads.  Walking never fails
    and has no effects, so walking eagerly returns what walking lazily would.
    """

    # Deeper sub-expressions move into functions of their own, keeping every
    # generated function well inside the Python parser's nesting limits.
    INLINE_DEPTH = 12

    def __init__(self) -> None:
        self.functions: list[str] = []
        self.namespace: dict[str, Any] = dict(_RUNTIME)
        self.serial = itertools.count()

    def fresh(self, stem: str) -> str:
        return f"{stem}{next(self.serial)}"

    def constant(self, value: Any) -> str:
        name = self.fresh("_k")
        self.namespace[name] = value
        return name

    def program(self, expression: Any) -> Program:
        entry = self.function(expression, guarded=True)
        try:
            code = compile("\n\n".join(self.functions), "<certlogic>", "exec")
        except (SyntaxError, MemoryError, RecursionError):  # pragma: no cover - bounded by INLINE_DEPTH
            raise CertLogicError("expression too complex to compile") from None
        exec(code, self.namespace)  # the source was written above from trusted pieces only
        program: Program = self.namespace[entry]
        return program

    def function(self, expression: Any, *, guarded: bool = False) -> str:
        """Write one function of ``data`` computing ``expression``; returns its name."""
        scope = _Scope(self)
        result = scope.value(expression, 0)
        name = self.fresh("_f")
        body = [*scope.walks, f"return {result}"]
        if guarded:
            # Any Python-level failure (a date past year 9999, a foreign payload holding CBOR
            # types JSON lacks) is a failed rule with a reason, never an exception for the caller.
            body = [
                "try:",
                *(f"    {line}" for line in body),
                "except CertLogicError:",
                "    raise",
                "except Exception as exc:",
                "    raise CertLogicError(f'evaluation failed: {exc}') from None",
            ]
        self.functions.append("\n".join([f"def {name}(data):", *(f"    {line}" for line in body)]))
        return name


class _Scope:
    """The source of one generated function: its path walks and its return expression."""

    def __init__(self, writer: _ProgramWriter) -> None:
        self.writer = writer
        self.walks: list[str] = []
        self.paths: dict[tuple[str, ...], str] = {(): "data"}

    def var(self, path: str) -> str:
        """The local variable holding the value at ``path``, walked once with its prefixes shared."""
        fragments = tuple(path.split(".")) if path else ()
        for length in range(1, len(fragments) + 1):
            if fragments[:length] not in self.paths:
                parent, fragment = self.paths[fragments[: length - 1]], fragments[length - 1]
                name = self.writer.fresh("_v")
                self.walks.append(f"{name} = {_step_source(parent, fragment)}")
                self.paths[fragments[:length]] = name
        return self.paths[fragments]

    def value(self, expression: Any, depth: int) -> str:
        """Python source for the value of ``expression``."""
        kind = type(expression)
        if kind in _LITERALS:
            if kind is int and not -(10**15) < expression < 10**15:
                return self.writer.constant(expression)  # repr of a huge int may exceed Python's digit limit
            return repr(expression)
        if kind is float:  # the checker let only integral floats through
            return repr(int(expression))
        if not isinstance(expression, (Mapping, list, tuple)):
            return self.writer.constant(expression)  # a str or int subclass: its repr is not a literal
        if isinstance(expression, (list, tuple)):
            if depth > self.writer.INLINE_DEPTH:
                return f"{self.writer.function(expression)}(data)"
            return "[" + ", ".join(self.value(item, depth + 1) for item in expression) + "]"
        # Structure was checked once, by _validate(), before writing began: here the
        # expression is a one-key object with a known operator and a fitting operand count.
        operator, values = next(iter(expression.items()))
        if operator == "var":
            return self.var(values)
        if depth > self.writer.INLINE_DEPTH:
            return f"{self.writer.function(expression)}(data)"
        write: Callable[[_Scope, str, Sequence[Any], int], str] = _WRITERS[operator]
        return write(self, operator, values, depth + 1)

    def truth(self, source: str, operator: str) -> tuple[str, str]:
        """A Python condition "the value of ``source`` is truthy" (raising when it is neither),
        and the name that holds the value once the condition has run."""
        if source.isidentifier():
            name, first = source, source
        else:
            name = self.writer.fresh("_t")
            first = f"({name} := {source})"
        return f"({first} is True or ({name} is not False and _boolish({name}, {operator!r})))", name

    def instant(self, expression: Any, operator: str, depth: int) -> str:
        """Source for the ``datetime`` of a date-time operand, skipping the DateTime wrapper for plusTime."""
        if isinstance(expression, Mapping) and len(expression) == 1 and "plusTime" in expression:
            values = expression["plusTime"]
            if isinstance(values, (list, tuple)) and len(values) == 3:
                return _plus_time_source(self, values, depth + 1)
        return f"_instant_of({self.value(expression, depth)}, {operator!r})"


def _step_source(parent: str, fragment: str) -> str:
    """Source for one step of a data path: the common dict and list cases inline, the rest in ``_step``."""
    fallback = f"_step({parent}, {fragment!r})"
    if fragment.isascii() and fragment.isdigit():
        index = int(fragment)
        return f"({parent}[{index}] if {parent}.__class__ is list and len({parent}) > {index} else {fallback})"
    return f"({parent}.get({fragment!r}) if {parent}.__class__ is dict else {fallback})"


def _write_if(scope: _Scope, operator: str, values: Sequence[Any], depth: int) -> str:
    guard, then, otherwise = (scope.value(value, depth) for value in values)
    condition, _ = scope.truth(guard, "if")
    return f"({then} if {condition} else {otherwise})"


def _write_and(scope: _Scope, operator: str, values: Sequence[Any], depth: int) -> str:
    # JsonLogic's "and" returns the first falsy operand, else the last one (checked too).
    operands = [scope.value(value, depth) for value in values]
    result = f"_checked({operands[-1]}, 'and')"
    for operand in reversed(operands[:-1]):
        condition, holder = scope.truth(operand, "and")
        result = f"({holder} if not {condition} else {result})"
    return result


def _write_not(scope: _Scope, operator: str, values: Sequence[Any], depth: int) -> str:
    condition, _ = scope.truth(scope.value(values[0], depth), "!")
    return f"(not {condition})"


def _write_equal(scope: _Scope, operator: str, values: Sequence[Any], depth: int) -> str:
    left, right = values
    if type(left) in (str, int) and type(right) not in (str, int):
        left, right = right, left  # strict equality is symmetric; literals have no effects to order
    source = scope.value(left, depth)
    if type(right) in (str, int):
        name = source if source.isidentifier() else scope.writer.fresh("_t")
        bound = name if name == source else f"({name} := {source})"
        literal, kind = repr(right), type(right).__name__
        return f"({name} == {literal} if {bound}.__class__ is {kind} else _strict_equal({name}, {literal}))"
    return f"_strict_equal({source}, {scope.value(right, depth)})"


def _write_in(scope: _Scope, operator: str, values: Sequence[Any], depth: int) -> str:
    needle, haystack = values
    source = scope.value(needle, depth)
    if isinstance(haystack, list) and haystack and all(type(item) is str for item in haystack):
        # A literal list of strings (accepted products, countries…): a set lookup gives the
        # same answer as strict equality against each item, for any needle.
        members = scope.writer.constant(frozenset(haystack))
        name = source if source.isidentifier() else scope.writer.fresh("_t")
        bound = name if name == source else f"({name} := {source})"
        return f"({bound}.__class__ is str and {name} in {members})"
    return f"_in({source}, {scope.value(haystack, depth)})"


def _write_plus(scope: _Scope, operator: str, values: Sequence[Any], depth: int) -> str:
    return f"_add({scope.value(values[0], depth)}, {scope.value(values[1], depth)})"


def _write_integer_comparison(scope: _Scope, operator: str, values: Sequence[Any], depth: int) -> str:
    operands = [scope.value(value, depth) for value in values]
    if len(operands) == 2 and all(_is_name_or_integer(operand) for operand in operands):
        # Both operands already computed: compare inline when both are integers.
        checks = [f"{operand}.__class__ is int" for operand in operands if operand.isidentifier()]
        fast = f"{operands[0]} {operator} {operands[1]}"
        slow = f"_compare_integers({operator!r}, ({operands[0]}, {operands[1]}))"
        return f"({fast} if {' and '.join(checks)} else {slow})" if checks else f"({fast})"
    return f"_compare_integers({operator!r}, ({', '.join(operands)},))"


def _is_name_or_integer(source: str) -> bool:
    return (source.isidentifier() and source not in ("True", "False", "None")) or source.lstrip("-").isdigit()


def _write_date_comparison(scope: _Scope, operator: str, values: Sequence[Any], depth: int) -> str:
    symbol = {"before": "<", "after": ">", "not-before": ">=", "not-after": "<="}[operator]
    instants = [scope.instant(value, operator, depth) for value in values]
    if len(instants) == 2:
        return f"({instants[0]} {symbol} {instants[1]})"
    # Three operands: every one is evaluated (and may fail) before comparing, as with two.
    return f"_chain({symbol!r}, ({', '.join(instants)},))"


def _plus_time_source(scope: _Scope, values: Sequence[Any], depth: int) -> str:
    text, amount, unit = values  # _validate() checked that amount is an integer literal and unit a unit
    if text == {"var": "external.validationClock"}:
        moment = f"_validation_instant({scope.var('external')})"
    else:
        moment = f"_instant({scope.value(text, depth)})"
    if unit in ("year", "month"):
        return f"_plus({moment}, {amount!r}, {unit!r})"
    if amount == 0:
        return moment
    step = timedelta(days=amount) if unit == "day" else timedelta(hours=amount)
    return f"({moment} + {scope.writer.constant(step)})"


def _write_plus_time(scope: _Scope, operator: str, values: Sequence[Any], depth: int) -> str:
    return f"_DateTime({_plus_time_source(scope, values, depth)})"


def _write_date_of_birth(scope: _Scope, operator: str, values: Sequence[Any], depth: int) -> str:
    return f"_date_of_birth_value({scope.value(values[0], depth)})"


def _write_extract_from_uvci(scope: _Scope, operator: str, values: Sequence[Any], depth: int) -> str:
    index = scope.writer.constant(values[1])
    return f"_extract_from_uvci({scope.value(values[0], depth)}, {index})"


def _write_reduce(scope: _Scope, operator: str, values: Sequence[Any], depth: int) -> str:
    array, step, initial = values
    step_function = scope.writer.function(step)  # the step sees its own data: current, accumulator, data
    return f"_reduce({scope.value(array, depth)}, {scope.value(initial, depth)}, {step_function}, data)"


_WRITERS: dict[str, Callable[[_Scope, str, Sequence[Any], int], str]] = {
    "if": _write_if,
    "and": _write_and,
    "!": _write_not,
    "===": _write_equal,
    "in": _write_in,
    "+": _write_plus,
    "<": _write_integer_comparison,
    ">": _write_integer_comparison,
    "<=": _write_integer_comparison,
    ">=": _write_integer_comparison,
    "before": _write_date_comparison,
    "after": _write_date_comparison,
    "not-before": _write_date_comparison,
    "not-after": _write_date_comparison,
    "plusTime": _write_plus_time,
    "dccDateOfBirth": _write_date_of_birth,
    "extractFromUVCI": _write_extract_from_uvci,
    "reduce": _write_reduce,
}


# What generated code may call: these helpers and nothing else (not even builtins but len).


def _step(value: Any, fragment: str) -> Any:
    kind = type(value)
    if kind is dict:
        return value.get(fragment)
    if kind is list:
        if not (fragment.isascii() and fragment.isdigit()):
            return None
        index = int(fragment)
        return value[index] if index < len(value) else None
    if value is not None and isinstance(value, Mapping):
        return value.get(fragment)
    return None


def _checked(value: Any, operation: str) -> Any:
    _boolish(value, operation)
    return value


def _in(needle: Any, haystack: Any) -> bool:
    if not isinstance(haystack, list):
        raise CertLogicError(f'the second operand of "in" must be an array, not {haystack!r}')
    return any(_strict_equal(needle, item) for item in haystack)


def _add(left: Any, right: Any) -> int:
    if not (_is_integer(left) and _is_integer(right)):
        raise CertLogicError(f'"+" needs two integers, not {left!r} and {right!r}')
    return int(left + right)


def _compare_integers(operator: str, numbers: tuple[Any, ...]) -> bool:
    if not all(_is_integer(number) for number in numbers):
        raise CertLogicError(f'"{operator}" compares integers only, not {list(numbers)!r}')
    return _chain(operator, numbers)


def _instant_of(moment: Any, operator: str) -> datetime:
    if not isinstance(moment, DateTime):
        raise CertLogicError(f'"{operator}" compares date-times (from plusTime or dccDateOfBirth) only')
    return moment.instant


def _date_of_birth_value(text: Any) -> DateTime:
    if not isinstance(text, str):
        raise CertLogicError(f'"dccDateOfBirth" needs a string, not {text!r}')
    return DateTime(_date_of_birth(text))


def _reduce(array: Any, accumulator: Any, step: Program, data: Any) -> Any:
    if array is None:
        return accumulator
    if not isinstance(array, list):
        raise CertLogicError(f'the first operand of "reduce" must be an array or null, not {array!r}')
    for current in array:
        # "data" beside current and accumulator is the patch that lets a step reach
        # outside the array (dgc-business-rules "patched reduce").
        accumulator = step({"current": current, "accumulator": accumulator, "data": data})
    return accumulator


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


# Sub-millisecond remainders as ready-made timedeltas: truncating the clock is then one subtraction.
_SUB_MILLISECOND = tuple(timedelta(microseconds=remainder) for remainder in range(1000))


def to_milliseconds(moment: datetime) -> datetime:
    """``moment`` in UTC, truncated to CertLogic's millisecond precision."""
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    return utc - _SUB_MILLISECOND[utc.microsecond % 1000]


class ClockText(str):
    """A validation clock as rules read it: ISO text that also carries its parsed instant.

    Saves every rule that reads the clock text from parsing it back.
    """

    instant: datetime

    @classmethod
    def of(cls, moment: datetime) -> ClockText:
        instant = to_milliseconds(moment)
        text = cls(instant.isoformat())
        text.instant = instant
        return text


def _validation_instant(external: Any) -> datetime:
    """The instant of ``external.validationClock``, for the usual ``plusTime`` on it.

    A verifier's external object offers the instant as ``validation_instant``, so the
    clock is neither formatted nor parsed; any other object is read like a var.
    """
    instant = getattr(external, "validation_instant", None)
    if instant.__class__ is datetime:
        return instant
    return _parse_date_time(_step(external, "validationClock"))


def _parse_date_time(text: Any) -> datetime:
    if text.__class__ is ClockText:
        instant: datetime = text.instant
        return instant
    if isinstance(text, str):
        return _parse_date_time_text(text)
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


_RUNTIME: dict[str, Any] = {
    "__builtins__": {
        "dict": dict,
        "int": int,
        "len": len,
        "list": list,
        "str": str,
        "Exception": Exception,
    },
    "CertLogicError": CertLogicError,
    "_DateTime": DateTime,
    "_add": _add,
    "_boolish": _boolish,
    "_chain": _chain,
    "_checked": _checked,
    "_compare_integers": _compare_integers,
    "_date_of_birth_value": _date_of_birth_value,
    "_extract_from_uvci": _extract_from_uvci,
    "_in": _in,
    "_instant": _parse_date_time,
    "_instant_of": _instant_of,
    "_validation_instant": _validation_instant,
    "_plus": _plus,
    "_reduce": _reduce,
    "_step": _step,
    "_strict_equal": _strict_equal,
}


def to_plain(value: Any) -> Any:
    """Results for comparison and JSON: date-times become ISO strings."""
    if isinstance(value, DateTime):
        return str(value)
    if isinstance(value, list):
        return [to_plain(item) for item in value]
    return value


__all__ = ["CertLogicError", "ClockText", "DateTime", "evaluate", "is_falsy", "is_truthy", "to_plain", "validate"]

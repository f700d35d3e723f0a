"""Validation failures as (field, message) pairs a caller can act on, for the API and bulk rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypedDict

_VALUE_ERROR_PREFIX = "Value error, "


class Problem(TypedDict):
    field: str
    message: str


def describe(errors: Iterable[Mapping[str, Any]], *, source: str | None = None) -> list[Problem]:
    """One problem per pydantic error; a leading ``source`` part (FastAPI's ``body``) is dropped."""
    found: list[Problem] = []
    for error in errors:
        location = tuple(error["loc"])
        if source is not None and location[:1] == (source,):
            location = location[1:]
        field = ".".join(str(part) for part in location)
        message = str(error["msg"])
        if error.get("type") == "value_error" and message.startswith(_VALUE_ERROR_PREFIX):
            message = message[len(_VALUE_ERROR_PREFIX) :]
        found.append({"field": field, "message": message})
    return found


def one_line(found: Iterable[Problem], whole: str = "(body)") -> str:
    """``dob: the date of birth has no such day; v.0.dn: …``; a check of the whole input reads ``(body): …``."""
    return "; ".join(f"{problem['field'] or whole}: {problem['message']}" for problem in found)


def json_position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of character ``offset`` in ``text``, as editors show it."""
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column

"""Schema stage: the DCC against the official EU JSON schema chosen by ``ver``.

The official combined schemas 1.0.0 to 1.3.3 ship inside the package and are
compiled with jsonschema-rs on first use.  On top of the schema, the HCERT
rule that a certificate holds exactly one of ``v``, ``t`` and ``r`` is
enforced for every version (the 1.0.x-1.2.x schemas do not express it).
Value-set membership is reported separately (see :mod:`vaxcert.hcert.valuesets`):
an unknown code in a foreign certificate is a finding, not a schema failure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import islice
from typing import Any

import jsonschema_rs

from ..errors import SchemaError
from .valuesets import ValueSetFinding, ValueSets

ENTRY_GROUPS = ("v", "t", "r")
# Only the first few problems are shown, so only a few are collected: a hostile code
# can hold thousands of broken entries, and describing each costs time and memory.
MAX_ERRORS = 4
_MAX_ERROR_TEXT = 160
_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


@dataclass(frozen=True, slots=True)
class SchemaResult:
    """A passed schema check: the schema version applied and value-set findings."""

    schema_version: str
    certificate_type: str
    value_set_findings: tuple[ValueSetFinding, ...]


@cache
def available_versions() -> tuple[str, ...]:
    folder = resources.files("vaxcert.hcert") / "data" / "schemas"
    names = [item.name[:-5] for item in folder.iterdir() if item.name.endswith(".json")]
    return tuple(sorted(names, key=_version_key))


def _version_key(version: str) -> tuple[int, int, int]:
    match = _SEMVER.match(version)
    if not match:
        return (-1, -1, -1)
    major, minor, patch = match.groups()
    return (int(major), int(minor), int(patch))


_VERSION_FOR: dict[str, str] = {}


def schema_version_for(ver: object) -> str:
    """The shipped schema to validate a DCC declaring ``ver`` against.

    An exact match wins; otherwise the newest shipped schema not newer than
    ``ver`` (a 1.3.4 certificate is checked as 1.3.3).  A ``ver`` older than
    every schema, or not a version at all, is checked against the newest, which
    then reports the bad ``ver`` itself.  Answers for text are remembered: a
    handful of ``ver`` values recur on every scan.
    """
    if type(ver) is str:
        known = _VERSION_FOR.get(ver)
        if known is None:
            known = _schema_version_for(ver)
            if len(_VERSION_FOR) < 256:
                _VERSION_FOR[ver] = known
        return known
    return _schema_version_for(ver)


def _schema_version_for(ver: object) -> str:
    versions = available_versions()
    if not isinstance(ver, str) or not _SEMVER.match(ver):
        return versions[-1]
    if ver in versions:
        return ver
    wanted = _version_key(ver)
    older = [v for v in versions if _version_key(v) <= wanted]
    return older[-1] if older else versions[-1]


@cache
def _validator(version: str) -> Any:
    path = resources.files("vaxcert.hcert") / "data" / "schemas" / f"{version}.json"
    return jsonschema_rs.validator_for(json.loads(path.read_text(encoding="utf-8")))


def certificate_type(dcc: Mapping[str, Any]) -> str | None:
    """``"v"``, ``"t"`` or ``"r"`` when exactly one entry group is present, else None."""
    present = [group for group in ENTRY_GROUPS if group in dcc]
    return present[0] if len(present) == 1 else None


def validate(dcc: Mapping[str, Any], value_sets: ValueSets | None = None) -> SchemaResult:
    """Validate a decoded DCC; raise :class:`SchemaError` naming the first problems."""
    if type(dcc) is not dict and not isinstance(dcc, Mapping):
        raise SchemaError("schema.not_an_object", "the certificate is not a JSON object")
    version = schema_version_for(dcc.get("ver"))
    validator = _validator(version)
    try:
        errors, more = ([], False) if validator.is_valid(dcc) else _first_errors(validator, dcc)
    except (ValueError, TypeError, OverflowError) as exc:
        raise SchemaError("schema.not_json", f"the certificate holds values JSON cannot express ({exc})") from None
    if errors:
        shown = "; ".join(errors[:3]) + (" (and more)" if more or len(errors) > 3 else "")
        raise SchemaError("schema.invalid", f"does not match DCC schema {version}: {shown}")
    kind = certificate_type(dcc)
    if kind is None:
        groups = [group for group in ENTRY_GROUPS if group in dcc] or ["none"]
        raise SchemaError(
            "schema.entry_groups",
            f"a DCC holds exactly one of v, t, r; this one holds {', '.join(groups)}",
        )
    findings = (value_sets or ValueSets.bundled()).check(dcc)
    return SchemaResult(version, kind, findings)


def _first_errors(validator: Any, dcc: Mapping[str, Any]) -> tuple[list[str], bool]:
    # jsonschema-rs collects every error before iter_errors yields one (quadratic in a
    # hostile array's length), so only a small certificate gets more than the first.
    if _holds_at_most(dcc, _MAX_ITEMS_FOR_ALL_ERRORS):
        return [_describe(error) for error in islice(validator.iter_errors(dcc), MAX_ERRORS)], False
    try:
        validator.validate(dcc)
    except jsonschema_rs.ValidationError as error:
        return [_describe(error)], True
    return ["(no detail)"], False


_MAX_ITEMS_FOR_ALL_ERRORS = 256


def _holds_at_most(value: Any, limit: int) -> bool:
    """Whether value holds at most ``limit`` container items (stops counting past the limit)."""
    pending = [value]
    seen = 0
    while pending:
        item = pending.pop()
        children = item.values() if isinstance(item, Mapping) else item
        seen += len(children)
        if seen > limit:
            return False
        pending.extend(child for child in children if isinstance(child, (Mapping, list, tuple)))
    return True


def _describe(error: Any) -> str:
    path = "/".join(str(part) for part in getattr(error, "instance_path", ())) or "(root)"
    text = f"{path}: {error.message}"
    # jsonschema-rs quotes the offending value, which may be a large hostile structure.
    return text if len(text) <= _MAX_ERROR_TEXT else text[: _MAX_ERROR_TEXT - 1] + "…"

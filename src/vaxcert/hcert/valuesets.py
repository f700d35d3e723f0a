"""EU DCC value sets: the coded vocabularies behind tg, vp, mp, ma, co, tt, tr.

The package ships the official files as frozen in July 2023; a caller can
load newer official files (same JSON format) with :meth:`ValueSets.with_file`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import SchemaError

DISEASE = "disease-agent-targeted"
VACCINE_TYPE = "sct-vaccines-covid-19"
VACCINE_PRODUCT = "vaccines-covid-19-names"
VACCINE_MANUFACTURER = "vaccines-covid-19-auth-holders"
COUNTRY = "country-2-codes"
TEST_TYPE = "covid-19-lab-test-type"
TEST_RESULT = "covid-19-lab-result"
TEST_DEVICE = "covid-19-lab-test-manufacturer-and-name"

# Which value set each coded DCC field draws from, per entry group.
CODED_FIELDS: Mapping[str, Mapping[str, str]] = {
    "v": {"tg": DISEASE, "vp": VACCINE_TYPE, "mp": VACCINE_PRODUCT, "ma": VACCINE_MANUFACTURER, "co": COUNTRY},
    "t": {"tg": DISEASE, "tt": TEST_TYPE, "tr": TEST_RESULT, "ma": TEST_DEVICE, "co": COUNTRY},
    "r": {"tg": DISEASE, "co": COUNTRY},
}


@dataclass(frozen=True, slots=True)
class ValueSetEntry:
    code: str
    display: str
    active: bool


@dataclass(frozen=True, slots=True)
class ValueSet:
    """One official value-set file: its id, date and codes."""

    value_set_id: str
    date: str
    entries: Mapping[str, ValueSetEntry]
    active_codes: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # Derived here so a hot-path membership test needs no per-entry lookups.
        object.__setattr__(self, "active_codes", frozenset(c for c, e in self.entries.items() if e.active))

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> ValueSet:
        try:
            value_set_id = document["valueSetId"]
            values = document["valueSetValues"]
            if not isinstance(value_set_id, str) or not isinstance(values, Mapping):
                raise TypeError("valueSetId must be text and valueSetValues a map")
            entries = {
                str(code): ValueSetEntry(
                    code=str(code),
                    display=str(entry.get("display", "")) if isinstance(entry, Mapping) else "",
                    active=bool(entry.get("active", True)) if isinstance(entry, Mapping) else True,
                )
                for code, entry in values.items()
            }
        except (KeyError, TypeError, AttributeError) as exc:
            raise SchemaError("valueset.bad_file", f"not an EU value-set document ({exc})") from None
        return cls(value_set_id, str(document.get("valueSetDate", "")), entries)


@dataclass(frozen=True, slots=True)
class ValueSetFinding:
    """A coded field whose code a value set does not list, or lists as inactive."""

    path: str
    code: str
    value_set_id: str
    problem: str  # "unknown" or "inactive"

    def describe(self) -> str:
        return f"{self.path}={self.code!r} is {self.problem} in value set {self.value_set_id}"


@dataclass(frozen=True, slots=True)
class ValueSets:
    """An immutable collection of value sets keyed by valueSetId."""

    sets: Mapping[str, ValueSet] = field(default_factory=dict)

    @classmethod
    def bundled(cls) -> ValueSets:
        """The value sets shipped inside the package."""
        return _BUNDLED

    def with_file(self, path: str | Path) -> ValueSets:
        """A copy with one official value-set file added (a newer date replaces an older one)."""
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:  # ValueError: not UTF-8, not JSON, or an over-long number
            raise SchemaError("valueset.bad_file", f"cannot read value set {path}: {exc}") from None
        return self.with_value_sets([ValueSet.from_json(document)])

    def with_value_sets(self, value_sets: Iterable[ValueSet]) -> ValueSets:
        merged = dict(self.sets)
        for value_set in value_sets:
            current = merged.get(value_set.value_set_id)
            if current is None or value_set.date >= current.date:
                merged[value_set.value_set_id] = value_set
        return ValueSets(merged)

    def get(self, value_set_id: str) -> ValueSet | None:
        return self.sets.get(value_set_id)

    def codes(self) -> dict[str, list[str]]:
        """The compressed form CertLogic rules see: valueSetId -> list of codes.

        Built once per collection; callers must not modify the result.
        """
        cached = _CODES.get(id(self))
        if cached is None or cached[0] is not self:
            cached = (self, {vid: list(vs.entries) for vid, vs in self.sets.items()})
            _CODES[id(self)] = cached
        return cached[1]

    def check(self, dcc: Mapping[str, Any]) -> tuple[ValueSetFinding, ...]:
        """Every coded field whose code is unknown or inactive.  Never raises."""
        findings: list[ValueSetFinding] = []
        for group, fields in CODED_FIELDS.items():
            entries = dcc.get(group)
            if not isinstance(entries, list):
                continue
            for index, entry in enumerate(entries):
                if not isinstance(entry, dict):  # decoded DCCs hold plain dicts (cwt.plain)
                    continue
                for name, value_set_id in fields.items():
                    code = entry.get(name)
                    value_set = self.sets.get(value_set_id)
                    if code is None or value_set is None or code in value_set.active_codes:
                        continue
                    known = value_set.entries.get(code) if isinstance(code, str) else None
                    findings.append(
                        ValueSetFinding(
                            path=f"{group}.{index}.{name}",
                            code=str(code),
                            value_set_id=value_set_id,
                            problem="unknown" if known is None else "inactive",
                        )
                    )
        return tuple(findings)


# id(ValueSets) -> (the object, its compressed codes); holding the object keeps its id unique.
_CODES: dict[int, tuple[ValueSets, dict[str, list[str]]]] = {}


def _load_bundled() -> ValueSets:
    folder = resources.files("vaxcert.hcert") / "data" / "valuesets"
    sets = []
    for item in folder.iterdir():
        if item.name.endswith(".json"):
            document = json.loads(item.read_text(encoding="utf-8"))
            if "valueSetValues" in document and all(
                isinstance(v, Mapping) and "display" in v for v in document["valueSetValues"].values()
            ):
                sets.append(ValueSet.from_json(document))
    return ValueSets().with_value_sets(sets)


_BUNDLED = _load_bundled()

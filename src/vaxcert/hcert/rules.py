"""Business rules: EU rule JSON (CertLogic logic) selected and evaluated for a destination.

Selection follows the EU validator: the acceptance rules of the country of
arrival plus the invalidation rules of the issuing country, valid at the
validation clock (``ValidFrom <= clock < ValidTo``), of type ``General`` or the
certificate's type, newest ``Version`` per ``Identifier``.  vaxcert reads
every rule, acceptance or invalidation, as "the logic returns true when the
certificate passes" (the app implementations' reading; see spec/rules.md).
A rule whose evaluation fails counts as failed and is reported, never raised.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import RulesError, VaxcertError
from . import certlogic
from .valuesets import ValueSets

CERTIFICATE_TYPES = {"v": "Vaccination", "t": "Test", "r": "Recovery"}


@dataclass(frozen=True)
class Rule:
    identifier: str
    rule_type: str  # "Acceptance" or "Invalidation"
    country: str
    version: tuple[int, ...]
    certificate_type: str  # General, Vaccination, Test, Recovery
    valid_from: datetime
    valid_to: datetime
    logic: Any
    descriptions: Mapping[str, str]
    affected_fields: tuple[str, ...] = ()
    region: str = ""
    _program: certlogic.Program | None = field(default=None, compare=False, repr=False)

    @property
    def program(self) -> certlogic.Program:
        """The compiled logic, made on first use: a national rule set holds thousands of rules
        of which a scan selects a handful, and compiling takes ~0.2 ms per rule."""
        program = self._program
        if program is None:
            program = certlogic.compile_expression(self.logic)
            object.__setattr__(self, "_program", program)
        return program

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Rule:
        try:
            issues = certlogic.validate(document["Logic"])
            if issues:
                raise ValueError(f"invalid logic: {issues[0]['message']}")
            return cls(
                identifier=str(document["Identifier"]),
                rule_type=str(document["Type"]),
                country=str(document["Country"]),
                version=tuple(int(part) for part in str(document["Version"]).split(".")),
                certificate_type=str(document["CertificateType"]),
                valid_from=_instant(document["ValidFrom"]),
                valid_to=_instant(document["ValidTo"]),
                logic=document["Logic"],
                descriptions={str(d["lang"]): str(d["desc"]) for d in document.get("Description", [])},
                affected_fields=tuple(str(f) for f in document.get("AffectedFields", [])),
                region=str(document.get("Region") or ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            name = document.get("Identifier", "?") if isinstance(document, Mapping) else "?"
            raise RulesError("rules.bad_rule", f"rule {name}: {exc}") from None

    def description(self, languages: Sequence[str] = ("vi", "en")) -> str:
        for language in languages:
            if language in self.descriptions:
                return self.descriptions[language]
        return next(iter(self.descriptions.values()), self.identifier)


def _instant(text: Any) -> datetime:
    moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class RuleOutcome(NamedTuple):
    """One rule's verdict (a named tuple: several are made on every scan)."""

    rule: Rule
    passed: bool
    error: str | None = None


_DAWN = datetime.min.replace(tzinfo=UTC)
_DOOM = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    # Selection depends on the clock only through the rules' ValidFrom/ValidTo instants, so a
    # selection holds for the whole window between two of them: (from, to, rules) per key.
    _windows: dict[tuple[str, str | None, str, str], tuple[datetime, datetime, tuple[Rule, ...]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def from_json(cls, data: bytes | str) -> RuleSet:
        try:
            document = json.loads(data)
        except ValueError as exc:  # not UTF-8, not JSON, or a number beyond Python's digit limit
            raise RulesError("rules.bad_file", f"the rule file is not JSON ({exc})") from None
        items = document if isinstance(document, list) else [document]
        return cls(tuple(Rule.from_json(item) for item in items))

    @classmethod
    def load(cls, path: str | Path) -> RuleSet:
        try:
            return cls.from_json(Path(path).read_bytes())
        except OSError as exc:
            raise RulesError("rules.unreadable", f"cannot read rules {path}: {exc.strerror}") from None

    def select(
        self, *, arrival_country: str, issuer_country: str | None, certificate_type: str, at: datetime, region: str = ""
    ) -> tuple[Rule, ...]:
        """The rules that apply, in identifier order; memoised per key for the clock's validity window."""
        key = (arrival_country, issuer_country, certificate_type, region)
        window = self._windows.get(key)
        if window is not None and window[0] <= at < window[1]:
            return window[2]
        candidates = self._candidates(arrival_country, issuer_country, certificate_type, region)
        # Candidates are sorted by identifier, newest version first: the first one valid at
        # the clock is the version that applies.
        chosen: list[Rule] = []
        for rule in candidates:
            if chosen and chosen[-1].identifier == rule.identifier:
                continue
            if rule.valid_from <= at < rule.valid_to:
                chosen.append(rule)
        edges = [edge for rule in candidates for edge in (rule.valid_from, rule.valid_to)]
        opens = max((edge for edge in edges if edge <= at), default=_DAWN)
        closes = min((edge for edge in edges if edge > at), default=_DOOM)
        if len(self._windows) < 1024 or key in self._windows:
            self._windows[key] = (opens, closes, tuple(chosen))
        return tuple(chosen)

    def _candidates(
        self, arrival_country: str, issuer_country: str | None, certificate_type: str, region: str
    ) -> list[Rule]:
        """Rules matching everything but the clock."""
        wanted_type = CERTIFICATE_TYPES.get(certificate_type, "")
        return sorted(
            (
                rule
                for rule in self.rules
                if (
                    (rule.rule_type == "Acceptance" and rule.country == arrival_country)
                    or (rule.rule_type == "Invalidation" and rule.country == issuer_country)
                )
                and rule.certificate_type in ("General", wanted_type)
                and (not rule.region or rule.region == region)
            ),
            key=lambda rule: (rule.identifier, tuple(-part for part in rule.version)),
        )


class ExternalParameters(Mapping[str, Any]):
    """The CertLogic ``external`` object.  Entries are built when a rule first reads them:
    one object is made per scan, and most rules read only the clock."""

    __slots__ = (
        "_arrival",
        "_at",
        "_expires",
        "_issued",
        "_issuer",
        "_kid",
        "_region",
        "_value_sets",
        "_values",
        "validation_instant",
    )
    _KEYS = ("validationClock", "valueSets", "countryCode", "exp", "iat", "issuerCountryCode", "kid", "region")

    def __init__(
        self,
        *,
        at: datetime,
        arrival_country: str,
        issuer_country: str | None,
        issued_at: int | None,
        expires_at: int | None,
        kid: bytes | None,
        value_sets: ValueSets,
        region: str = "",
    ) -> None:
        self._at = at
        self.validation_instant = certlogic.to_milliseconds(at)
        self._arrival = arrival_country
        self._issuer = issuer_country
        self._issued = issued_at
        self._expires = expires_at
        self._kid = kid
        self._value_sets = value_sets
        self._region = region
        self._values: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        values = self._values
        if key in values:
            return values[key]
        value = values[key] = self._compute(key)
        return value

    def get(self, key: str, default: Any = None) -> Any:  # what CertLogic's var calls
        return self[key] if key in self._KEYS else default

    def _compute(self, key: str) -> Any:
        if key == "validationClock":
            return certlogic.ClockText.of(self._at)
        if key == "valueSets":
            return self._value_sets.codes()
        if key == "countryCode":
            return self._arrival
        if key in ("exp", "iat"):
            seconds = self._expires if key == "exp" else self._issued
            return datetime.fromtimestamp(seconds, UTC).isoformat() if seconds is not None else None
        if key == "issuerCountryCode":
            return self._issuer
        if key == "kid":
            return base64.b64encode(self._kid).decode("ascii") if self._kid else None
        if key == "region":
            return self._region
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._KEYS)

    def __len__(self) -> int:
        return len(self._KEYS)


def evaluate(rules: Iterable[Rule], payload: Any, external: Mapping[str, Any]) -> tuple[RuleOutcome, ...]:
    data = {"payload": payload, "external": external}
    outcomes = []
    for rule in rules:
        try:
            result = rule.program(data)  # compiling may fail too: a failed rule, like any other error
        except VaxcertError as exc:
            outcomes.append(RuleOutcome(rule, False, exc.message))
            continue
        if result is True or (result is not False and certlogic.is_truthy(result)):
            outcomes.append(RuleOutcome(rule, True))
        elif result is False or certlogic.is_falsy(result):
            outcomes.append(RuleOutcome(rule, False))
        else:
            outcomes.append(RuleOutcome(rule, False, f"the rule returned {result!r}, neither true nor false"))
    return tuple(outcomes)

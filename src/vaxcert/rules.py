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

from . import certlogic
from .errors import RulesError, VaxcertError
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
    program: certlogic.Program | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.program is None:  # compiled once; a rule is evaluated on every scan
            object.__setattr__(self, "program", certlogic.compile_expression(self.logic))

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


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    _by_key: dict[tuple[str, str | None, str, str], tuple[Rule, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def from_json(cls, data: bytes | str) -> RuleSet:
        try:
            document = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
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
    ) -> list[Rule]:
        # Candidates come sorted by identifier, newest version first: the first one valid at
        # the clock is the version that applies.
        chosen: list[Rule] = []
        for rule in self._candidates(arrival_country, issuer_country, certificate_type, region):
            if chosen and chosen[-1].identifier == rule.identifier:
                continue
            if rule.valid_from <= at < rule.valid_to:
                chosen.append(rule)
        return chosen

    def _candidates(
        self, arrival_country: str, issuer_country: str | None, certificate_type: str, region: str
    ) -> tuple[Rule, ...]:
        """Rules matching everything but the clock; memoised, as the same few keys recur on every scan."""
        key = (arrival_country, issuer_country, certificate_type, region)
        found = self._by_key.get(key)
        if found is None:
            wanted_type = CERTIFICATE_TYPES.get(certificate_type, "")
            found = tuple(
                sorted(
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
            )
            if len(self._by_key) < 1024:
                self._by_key[key] = found
        return found


def external_parameters(
    *,
    at: datetime,
    arrival_country: str,
    issuer_country: str | None,
    issued_at: int | None,
    expires_at: int | None,
    kid: bytes | None,
    value_sets: ValueSets,
    region: str = "",
) -> Mapping[str, Any]:
    """The CertLogic ``external`` object; entries are computed when a rule first reads them."""
    moment = at if at.tzinfo is UTC else at.astimezone(UTC)
    clock = moment.isoformat()
    certlogic.remember_instant(clock, moment)
    return _External(
        clock=clock,
        arrival_country=arrival_country,
        issuer_country=issuer_country,
        issued_at=issued_at,
        expires_at=expires_at,
        kid=kid,
        value_sets=value_sets,
        region=region,
    )


class _External(Mapping[str, Any]):
    """The external parameters, each built on first use: most rules read only the clock."""

    _KEYS = ("validationClock", "valueSets", "countryCode", "exp", "iat", "issuerCountryCode", "kid", "region")

    def __init__(self, **inputs: Any) -> None:
        self._inputs = inputs
        self._values: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        if key in self._values:
            return self._values[key]
        value = self._compute(key)
        self._values[key] = value
        return value

    def _compute(self, key: str) -> Any:
        inputs = self._inputs
        if key == "validationClock":
            return inputs["clock"]
        if key == "valueSets":
            return inputs["value_sets"].codes()
        if key == "countryCode":
            return inputs["arrival_country"]
        if key in ("exp", "iat"):
            seconds = inputs["expires_at" if key == "exp" else "issued_at"]
            return datetime.fromtimestamp(seconds, UTC).isoformat() if seconds is not None else None
        if key == "issuerCountryCode":
            return inputs["issuer_country"]
        if key == "kid":
            return base64.b64encode(inputs["kid"]).decode("ascii") if inputs["kid"] else None
        if key == "region":
            return inputs["region"]
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._KEYS)

    def __len__(self) -> int:
        return len(self._KEYS)


def evaluate(rules: Iterable[Rule], payload: Any, external: Mapping[str, Any]) -> list[RuleOutcome]:
    data = {"payload": payload, "external": external}
    outcomes = []
    for rule in rules:
        try:
            assert rule.program is not None
            result = rule.program(data)
        except VaxcertError as exc:
            outcomes.append(RuleOutcome(rule, False, exc.message))
            continue
        if certlogic.is_truthy(result):
            outcomes.append(RuleOutcome(rule, True))
        elif certlogic.is_falsy(result):
            outcomes.append(RuleOutcome(rule, False))
        else:
            outcomes.append(RuleOutcome(rule, False, f"the rule returned {result!r}, neither true nor false"))
    return outcomes

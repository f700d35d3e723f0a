"""Error types and codes: one stage list, ``<stage>.<reason>`` codes, the old names kept as legacy codes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import vaxcert
from vaxcert import SignatureError, TrustError, TrustStore, VaxcertError, verify
from vaxcert.errors import LEGACY_CODES, STAGE_ERRORS, STAGES, CompressionError, PrefixError
from vaxcert.hcert.certlogic import CertLogicError
from vaxcert.signed import SignedDocumentError

SOURCE = Path(vaxcert.__file__).resolve().parent
_CODE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_CODE_START = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9_]*$")  # the written part of f"cose.{reason}"
# Errors raised while loading inputs or issuing, never inside a report, are named after what they
# load (errors.py says so); each such area is allowed only in the modules that load it.
_LOADING_AREAS = {
    "trust.py": {"trust"},
    "registry.py": {"trust"},
    "trustlist.py": {"trust", "trustlist"},
    "hcert/revocation.py": {"revocationlist"},
    "hcert/valuesets.py": {"valueset"},
    "hcert/names.py": {"name"},
    "hcert/uvci.py": {"uvci"},
}


def _error_types() -> dict[str, type[VaxcertError]]:
    found: dict[str, type[VaxcertError]] = {}
    pending: list[type[VaxcertError]] = [VaxcertError]
    while pending:
        error_type = pending.pop()
        found[error_type.__name__] = error_type
        pending.extend(error_type.__subclasses__())
    found["TrustListError"] = found["RevocationListError"] = SignedDocumentError  # module aliases
    return found


def _raised_codes() -> list[tuple[str, int, type[VaxcertError], str, bool]]:
    """(module, line, error type, code, complete) for every error built in the source with a code
    written there; ``complete`` is False for an f-string's written start (``"cose."``)."""
    types = _error_types()
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in types):
                continue
            error_type = types[node.func.id]
            if error_type is CertLogicError or not node.args:
                continue  # CertLogicError fixes its own code
            first = node.args[0]
            complete = not isinstance(first, ast.JoinedStr)
            if isinstance(first, ast.JoinedStr) and first.values and isinstance(first.values[0], ast.Constant):
                first = first.values[0]  # f"cose.{reason}": the stage is written out
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((path.relative_to(SOURCE).as_posix(), node.lineno, error_type, first.value, complete))
    return found


def test_the_source_raises_enough_codes_for_the_scan_to_mean_something() -> None:
    modules = {module for module, *_ in _raised_codes()}
    assert len(_raised_codes()) > 100
    expected = {"hcert/pipeline.py", "hcert/prefix.py", "hcert/compression.py", "hcert/cwt.py"}
    expected |= {"cose.py", "qr.py", "trust.py"}
    assert expected <= modules


@pytest.mark.parametrize(
    ("module", "line", "error_type", "code", "complete"),
    _raised_codes(),
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_every_code_starts_with_its_stage(
    module: str, line: int, error_type: type[VaxcertError], code: str, complete: bool
) -> None:
    area = code.partition(".")[0]
    allowed = {error_type.stage} | _LOADING_AREAS.get(module, set())
    assert area in allowed, f"{module}:{line}: {error_type.__name__} raises {code!r}; expected {sorted(allowed)}"
    assert (_CODE if complete else _CODE_START).match(code), f"{module}:{line}: {code!r}"


def test_the_stage_list_is_the_reports_and_one_type_per_stage() -> None:
    report = verify("HC1:", TrustStore())
    assert tuple(outcome.name for outcome in report.outcomes) == STAGES == vaxcert.hcert.report.CHECKS
    assert len(set(STAGES)) == len(STAGES) == len(STAGE_ERRORS)
    assert all(issubclass(error_type, VaxcertError) for error_type in STAGE_ERRORS)


def test_legacy_codes_map_renamed_codes_onto_their_old_names() -> None:
    raised = {code for _, _, _, code, _ in _raised_codes()}
    for new, old in LEGACY_CODES.items():
        stage, _, reason = new.partition(".")
        assert stage in STAGES and _CODE.match(new) and _CODE.match(old)
        assert old.partition(".")[2] == reason and old.partition(".")[0] != stage  # only the stage part changed
        assert old not in raised, f"{old} is still raised"
    assert {"unprefix.missing", "decompress.not_compressed", "signature.kid_not_found", "picture.not_found"} <= set(
        LEGACY_CODES
    )


def test_an_error_knows_its_legacy_code() -> None:
    assert CompressionError("decompress.corrupt", "x").legacy_code == "zlib.corrupt"
    assert PrefixError("unprefix.too_long", "x").legacy_code == "prefix.too_long"
    assert SignatureError("signature.invalid", "x").legacy_code is None


def test_errors_are_value_errors_and_trust_errors_are_signature_errors() -> None:
    error = TrustError("signature.kid_not_found", "kid not found")
    assert isinstance(error, SignatureError) and isinstance(error, ValueError)
    assert (error.stage, error.code, error.message, str(error)) == (
        "signature",
        "signature.kid_not_found",
        "kid not found",
        "kid not found",
    )
    assert repr(error) == "TrustError('signature.kid_not_found', 'kid not found')"

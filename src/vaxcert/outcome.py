"""One check's outcome (passed, failed or not run, with its code), shared by every format's report.

It lived in ``vaxcert.report`` before the formats got their own subpackages; that path still imports
(see :mod:`vaxcert._moved`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import LEGACY_CODES, STAGE_ERRORS, STAGES, VaxcertError

_STAGE_ERROR_TYPES = {error.stage: error for error in STAGE_ERRORS}


@dataclass(frozen=True, slots=True)
class StageOutcome:
    """One check: passed (True), failed (False) or not run (None), with the reason.

    ``error_type`` is the class the failure was raised as (e.g. :class:`TrustError`
    for an unknown kid, a subclass of the check's :class:`SignatureError`), so
    :meth:`error` gives back an exception that the caller's ``except`` clauses
    see exactly as they would have seen the original.
    """

    name: str
    passed: bool | None
    code: str | None = None
    message: str | None = None
    error_type: type[VaxcertError] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def ok(cls, name: str) -> StageOutcome:
        return _PASSED.get(name) or cls(name, True)

    @classmethod
    def failed(cls, name: str, error: VaxcertError) -> StageOutcome:
        return cls(name, False, error.code, error.message, type(error))

    @classmethod
    def not_run(cls, name: str) -> StageOutcome:
        return _NOT_RUN.get(name) or cls(name, None)

    @property
    def legacy_code(self) -> str | None:
        """The code's pre-``<stage>.<reason>`` name, if it was renamed (see :data:`vaxcert.errors.LEGACY_CODES`)."""
        return LEGACY_CODES.get(self.code) if self.code else None

    def error(self) -> VaxcertError | None:
        """The failure as an exception of the class it was raised as; None unless the check failed."""
        if self.passed is not False:
            return None
        error_type = self.error_type or _STAGE_ERROR_TYPES.get(self.name, VaxcertError)
        # Built past the subclass's own __init__, whose signature may differ (CertLogicError
        # takes only a message): code and message are what every VaxcertError carries.
        error = error_type.__new__(error_type)
        VaxcertError.__init__(error, self.code or f"{self.name}.failed", self.message or "check failed")
        return error


# Outcomes are immutable, so every passed (or skipped) check can share one instance.
_PASSED = {name: StageOutcome(name, True) for name in STAGES}
_NOT_RUN = {name: StageOutcome(name, None) for name in STAGES}

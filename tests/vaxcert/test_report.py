"""The report's JSON form is printable whatever structure it is handed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from vaxcert import CwtError, VerificationReport, cwt
from vaxcert.report import CHECKS, StageOutcome


def _report(dcc: dict[str, Any]) -> VerificationReport:
    outcomes = tuple(
        StageOutcome.failed(name, CwtError("cwt.too_large", "x")) if name == "cwt" else StageOutcome.not_run(name)
        for name in CHECKS
    )
    return VerificationReport(
        outcomes, datetime(2026, 1, 1, tzinfo=UTC), unverified_claims=cwt.CwtClaims("VN", 1, 10**5000, dcc)
    )


def test_to_json_survives_cycles_depth_and_size() -> None:
    deep: Any = "x"
    for _ in range(50_000):
        deep = {"d": deep}
    dcc: dict[str, Any] = {"ver": "1.3.0", "deep": deep}
    dcc["self"] = dcc
    dcc["v"] = [{}] * 200_000
    document = json.loads(json.dumps(_report(dcc).to_json()))
    hcert = document["payload"]["hcert"]
    assert document["errors"]["cwt"]["code"] == "cwt.too_large"
    assert hcert["self"] == cwt.CYCLE
    assert cwt.TOO_DEEP in json.dumps(hcert["deep"]) and json.dumps(hcert["deep"]).count("{") < cwt.JSON_MAX_DEPTH
    assert hcert["v"][-1] == cwt.TRUNCATED
    assert document["validation_clock"] == "2026-01-01T00:00:00+00:00"  # the payload's budget is its own
    assert document["payload"]["exp"].startswith("0x")  # too many digits for JSON text: printed in hex

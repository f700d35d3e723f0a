"""Schemathesis against the service's own OpenAPI: generated requests to every route never get a 500."""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from issuer_service.app import create_app
from issuer_service.settings import Settings
from tests.issuer_service.conftest import auth, make_key


def test_no_route_fails_on_generated_requests(settings: Settings) -> None:
    key = make_key(settings, "Fuzz Hospital", {"issue", "read", "revoke", "admin"})
    app = create_app(settings)
    failures: list[str] = []
    calls = 0
    with TestClient(app):  # runs the lifespan: database, keys, the audit sealer
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 10
        for operation in operations:
            # Valid requests by the schema, and requests that break it on purpose.
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

                @given(case=operation.as_strategy(generation_mode=mode))
                @hypothesis_settings(
                    max_examples=int(os.environ.get("VAXCERT_FUZZ_EXAMPLES", "25")),
                    deadline=None,
                    suppress_health_check=list(HealthCheck),
                    database=None,
                )
                def call(case: Any) -> None:
                    nonlocal calls
                    response = case.call(headers=auth(key))
                    calls += 1
                    if response.status_code >= 500 and response.status_code != 503:
                        failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text}")

                try:
                    call()
                except Unsatisfiable:  # an operation without inputs has no invalid request to make
                    assert mode is GenerationMode.NEGATIVE
    assert not failures, failures[:5]
    assert calls > 20 * len(operations)  # every route got generated requests

"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .. import db
from ..auth import Caller
from .context import ERRORS, State, caller_with

router = APIRouter()


@router.get("/healthz", tags=["health"])
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", tags=["health"], responses={503: ERRORS[503]})
def readyz(state: State) -> JSONResponse:
    problems = {}
    try:
        db.ping(state.engine)
    except Exception as exc:  # any driver error means "not ready"
        problems["database"] = type(exc).__name__
    try:
        for kind in ("v", "t", "r"):
            state.signers.for_type(kind).sign(b"readiness probe")
    except Exception as exc:  # an HSM outage surfaces as several exception types
        problems["signer"] = getattr(exc, "code", type(exc).__name__)
    if problems:
        return JSONResponse({"status": "unavailable", "problems": problems}, 503)
    return JSONResponse({"status": "ready", "keys": state.signers.mode})


@router.get("/metrics", tags=["health"], responses={401: ERRORS[401], 403: ERRORS[403]})
def metrics(state: State, caller: Annotated[Caller, Depends(caller_with("admin"))]) -> Response:
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

"""Issue, read (JSON, QR, PDF) and revoke single certificates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Header
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from vaxcert import DigitalCovidCertificate, qr

from ..auth import Caller
from ..documents import render_pdf
from ..issuing import IssuedRecord
from ..settings import Settings
from .context import ERRORS, ErrorBody, State, caller_with

router = APIRouter()


class Links(BaseModel):
    self: str
    png: str
    svg: str
    pdf: str


class CertificateResponse(BaseModel):
    uvci: str
    hc1: str
    certificate_type: str = Field(description="v, t or r")
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    links: Links


class RevocationRequest(BaseModel):
    reason: str = Field(min_length=3, max_length=200)


def _response(settings: Settings, record: IssuedRecord) -> CertificateResponse:
    base = f"{settings.public_url.rstrip('/')}/v1/certificates/{quote(record.uvci, safe='')}"
    return CertificateResponse(
        uvci=record.uvci,
        hc1=record.hc1,
        certificate_type=record.certificate_type,
        issued_at=record.issued_at,
        expires_at=record.expires_at,
        revoked_at=record.revoked_at,
        revocation_reason=record.revocation_reason,
        links=Links(self=base, png=f"{base}/qr.png", svg=f"{base}/qr.svg", pdf=f"{base}/pdf"),
    )


@router.post(
    "/v1/certificates",
    status_code=201,
    response_model=CertificateResponse,
    tags=["certificates"],
    responses={k: {"model": ErrorBody, **v} for k, v in ERRORS.items() if k != 404},
)
def create_certificate(
    state: State,
    payload: Annotated[DigitalCovidCertificate, Body()],
    caller: Annotated[Caller, Depends(caller_with("issue"))],
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Any:
    record = state.service.issue(caller, payload, idempotency_key)
    result = _response(state.settings, record)
    return JSONResponse(result.model_dump(mode="json"), status_code=200 if record.replayed else 201)


@router.get(
    "/v1/certificates/{uvci:path}/qr.png", tags=["certificates"], responses={k: ERRORS[k] for k in (401, 403, 404)}
)
def get_png(state: State, uvci: str, caller: Annotated[Caller, Depends(caller_with("read"))]) -> Response:
    return Response(qr.encode_png(state.service.get(caller, uvci, audit_as="read_qr").hc1), media_type="image/png")


@router.get(
    "/v1/certificates/{uvci:path}/qr.svg", tags=["certificates"], responses={k: ERRORS[k] for k in (401, 403, 404)}
)
def get_svg(state: State, uvci: str, caller: Annotated[Caller, Depends(caller_with("read"))]) -> Response:
    svg = qr.encode_svg(state.service.get(caller, uvci, audit_as="read_qr").hc1)
    return Response(svg, media_type="image/svg+xml")


@router.get(
    "/v1/certificates/{uvci:path}/pdf", tags=["certificates"], responses={k: ERRORS[k] for k in (401, 403, 404)}
)
def get_pdf(state: State, uvci: str, caller: Annotated[Caller, Depends(caller_with("read"))]) -> Response:
    record = state.service.get(caller, uvci, audit_as="read_pdf")
    return Response(render_pdf(record.hc1, state.settings.issuer_name), media_type="application/pdf")


@router.post(
    "/v1/certificates/{uvci:path}/revoke",
    response_model=CertificateResponse,
    tags=["certificates"],
    responses={k: ERRORS[k] for k in (401, 403, 404, 422)},
)
def revoke(
    state: State, uvci: str, request: RevocationRequest, caller: Annotated[Caller, Depends(caller_with("revoke"))]
) -> CertificateResponse:
    return _response(state.settings, state.service.revoke(caller, uvci, request.reason))


# Registered after the /qr.png, /qr.svg, /pdf and /revoke routes: a UVCI may contain "/" (as its
# check character, or as in NL-style identifiers), so it is matched as a path and must come last.
@router.get(
    "/v1/certificates/{uvci:path}",
    response_model=CertificateResponse,
    tags=["certificates"],
    responses={k: ERRORS[k] for k in (401, 403, 404)},
)
def get_certificate(
    state: State, uvci: str, caller: Annotated[Caller, Depends(caller_with("read"))]
) -> CertificateResponse:
    return _response(state.settings, state.service.get(caller, uvci))

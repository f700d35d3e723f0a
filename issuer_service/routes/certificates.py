"""Issue, read (JSON, QR, PDF: the EU code or a SMART Health Card) and revoke single certificates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Header, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from vaxcert import DigitalCovidCertificate, qr

from ..auth import Caller
from ..documents import Issuer, render_pdf
from ..health_cards import SHC_TYPE
from ..issuing import IssuedRecord
from .context import ERRORS, AppState, ErrorBody, State, caller_with

router = APIRouter()


class Links(BaseModel):
    self: str
    png: str
    svg: str
    pdf: str
    shc_png: str | None = Field(default=None, description="the SMART Health Card's QR (vaccinations only)")
    shc_svg: str | None = None
    shc_pdf: str | None = None


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


def _response(state: AppState, record: IssuedRecord) -> CertificateResponse:
    base = f"{state.settings.public_url.rstrip('/')}/v1/certificates/{quote(record.uvci, safe='')}"
    cards = state.service.health_cards.available and record.certificate_type == SHC_TYPE and not record.revoked_at
    return CertificateResponse(
        uvci=record.uvci,
        hc1=record.hc1,
        certificate_type=record.certificate_type,
        issued_at=record.issued_at,
        expires_at=record.expires_at,
        revoked_at=record.revoked_at,
        revocation_reason=record.revocation_reason,
        links=_links(base, shc=cards),
    )


def _links(base: str, *, shc: bool) -> Links:
    png, svg, pdf = f"{base}/qr.png", f"{base}/qr.svg", f"{base}/pdf"
    if not shc:
        return Links(self=base, png=png, svg=svg, pdf=pdf)
    card = "?format=shc"
    return Links(self=base, png=png, svg=svg, pdf=pdf, shc_png=png + card, shc_svg=svg + card, shc_pdf=pdf + card)


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
    result = _response(state, record)
    return JSONResponse(result.model_dump(mode="json"), status_code=200 if record.replayed else 201)


CodeFormat = Literal["hcert", "shc"]
FormatQuery = Annotated[
    CodeFormat,
    Query(
        description="hcert: the EU DCC code (HC1:); shc: a SMART Health Card (shc:/) made from the same "
        "record, for vaccination certificates that are not revoked"
    ),
]
# The routes that can make a SMART Health Card answer with the card's refusals too.
_CODE_ERRORS: dict[int | str, dict[str, Any]] = {
    **{k: ERRORS[k] for k in (401, 403, 404)},
    409: {"model": ErrorBody, "description": "format=shc: the certificate is revoked"},
    422: {"model": ErrorBody, "description": "format=shc: not a vaccination certificate"},
    503: {"model": ErrorBody, "description": "format=shc: the signing key is unavailable"},
}


@router.get("/v1/certificates/{uvci:path}/qr.png", tags=["certificates"], responses=_CODE_ERRORS)
def get_png(
    state: State, uvci: str, caller: Annotated[Caller, Depends(caller_with("read"))], format: FormatQuery = "hcert"
) -> Response:
    if format == "shc":
        return Response(state.service.shc(caller, uvci, audit_as="read_qr_shc")[1].png(), media_type="image/png")
    return Response(qr.encode_png(state.service.get(caller, uvci, audit_as="read_qr").hc1), media_type="image/png")


@router.get("/v1/certificates/{uvci:path}/qr.svg", tags=["certificates"], responses=_CODE_ERRORS)
def get_svg(
    state: State, uvci: str, caller: Annotated[Caller, Depends(caller_with("read"))], format: FormatQuery = "hcert"
) -> Response:
    if format == "shc":
        svg = state.service.shc(caller, uvci, audit_as="read_qr_shc")[1].svg()
    else:
        svg = qr.encode_svg(state.service.get(caller, uvci, audit_as="read_qr").hc1)
    return Response(svg, media_type="image/svg+xml")


@router.get("/v1/certificates/{uvci:path}/pdf", tags=["certificates"], responses=_CODE_ERRORS)
def get_pdf(
    state: State, uvci: str, caller: Annotated[Caller, Depends(caller_with("read"))], format: FormatQuery = "hcert"
) -> Response:
    settings = state.settings
    issuer = Issuer(settings.issuer_name, settings.issuer_name_vi or None, settings.issuer_logo)
    if format == "shc":
        record, card = state.service.shc(caller, uvci, audit_as="read_pdf_shc")
        pdf = render_pdf(record.hc1, issuer, shc_png=card.png(scale=6))
    else:
        record = state.service.get(caller, uvci, audit_as="read_pdf")
        pdf = render_pdf(record.hc1, issuer, revoked_at=record.revoked_at)
    return Response(pdf, media_type="application/pdf")


@router.post(
    "/v1/certificates/{uvci:path}/revoke",
    response_model=CertificateResponse,
    tags=["certificates"],
    responses={k: ERRORS[k] for k in (401, 403, 404, 422)},
)
def revoke(
    state: State, uvci: str, request: RevocationRequest, caller: Annotated[Caller, Depends(caller_with("revoke"))]
) -> CertificateResponse:
    return _response(
        state,
        state.service.revoke(caller, uvci, request.reason),
    )


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
    return _response(state, state.service.get(caller, uvci))

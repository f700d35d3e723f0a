"""The public signed trust list and revocation list, and the SMART Health Card key set (no API key:
they are signed data or public keys for verifiers)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Header
from fastapi.responses import Response

from ..errors import Unavailable
from ..lists import CachedList
from .context import AppState, State

router = APIRouter()

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/cose": {}}, "description": "the signed list, with its ETag"},
    304: {"description": "unchanged since the ETag sent in If-None-Match"},
}


async def _serve(state: AppState, cached: CachedList | None, if_none_match: str | None) -> Response:
    if cached is None:
        raise Unavailable("no_list_signer", "no list signer is configured")
    signed = await anyio.to_thread.run_sync(cached.get, limiter=state.list_threads)
    headers = {"ETag": signed.etag, "Cache-Control": "no-cache"}  # clients revalidate: 304 is cheap
    if signed.matches(if_none_match):
        return Response(status_code=304, headers=headers)
    return Response(signed.data, media_type="application/cose", headers=headers)


@router.get("/v1/revocation-list", tags=["trust"], responses=_RESPONSES)
async def revocations(state: State, if_none_match: Annotated[str | None, Header()] = None) -> Response:
    """The signed list of revoked certificates (UCI, COUNTRYCODEUCI and SIGNATURE hashes; public).

    Signed once per change (by any service process) and served from memory.
    """
    return await _serve(state, state.revocation_list, if_none_match)


@router.get("/v1/trust-list", tags=["trust"], responses=_RESPONSES)
async def trust_list(state: State, if_none_match: Annotated[str | None, Header()] = None) -> Response:
    """The signed trust list of this issuer's DSCs (public: it is signed data for verifiers).

    Carries every DSC that signs now and every retired one until the last certificate it signed expires.
    """
    return await _serve(state, state.trust_list, if_none_match)


@router.get(
    "/.well-known/jwks.json",
    tags=["trust"],
    responses={200: {"content": {"application/json": {}}, "description": "the JWK Set (public keys only)"}},
)
async def shc_jwks(state: State) -> Response:
    """The SMART Health Card issuer's public keys (public; verifiers fetch ``<iss>/.well-known/jwks.json``).

    The keys that sign vaccination certificates now, and retired ones while certificates they signed
    are still valid.  Served with ``Access-Control-Allow-Origin: *``, as the SMART Health Cards
    specification requires of an issuer's key set.
    """
    document = await anyio.to_thread.run_sync(state.service.shc_jwks, limiter=state.list_threads)
    headers = {"Access-Control-Allow-Origin": "*", "Cache-Control": "max-age=300"}
    return Response(json.dumps(document, separators=(",", ":")), media_type="application/json", headers=headers)

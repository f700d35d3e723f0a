"""Bulk issuance: upload a file of records as a job, then poll it."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParameter
from pydantic import BaseModel, Field
from starlette.requests import ClientDisconnect

from ..auth import Caller
from ..bulk_files import FileDigest, MultipartError, MultipartFile
from ..errors import Invalid
from ..issuing import IssuerService
from ..models import BulkJob
from .context import ERRORS, AppState, HttpError, State, caller_with

log = logging.getLogger("vaxcert.issuer")
router = APIRouter()

_UPLOAD_CHUNK = 1 << 20  # bytes per stored chunk of a bulk upload


class BulkJobResponse(BaseModel):
    job_id: int
    status: str = Field(description="running (any instance may be working on it), finished or failed")
    rows_done: int
    rows_issued: int
    rows_rejected: int
    rows_total: int | None = Field(default=None, description="rows the file holds (lines with content)")
    failure: str | None = Field(default=None, description="why a failed job stopped (code: message)")
    rows: list[dict[str, Any]] | None = None


@router.post(
    "/v1/bulk",
    status_code=202,
    response_model=BulkJobResponse,
    tags=["bulk"],
    responses={k: ERRORS[k] for k in (401, 403, 413, 503)},
)
async def bulk(
    state: State,
    request: Request,
    caller: Annotated[Caller, Depends(caller_with("issue"))],
    name: Annotated[str | None, Query(max_length=300)] = None,
) -> BulkJobResponse:
    """Upload NDJSON (one DCC per line) or CSV (spec/bulk.md): as the request body, or as the
    ``file`` field of a multipart/form-data form.  Any service instance runs the job; poll
    ``GET /v1/bulk/{id}``.  The same file again (even with other line ends) is the same job."""
    job = await receive_upload(state, request, caller, name)
    return _job_response(job)


async def receive_upload(state: AppState, request: Request, caller: Caller, name: str | None) -> BulkJob:
    """Store an uploaded file (the body, or a multipart form's ``file`` field) as a job and wake the runner.

    Shared by ``POST /v1/bulk`` and the console's upload form.
    """
    issuer = state.service
    content_type = request.headers.get("content-type", "")
    try:
        form = MultipartFile(content_type) if content_type.lower().startswith("multipart/form-data") else None
    except MultipartError as exc:
        raise Invalid("bulk.bad_multipart", str(exc)) from None
    upload_id = str(uuid.uuid4())
    digest = FileDigest()
    pending = bytearray()
    chunks = 0
    try:
        async for received in request.stream():
            data = form.feed(received) if form is not None else received
            digest.update(data)
            pending += data
            if len(pending) >= _UPLOAD_CHUNK:
                await asyncio.to_thread(issuer.store_upload_chunk, upload_id, chunks, bytes(pending))
                chunks += 1
                pending.clear()
        if form is not None:
            form.finish()
        if pending or chunks == 0:
            await asyncio.to_thread(issuer.store_upload_chunk, upload_id, chunks, bytes(pending))
        file_name = (name or (form.file_name if form is not None else None) or "upload")[:300]
        normalised, raw = digest.finish()
        job = await asyncio.to_thread(
            lambda: issuer.create_job(
                caller,
                file_name,
                normalised,
                raw_sha256=raw,
                rows_total=digest.expected_rows(file_name),
                upload_id=upload_id,
            )
        )
    except BaseException as exc:
        # Nothing of an upload that did not become a job stays behind (the client went away,
        # the body was too large, the database failed).
        await asyncio.shield(asyncio.to_thread(_discard_quietly, issuer, upload_id))
        if isinstance(exc, MultipartError):
            raise Invalid("bulk.bad_multipart", str(exc)) from None
        if isinstance(exc, ClientDisconnect):
            raise HttpError(400, "client_disconnected", "the upload was interrupted") from None
        raise
    state.bulk_runner.wake()
    return job


@router.get(
    "/v1/bulk/{job_id}",
    response_model=BulkJobResponse,
    tags=["bulk"],
    responses={k: ERRORS[k] for k in (401, 403, 404)},
)
def bulk_status(
    state: State,
    job_id: Annotated[int, PathParameter(ge=1, le=2**31 - 1)],  # an INTEGER key: no larger id exists
    caller: Annotated[Caller, Depends(caller_with("read"))],
    rows: bool = False,
) -> BulkJobResponse:
    job, results = state.service.job(caller, job_id)
    listed = [{"row": r.row_number, "uvci": r.uvci, "error": r.error} for r in results] if rows else None
    return _job_response(job, listed)


def _job_response(job: BulkJob, rows: list[dict[str, Any]] | None = None) -> BulkJobResponse:
    return BulkJobResponse(
        job_id=job.id,
        status=job.status,
        rows_done=job.rows_done,
        rows_issued=job.rows_issued,
        rows_rejected=job.rows_rejected,
        rows_total=job.rows_total,
        failure=job.failure,
        rows=rows,
    )


def _discard_quietly(issuer: IssuerService, upload_id: str) -> None:
    try:
        issuer.discard_upload(upload_id)
    except Exception as exc:  # the startup sweep deletes it later
        log.warning("could not delete an interrupted bulk upload now: %s", type(exc).__name__)

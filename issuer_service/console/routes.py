"""The web console's pages (server-rendered HTML): sign in, issue, search, view/print/revoke, bulk, dashboard.

Every page goes through the service's own issuance, revocation and bulk
paths, acting for the signed-in person's organisation (an
:class:`~issuer_service.auth.Caller` whose scopes are the account's roles).
Every form carries the session's CSRF token; personal data travels in POST
bodies, never in URLs, and is never logged.
"""

from __future__ import annotations

import asyncio
import csv
import hmac
import io
import logging
import re
import secrets
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from vaxcert import ValueSets, decode_unverified, qr
from vaxcert.hcert.valuesets import VACCINE_MANUFACTURER, VACCINE_PRODUCT
from vaxcert_apps.i18n import LANGUAGES, negotiate

from .. import search as finder
from ..documents import render_pdf
from ..errors import Invalid, NotFound, ServiceError, Unavailable
from ..models import Certificate, Organisation
from ..routes.bulk import receive_upload
from ..routes.context import AppState, HttpError, state_of
from . import accounts, charts
from .texts import LANGUAGE, current, text

log = logging.getLogger("vaxcert.console")
LANG_COOKIE = "vaxcert_lang"
LANG_COOKIE_SECONDS = 365 * 86400
# Per request: the language switched to just now (to remember in a cookie) and the page's own
# address (for the switch's links).
_SWITCHED: ContextVar[str | None] = ContextVar("vaxcert_console_switched", default=None)
_HERE: ContextVar[tuple[str, dict[str, str]]] = ContextVar("vaxcert_console_here", default=("/console", {}))


async def _language(request: Request) -> None:
    """The page's language: ``?lang=`` (the VI | EN switch), else its cookie, else Accept-Language, else vi.

    Async, so that the context variables it sets are seen by the route it runs before.
    """
    asked = request.query_params.get("lang", "")
    remembered = request.cookies.get(LANG_COOKIE, "")
    if asked in LANGUAGES:
        language = asked
    elif remembered in LANGUAGES:
        language = remembered
    else:
        language = negotiate(request.headers.get("accept-language"))
    LANGUAGE.set(language)
    _SWITCHED.set(asked if asked in LANGUAGES else None)
    others = {key: value for key, value in request.query_params.items() if key != "lang"}
    _HERE.set((request.url.path, others))


def _switch_url(language: str) -> str:
    path, query = _HERE.get()
    return f"{path}?{urlencode({**query, 'lang': language})}"


router = APIRouter(prefix="/console", include_in_schema=False, dependencies=[Depends(_language)])

SESSION_COOKIE = "vaxcert_console"
LOGIN_CSRF_COOKIE = "vaxcert_console_login"
_PACKAGE = Path(str(resources.files(__package__)))
_templates = Environment(
    loader=FileSystemLoader(_PACKAGE / "templates"), autoescape=select_autoescape(["html"]), auto_reload=False
)
_templates.globals["t"] = text
_templates.globals["lang"] = LANGUAGE.get
_templates.globals["languages"] = LANGUAGES
_templates.globals["switch_url"] = _switch_url
# dd/mm/yyyy in Vietnamese, "15 Apr 1990" in English; country codes as names
_templates.filters["ddmmyyyy"] = lambda value: (
    "" if not value else current().date(value.isoformat() if isinstance(value, date) else value)
)
_templates.filters["country"] = lambda value: current().country(value)
_templates.filters["urlquote"] = lambda value: quote(str(value), safe="")
# Pages hold personal data: never cached, never framed, scripts and styles only from here.
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
}
# The form's fields, and the DCC fields whose errors belong next to them.
_FIELD_OF = {
    "nam.fn": "fn",
    "nam.fnt": "fn",
    "nam.gn": "gn",
    "nam.gnt": "gn",
    "nam": "fn",
    "dob": "dob",
    "v.0.mp": "mp",
    "v.0.ma": "ma",
    "v.0.vp": "mp",
    "v.0.dn": "dn",
    "v.0.sd": "sd",
    "v.0.dt": "dt",
    "v.0.co": "co",
}
_VACCINE_PROPHYLAXIS = "1119349007"  # SARS-CoV-2 mRNA vaccine; the value set allows a generic antigen too


def install(app: FastAPI) -> None:
    """Add the console's pages and its packaged static files (CSS, the progress bar's script)."""
    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=_PACKAGE / "static"), name="console-static")


# ---------------------------------------------------------------------------------------- helpers


def _page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _templates.get_template(template).render(**context)
    response = HTMLResponse(html, status_code=status, headers={**_HEADERS, "Vary": "Accept-Language, Cookie"})
    switched = _SWITCHED.get()
    if switched is not None:
        response.set_cookie(LANG_COOKIE, switched, max_age=LANG_COOKIE_SECONDS, httponly=True, samesite="strict")
    return response


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=_HEADERS)


def _secure(request: Request, state: AppState) -> bool:
    return request.url.scheme == "https" or state.settings.public_url.startswith("https://")


async def _form(request: Request) -> dict[str, str]:
    """An url-encoded form (the body limit middleware bounds its size)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return {key: values[0] for key, values in parse_qs(body, keep_blank_values=True).items()}


async def _staff(request: Request) -> accounts.Staff | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    state = state_of(request)

    def lookup() -> accounts.Staff | None:
        with state.service.read_sessions() as session:
            return accounts.staff_for(session, token)

    return await asyncio.to_thread(lookup)


def _csrf_ok(staff: accounts.Staff, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(staff.csrf_token, presented or "")


def _refused(staff: accounts.Staff | None, key: str, status: int) -> HTMLResponse:
    return _page("error.html", status, staff=staff, message=text(key))


class _Gate:
    """The signed-in person for a page, or the response that replaces it (sign-in page, 403)."""

    def __init__(self, staff: accounts.Staff | None, response: Response | None) -> None:
        self.staff = staff
        self.response = response


async def _gate(request: Request, role: str, form: dict[str, str] | None = None) -> _Gate:
    staff = await _staff(request)
    if staff is None:
        return _Gate(None, _redirect("/console/login"))
    if form is not None and not _csrf_ok(staff, form.get("csrf") or request.headers.get("x-csrf-token")):
        return _Gate(staff, _refused(staff, "csrf", 403))
    if not staff.may(role):
        return _Gate(staff, _refused(staff, "forbidden", 403))
    return _Gate(staff, None)


def _service_error(staff: accounts.Staff, error: ServiceError) -> HTMLResponse:
    if isinstance(error, NotFound):
        return _refused(staff, "not_found", 404)
    if isinstance(error, Unavailable):
        return _refused(staff, "unavailable", 503)
    return _page("error.html", 422, staff=staff, message=f"{error.code}: {error.message}")


# ---------------------------------------------------------------------------------------- sign in


@router.get("")
async def home(request: Request) -> Response:
    staff = await _staff(request)
    return _redirect("/console/search" if staff else "/console/login")


@router.get("/login")
async def login_page(request: Request) -> Response:
    token = secrets.token_urlsafe(24)
    response = _page("login.html", csrf=token, error=None)
    _set_cookie(response, request, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    state = state_of(request)
    form = await _form(request)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, form.get("csrf", "")):
        return _page("error.html", 403, staff=None, message=text("csrf"))
    username, password = form.get("username", "").strip(), form.get("password", "")

    def attempt() -> tuple[str, str | None]:
        with state.service.store.transaction() as session:
            if accounts.rate_limited(session, username):
                return "rate_limited", None
            signed = accounts.sign_in(session, username, password)
            return ("ok", signed[0]) if signed else ("bad_login", None)

    outcome, token = await asyncio.to_thread(attempt)
    if token is None:
        status = 429 if outcome == "rate_limited" else 401
        return _page("login.html", status, csrf=cookie, error=text(outcome), username=username)
    response = _redirect("/console/search")
    _set_cookie(response, request, SESSION_COOKIE, token, max_age=int(accounts.SESSION_LIFETIME.total_seconds()))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await _form(request)
    gate = await _gate(request, "read", form)
    if gate.response is not None:
        return gate.response
    state = state_of(request)
    token = request.cookies.get(SESSION_COOKIE, "")

    def drop() -> None:
        with state.service.store.transaction() as session:
            accounts.sign_out(session, token)

    await asyncio.to_thread(drop)
    response = _redirect("/console/login")
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


def _set_cookie(response: Response, request: Request, name: str, value: str, *, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=_secure(request, state_of(request)),
    )


# ---------------------------------------------------------------------------------------- issue


def _choices(value_set: str) -> list[tuple[str, str]]:
    found = ValueSets.bundled().get(value_set)
    if found is None:
        return []
    return sorted(((code, entry.display) for code, entry in found.entries.items()), key=lambda item: item[1].lower())


@router.get("/issue")
async def issue_page(request: Request) -> Response:
    gate = await _gate(request, "issue")
    if gate.response is not None:
        return gate.response
    return _issue_form(gate.staff, {"co": "VN", "dn": "1", "sd": "2"}, {})


def _issue_form(
    staff: accounts.Staff | None, values: dict[str, str], errors: dict[str, list[str]], status: int = 200
) -> HTMLResponse:
    return _page(
        "issue.html",
        status,
        staff=staff,
        values=values,
        errors=errors,
        products=_choices(VACCINE_PRODUCT),
        manufacturers=_choices(VACCINE_MANUFACTURER),
        today=date.today().isoformat(),
    )


@router.post("/issue")
async def issue(request: Request) -> Response:
    form = await _form(request)
    gate = await _gate(request, "issue", form)
    if gate.response is not None or gate.staff is None:
        return gate.response or _redirect("/console/login")
    staff = gate.staff
    state = state_of(request)
    values = {key: form.get(key, "").strip() for key in ("fn", "gn", "dob", "mp", "ma", "dn", "sd", "dt", "co")}
    errors: dict[str, list[str]] = {}
    for field in ("fn", "dob", "mp", "ma", "dn", "sd", "dt", "co"):
        if not values[field]:
            errors.setdefault(field, []).append(text("required"))
    for field in ("dn", "sd"):
        if values[field] and not values[field].isdigit():
            errors.setdefault(field, []).append("Phải là số / Must be a number")
    if errors:
        return _issue_form(staff, values, errors, 422)
    payload: dict[str, Any] = {
        "ver": "1.3.0",
        "nam": {"fn": values["fn"], **({"gn": values["gn"]} if values["gn"] else {})},
        "dob": values["dob"],
        "v": [
            {
                "tg": "840539006",
                "vp": _VACCINE_PROPHYLAXIS,
                "mp": values["mp"],
                "ma": values["ma"],
                "dn": int(values["dn"]),
                "sd": int(values["sd"]),
                "dt": values["dt"],
                "co": values["co"].upper(),
                "is": state.settings.issuer_name,
            }
        ],
    }
    try:
        record = await asyncio.to_thread(state.service.issue, staff.caller, payload, None)
    except Invalid as exc:
        return _issue_form(staff, values, _field_errors(exc.message), 422)
    except ServiceError as exc:
        return _service_error(staff, exc)
    return _redirect(f"/console/certificate?uvci={quote(record.uvci, safe='')}&issued=1")


def _field_errors(message: str) -> dict[str, list[str]]:
    """``"dob: …; v.0.dt: …"`` (the service's messages) as errors per form field."""
    found: dict[str, list[str]] = {}
    for part in message.split("; "):
        field, _, reason = part.partition(": ")
        name = _FIELD_OF.get(field.strip(), "")
        if not name and field.startswith("v.0."):
            name = _FIELD_OF.get(".".join(field.split(".")[:3]), "")
        found.setdefault(name or "_form", []).append(reason if name else part)
    return found


# ---------------------------------------------------------------------------------------- search


@router.get("/search")
async def search_page(request: Request) -> Response:
    gate = await _gate(request, "read")
    if gate.response is not None:
        return gate.response
    return _page("search.html", staff=gate.staff, query="", results=None)


@router.post("/search")
async def search(request: Request) -> Response:
    form = await _form(request)
    gate = await _gate(request, "read", form)
    if gate.response is not None or gate.staff is None:
        return gate.response or _redirect("/console/login")
    staff = gate.staff
    state = state_of(request)
    entered = form.get("q", "")[:200]
    query = finder.parse_query(entered)

    def find() -> list[finder.Found]:
        if query is None:
            return []
        with state.service.read_sessions() as session:
            return finder.search(session, staff.caller.organisation_id, query)

    results = await asyncio.to_thread(find)
    return _page("search.html", staff=staff, query=entered, results=results)


# ---------------------------------------------------------------------------------------- one certificate


@router.get("/certificate")
async def certificate(request: Request, uvci: str = "", issued: int = 0) -> Response:
    gate = await _gate(request, "read")
    if gate.response is not None or gate.staff is None:
        return gate.response or _redirect("/console/login")
    staff = gate.staff
    state = state_of(request)
    try:
        record = await asyncio.to_thread(state.service.get, staff.caller, uvci, audit_as="console_view")
    except ServiceError as exc:
        return _service_error(staff, exc)
    dcc = decode_unverified(record.hc1).dcc
    name = dcc.get("nam") or {}
    entry: dict[str, Any] = next((dcc[group][0] for group in ("v", "t", "r") if dcc.get(group)), {})
    return _page(
        "certificate.html",
        staff=staff,
        record=record,
        name=" ".join(str(name.get(p) or "") for p in ("fn", "gn")).strip(),
        dob=str(dcc.get("dob") or ""),
        entry=entry,
        qr_svg=qr.encode_svg(record.hc1, 4),
        just_issued=bool(issued),
        error=None,
    )


@router.get("/certificate/pdf")
async def certificate_pdf(request: Request, uvci: str = "", reprint: int = 0) -> Response:
    gate = await _gate(request, "read")
    if gate.response is not None or gate.staff is None:
        return gate.response or _redirect("/console/login")
    staff = gate.staff
    state = state_of(request)
    audit_as = "console_reprint" if reprint else "console_print"
    try:
        record = await asyncio.to_thread(state.service.get, staff.caller, uvci, audit_as=audit_as)
    except ServiceError as exc:
        return _service_error(staff, exc)
    pdf = await asyncio.to_thread(render_pdf, record.hc1, state.settings.issuer_name)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={**_HEADERS, "Content-Disposition": 'inline; filename="certificate.pdf"'},
    )


@router.post("/certificate/revoke")
async def revoke(request: Request) -> Response:
    form = await _form(request)
    gate = await _gate(request, "revoke", form)
    if gate.response is not None or gate.staff is None:
        return gate.response or _redirect("/console/login")
    staff = gate.staff
    state = state_of(request)
    uvci, reason = form.get("uvci", ""), form.get("reason", "").strip()
    if not 3 <= len(reason) <= 200:
        return _page("error.html", 422, staff=staff, message=text("reason_short"))
    try:
        await asyncio.to_thread(state.service.revoke, staff.caller, uvci, reason)
    except ServiceError as exc:
        return _service_error(staff, exc)
    return _redirect(f"/console/certificate?uvci={quote(uvci, safe='')}")


# ---------------------------------------------------------------------------------------- bulk


@router.get("/bulk")
async def bulk_page(request: Request) -> Response:
    gate = await _gate(request, "issue")
    if gate.response is not None:
        return gate.response
    return _page("bulk.html", staff=gate.staff, error=None)


@router.post("/bulk")
async def bulk_upload(request: Request, csrf: str = "") -> Response:
    # multipart: the token comes in the query string (form action) or the X-CSRF-Token header
    gate = await _gate(request, "issue", {"csrf": csrf})
    if gate.response is not None or gate.staff is None:
        return gate.response or _redirect("/console/login")
    staff = gate.staff
    state = state_of(request)
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        return _page("bulk.html", 422, staff=staff, error=text("no_file"))
    try:
        job = await receive_upload(state, request, staff.caller, None)
    except (ServiceError, HttpError) as exc:
        return _page("bulk.html", 422, staff=staff, error=getattr(exc, "message", str(exc)))
    return _redirect(f"/console/bulk/{job.id}")


def _job(state: AppState, staff: accounts.Staff, job_id: int) -> dict[str, Any]:
    job, rows = state.service.job(staff.caller, job_id)
    return {
        "id": job.id,
        "file_name": job.file_name,
        "status": job.status,
        "rows_done": job.rows_done,
        "rows_issued": job.rows_issued,
        "rows_rejected": job.rows_rejected,
        "rows_total": job.rows_total,
        "failure": job.failure,
        "rows": [{"row": r.row_number, "uvci": r.uvci, "error": r.error} for r in rows],
    }


@router.get("/bulk/{job_id}")
async def bulk_job(request: Request, job_id: int) -> Response:
    gate = await _gate(request, "read")
    if gate.response is not None or gate.staff is None:
        return gate.response or _redirect("/console/login")
    state = state_of(request)
    try:
        job = await asyncio.to_thread(_job, state, gate.staff, job_id)
    except ServiceError as exc:
        return _service_error(gate.staff, exc)
    return _page("job.html", staff=gate.staff, job=job)


@router.get("/bulk/{job_id}/status")
async def bulk_status(request: Request, job_id: int) -> Response:
    gate = await _gate(request, "read")
    if gate.response is not None or gate.staff is None:
        return JSONResponse({"error": "unauthenticated"}, 401, headers=_HEADERS)
    state = state_of(request)
    try:
        job = await asyncio.to_thread(_job, state, gate.staff, job_id)
    except NotFound:
        return JSONResponse({"error": "not_found"}, 404, headers=_HEADERS)
    return JSONResponse(job, headers=_HEADERS)


@router.get("/bulk/{job_id}/rejects.csv")
async def bulk_rejects(request: Request, job_id: int) -> Response:
    gate = await _gate(request, "read")
    if gate.response is not None or gate.staff is None:
        return gate.response or _redirect("/console/login")
    state = state_of(request)
    try:
        job = await asyncio.to_thread(_job, state, gate.staff, job_id)
    except ServiceError as exc:
        return _service_error(gate.staff, exc)
    out = io.StringIO()
    writer = csv.writer(out)
    # Row numbers and reasons only, as `vaxcert-issuer bulk` writes them: the rows are in the user's file.
    writer.writerow(["row", "error"])
    writer.writerows((row["row"], row["error"]) for row in job["rows"] if row["error"])
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", job["file_name"]) or "upload"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={**_HEADERS, "Content-Disposition": f'attachment; filename="{name}.rejects.csv"'},
    )


# ---------------------------------------------------------------------------------------- dashboard


@router.get("/dashboard")
async def dashboard(request: Request, scope: str = "") -> Response:
    gate = await _gate(request, "read")
    if gate.response is not None or gate.staff is None:
        return gate.response or _redirect("/console/login")
    staff = gate.staff
    state = state_of(request)
    across = scope == "all" and staff.may("admin")
    reads = state.service.read_sessions
    counts = await asyncio.to_thread(counts_for_dashboard, reads, None if across else staff.caller.organisation_id)
    day_label, site_label, type_label = text("per_day"), text("per_site"), text("per_type")
    return _page(
        "dashboard.html",
        staff=staff,
        across=across,
        total=counts["total"],
        per_day=charts.columns(counts["days"], label=day_label),
        per_site=charts.bars(counts["sites"], label=site_label),
        per_type=charts.bars(counts["types"], label=type_label),
    )


def counts_for_dashboard(reads: sessionmaker[Session], organisation_id: int | None) -> dict[str, Any]:
    """Certificates of the last 30 days per day, per site (organisation) and per type: counts only.

    Every count covers the same 30 days, so a page reads a window of the index, not the whole
    table (all-time counts over a million rows took 2 s); one organisation's counts read only
    the (organisation_id, issued_at, certificate_type) index.
    """
    today = datetime.now(UTC).date()
    since = datetime.combine(today - timedelta(days=29), datetime.min.time(), UTC)
    scoped: list[Any] = [Certificate.issued_at >= since]
    if organisation_id is not None:
        scoped.append(Certificate.organisation_id == organisation_id)
    day = func.date(Certificate.issued_at)
    with reads() as session:
        by_day: dict[Any, int] = dict(session.execute(select(day, func.count()).where(*scoped).group_by(day)).all())
        # Counted per organisation id on its index, names looked up after: joining first would read every row.
        per_site = (
            session.execute(
                select(Certificate.organisation_id, func.count())
                .where(*scoped)
                .group_by(Certificate.organisation_id)
                .order_by(func.count().desc())
                .limit(20)
            )
            .tuples()
            .all()
        )
        names = dict(
            session.execute(
                select(Organisation.id, Organisation.name).where(Organisation.id.in_([i for i, _ in per_site]))
            )
            .tuples()
            .all()
        )
        by_site = [(names.get(organisation, "?"), count) for organisation, count in per_site]
        by_type = dict(
            session.execute(
                select(Certificate.certificate_type, func.count()).where(*scoped).group_by(Certificate.certificate_type)
            ).all()
        )
    days = []
    for offset in range(30):
        moment = today - timedelta(days=29 - offset)
        count = by_day.get(moment.isoformat()) or by_day.get(moment) or 0  # text on SQLite, a date on PostgreSQL
        days.append((moment.strftime("%d/%m"), int(count)))
    types = [(text(f"type_{kind}"), int(by_type.get(kind, 0))) for kind in ("v", "t", "r")]
    return {
        "days": days,
        "sites": [(str(name), int(count)) for name, count in by_site],
        "types": types,
        "total": sum(count for _, count in types),
    }

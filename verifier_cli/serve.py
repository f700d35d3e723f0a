"""``vaxcert-verify serve``: the checkpoint scanner page, served by this process on 127.0.0.1.

The standard library's threading HTTP server is enough for one checkpoint's page and keeps
the verifier free of a web framework (and its import time).  Camera frames are posted to
this process, which reads them with zxing-cpp (the library the verifier already has), so
the page needs no vendored decoder; everything the page loads ships in ``static/``.

Privacy: nothing about a scanned person is stored here.  A verdict is computed, sent and
forgotten; only a count per status is kept, in memory; no request is logged.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import hashlib
import html
import json
import re
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qs, urlsplit

from vaxcert import Policy, TrustStore, VaxcertError, qr, trustlist, verify_credential
from vaxcert.dispatch import MAX_INPUT_BYTES
from vaxcert.hcert.credential import dcc_trust_store
from vaxcert.hcert.valuesets import ValueSets
from vaxcert.registry import TrustRegistry
from vaxcert.summary import CredentialReport, Status
from vaxcert_apps.cli import EXIT_OK
from vaxcert_apps.i18n import LANGUAGES, Translator, negotiate, resolve_language, translator
from vaxcert_apps.render import INCOMPLETE_SCAN_CODES

from . import scanner_text as words
from .main import (
    UsageError,
    _load_registry,
    _load_rules,
    _load_trust,
    _load_value_sets,
    _policy,
    _signed_list,
    _with_trust_list,
)
from .trust_cache import LIST_FILE, REVOCATION_FILE, RULES_FILE, TrustCache, default_cache_dir

__all__ = ["LiveScanner", "Scanner", "create_server", "serve_command"]

MAX_FRAME_BYTES = 4 * 1024 * 1024  # a 1080p JPEG is well under 1 MB
MAX_CHUNKS = 32
RELOAD_CHECK_SECONDS = 5.0
AMBER = frozenset({Status.RULES_NOT_MET, Status.REVOCATION_UNKNOWN})
STATIC = {
    "/scanner.js": ("scanner.js", "text/javascript; charset=utf-8"),
    "/scanner.css": ("scanner.css", "text/css; charset=utf-8"),
}
# The page may talk to this process only: no CDN, no font service, no analytics.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob: mediastream:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",  # verdicts carry names: never in the browser's cache
}
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
LANG_COOKIE = "lang"
LANG_COOKIE_SECONDS = 365 * 86400
_SLOT = re.compile(r"\{\{(\w+)\}\}")


@dataclass(frozen=True)
class ListInfo:
    """What the page shows about one list: its name, whether it can be relied on, and its age."""

    name: str
    state: str  # "ok", "stale" or "missing"
    detail: str


class Scanner:
    """One verification setup (trust, revocation list, rules) and the counts of what it saw."""

    def __init__(
        self,
        registry: TrustRegistry,
        hcert_trust: TrustStore,
        policy: Policy,
        value_sets: ValueSets | None = None,
        trust_list: trustlist.VerifiedTrustList | None = None,
        rules_file: Path | None = None,
    ) -> None:
        self.registry = registry
        self.hcert_trust = hcert_trust
        self.policy = policy
        self.value_sets = value_sets
        self.trust_list = trust_list
        self.rules_file = rules_file
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def verify(
        self, scanned: str | bytes | list[str], at: datetime | None = None, t: Translator | None = None
    ) -> dict[str, Any]:
        """The verdict the page shows for one scanned code (its chunks, for a chunked SMART Health Card)."""
        credential = verify_credential(
            scanned,
            self.registry,
            at=at or datetime.now(UTC),
            hcert_trust=self.hcert_trust,
            policy=self.policy,
            value_sets=self.value_sets,
        )
        with self._lock:
            self._counts[str(credential.status)] += 1
        return self.verdict(credential, t or translator())

    def verdict(self, credential: CredentialReport, t: Translator) -> dict[str, Any]:
        tone = "green" if credential.valid else "amber" if credential.status in AMBER else "red"
        warnings: list[str] = []
        if credential.format == "hcert" and credential.status in (Status.VERIFIED, Status.RULES_NOT_MET):
            if self.policy.revocations is None:
                warnings.append(t.gettext(words.NOT_CHECKED_REVOCATION))
            if self.policy.rules is None:
                warnings.append(t.gettext(words.NOT_CHECKED_RULES))
        holder = credential.holder
        return {
            "tone": tone,
            "headline": t.gettext(words.HEADLINE[tone]),
            "status": str(credential.status),
            "status_text": t.status(credential.status),
            "reason": None if credential.valid else _reason(credential, t),
            "code": credential.code,
            "message": None if credential.valid else credential.message,
            "format": words.FORMAT_NAMES[credential.format],
            "untrusted": None
            if credential.valid or (holder is None and not credential.events)
            else t.gettext(words.NOT_TRUSTWORTHY),
            "holder": None
            if holder is None
            else {"name": holder.name[:200], "birth_date": t.date(holder.birth_date) if holder.birth_date else "?"},
            "events": [_event(event, t) for event in credential.events[:20]],
            "warnings": warnings,
        }

    def share_counts(self, previous: Scanner) -> None:
        """Keep counting where ``previous`` (the setup this one replaces) left off."""
        self._counts, self._lock = previous._counts, previous._lock

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def lists(self, at: datetime | None = None, t: Translator | None = None) -> list[ListInfo]:
        t = t or translator()
        moment = at or datetime.now(UTC)
        found: list[ListInfo] = []
        if self.trust_list is None:
            found.append(ListInfo(t.gettext(words.TRUST_LIST), "missing", t.gettext(words.NO_TRUST_LIST)))
        else:
            content = self.trust_list.content
            found.append(
                _dated(words.TRUST_LIST, content.issued_at, content.next_update, moment, self.trust_list.sequence, t)
            )
        revocations = self.policy.revocations
        if revocations is None:
            found.append(ListInfo(t.gettext(words.REVOCATION_LIST), "missing", t.gettext(words.NOT_CHECKED_REVOCATION)))
        else:
            found.append(
                _dated(
                    words.REVOCATION_LIST,
                    revocations.issued_at,
                    revocations.next_update,
                    moment,
                    revocations.sequence,
                    t,
                )
            )
        if self.policy.rules is None:
            found.append(ListInfo(t.gettext(words.RULES), "missing", t.gettext(words.NOT_CHECKED_RULES)))
        else:
            count = len(self.policy.rules.rules)
            dated = "?"
            if self.rules_file is not None:
                with contextlib.suppress(OSError):
                    dated = t.date(datetime.fromtimestamp(self.rules_file.stat().st_mtime, UTC).date().isoformat())
            loaded = t.gettext(words.LOADED).format(count=count, date=dated)
            found.append(ListInfo(t.gettext(words.RULES), "ok", loaded))
        return found

    def status(self, at: datetime | None = None, t: Translator | None = None) -> dict[str, Any]:
        t = t or translator()
        lists = self.lists(at, t)
        counts = self.counts()
        valid = counts.get(str(Status.VERIFIED), 0)
        invalid = sum(counts.values()) - valid
        return {
            "lists": [{"name": info.name, "state": info.state, "detail": info.detail} for info in lists],
            "alarm": any(info.state != "ok" for info in lists),
            "counts": counts,
            "counts_text": t.gettext(words.COUNTS).format(valid=valid, invalid=invalid),
            "texts": words.page_texts(t),
            "lang": t.language,
        }


def _dated(name: str, issued: datetime, due: datetime, moment: datetime, sequence: int, t: Translator) -> ListInfo:
    shown = t.gettext(name)
    due_text = t.date(due)
    if moment > due:
        return ListInfo(shown, "stale", t.gettext(words.STALE_WARNING).format(name=shown, due=due_text))
    age = words.age_text((moment - issued).total_seconds(), t)
    issued_ago = t.gettext(words.ISSUED_AGO).format(age=age)
    return ListInfo(shown, "ok", f"#{sequence}, {issued_ago}, {t.gettext(words.DUE).format(due=due_text)}")


def _reason(credential: CredentialReport, t: Translator) -> str:
    # A code cut short can surface as a bad Base45 length or as truncated zlib data, depending on
    # where the cut fell: both mean the same to the officer.
    if credential.code in INCOMPLETE_SCAN_CODES:
        return t.gettext(words.INCOMPLETE_SCAN)
    reason = words.REASONS.get(credential.status)
    return t.gettext(reason) if reason is not None else t.status(credential.status)


def _event(event: Any, t: Translator) -> dict[str, Any]:
    parts: list[str] = []
    if event.dose is not None:
        parts.append(t.gettext(words.DOSE).format(dose=event.dose))
    parts.append(t.date(event.date) if event.date else "?")
    if event.country:
        parts.append(t.country(event.country))
    if event.product:
        parts.append(str(event.product)[:80])
    result = words.RESULT_NAMES.get(str(event.result).lower()) if event.result else None
    return {
        "type": t.gettext(words.EVENT_NAMES[event.type]),
        "details": " · ".join(parts),
        "result": t.gettext(result) if result else (str(event.result)[:40] if event.result else None),
    }


def scanner_from_args(args: argparse.Namespace) -> Scanner:
    """The verification setup 'serve' uses: the same options as 'verify', with the cache's lists by default."""
    clock = datetime.now(UTC)
    cache = TrustCache(args.cache_dir or default_cache_dir())
    trust = _load_trust(args.trust_cert)
    registry = _load_registry(args)
    source = args.trust_list or ("cached" if cache.has("trust") else None)
    checked = None
    if source is not None:
        checked = _signed_list(source, cache, "trust", args.anchor)
        args.trust_list = source
        trust, registry = _with_trust_list(trust, registry, args, clock, checked)
    policy = _policy(args)
    rules_file = Path(args.rules) if args.rules and not args.rules.startswith(("http://", "https://")) else None
    if policy.rules is None and (cache.folder / RULES_FILE).is_file():
        # The rules fetched last with 'verify --rules URL' are the checkpoint's rules until replaced.
        rules_file = cache.folder / RULES_FILE
        policy = Policy(
            rules=_load_rules(str(rules_file), cache),
            arrival_country=policy.arrival_country,
            revocations=policy.revocations,
            allow_stale_revocations=policy.allow_stale_revocations,
        )
    elif args.rules and rules_file is None:
        rules_file = cache.folder / RULES_FILE
    value_sets = _load_value_sets(args.value_sets)
    return Scanner(registry, dcc_trust_store(registry, trust), policy, value_sets, checked, rules_file)


class LiveScanner:
    """The scanner setup, rebuilt when 'vaxcert-verify trust update' (or a new rules fetch) changes the cache.

    A checkpoint leaves the page running for days while a daily job refreshes the lists; the
    cache files' modification times are looked at no more than every :data:`RELOAD_CHECK_SECONDS`.
    The counts carry over.  A cache that no longer loads keeps the previous setup.
    """

    def __init__(self, args: argparse.Namespace) -> None:
        self._args = copy.copy(args)
        self._scanner = scanner_from_args(self._args)
        # Reloads read the cache only: a URL given at start was fetched into it just now.
        for option in ("trust_list", "revocation_list"):
            if str(getattr(self._args, option) or "").startswith(("http://", "https://")):
                setattr(self._args, option, "cached")
        if str(self._args.rules or "").startswith(("http://", "https://")):
            self._args.rules = str(self._cache_folder / RULES_FILE)
        self._stamps = self._cache_stamps()
        self._checked = time.monotonic()
        self.default_language = resolve_language(getattr(args, "lang", None))
        self._lock = threading.Lock()

    @property
    def _cache_folder(self) -> Path:
        return Path(self._args.cache_dir or default_cache_dir())

    def _cache_stamps(self) -> tuple[int | None, ...]:
        stamps: list[int | None] = []
        for name in (LIST_FILE, REVOCATION_FILE, RULES_FILE):
            try:
                stamps.append((self._cache_folder / name).stat().st_mtime_ns)
            except OSError:
                stamps.append(None)
        return tuple(stamps)

    def current(self) -> Scanner:
        if time.monotonic() - self._checked < RELOAD_CHECK_SECONDS:
            return self._scanner
        with self._lock:
            self._checked = time.monotonic()
            stamps = self._cache_stamps()
            if stamps != self._stamps:
                self._stamps = stamps
                try:
                    fresh = scanner_from_args(copy.copy(self._args))
                except (VaxcertError, UsageError):
                    return self._scanner  # a half-written or rejected list: keep verifying with the last good one
                fresh.share_counts(self._scanner)
                self._scanner = fresh
        return self._scanner


def create_server(scanner: LiveScanner, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """A server for the page; call ``serve_forever()`` (tests run it in a thread)."""
    server = ThreadingHTTPServer((host, port), _Handler)
    server.daemon_threads = True
    server.scanner = scanner  # type: ignore[attr-defined]
    server.default_language = scanner.default_language  # type: ignore[attr-defined]
    return server


def serve_command(args: argparse.Namespace, out: TextIO) -> int:
    live = LiveScanner(args)
    scanner = live.current()
    server = create_server(live, args.host, args.port)
    host, port = str(server.server_address[0]), int(server.server_address[1])
    shown = f"[{host}]" if ":" in host else host
    out.write(f"vaxcert-verify: scanner page on http://{shown}:{port}/ (Ctrl+C to stop)\n")
    for info in scanner.lists(t=translator(live.default_language)):
        if info.state != "ok":
            print(f"vaxcert-verify: warning: {info.detail}", file=sys.stderr)
    out.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return EXIT_OK


class _Handler(BaseHTTPRequestHandler):
    server_version = "vaxcert-scanner"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    @property
    def scanner(self) -> Scanner:
        return self.server.scanner.current()  # type: ignore[attr-defined,no-any-return]

    def log_message(self, format: str, *args: Any) -> None:
        """No access log: a checkpoint's request log would be a log of crossings."""

    def do_GET(self) -> None:
        if not self._local_request():
            return
        path = urlsplit(self.path).path
        if path == "/":
            self._page()
        elif path in STATIC:
            name, content_type = STATIC[path]
            body = resources.files("verifier_cli").joinpath("static", name).read_bytes()
            self._send(HTTPStatus.OK, body, content_type)
        elif path == "/api/status":
            self._json(HTTPStatus.OK, self.scanner.status(t=self._translator()))
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": "not_found"})

    def do_POST(self) -> None:
        if not self._local_request():
            return
        path = urlsplit(self.path).path
        limit = MAX_FRAME_BYTES if path == "/api/frame" else MAX_INPUT_BYTES
        body = self._body(limit)
        if body is None:
            return
        try:
            if path == "/api/verify":
                self._json(HTTPStatus.OK, self._verify_text(body))
            elif path == "/api/frame":
                self._json(HTTPStatus.OK, self._frame(body))
            else:
                self._json(HTTPStatus.NOT_FOUND, {"error": "not_found"})
        except Exception as exc:  # one bad scan must not stop the checkpoint; its text could quote the code
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"internal.unexpected ({type(exc).__name__})"})

    def _verify_text(self, body: bytes) -> dict[str, Any]:
        # One code per line: a single code, or every chunk of a chunked SMART Health Card.
        lines = [line.strip() for line in body.decode("utf-8", "replace").splitlines() if line.strip()]
        if not lines:
            return {"found": False}
        if len(lines) > MAX_CHUNKS:
            lines = lines[: MAX_CHUNKS + 1]  # reported as a bad chunk set by the SHC stage, not read whole
        scanned: str | list[str] = lines[0] if len(lines) == 1 else lines
        return {"found": True, "verdict": self.scanner.verify(scanned, t=self._translator())}

    def _frame(self, body: bytes) -> dict[str, Any]:
        try:
            scanned = qr.decode_payload(body)
        except VaxcertError:
            return {"found": False}  # most frames hold no code yet: the page sends the next one
        if isinstance(scanned, str) and _is_chunk(scanned):
            return {"found": True, "chunk": scanned}  # the page gathers the chunks and posts them together
        # The code stays in front of the camera after its verdict: the page sends the id of the
        # code on screen, and the same code is neither verified nor counted again.
        raw = scanned.encode("utf-8") if isinstance(scanned, str) else scanned
        scan_id = hashlib.sha256(raw).hexdigest()[:16]
        if self.headers.get("X-Shown-Scan") == scan_id:
            return {"found": True, "same": True}
        return {"found": True, "scan_id": scan_id, "verdict": self.scanner.verify(scanned, t=self._translator())}

    def _chosen_language(self) -> tuple[str, bool]:
        """``?lang=`` (the page's switch, remembered in a cookie), else the cookie, else Accept-Language.

        The second value says whether the switch was used just now, so the cookie is set.
        """
        asked = parse_qs(urlsplit(self.path).query).get("lang", [""])[0]
        if asked in LANGUAGES:
            return asked, True
        try:
            cookie = SimpleCookie(self.headers.get("Cookie") or "")
        except CookieError:
            cookie = SimpleCookie()
        morsel = cookie.get(LANG_COOKIE)
        if morsel is not None and morsel.value in LANGUAGES:
            return morsel.value, False
        return negotiate(self.headers.get("Accept-Language"), self.server.default_language), False  # type: ignore[attr-defined]

    def _translator(self) -> Translator:
        return translator(self._chosen_language()[0])

    def _page(self) -> None:
        language, switched = self._chosen_language()
        t = translator(language)
        template = resources.files("verifier_cli").joinpath("static", "scanner.html").read_text(encoding="utf-8")
        slots = {key: html.escape(t.gettext(message)) for key, message in words.HTML.items()}
        slots["lang"] = language
        for code in LANGUAGES:
            slots[f"current_{code}"] = ' aria-current="true"' if code == language else ""
        body = _SLOT.sub(lambda match: slots.get(match.group(1), ""), template).encode("utf-8")
        extra = {}
        if switched:
            extra["Set-Cookie"] = (
                f"{LANG_COOKIE}={language}; Path=/; Max-Age={LANG_COOKIE_SECONDS}; SameSite=Strict; HttpOnly"
            )
        self._send(HTTPStatus.OK, body, "text/html; charset=utf-8", extra)

    def _body(self, limit: int) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._json(HTTPStatus.LENGTH_REQUIRED, {"error": "length_required"})
            return None
        if length < 0 or length > limit:
            self.close_connection = True
            self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "too_large"})
            return None
        return self.rfile.read(length)

    def _local_request(self) -> bool:
        """Refuse requests for another host name (DNS rebinding) and posts from other sites' pages."""
        bound = str(self.server.server_address[0])  # type: ignore[index]
        if bound in LOOPBACK_NAMES or bound.startswith("127."):
            host = urlsplit("//" + (self.headers.get("Host") or "")).hostname or ""
            origin = self.headers.get("Origin")
            origin_host = urlsplit(origin).hostname if origin else None
            if host not in LOOPBACK_NAMES and not host.startswith("127."):
                self._json(HTTPStatus.FORBIDDEN, {"error": "host_not_allowed"})
                return False
            if origin is not None and origin_host not in LOOPBACK_NAMES and not str(origin_host).startswith("127."):
                self._json(HTTPStatus.FORBIDDEN, {"error": "origin_not_allowed"})
                return False
        return True

    def _json(self, status: HTTPStatus, document: dict[str, Any]) -> None:
        self._send(status, json.dumps(document, ensure_ascii=False).encode("utf-8"), "application/json")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in {**SECURITY_HEADERS, **(extra or {}), "Vary": "Accept-Language, Cookie"}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def _is_chunk(text: str) -> bool:
    """A part of a chunked SMART Health Card (``shc:/1/3/…``), which needs its siblings."""
    parts = text.strip().split("/", 3)
    return len(parts) == 4 and parts[0].lower() == "shc:" and parts[2].isdigit() and parts[2] != "1"

"""The verifier's local trust state: pinned anchors and the last good trust list.

Layout of the cache folder (``--cache-dir``, ``$VAXCERT_HOME`` or
``~/.local/share/vaxcert``)::

    anchors/*.pem          pinned trust-list signer certificates
    trust-list.cose        the last list that verified
    trust-list.json        where it came from: url, etag, last_modified, sequence, fetched_at
    revocation-list.cose   the last revocation list that verified (and revocation-list.json);
                           ``verify`` uses it by default
    rules.json             the last rules fetched with ``verify --rules URL``

A list is only written after it verified against the pinned anchors and its
sequence number is not below the cached one; the write is atomic, so a failed
or truncated download never destroys the last good list.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vaxcert import DocumentSignerCertificate, trustlist
from vaxcert.hcert import revocation
from vaxcert.registry import TrustRegistry
from vaxcert.trustlist import TrustListError
from vaxcert_apps.files import write_atomically

if TYPE_CHECKING:
    import httpx

LIST_FILE = "trust-list.cose"
META_FILE = "trust-list.json"
RULES_FILE = "rules.json"
REVOCATION_FILE = "revocation-list.cose"
MAX_LIST_BYTES = 64 * 1024 * 1024
HTTP_TIMEOUT = 30.0


def default_cache_dir() -> Path:
    home = os.environ.get("VAXCERT_HOME")
    if home:
        return Path(home)
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "vaxcert"


@dataclass(frozen=True)
class _CachedKind:
    name: str
    list_file: str
    meta_file: str
    verify_sequence: Callable[[bytes, list[DocumentSignerCertificate], int | None], int]


_KINDS = {
    "trust": _CachedKind(
        "trust list",
        LIST_FILE,
        META_FILE,
        lambda data, anchors, minimum: trustlist.verify(data, anchors, minimum_sequence=minimum).sequence,
    ),
    "revocation": _CachedKind(
        "revocation list",
        REVOCATION_FILE,
        "revocation-list.json",
        lambda data, anchors, minimum: revocation.verify(data, anchors, minimum_sequence=minimum).sequence,
    ),
}


@dataclass(frozen=True)
class CachedRegistry:
    """A cached list's multi-framework trust, with what a verdict needs to know about its age."""

    registry: TrustRegistry
    sequence: int
    next_update: datetime

    @classmethod
    def of(cls, checked: trustlist.VerifiedTrustList) -> CachedRegistry:
        return cls(checked.registry(), checked.sequence, checked.content.next_update)

    def is_stale(self, at: datetime) -> bool:
        """After ``next_update`` the list may be out of date; the HCERT policy fails closed then."""
        return at > self.next_update


def cached_registry(cache_dir: Path | None = None, extra_anchors: list[Path] | None = None) -> CachedRegistry:
    """The trust registry of the list cached in ``cache_dir`` (default: :func:`default_cache_dir`).

    For ``vaxcert-verify verify`` of non-HCERT formats; the list is re-verified against
    the pinned anchors (and ``extra_anchors``) on every call, as :meth:`TrustCache.load` does.
    """
    return TrustCache(cache_dir or default_cache_dir()).load_registry(extra_anchors)


@dataclass(frozen=True)
class UpdateResult:
    changed: bool
    sequence: int
    message: str


class TrustCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @property
    def anchor_dir(self) -> Path:
        return self.folder / "anchors"

    def anchors(self, extra: list[Path] | None = None) -> list[DocumentSignerCertificate]:
        paths = sorted(self.anchor_dir.glob("*.pem")) if self.anchor_dir.is_dir() else []
        return [DocumentSignerCertificate.load(path) for path in [*paths, *(extra or [])]]

    def pin(self, anchor: Path) -> DocumentSignerCertificate:
        certificate = DocumentSignerCertificate.load(anchor)
        self.anchor_dir.mkdir(parents=True, exist_ok=True)
        target = self.anchor_dir / f"{certificate.kid.hex()}.pem"
        write_atomically(target, certificate.pem().encode("ascii"))
        return certificate

    def metadata(self, kind: str = "trust") -> dict[str, Any]:
        try:
            loaded = json.loads((self.folder / _KINDS[kind].meta_file).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def has(self, kind: str = "trust") -> bool:
        """Whether a list of this kind (``"trust"`` or ``"revocation"``) is cached at all."""
        return (self.folder / _KINDS[kind].list_file).is_file()

    def load(self, extra_anchors: list[Path] | None = None) -> trustlist.VerifiedTrustList:
        """The cached trust list, re-verified (the cache folder is not trusted more than the network)."""
        return trustlist.verify(self._cached("trust"), self.anchors(extra_anchors))

    def load_registry(self, extra_anchors: list[Path] | None = None) -> CachedRegistry:
        """The cached list's keys of every framework (SHC, ICAO, DIVOC, DCC), re-verified.

        Raises :class:`TrustListError` (``trust.no_cache``, ``trustlist.*``) like :meth:`load`.
        """
        return CachedRegistry.of(self.load(extra_anchors))

    def load_revocations(self, extra_anchors: list[Path] | None = None) -> revocation.RevocationList:
        """The cached revocation list, re-verified."""
        return revocation.verify(self._cached("revocation"), self.anchors(extra_anchors))

    def update(
        self, source: str, extra_anchors: list[Path] | None = None, client: httpx.Client | None = None
    ) -> UpdateResult:
        return self._update("trust", source, extra_anchors, client)

    def update_revocations(
        self, source: str, extra_anchors: list[Path] | None = None, client: httpx.Client | None = None
    ) -> UpdateResult:
        return self._update("revocation", source, extra_anchors, client)

    def _cached(self, kind: str) -> bytes:
        try:
            return (self.folder / _KINDS[kind].list_file).read_bytes()
        except OSError:
            raise TrustListError(f"{kind}.no_cache", f"no {_KINDS[kind].name} cached in {self.folder}") from None

    def _update(
        self, kind: str, source: str, extra_anchors: list[Path] | None, client: httpx.Client | None
    ) -> UpdateResult:
        spec = _KINDS[kind]
        anchors = self.anchors(extra_anchors)
        meta = self.metadata(kind)
        cached_sequence = meta.get("sequence") if isinstance(meta.get("sequence"), int) else None
        headers: dict[str, str] = {}
        if source.startswith(("http://", "https://")):
            if meta.get("source") == source:
                if meta.get("etag"):
                    headers["If-None-Match"] = str(meta["etag"])
                if meta.get("last_modified"):
                    headers["If-Modified-Since"] = str(meta["last_modified"])
            response = _fetch(source, headers, client)
            if response.status == 304 and cached_sequence is not None:
                self._write_meta(kind, {**meta, "checked_at": _now()})
                return UpdateResult(False, cached_sequence, f"{spec.name} #{cached_sequence} is current (not modified)")
            if response.status != 200:
                raise TrustListError("trustlist.download_failed", f"{source} answered HTTP {response.status}")
            data, etag, last_modified = response.content, response.etag, response.last_modified
        else:
            try:
                data = Path(source).read_bytes()
            except OSError as exc:
                raise TrustListError("trustlist.download_failed", f"cannot read {source}: {exc.strerror}") from None
            etag = last_modified = None
        sequence = spec.verify_sequence(data, anchors, cached_sequence)
        if sequence == cached_sequence and self._holds(kind, data):
            # Sources without ETag/Last-Modified (files, some servers) send the same list again.
            self._write_meta(kind, {**meta, "checked_at": _now()})
            return UpdateResult(False, sequence, f"{spec.name} #{sequence} is current (unchanged, nothing stored)")
        write_atomically(self.folder / spec.list_file, data)
        self._write_meta(
            kind,
            {
                "source": source,
                "etag": etag,
                "last_modified": last_modified,
                "sequence": sequence,
                "fetched_at": _now(),
                "checked_at": _now(),
            },
        )
        return UpdateResult(sequence != cached_sequence, sequence, f"{spec.name} #{sequence} stored in {self.folder}")

    def _holds(self, kind: str, data: bytes) -> bool:
        try:
            return (self.folder / _KINDS[kind].list_file).read_bytes() == data
        except OSError:
            return False

    def _write_meta(self, kind: str, meta: dict[str, Any]) -> None:
        write_atomically(self.folder / _KINDS[kind].meta_file, json.dumps(meta, indent=2).encode("utf-8"))


@dataclass(frozen=True)
class _Fetched:
    status: int
    content: bytes
    etag: str | None
    last_modified: str | None


def _fetch(url: str, headers: dict[str, str], client: httpx.Client | None) -> _Fetched:
    import httpx  # only the update path needs it; keeps the verifier's start fast

    owned = client is None
    http = client or httpx.Client(timeout=HTTP_TIMEOUT, follow_redirects=True)
    try:
        with http.stream("GET", url, headers=headers) as response:
            chunks = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_LIST_BYTES:
                    raise TrustListError("trustlist.too_large", f"{url} sent more than {MAX_LIST_BYTES} bytes")
                chunks.append(chunk)
            return _Fetched(
                response.status_code,
                b"".join(chunks),
                response.headers.get("ETag"),
                response.headers.get("Last-Modified"),
            )
    except httpx.HTTPError as exc:
        raise TrustListError("trustlist.download_failed", f"cannot fetch {url}: {exc}") from None
    finally:
        if owned:
            http.close()


def load_source(source: str, anchors: list[DocumentSignerCertificate]) -> trustlist.VerifiedTrustList:
    """A list named on the command line (file path), verified but not cached."""
    try:
        data = Path(source).read_bytes()
    except OSError as exc:
        raise TrustListError("trustlist.unreadable", f"cannot read {source}: {exc.strerror}") from None
    return trustlist.verify(data, anchors)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")

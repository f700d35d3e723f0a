"""Bulk files: their identity (a digest of a normalised form), their rows, and multipart uploads.

No web framework and no database here; see ``spec/bulk.md`` for the formats.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

CSV_COLUMNS = ("fn", "gn", "dob", "tg", "vp", "mp", "ma", "dn", "sd", "dt", "co", "is")
_TRAILING = b" \t\r"


class FileDigest:
    """SHA-256 of a file's normalised form, fed chunk by chunk.

    The normalised form drops trailing blanks and tabs of every line, ``\\r`` of
    CRLF line ends and blank lines at the end of the file, so the same records
    saved by another editor (Windows line ends, stray spaces) are the same job.
    A file that is already normal hashes to its plain SHA-256, which keeps the
    identity of jobs recorded before normalisation existed.  It works on
    bytes and never holds more than the current chunk plus the whitespace
    run at its end.
    """

    def __init__(self) -> None:
        self._normal = hashlib.sha256()
        self._raw = hashlib.sha256()
        self._started = False  # the current line has content
        self._pending_space = bytearray()  # whitespace after the current line's content so far
        self._blank_lines = 0  # blank lines seen since the last line with content
        self.lines = 0  # lines with content
        self.first_byte = b""

    def update(self, chunk: bytes) -> None:
        self._raw.update(chunk)
        pieces = chunk.split(b"\n")
        for index, piece in enumerate(pieces):
            if piece:
                self._segment(piece)
            if index < len(pieces) - 1:
                self._end_line()

    def _segment(self, piece: bytes) -> None:
        content = piece.rstrip(_TRAILING)
        if not content:
            # Whitespace the next piece decides about: a line's indentation cut off by a chunk
            # boundary (kept when content follows), or its trailing blanks (dropped at the line end).
            self._pending_space += piece
            return
        if not self._started:
            if self._blank_lines:
                self._normal.update(b"\n" * self._blank_lines)
                self._blank_lines = 0
            self._started = True
            self.lines += 1
            if not self.first_byte:
                self.first_byte = content.lstrip()[:1]
        if self._pending_space:
            self._normal.update(bytes(self._pending_space))
        self._normal.update(content)
        self._pending_space = bytearray(piece[len(content) :])

    def _end_line(self) -> None:
        if self._started:
            self._normal.update(b"\n")
        else:
            self._blank_lines += 1
        self._started = False
        self._pending_space = bytearray()

    def finish(self) -> tuple[str, str]:
        """(normalised digest, raw digest); call once, after the last chunk."""
        if self._started:
            self._normal.update(b"\n")
            self._started = False
        return self._normal.hexdigest(), self._raw.hexdigest()

    def expected_rows(self, file_name: str) -> int:
        """Rows the file should yield: lines with content, less the header of a CSV."""
        if is_ndjson(self.first_byte.decode("latin-1"), file_name):
            return self.lines
        return max(self.lines - 1, 0)


def is_ndjson(first_line: str, file_name: str) -> bool:
    return first_line.lstrip().startswith("{") or file_name.endswith((".ndjson", ".jsonl"))


def normalised_lines(stream: Iterable[str]) -> Iterator[str]:
    """Lines as the digest sees them: trailing whitespace and CR removed, one ``\\n`` each."""
    for line in stream:
        yield line.rstrip(" \t\r\n") + "\n"


def parse_rows(lines: Iterator[str], file_name: str) -> Rows:
    """Rows of an NDJSON file (one DCC payload per line) or a CSV of vaccinations (see spec/bulk.md).

    A row given as text is that row's error.  Error texts name columns and
    positions, never a value: they end up in the job's results and in
    rejects files.  A file the CSV reader cannot read at all raises
    ``csv.Error``; the caller fails the job with that reason.
    """
    return Rows(lines, file_name)


class Rows(Iterator[tuple[int, dict[str, Any] | str]]):
    """The rows of a file, parsed as they are iterated; or, once, with NDJSON lines left unparsed.

    :meth:`unparsed` is for a reader that hands rows to other processes: an
    NDJSON line goes out as its UTF-8 bytes and is parsed (:func:`json_row`)
    where it is signed, which spares the one writing process the parse and
    the pipe a pickled dictionary.  CSV records are read here either way,
    since a quoted field may span lines.
    """

    def __init__(self, lines: Iterator[str], file_name: str) -> None:
        self._lines = lines
        self._file_name = file_name
        self._parsed: Iterator[tuple[int, dict[str, Any] | str]] | None = None

    def __next__(self) -> tuple[int, dict[str, Any] | str]:
        if self._parsed is None:
            self._parsed = self._read(parse=True)
        return next(self._parsed)

    def unparsed(self) -> Iterator[tuple[int, dict[str, Any] | str | bytes]]:
        """The rows, NDJSON lines as bytes for :func:`json_row`; only before any row was read."""
        if self._parsed is not None:
            raise RuntimeError("rows already read")
        self._parsed = iter(())
        return self._read(parse=False)

    def _read(self, *, parse: bool) -> Iterator[Any]:
        lines = normalised_lines(self._lines)
        first = next(lines, None)
        while first is not None and not first.strip():
            first = next(lines, None)
        if first is None:
            return iter(())
        if not is_ndjson(first, self._file_name):
            return _csv(first, lines)
        return _ndjson(first, lines) if parse else _ndjson_lines(first, lines)


def _ndjson(first: str, lines: Iterator[str]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    yield 1, json_row(first)
    for number, line in enumerate(lines, start=2):
        if line.strip():
            yield number, json_row(line)


def _ndjson_lines(first: str, lines: Iterator[str]) -> Iterator[tuple[int, bytes]]:
    yield 1, first.encode("utf-8", "surrogatepass")
    for number, line in enumerate(lines, start=2):
        if line.strip():
            yield number, line.encode("utf-8", "surrogatepass")


def json_row(line: str) -> dict[str, Any] | str:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"not valid JSON: {exc.msg} at column {exc.colno}"
    except ValueError:  # a number beyond Python's digit limit
        return "not valid JSON: a number is too long"
    return value if isinstance(value, dict) else "a row must be a JSON object"


def _csv(header_line: str, lines: Iterator[str]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    header = next(csv.reader(io.StringIO(header_line)))
    missing = [column for column in CSV_COLUMNS if column not in header and column not in ("tg", "co", "is")]
    if missing:
        yield 1, f"the CSV header lacks {', '.join(missing)}"
        return
    reader = csv.DictReader(lines, fieldnames=header)
    for number, record in enumerate(reader, start=2):
        try:
            yield number, _csv_payload(record)
        except KeyError as exc:
            yield number, f"bad CSV row: column {exc.args[0]} is missing"
        except _BadColumn as exc:
            yield number, f"bad CSV row: column {exc.args[0]} is not a whole number"


class _BadColumn(ValueError):
    pass


def _whole_number(record: dict[str, str], column: str) -> int:
    value = record[column]
    if value is None:
        raise KeyError(column)
    try:
        return int(value)
    except ValueError:
        raise _BadColumn(column) from None


def _csv_payload(record: dict[str, str]) -> dict[str, Any]:
    for column in ("vp", "mp", "ma", "dt"):
        if record.get(column) is None:
            raise KeyError(column)
    entry: dict[str, Any] = {
        "tg": record.get("tg") or "840539006",
        "vp": record["vp"],
        "mp": record["mp"],
        "ma": record["ma"],
        "dn": _whole_number(record, "dn"),
        "sd": _whole_number(record, "sd"),
        "dt": record["dt"],
        "co": record.get("co") or "VN",
        "is": record.get("is") or "Ministry of Health of Viet Nam",
    }
    if record.get("ci"):
        entry["ci"] = record["ci"]
    name = {key: record[key] for key in ("fn", "gn", "fnt", "gnt") if record.get(key)}
    return {"ver": "1.3.0", "nam": name, "dob": record.get("dob") or "", "v": [entry]}


def personal_values(row: dict[str, Any]) -> list[str]:
    """The names and date of birth in a payload, for scrubbing them out of error texts."""
    values: list[str] = []
    name = row.get("nam")
    if isinstance(name, dict):
        values.extend(str(v) for v in name.values() if isinstance(v, str))
    if isinstance(row.get("dob"), str):
        values.append(row["dob"])
    return sorted((v for v in values if len(v.strip()) >= 2), key=len, reverse=True)


def scrub(message: str, values: list[str]) -> str:
    for value in values:
        message = message.replace(value, "…")
    return message


# ---------------------------------------------------------------------- multipart/form-data


class MultipartError(ValueError):
    pass


class MultipartFile:
    """Streams the content of one field (``file``) out of a multipart/form-data body.

    Feed body chunks to :meth:`feed`; it returns the bytes of the wanted
    field found so far.  Only as much as a boundary's length is held back
    between calls, so an upload of any size passes through in chunks.
    """

    def __init__(self, content_type: str, field: str = "file") -> None:
        boundary = _option(content_type, "boundary")
        if not boundary:
            raise MultipartError("multipart/form-data without a boundary")
        self._delimiter = b"\r\n--" + boundary.encode("latin-1")
        self._field = field
        self._buffer = b"\r\n"  # the first boundary has no CRLF before it
        self._state = "preamble"  # preamble -> headers -> body -> (headers|end)
        self._wanted = False
        self.found = False
        self.file_name: str | None = None

    def feed(self, chunk: bytes) -> bytes:
        self._buffer += chunk
        out = bytearray()
        while True:
            if self._state == "preamble":
                at = self._buffer.find(self._delimiter)
                if at < 0:
                    self._buffer = self._buffer[-len(self._delimiter) :]
                    return bytes(out)
                self._buffer = self._buffer[at + len(self._delimiter) :]
                self._state = "after_boundary"
            elif self._state == "after_boundary":
                if len(self._buffer) < 2:
                    return bytes(out)
                if self._buffer.startswith(b"--"):
                    self._state = "end"
                    self._buffer = b""
                    return bytes(out)
                end = self._buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(self._buffer) > 16384:
                        raise MultipartError("multipart part headers are too long")
                    return bytes(out)
                self._headers(self._buffer[:end].decode("utf-8", "replace"))
                self._buffer = self._buffer[end + 4 :]
                self._state = "body"
            elif self._state == "body":
                at = self._buffer.find(self._delimiter)
                if at < 0:
                    keep = len(self._delimiter)
                    if self._wanted and len(self._buffer) > keep:
                        out += self._buffer[:-keep]
                    if len(self._buffer) > keep:
                        self._buffer = self._buffer[-keep:]
                    return bytes(out)
                if self._wanted:
                    out += self._buffer[:at]
                    self._wanted = False
                self._buffer = self._buffer[at + len(self._delimiter) :]
                self._state = "after_boundary"
            else:
                self._buffer = b""
                return bytes(out)

    def finish(self) -> None:
        if self._state != "end":
            raise MultipartError("the multipart body ends before its closing boundary")
        if not self.found:
            raise MultipartError(f"the multipart body has no '{self._field}' field")

    def _headers(self, text: str) -> None:
        self._wanted = False
        for line in text.split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-disposition" and _option(value, "name") == self._field:
                if self.found:
                    raise MultipartError(f"the multipart body has more than one '{self._field}' field")
                self._wanted = self.found = True
                self.file_name = _option(value, "filename")


def _option(header: str, key: str) -> str | None:
    for part in header.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == key:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            return value
    return None

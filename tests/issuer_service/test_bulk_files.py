"""Bulk file identity, multipart reading whatever the chunking, rows parsed here or where they are signed."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from issuer_service.bulk_files import FileDigest, MultipartError, MultipartFile, json_row, parse_rows

# Lines without line ends, whose own trailing whitespace the normalisation removes.
_LINE = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=["Cs"]), max_size=30).map(
    lambda text: text.rstrip(" \t")
)


def _digest(data: bytes, cuts: list[int]) -> tuple[str, str]:
    digest = FileDigest()
    start = 0
    for cut in [*sorted({min(c, len(data)) for c in cuts}), len(data)]:
        digest.update(data[start:cut])
        start = cut
    return digest.finish()


@given(
    st.lists(_LINE, max_size=12),
    st.lists(st.sampled_from(["", " ", "\t", "  \t "]), min_size=12, max_size=12),
    st.lists(st.integers(0, 600), max_size=8),
    st.integers(0, 3),
)
# A chunk boundary inside a line's indentation (found by CI): the indentation must survive.
@example(lines=["x", "   0", "ab"], spaces=[""] * 12, cuts=[3], blank_lines_at_end=0)
def test_line_ends_and_trailing_blanks_keep_the_identity(
    lines: list[str], spaces: list[str], cuts: list[int], blank_lines_at_end: int
) -> None:
    normal = "".join(line + "\n" for line in lines)
    while normal.endswith("\n\n") or normal == "\n":  # blank lines at the end are not part of the identity
        normal = normal[:-1]
    windows = "".join(line + spaces[i] + "\r\n" for i, line in enumerate(lines)) + "\r\n" * blank_lines_at_end
    normal_digest, raw = _digest(normal.encode(), cuts)
    assert _digest(windows.encode(), cuts)[0] == normal_digest == _digest(windows.encode(), [])[0]
    if normal.strip():  # a file already in normal form hashes to its plain SHA-256 (older jobs keep theirs)
        assert normal_digest == raw == hashlib.sha256(normal.encode()).hexdigest()


@given(_LINE, _LINE)
def test_different_content_is_a_different_job(first: str, second: str) -> None:
    if first.strip() == second.strip() or first.lstrip() != first or second.lstrip() != second:
        return
    assert _digest(f"h\n{first}\n".encode(), [])[0] != _digest(f"h\n{second}\n".encode(), [])[0]


@given(st.binary(max_size=3000), st.lists(st.integers(0, 4000), max_size=10), st.booleans())
def test_multipart_yields_the_file_whatever_the_chunks(content: bytes, cuts: list[int], other_field: bool) -> None:
    boundary = "----vaxcertBoundary7MA4YWxkTrZu0gW"
    parts = []
    if other_field:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    reader = MultipartFile(f"multipart/form-data; boundary={boundary}")
    out = bytearray()
    start = 0
    for cut in [*sorted({min(c, len(body)) for c in cuts}), len(body)]:
        out += reader.feed(body[start:cut])
        start = cut
    reader.finish()
    assert bytes(out) == content and reader.file_name == "a.csv"


def test_multipart_truncated_or_without_file() -> None:
    reader = MultipartFile('multipart/form-data; boundary="b"')
    reader.feed(b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\nrows')
    with pytest.raises(MultipartError):
        reader.finish()
    with pytest.raises(MultipartError):
        MultipartFile("multipart/form-data")


# ---------------------------------------------------------------------- rows left unparsed for the signing processes

_JSON_LINE = st.one_of(
    st.dictionaries(st.text(max_size=5), st.one_of(st.text(max_size=8), st.integers(), st.none()), max_size=3).map(
        lambda value: json.dumps(value, ensure_ascii=False)
    ),
    st.lists(st.integers(), max_size=2).map(json.dumps),  # JSON, but not an object
    st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=["Cs"]), max_size=20),  # mostly not JSON
    st.just(""),
)


@given(st.lists(_JSON_LINE, max_size=10), st.sampled_from(["rows.ndjson", "rows.jsonl", "rows.txt"]))
def test_unparsed_ndjson_lines_parse_to_the_same_rows(lines: list[str], file_name: str) -> None:
    """Rows.unparsed() leaves a line for json_row(); what comes out is what parse_rows() reads."""
    text = ["{}\n", *(line + "\n" for line in lines)]  # an NDJSON file by its first line, whatever its name
    parsed = list(parse_rows(iter(text), file_name))
    unparsed = [
        (number, json_row(row.decode("utf-8", "surrogatepass")) if isinstance(row, bytes) else row)
        for number, row in parse_rows(iter(text), file_name).unparsed()
    ]
    assert unparsed == parsed
    assert all(isinstance(row, bytes) for _, row in parse_rows(iter(text), file_name).unparsed())


def test_csv_rows_are_read_here_either_way() -> None:
    text = ["fn,gn,dob,vp,mp,ma,dn,sd,dt\n", "A,B,1980,1119349007,EU/1/20/1528,ORG-100030215,1,2,2021-08-01\n", "x\n"]
    parsed = list(parse_rows(iter(text), "rows.csv"))
    assert list(parse_rows(iter(text), "rows.csv").unparsed()) == parsed
    assert isinstance(parsed[0][1], dict) and isinstance(parsed[1][1], str)


def test_rows_cannot_be_read_both_ways() -> None:
    rows = parse_rows(iter(["{}\n", "{}\n"]), "rows.ndjson")
    assert next(rows) == (1, {})
    with pytest.raises(RuntimeError):
        rows.unparsed()

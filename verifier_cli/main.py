"""Command line of the offline verifier.

Exit codes: 0 valid, 1 not valid, 2 usage error (bad option, unreadable
trust certificate, unparsable clock).  ``--json`` prints one JSON object per
code; ``--batch`` reads one code per line and prints one object per line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TextIO

from vaxcert import TrustStore, VaxcertError, VerificationReport, verify, verify_image

from .render import render_human

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """A problem with how the command was called, not with a certificate."""


def parse_clock(value: str) -> datetime:
    """ISO 8601 date-time; a value without a zone is taken as UTC."""
    text = value.strip().replace(" ", "T")
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)
    match = re.match(r"^(.*T\d{2}:\d{2}:\d{2})\.(\d+)(.*)$", text)
    if match:  # Python accepts at most six fractional digits
        text = f"{match.group(1)}.{(match.group(2) + '000000')[:6]}{match.group(3)}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--at: {value!r} is not an ISO 8601 date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vaxcert-verify", description="Verify HC1 (EU DCC) health certificates offline."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("verify", help="verify an HC1 string, a QR image, or a batch of strings")
    check.add_argument("code", nargs="?", help="the HC1: string (put it after -- if it starts with '-')")
    check.add_argument("--image", metavar="FILE", help="read the code from a PNG/JPEG image")
    check.add_argument("--batch", metavar="FILE", help="verify one code per line of FILE ('-' for stdin)")
    check.add_argument(
        "--trust-cert", metavar="FILE", action="append", default=[], help="a trusted DSC (PEM or DER); repeatable"
    )
    check.add_argument("--at", metavar="ISO8601", help="validation clock (default: now)")
    check.add_argument("--json", action="store_true", help="print the machine-readable report")
    check.add_argument("--no-color", action="store_true", help="never use colour")
    return parser


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stdin: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _verify_command(args, out, stdin or sys.stdin)
    except UsageError as exc:
        print(f"vaxcert-verify: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _verify_command(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    sources = [
        name
        for name, value in (("code", args.code), ("--image", args.image), ("--batch", args.batch))
        if value is not None
    ]
    if len(sources) != 1:
        raise UsageError("give exactly one of: an HC1 string, --image FILE, --batch FILE")
    clock = parse_clock(args.at) if args.at else None
    trust = _load_trust(args.trust_cert)
    colour = not args.no_color and not os.environ.get("NO_COLOR") and out.isatty()
    if args.batch is not None:
        return _verify_batch(args.batch, trust, clock, out, stdin)
    report = verify_image(args.image, trust, at=clock) if args.image is not None else verify(args.code, trust, at=clock)
    _print_report(report, args.json, colour, out)
    return EXIT_VALID if report.valid else EXIT_INVALID


def _load_trust(paths: Iterable[str]) -> TrustStore:
    try:
        return TrustStore.from_files(paths)
    except VaxcertError as exc:
        raise UsageError(f"--trust-cert: {exc.message}") from None


def _verify_batch(source: str, trust: TrustStore, clock: datetime | None, out: TextIO, stdin: TextIO) -> int:
    try:
        stream = stdin if source == "-" else open(source, encoding="utf-8", errors="replace")  # noqa: SIM115
    except OSError as exc:
        raise UsageError(f"--batch: cannot read {source}: {exc.strerror}") from None
    all_valid = True
    with stream:
        for line in stream:
            code = line.strip()
            if not code:
                continue
            report = verify(code, trust, at=clock)
            all_valid = all_valid and report.valid
            out.write(json.dumps(report.to_json(), ensure_ascii=False) + "\n")
    return EXIT_VALID if all_valid else EXIT_INVALID


def _print_report(report: VerificationReport, as_json: bool, colour: bool, out: TextIO) -> None:
    if as_json:
        out.write(json.dumps(report.to_json(), ensure_ascii=False) + "\n")
    else:
        out.write(render_human(report, colour) + "\n")

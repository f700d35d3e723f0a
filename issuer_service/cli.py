"""``vaxcert``: issue certificates from the command line, and the embedded-defaults demo.

``vaxcert demo`` creates a development CSCA and DSC in a folder of its own
(once), issues a sample Vietnamese vaccination certificate, writes its QR code
and verifies it.  ``scripts/run`` runs it once, so the README's library tour
has a key pair to sign with.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TextIO

from pydantic import ValidationError

import vaxcert
from vaxcert import (
    DigitalCovidCertificate,
    IssuanceError,
    PemSigner,
    SchemaError,
    TrustStore,
    VaxcertError,
    issue,
    qr,
    verify,
)
from vaxcert.pki import IssuedKeyPair, create_csca, create_dsc
from vaxcert.shc import CoseSignerAdapter, issue_shc
from vaxcert.shc.bundle import shc_bundle
from vaxcert_apps import cli
from vaxcert_apps.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError
from vaxcert_apps.i18n import DEFAULT_LANGUAGE, LANGUAGES, resolve_language
from vaxcert_apps.render import render_human

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "UsageError", "build_parser", "main", "run_demo", "run_issue"]

FORMATS = ("hcert", "shc")
SHC_ISSUER_ENV = "VAXCERT_SHC_ISSUER"

SAMPLE_PAYLOAD: dict[str, Any] = {
    "ver": "1.3.0",
    "nam": {"fn": "Nguyễn", "gn": "Thị Phương"},
    "dob": "1990-04-15",
    "v": [
        {
            "tg": "840539006",
            "vp": "1119349007",
            "mp": "EU/1/20/1528",
            "ma": "ORG-100030215",
            "dn": 2,
            "sd": 2,
            "dt": "2021-09-20",
            "co": "VN",
            "is": "Ministry of Health of Viet Nam",
        }
    ],
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vaxcert", description="Issue HC1 (EU DCC) certificates, and SMART Health Cards from the same records."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {vaxcert.__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    issue_cmd = commands.add_parser(
        "issue", help="sign a DCC payload and print its HC1: string (or, --format shc, its shc:/ SMART Health Card)"
    )
    source = issue_cmd.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--payload",
        metavar="FILE",
        help="DCC payload JSON ('-' for stdin); with --format shc also a JSON array of one holder's vaccinations",
    )
    source.add_argument("--batch", metavar="FILE", help="one payload JSON per line ('-' for stdin)")
    issue_cmd.add_argument("--key", required=True, metavar="KEY.pem", help="the DSC private key (PEM)")
    issue_cmd.add_argument("--cert", required=True, metavar="DSC.pem", help="the DSC certificate (PEM or DER)")
    issue_cmd.add_argument(
        "--format",
        choices=FORMATS,
        default="hcert",
        help="hcert: an EU DCC HC1: code (default); shc: a SMART Health Card shc:/ code (vaccinations only, "
        "ES256 keys only)",
    )
    issue_cmd.add_argument(
        "--issuer",
        metavar="URL",
        default=os.environ.get(SHC_ISSUER_ENV),
        help=f"--format shc: the card's iss; <iss>/.well-known/jwks.json publishes the key (default ${SHC_ISSUER_ENV})",
    )
    issue_cmd.add_argument(
        "--validity-days", type=int, default=365, metavar="N", help="HC1 QR lifetime (default 365; hcert only)"
    )
    issue_cmd.add_argument(
        "--country", default="VN", help="issuing country, the CWT iss claim (default VN; hcert only)"
    )
    issue_cmd.add_argument("--qr", metavar="OUT.png|OUT.svg", help="also write the QR code (single payload only)")

    demo = commands.add_parser("demo", help="create a development PKI, issue and verify a sample certificate")
    demo.add_argument(
        "--dir", default="vaxcert-demo", help="folder for its own keys and outputs (default ./vaxcert-demo)"
    )
    demo.add_argument(
        "--lang", choices=LANGUAGES, help="language of the verdict: vi or en (default $VAXCERT_LANG, else vi)"
    )
    return parser


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stdin: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        return cli.run("vaxcert", lambda: run_demo(Path(args.dir), out, resolve_language(args.lang)))
    return cli.run("vaxcert", lambda: run_issue(args, out, stdin or sys.stdin))


def run_issue(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    if args.validity_days < 1:
        raise UsageError("--validity-days must be at least 1")
    if args.batch is not None and args.qr:
        raise UsageError("--qr writes one image; it cannot be combined with --batch")
    if args.format == "shc":
        _check_issuer(args.issuer)
    signer = PemSigner.from_files(args.key, args.cert)
    validity = timedelta(days=args.validity_days)

    def make(payload: Any) -> Code:
        if args.format == "shc":
            records = [_dcc(item) for item in (payload if isinstance(payload, list) else [payload])]
            now = datetime.now(UTC)
            return issue_shc(shc_bundle(records), CoseSignerAdapter(signer), issuer=args.issuer, issued_at=now)
        return issue(payload, signer, issuer_country=args.country, validity=validity)

    if args.payload is not None:
        payload = _read_json(stdin.read() if args.payload == "-" else _read_text(args.payload), args.payload)
        issued = make(payload)
        out.write(issued.text + "\n")
        if args.qr:
            _write_qr(issued, Path(args.qr))
        return EXIT_OK
    failures = 0
    stream = stdin if args.batch == "-" else _open(args.batch)
    with stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                out.write(make(json.loads(line)).text + "\n")
            except (VaxcertError, ValueError) as exc:  # ValueError: not JSON (or an over-long number)
                failures += 1
                reason = f"{exc.code}: {exc.message}" if isinstance(exc, VaxcertError) else f"invalid JSON: {exc}"
                print(f"vaxcert: line {number}: {reason}", file=sys.stderr)
                out.write("\n")  # keep output lines aligned with input lines
    return EXIT_FAILED if failures else EXIT_OK


class Code(Protocol):
    """What both formats' issued codes offer: the QR text and its pictures."""

    @property
    def text(self) -> str: ...

    def png(self, scale: int = 4) -> bytes: ...

    def svg(self, scale: int = 4) -> str: ...


def _dcc(payload: Any) -> DigitalCovidCertificate:
    """The payload through the DCC model, refused as ``vaxcert issue`` refuses it for HC1 (same codes)."""
    if not isinstance(payload, dict):
        raise SchemaError("schema.not_an_object", "the certificate payload must be a JSON object")
    try:
        return DigitalCovidCertificate.model_validate(payload)
    except ValidationError as exc:
        # Each problem with its field (``v.0.dt: …``), as the HC1 refusals word them.
        found = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or '(root)'}: {item['msg']}" for item in exc.errors()
        )
        if all(str(item["type"]).startswith("issue.") for item in exc.errors()):  # the model's issuing checks
            raise IssuanceError(exc.errors()[0]["type"], found) from None
        raise SchemaError("schema.invalid", f"invalid certificate: {found}") from None


def _check_issuer(issuer: str | None) -> None:
    if not issuer:
        raise UsageError(f"--format shc needs --issuer https://… (or ${SHC_ISSUER_ENV})")
    if not issuer.startswith("https://") or issuer.endswith("/"):
        # Verifiers fetch <iss>/.well-known/jwks.json: a trailing slash would double it.
        raise UsageError("--issuer is the issuer's base URL (https://…), without a trailing '/'")


def _open(path: str) -> TextIO:
    try:
        return open(path, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


def _read_text(path: str) -> str:
    with _open(path) as stream:
        return stream.read()


def _read_json(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{name} is not valid JSON: {exc}") from None


def _write_qr(issued: Code, path: Path) -> None:
    if path.suffix.lower() == ".svg":
        path.write_text(issued.svg(), encoding="utf-8")
    elif path.suffix.lower() == ".png":
        path.write_bytes(issued.png())
    else:
        raise UsageError(f"--qr {path}: the file name must end in .png or .svg")


def ensure_development_pki(folder: Path) -> PemSigner:
    """Create (once) a development CSCA and DSC in ``folder``; return the DSC signer."""
    folder.mkdir(parents=True, exist_ok=True)
    dsc_key, dsc_cert = folder / "dsc-key.pem", folder / "dsc.pem"
    if not (dsc_key.exists() and dsc_cert.exists()):
        csca = create_csca(common_name="VN DCC CSCA (DEVELOPMENT ONLY)")
        dsc = create_dsc(csca, common_name="VN DCC DSC (DEVELOPMENT ONLY)")
        assert isinstance(dsc, IssuedKeyPair)
        (folder / "csca.pem").write_bytes(csca.certificate_pem())
        _write_private(folder / "csca-key.pem", csca.private_key_pem())
        dsc_cert.write_bytes(dsc.certificate_pem())
        _write_private(dsc_key, dsc.private_key_pem())
    return PemSigner.from_files(dsc_key, dsc_cert)


def _write_private(path: Path, data: bytes) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_bytes(data)


def run_demo(folder: Path, out: TextIO, lang: str = DEFAULT_LANGUAGE) -> int:
    signer = ensure_development_pki(folder)
    issued = issue(SAMPLE_PAYLOAD, signer)
    (folder / "sample.txt").write_text(issued.text + "\n", encoding="utf-8")
    (folder / "sample.png").write_bytes(issued.png())
    (folder / "sample.svg").write_text(issued.svg(), encoding="utf-8")
    out.write(f"Development PKI in {folder}/ (csca.pem, dsc.pem, dsc-key.pem) - never use it in production.\n")
    out.write(f"Issued {issued.uvci} ({len(issued.text)} characters), QR written to {folder}/sample.png\n")
    out.write(issued.text + "\n\n")
    report = verify(qr.decode(folder / "sample.png"), TrustStore.of([signer.certificate]))
    out.write(render_human(report, colour=out.isatty(), lang=lang) + "\n")
    return EXIT_OK if report.valid else EXIT_FAILED

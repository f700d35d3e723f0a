"""Command line for trust operators and key custodians.

vaxcert-trust pki create-csca|create-anchor|create-dsc|hsm-keygen|csr|sign-csr|import-dsc|check-dsc
vaxcert-trust build|check|publish|serve

For the people who run the trust infrastructure; checkpoints fetch and cache the
published lists with ``vaxcert-verify trust`` instead.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

import vaxcert
from vaxcert import DocumentSignerCertificate, PemSigner, VaxcertError, trustlist
from vaxcert.hsm import HsmConfig, HsmSession, Pkcs11Signer
from vaxcert.keys import Signer
from vaxcert.pki import IssuedKeyPair, advise_dsc, create_csca, create_dsc, csr_for_hsm_key, sign_csr
from vaxcert_apps import cli
from vaxcert_apps.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError
from vaxcert_apps.files import write_atomically
from vaxcert_apps.render import framework_counts, print_list

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "UsageError", "build_parser", "main"]

TRUST_LIST_NAME = "trust-list.cose"
DESCRIPTION = """\
PKI and trust-list tooling, for trust operators and key custodians: create the CSCA,
DSCs and HSM keys ('pki'), then build, sign, check and publish the trust list that
verifiers download.  Checkpoint staff do not need this command: they pin the anchor
and fetch the published lists with 'vaxcert-verify trust pin|update|show'."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vaxcert-trust", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {vaxcert.__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    pki = commands.add_parser("pki", help="CSCA, DSC and HSM key ceremonies").add_subparsers(dest="pki", required=True)
    csca = pki.add_parser("create-csca", help="a self-signed Country Signing CA (keep its key offline)")
    csca.add_argument("--out-dir", required=True, type=Path)
    csca.add_argument("--cn", default="VN DCC CSCA")
    csca.add_argument("--country", default="VN")
    csca.add_argument("--organisation", default="Ministry of Health")
    csca.add_argument("--years", type=int, default=4)
    anchor = pki.add_parser("create-anchor", help="a self-signed trust-list signer (verifiers pin its certificate)")
    anchor.add_argument("--out-dir", required=True, type=Path)
    anchor.add_argument("--cn", default="VN DCC trust list signer")
    anchor.add_argument("--country", default="VN")
    anchor.add_argument("--years", type=int, default=4)
    dsc = pki.add_parser("create-dsc", help="a DSC with a PEM key (development; production keys live in the HSM)")
    dsc.add_argument("--csca-dir", required=True, type=Path)
    dsc.add_argument("--out-dir", required=True, type=Path)
    dsc.add_argument("--cn", default="VN DCC DSC")
    dsc.add_argument("--types", default="v,t,r", help="certificate types it may sign, e.g. v or v,t,r")
    dsc.add_argument("--days", type=int, default=730)
    hsm_commands = (
        ("hsm-keygen", "generate a DSC key pair inside the HSM"),
        ("csr", "a CSR for an HSM key, signed inside the HSM"),
        ("import-dsc", "store a signed DSC next to its HSM key, after checking they match"),
    )
    for name, text in hsm_commands:
        command = pki.add_parser(name, help=text)
        command.add_argument("--token", help="token label (default $VAXCERT_HSM_TOKEN); PIN from $VAXCERT_HSM_PIN")
        command.add_argument("--module", help="PKCS#11 module (default SoftHSM2)")
        command.add_argument("--label", required=True, help="key label on the token")
        if name == "hsm-keygen":
            command.add_argument("--algorithm", choices=("ES256", "PS256"), default="ES256")
        if name == "csr":
            command.add_argument("--cn", required=True)
            command.add_argument("--country", default="VN")
            command.add_argument("--out", required=True, type=Path)
        if name == "import-dsc":
            command.add_argument("--cert", required=True, type=Path)
    sign = pki.add_parser("sign-csr", help="the CSCA signs a CSR into a DSC")
    sign.add_argument("--csca-dir", required=True, type=Path)
    sign.add_argument("--csr", required=True, type=Path)
    sign.add_argument("--types", default="v,t,r")
    sign.add_argument("--days", type=int, default=730)
    sign.add_argument("--out", required=True, type=Path)
    check_dsc = pki.add_parser("check-dsc", help="validity and key-usage-period warnings for a DSC")
    check_dsc.add_argument("cert", type=Path)
    check_dsc.add_argument("--lifetime-days", type=int, default=365, help="validity of the certificates it signs")
    check_dsc.add_argument("--at", help="ISO 8601 moment (default now)")

    build = commands.add_parser("build", help="build and sign a trust list")
    build.add_argument("--out", required=True, type=Path)
    build.add_argument("--sequence", required=True, type=int, help="must grow with every published list")
    build.add_argument("--valid-hours", type=float, default=48, help="time until next update (default 48)")
    build.add_argument("--dsc", action="append", default=[], type=Path, help="a DSC file (PEM or DER); repeatable")
    build.add_argument("--dsc-dir", action="append", default=[], type=Path, help="a folder of DSC files")
    build.add_argument("--gateway-json", action="append", default=[], type=Path, help="EU gateway trust-list JSON")
    build.add_argument("--csca", action="append", default=[], type=Path, help="CSCA to check DSC chains against")
    build.add_argument(
        "--registry", action="append", default=[], type=Path, help="Path-Check registry JSON (keys of every framework)"
    )
    build.add_argument(
        "--jwks", action="append", default=[], type=Path, help="SHC issuer JWK Set naming its issuer in 'iss'"
    )
    build.add_argument(
        "--issuer-jwks",
        action="append",
        default=[],
        nargs=2,
        metavar=("ISSUER", "FILE"),
        help="SHC issuer JWK Set, for the issuer URL given (the set's 'iss' is not used)",
    )
    build.add_argument(
        "--icao-csca", action="append", default=[], type=Path, help="ICAO CSCA certificate (PEM or DER); repeatable"
    )
    build.add_argument(
        "--crl", action="append", default=[], type=Path, help="X.509 CRL of a CSCA (PEM/DER) or SHC revocation list"
    )
    build.add_argument("--signer-key", type=Path, help="trust-list signer key (PEM)")
    build.add_argument("--signer-cert", type=Path, required=True, help="trust-list signer certificate")
    build.add_argument("--signer-hsm-label", help="sign with this HSM key instead of --signer-key")
    build.add_argument("--token", help="HSM token label for --signer-hsm-label")
    check = commands.add_parser("check", help="verify a signed trust list against pinned anchors")
    check.add_argument("list", type=Path)
    check.add_argument("--anchor", action="append", required=True, type=Path)
    check.add_argument("--at", help="ISO 8601 moment for the staleness check (default now)")
    publish = commands.add_parser("publish", help="verify a list, then place it atomically in a web folder")
    publish.add_argument("list", type=Path)
    publish.add_argument("--anchor", action="append", required=True, type=Path)
    publish.add_argument("--dir", required=True, type=Path)
    serve = commands.add_parser("serve", help="serve a folder over HTTP (If-Modified-Since aware; development)")
    serve.add_argument("--dir", required=True, type=Path)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8400)
    return parser


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    args = build_parser().parse_args(argv)
    if args.command == "pki":
        return cli.run("vaxcert-trust", lambda: _pki(args, out))
    command = {"build": _build, "check": _check, "publish": _publish, "serve": _serve}[args.command]
    return cli.run("vaxcert-trust", lambda: command(args, out))


def _moment(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{text!r} is not an ISO 8601 moment") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _types(text: str) -> tuple[str, ...]:
    types = tuple(part.strip() for part in text.split(",") if part.strip())
    if not types or any(t not in ("v", "t", "r") for t in types):
        raise UsageError(f"--types {text!r}: use v, t, r separated by commas")
    return types


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


def _write_pair(folder: Path, name: str, pair: IssuedKeyPair) -> None:
    write_atomically(folder / f"{name}.pem", pair.certificate_pem())
    write_atomically(folder / f"{name}-key.pem", pair.private_key_pem(), mode=0o600)


def _load_csca(folder: Path) -> IssuedKeyPair:
    try:
        key = serialization.load_pem_private_key(_read(folder / "csca-key.pem"), password=None)
        certificate = x509.load_pem_x509_certificate(_read(folder / "csca.pem"))
    except ValueError as exc:
        raise UsageError(f"cannot load the CSCA from {folder}: {exc}") from None
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
        raise UsageError("the CSCA key is neither EC nor RSA")
    return IssuedKeyPair(key, certificate)


def _hsm_config(args: argparse.Namespace) -> HsmConfig:
    return HsmConfig.from_env(getattr(args, "token", None), getattr(args, "module", None))


def _pki(args: argparse.Namespace, out: TextIO) -> int:
    command = args.pki
    if command == "create-csca":
        pair = create_csca(args.cn, args.country, args.organisation, validity=timedelta(days=365 * args.years))
        _write_pair(args.out_dir, "csca", pair)
        out.write(f"CSCA written to {args.out_dir}/csca.pem (key: csca-key.pem, keep it offline)\n")
    elif command == "create-anchor":
        pair = create_csca(args.cn, args.country, None, validity=timedelta(days=365 * args.years))
        _write_pair(args.out_dir, "anchor", pair)
        out.write(f"trust-list signer written to {args.out_dir}/anchor.pem; pin anchor.pem in every verifier\n")
    elif command == "create-dsc":
        result = create_dsc(
            _load_csca(args.csca_dir), args.cn, certificate_types=_types(args.types), validity=timedelta(days=args.days)
        )
        assert isinstance(result, IssuedKeyPair)
        _write_pair(args.out_dir, "dsc", result)
        out.write(f"DSC written to {args.out_dir}/dsc.pem, kid {result.document_signer().kid_b64}\n")
    elif command == "hsm-keygen":
        with HsmSession(_hsm_config(args), read_write=True) as session:
            session.generate_key(args.label, args.algorithm)
        out.write(f"key {args.label!r} generated inside token (non-extractable)\n")
    elif command == "csr":
        with HsmSession(_hsm_config(args)) as session:
            csr = csr_for_hsm_key(session, args.label, args.cn, args.country)
        write_atomically(args.out, csr)
        out.write(f"CSR written to {args.out}\n")
    elif command == "sign-csr":
        try:
            certificate = sign_csr(
                _load_csca(args.csca_dir),
                _read(args.csr),
                certificate_types=_types(args.types),
                validity=timedelta(days=args.days),
            )
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        write_atomically(args.out, certificate.public_bytes(serialization.Encoding.PEM))
        out.write(f"DSC written to {args.out}\n")
    elif command == "import-dsc":
        dsc = DocumentSignerCertificate.load(args.cert)
        with HsmSession(_hsm_config(args), read_write=True) as session:
            session.store_certificate(args.label, dsc)
        out.write(f"DSC {dsc.subject} (kid {dsc.kid_b64}) stored with key {args.label!r}\n")
    elif command == "check-dsc":
        dsc = DocumentSignerCertificate.load(args.cert)
        advice = advise_dsc(dsc, _moment(args.at), timedelta(days=args.lifetime_days))
        out.write(f"{dsc.subject}  kid {dsc.kid_b64}  valid until {dsc.not_after}\n")
        for warning in advice.warnings:
            out.write(f"warning: {warning}\n")
        out.write("can sign: yes\n" if advice.can_sign else "can sign: NO\n")
        return EXIT_OK if advice.can_sign else EXIT_FAILED
    return EXIT_OK


def _signer(args: argparse.Namespace) -> Signer:
    certificate = DocumentSignerCertificate.load(args.signer_cert)
    if args.signer_hsm_label:
        return Pkcs11Signer(_hsm_config(args), args.signer_hsm_label, certificate)
    if not args.signer_key:
        raise UsageError("give --signer-key or --signer-hsm-label")
    return PemSigner.from_files(args.signer_key, args.signer_cert)


def _build(args: argparse.Namespace, out: TextIO) -> int:
    named: list[tuple[str, bytes]] = []
    for path in args.dsc:
        named.append((str(path), DocumentSignerCertificate.load(path).der))
    for folder in args.dsc_dir:
        if not folder.is_dir():
            raise UsageError(f"{folder} is not a folder")
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in (".pem", ".der", ".crt", ".cer"):
                try:
                    named.append((str(path), DocumentSignerCertificate.load(path).der))
                except VaxcertError as exc:
                    out.write(f"rejected {path}: {exc.message}\n")
    result = trustlist.entries_from_certificates(named)
    entries = list(result.entries)
    cscas = [DocumentSignerCertificate.load(path).der for path in args.csca]
    rejected = list(result.rejected)
    for path in args.gateway_json:
        imported = trustlist.entries_from_gateway_json(_read(path))
        entries.extend(imported.entries)
        cscas.extend(imported.cscas)
        rejected.extend(imported.rejected)
    imports = [trustlist.keys_from_registry(_read(path)) for path in args.registry]
    imports += [trustlist.keys_from_jwks(_read(path)) for path in args.jwks]
    imports += [trustlist.keys_from_jwks(_read(Path(path)), issuer) for issuer, path in args.issuer_jwks]
    imports.append(trustlist.keys_from_icao_certificates((str(path), _read(path)) for path in args.icao_csca))
    imports.append(trustlist.crls_from_files((str(path), _read(path)) for path in args.crl))
    for imported in imports:
        rejected.extend(imported.rejected)
    now = datetime.now(UTC).replace(microsecond=0)
    content = trustlist.build(
        entries,
        sequence=args.sequence,
        issued_at=now,
        next_update=now + timedelta(hours=args.valid_hours),
        cscas=cscas,
        keys=[key for imported in imports for key in imported.keys],
        x509_crls=[crl for imported in imports for crl in imported.x509_crls],
        shc_revocations=[crl for imported in imports for crl in imported.shc_revocations],
    )
    signer = _signer(args)
    signed = trustlist.sign(content, signer)
    checked = trustlist.verify(signed, [signer.certificate])  # also applies the chain check
    write_atomically(args.out, signed)
    for item in [*rejected, *checked.rejected]:
        out.write(f"rejected {item.description}: {item.reason}\n")
    out.write(
        f"trust list #{args.sequence}: {len(checked.content.entries)} DSCs, {len(content.cscas)} CSCAs, "
        f"next update {content.next_update.isoformat()} -> {args.out}\n"
    )
    out.write(f"{framework_counts(checked.content)}\n")
    return EXIT_OK


def _anchors(paths: Sequence[Path]) -> list[DocumentSignerCertificate]:
    return [DocumentSignerCertificate.load(path) for path in paths]


def _check(args: argparse.Namespace, out: TextIO) -> int:
    checked = trustlist.verify(_read(args.list), _anchors(args.anchor))
    print_list(checked, _moment(args.at), out)
    return EXIT_OK


def _publish(args: argparse.Namespace, out: TextIO) -> int:
    data = _read(args.list)
    checked = trustlist.verify(data, _anchors(args.anchor))
    write_atomically(args.dir / TRUST_LIST_NAME, data)
    out.write(f"published trust list #{checked.sequence} as {args.dir / TRUST_LIST_NAME}\n")
    return EXIT_OK


def _serve(args: argparse.Namespace, out: TextIO) -> int:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(args.dir))
    with http.server.ThreadingHTTPServer((args.host, args.port), handler) as server:
        out.write(f"serving {args.dir} at http://{args.host}:{server.server_port}/{TRUST_LIST_NAME}\n")
        out.flush()
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is the way to stop it
            server.serve_forever()
    return EXIT_OK

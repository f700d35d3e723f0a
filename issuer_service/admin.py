"""``vaxcert-issuer``: run the service and administer it.

vaxcert-issuer serve [--host H] [--port P] [--workers N]
vaxcert-issuer migrate
vaxcert-issuer org create NAME           (prints its UVCI namespace)
vaxcert-issuer org list
vaxcert-issuer key create --org NAME --scopes issue,read   (prints the key once)
vaxcert-issuer key list [--org NAME]     (prefix, organisation, scopes, created, revoked; never the secret)
vaxcert-issuer key revoke PREFIX
vaxcert-issuer bulk FILE --org NAME [--rejects PATH] [--workers N]   (resumable: re-run the same file
                                         after a crash; rejected rows go to FILE.rejects.csv; N processes sign)
vaxcert-issuer staff create --org NAME --username U --roles issue,read   (web console account; password
                                         asked twice, or one line on stdin with --password-stdin)
vaxcert-issuer staff list [--org NAME]
vaxcert-issuer audit verify
vaxcert-issuer keys list|export|rotate [--label L] [--types vtr] [--list-signer]|retire KID
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from vaxcert import VaxcertError

from . import audit, db, keyring
from .auth import SCOPES, Caller, create_key, create_organisation, revoke_key
from .bulk_files import FileDigest, parse_rows
from .issuing import IssuerService, LeaseLost, ServiceError, uvci_namespace
from .metrics import Metrics
from .models import ApiKey, BulkJob, Organisation
from .settings import Settings
from .signers import StartupRefused, export_certificates, load_signers, preflight, rotate

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vaxcert-issuer", description="The vaxcert issuing service.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP service (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="TCP port to listen on (default 8000)")
    serve.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    commands.add_parser("migrate", help="create or upgrade the database schema")
    org = commands.add_parser("org", help="organisations").add_subparsers(dest="org", required=True)
    org.add_parser("create", help="a new organisation, with its own UVCI namespace").add_argument(
        "name", help="the organisation's name, unique (e.g. 'Bach Mai Hospital')"
    )
    org.add_parser("list", help="organisations, their UVCI namespaces and active keys")
    key = commands.add_parser("key", help="API keys").add_subparsers(dest="key", required=True)
    create = key.add_parser("create", help="a new API key for an organisation (printed once)")
    create.add_argument("--org", required=True, metavar="NAME", help="organisation the key acts for")
    create.add_argument("--scopes", required=True, help=f"comma-separated: {', '.join(SCOPES)}")
    listing = key.add_parser("list", help="API keys: prefix, organisation, scopes, created, revoked (never secrets)")
    listing.add_argument("--org", metavar="NAME", help="only this organisation's keys")
    key.add_parser("revoke", help="refuse an API key from now on").add_argument(
        "prefix", help="the key's prefix (the part after vx_, as key list shows it)"
    )
    bulk = commands.add_parser("bulk", help="issue a CSV or NDJSON file of records (resumable)")
    bulk.add_argument("file", type=Path, help="CSV (with header) or NDJSON file, one certificate per row")
    bulk.add_argument("--org", required=True, metavar="NAME", help="organisation the certificates are issued for")
    bulk.add_argument("--batch-size", type=int, default=200, help="rows per committed batch (default 200)")
    bulk.add_argument(
        "--workers",
        type=_positive,
        default=os.cpu_count() or 1,
        metavar="N",
        help="processes that validate and sign (each with its own HSM session); this one writes "
        "(default: the number of CPUs, %(default)s here)",
    )
    bulk.add_argument(
        "--rejects",
        type=Path,
        help="where to list rejected rows (row number, reason); default FILE.rejects.csv next to FILE",
    )
    staff = commands.add_parser("staff", help="web console accounts (/console)").add_subparsers(
        dest="staff", required=True
    )
    staff_create = staff.add_parser("create", help="a new console account for an organisation's staff member")
    staff_create.add_argument("--org", required=True, metavar="NAME", help="organisation the account works for")
    staff_create.add_argument("--username", required=True, help="the name to sign in with (unique)")
    staff_create.add_argument("--roles", required=True, help=f"comma-separated: {', '.join(SCOPES)}")
    staff_create.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of stdin (no prompt)"
    )
    staff.add_parser("list", help="console accounts: user name, organisation, roles (never passwords)").add_argument(
        "--org", metavar="NAME", help="only this organisation's accounts"
    )
    audit_cmd = commands.add_parser("audit", help="audit log").add_subparsers(dest="audit", required=True)
    audit_cmd.add_parser("verify", help="check the hash chain")
    audit_cmd.add_parser("seal", help="chain events waiting in the outbox (PostgreSQL) now")
    keys = commands.add_parser("keys", help="signing keys: list, export, rotate, retire (audited)")
    keys_cmd = keys.add_subparsers(dest="keys", required=True)
    keys_cmd.add_parser("list", help="every recorded key: role, provider, label, types, published until")
    keys_cmd.add_parser("export", help="write the published DSCs and the list signer as PEM into the data folder")
    rotate_cmd = keys_cmd.add_parser("rotate", help="make a new key the active one (the old DSC stays published)")
    rotate_cmd.add_argument("--label", help="HSM key label, provisioned with its certificate beforehand")
    rotate_cmd.add_argument("--types", default="vtr", help="certificate types it signs from now on (default vtr)")
    rotate_cmd.add_argument("--list-signer", action="store_true", help="rotate the trust/revocation list signer")
    keys_cmd.add_parser("retire", help="stop signing with a DSC (it stays published)").add_argument(
        "kid", help="key identifier, as keys list shows it"
    )
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.command != "migrate":  # schema chatter on every command would bury the lines that matter
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"VAXCERT_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}" for error in exc.errors()
        )
        print(f"vaxcert-issuer: invalid configuration: {problems}", file=sys.stderr)
        return EXIT_USAGE
    try:
        preflight(settings)  # production refusals that need no database or HSM come first
        if args.command == "serve":
            return _serve(settings, args, out)
        if settings.data_dir.exists():  # keys and the SQLite database: this user's only
            db.private_folder(settings.data_dir)
        engine = db.make_engine(settings.resolved_database_url)
    except StartupRefused as exc:
        return _refused(exc)
    sessions = db.session_factory(engine)
    try:
        db.migrate(engine)
        if settings.production and args.command not in ("keys", "bulk", "migrate"):
            load_signers(settings, sessions).close()  # every key check, as the service makes them
        status = _run(settings, sessions, args, out)
        if args.command in ("org", "key", "bulk", "keys"):
            _seal_before_exit(sessions)
        return status
    except StartupRefused as exc:
        return _refused(exc)
    except VaxcertError as exc:
        print(f"vaxcert-issuer: {exc.code}: {exc.message}", file=sys.stderr)
        return EXIT_FAILED
    except OperationalError as exc:
        print(f"vaxcert-issuer: the database is unavailable: {exc.orig or exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        engine.dispose()


def _refused(exc: StartupRefused) -> int:
    print(f"vaxcert-issuer: refusing to start: {exc.message} [{exc.code}]", file=sys.stderr)
    return EXIT_FAILED


def _run(settings: Settings, sessions: sessionmaker[Session], args: argparse.Namespace, out: TextIO) -> int:
    if args.command == "migrate":
        out.write("database schema is up to date\n")
        return EXIT_OK
    if args.command == "org":
        return _org(settings, sessions, args, out)
    if args.command == "key":
        return _key(sessions, args, out)
    if args.command == "audit":
        return _audit(sessions, args, out)
    if args.command == "keys":
        return _keys(settings, sessions, args, out)
    if args.command == "staff":
        return _staff(sessions, args, out)
    return _bulk(settings, sessions, args, out)


def _staff(sessions: sessionmaker[Session], args: argparse.Namespace, out: TextIO) -> int:
    from .console import accounts
    from .models import StaffAccount

    if args.staff == "list":
        with sessions() as session:
            query = select(StaffAccount, Organisation).join(Organisation).order_by(StaffAccount.username)
            if args.org:
                query = query.where(Organisation.name == args.org)
            for account, organisation in session.execute(query):
                state = "disabled" if account.disabled_at else "active"
                out.write(f"{account.username}\t{organisation.name}\t{account.roles}\t{state}\n")
        return EXIT_OK
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        import getpass

        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            print("vaxcert-issuer: the passwords differ", file=sys.stderr)
            return EXIT_USAGE
    roles = {role.strip() for role in args.roles.split(",") if role.strip()}
    try:
        with db.transaction(sessions) as session:
            owner = session.scalar(select(Organisation).where(Organisation.name == args.org))
            if owner is None:
                print(f"vaxcert-issuer: no organisation {args.org!r} (org create NAME first)", file=sys.stderr)
                return EXIT_FAILED
            accounts.create_account(session, owner, args.username, password, roles)
    except accounts.AccountError as exc:
        print(f"vaxcert-issuer: {exc}", file=sys.stderr)
        return EXIT_USAGE
    out.write(f"console account {args.username!r} for {args.org} ({','.join(sorted(roles))}): sign in at /console\n")
    return EXIT_OK


def _keys(settings: Settings, sessions: sessionmaker[Session], args: argparse.Namespace, out: TextIO) -> int:
    # Every keys command first loads the recorded keys as the service would: the same refusals
    # apply, and a data folder's existing keys are recorded before anything changes them.
    load_signers(settings, sessions).close()
    if args.keys == "rotate":
        record = rotate(settings, sessions, label=args.label, types=args.types, list_signer=args.list_signer)
        export_certificates(settings, sessions)
        what = "list signer" if record.role == keyring.LIST else f"DSC for type(s) {record.types}"
        out.write(
            f"key {record.kid} ({record.where()}) is now the {what}; running services publish it at once "
            "and sign with it after their next start (restart them once verifiers have fetched the new list)\n"
        )
        return EXIT_OK
    if args.keys == "retire":
        with db.transaction(sessions) as session:
            record = keyring.retire(session, args.kid)
        export_certificates(settings, sessions)
        out.write(f"key {record.kid} retired; it stays in the trust list while certificates it signed are valid\n")
        return EXIT_OK
    if args.keys == "export":
        for path in export_certificates(settings, sessions):
            out.write(f"{path}\n")
        return EXIT_OK
    with sessions() as session:
        listed = keyring.published(session)
        rows = keyring.records(session)
    shown = {r.kid for r in listed.records}
    out.write("kid               role  status   types  provider     label / place                      published\n")
    for r in rows:
        if r.role == keyring.LIST:
            published = "pinned by verifiers" if r.status == keyring.ACTIVE else "no"
        elif r.kid not in shown:
            published = "no (no unexpired certificate)"
        elif r.kid in listed.until:
            published = f"until {listed.until[r.kid]:%Y-%m-%d %H:%M} UTC"
        else:
            published = "yes"
        place = r.label if r.provider != "pkcs11" else f"{r.token}:{r.label}"
        out.write(
            f"{r.kid}  {r.role:<4}  {r.status:<7}  {r.types or '-':<5}  {r.provider:<11}  {place:<33}  {published}\n"
        )
    return EXIT_OK


def _org(settings: Settings, sessions: sessionmaker[Session], args: argparse.Namespace, out: TextIO) -> int:
    if args.org == "list":
        with sessions() as session:
            active = (
                select(ApiKey.organisation_id, func.count().label("keys"))
                .where(ApiKey.revoked_at.is_(None))
                .group_by(ApiKey.organisation_id)
                .subquery()
            )
            rows = session.execute(
                select(Organisation, func.coalesce(active.c["keys"], 0))
                .outerjoin(active, active.c.organisation_id == Organisation.id)
                .order_by(Organisation.name)
            ).all()
        for organisation, keys in rows:
            namespace = uvci_namespace(settings, organisation.uvci_prefix)
            out.write(f"{organisation.id}\t{organisation.name}\t{namespace}\t{keys} active keys\n")
        if not rows:
            out.write("no organisations (vaxcert-issuer org create NAME)\n")
        return EXIT_OK
    with db.transaction(sessions) as session:
        try:
            organisation = create_organisation(session, args.name)
            audit.append(session, organisation.id, "org_create", args.name, f"uvci_prefix={organisation.uvci_prefix}")
        except IntegrityError:
            print(f"vaxcert-issuer: organisation {args.name!r} exists", file=sys.stderr)
            return EXIT_FAILED
    namespace = uvci_namespace(settings, organisation.uvci_prefix)
    out.write(f"organisation {args.name!r} created (id {organisation.id}, UVCI namespace {namespace})\n")
    return EXIT_OK


def _audit(sessions: sessionmaker[Session], args: argparse.Namespace, out: TextIO) -> int:
    if args.audit == "seal":
        out.write(f"{audit.seal_all(sessions)} audit events chained\n")
        return EXIT_OK
    with sessions() as session:
        check = audit.verify_chain(session)
    waiting = (
        f"; {check.pending} recent events wait in the outbox, not yet chained (vaxcert-issuer audit seal)"
        if check.pending
        else ""
    )
    if check.intact:
        out.write(f"audit log intact: {check.entries} entries{waiting}\n")
        return EXIT_OK
    out.write(f"audit log BROKEN at entry {check.first_bad_id}: {check.reason}{waiting}\n")
    return EXIT_FAILED


def _seal_before_exit(sessions: sessionmaker[Session]) -> None:
    """Chain this command's audit events now rather than leaving them to a running service."""
    try:
        audit.seal_all(sessions)
    except OperationalError as exc:
        print(f"vaxcert-issuer: audit events left in the outbox ({exc.orig or exc})", file=sys.stderr)


def _organisation(sessions: sessionmaker[Session], name: str) -> Organisation:
    with sessions() as session:
        organisation = session.scalar(select(Organisation).where(Organisation.name == name))
    if organisation is None:
        raise SystemExit(f"vaxcert-issuer: no organisation named {name!r} (vaxcert-issuer org create {name!r})")
    return organisation


def _key(sessions: sessionmaker[Session], args: argparse.Namespace, out: TextIO) -> int:
    if args.key == "create":
        organisation = _organisation(sessions, args.org)
        scopes = {part.strip() for part in args.scopes.split(",") if part.strip()}
        with db.transaction(sessions) as session:
            try:
                key = create_key(session, organisation, scopes)
            except ValueError as exc:
                print(f"vaxcert-issuer: {exc}", file=sys.stderr)
                return EXIT_USAGE
            audit.append(session, organisation.id, "key_create", key.split("_")[1], ",".join(sorted(scopes)))
        out.write(key + "\n")
        print("store this key now: it is not shown again", file=sys.stderr)
        return EXIT_OK
    if args.key == "list":
        return _list_keys(sessions, args.org, out)
    with db.transaction(sessions) as session:
        revoked = revoke_key(session, args.prefix)
        if revoked:
            audit.append(session, None, "key_revoke", args.prefix)
    out.write(f"key {args.prefix} revoked\n" if revoked else f"no active key {args.prefix}\n")
    return EXIT_OK if revoked else EXIT_FAILED


def _list_keys(sessions: sessionmaker[Session], organisation_name: str | None, out: TextIO) -> int:
    # Only what the database holds about a key in the clear: the secret exists solely as a digest,
    # and even that is left out so a pasted listing gives an attacker nothing to grind on.
    query = (
        select(ApiKey.prefix, Organisation.name, ApiKey.scopes, ApiKey.created_at, ApiKey.revoked_at)
        .join(Organisation, Organisation.id == ApiKey.organisation_id)
        .order_by(Organisation.name, ApiKey.created_at, ApiKey.prefix)
    )
    if organisation_name is not None:
        query = query.where(ApiKey.organisation_id == _organisation(sessions, organisation_name).id)
    with sessions() as session:
        rows = session.execute(query).all()
    if not rows:
        out.write("no API keys (vaxcert-issuer key create --org NAME --scopes ...)\n")
        return EXIT_OK
    table = [("prefix", "organisation", "scopes", "created (UTC)", "revoked (UTC)")]
    table += [
        (prefix, name, scopes, _minute(created), _minute(revoked)) for prefix, name, scopes, created, revoked in rows
    ]
    widths = [max(len(row[column]) for row in table) for column in range(4)]
    for row in table:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + f"  {row[4]}\n")
    return EXIT_OK


def _minute(moment: datetime | None) -> str:
    return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


def _bulk(settings: Settings, sessions: sessionmaker[Session], args: argparse.Namespace, out: TextIO) -> int:
    organisation = _organisation(sessions, args.org)
    caller = Caller(organisation.id, organisation.name, "cli", frozenset({"issue"}), organisation.uvci_prefix)
    digest = FileDigest()
    try:
        with args.file.open("rb") as raw:
            for chunk in iter(lambda: raw.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        print(f"vaxcert-issuer: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    normalised, raw_digest = digest.finish()
    total = digest.expected_rows(args.file.name)
    rejects_path: Path = args.rejects or args.file.with_name(args.file.name + ".rejects.csv")
    signers = load_signers(settings, sessions)
    service = IssuerService(settings, sessions, signers, Metrics())
    started = time.monotonic()

    def progress(job: BulkJob) -> None:
        done = job.rows_done
        share = min(done / total, 1.0) if total else 1.0
        bar = "#" * int(30 * share)
        rate = done / max(time.monotonic() - started, 1e-9)
        sys.stderr.write(
            f"\r[{bar:<30}] {done}/{total} rows, {job.rows_issued} issued, "
            f"{job.rows_rejected} rejected, {rate:,.0f} rows/s"
        )
        sys.stderr.flush()

    try:
        with args.file.open(encoding="utf-8", errors="replace", newline="") as stream:
            job = service.bulk(
                caller,
                args.file.name,
                normalised,
                parse_rows(iter(stream), args.file.name),
                raw_sha256=raw_digest,
                rows_total=total,
                batch_size=args.batch_size,
                progress=progress,
                workers=args.workers,
            )
    except ServiceError as exc:
        print(f"\nvaxcert-issuer: stopped: {exc.code}: {exc.message} (run again to resume)", file=sys.stderr)
        return EXIT_FAILED
    except LeaseLost as exc:
        print(f"\nvaxcert-issuer: job {exc.job_id} was taken over by another process", file=sys.stderr)
        return EXIT_FAILED
    finally:
        signers.close()
    sys.stderr.write("\n")
    rejected = service.rejected_rows(job.id)
    _write_rejects(rejects_path, rejected)
    summary = f"job {job.id}: {job.rows_issued} issued, {job.rows_rejected} rejected"
    if job.status == "failed":
        out.write(f"{summary}; the job FAILED: {job.failure}\n")
        return EXIT_FAILED
    if rejected:
        summary += f"; rejected rows (row number, reason) in {rejects_path}"
        reasons = Counter(error.partition(":")[0] for _, error in rejected)
        summary += "\n  " + ", ".join(f"{code}: {count}" for code, count in reasons.most_common())
    out.write(f"{summary} (per-row results: GET /v1/bulk/{job.id}?rows=true)\n")
    return EXIT_OK if job.rows_rejected == 0 else EXIT_FAILED


def _write_rejects(path: Path, rejected: list[tuple[int, str]]) -> None:
    """Row numbers and reasons only: the rows themselves are in the user's file, and hold personal data."""
    if not rejected:
        path.unlink(missing_ok=True)  # a list left from an earlier run would be stale now
        return
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(descriptor, "w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["row", "error"])
        writer.writerows(rejected)


def _serve(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    import uvicorn

    if settings.production:
        # Every key check (HSM objects, recorded keys, development certificates) before uvicorn
        # starts: a refusal is one line and a non-zero exit, not a traceback from a worker.
        try:
            load_signers(settings).close()
        except VaxcertError as exc:
            if isinstance(exc, StartupRefused):
                return _refused(exc)
            print(f"vaxcert-issuer: refusing to start: {exc.message} [{exc.code}]", file=sys.stderr)
            return EXIT_FAILED
        except OperationalError as exc:
            print(f"vaxcert-issuer: the database is unavailable: {exc.orig or exc}", file=sys.stderr)
            return EXIT_FAILED

    out.write(
        f"vaxcert issuer on http://{args.host}:{args.port}  (data: {settings.data_dir.resolve()}, "
        f"database: {settings.resolved_database_url.split('@')[-1]})\n"
    )
    out.flush()
    uvicorn.run(
        "issuer_service.app:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        access_log=False,  # one log line per certificate costs more than signing it; metrics count requests
    )
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())

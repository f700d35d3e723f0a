"""Every word the console shows, as message ids of the shared catalogue (``vaxcert_apps.i18n``).

The English text is the message id; :func:`text` gives it in the language of the request
being served (set by the console's routes from the VI | EN switch, its cookie or Accept-Language).
"""

from __future__ import annotations

from contextvars import ContextVar

from vaxcert_apps.i18n import DEFAULT_LANGUAGE, N_, Translator, translator

TEXTS: dict[str, str] = {
    "title": N_("Issuer console"),
    "sign_in": N_("Sign in"),
    "sign_out": N_("Sign out"),
    "username": N_("User name"),
    "password": N_("Password"),
    "bad_login": N_("Wrong user name or password"),
    "rate_limited": N_("Too many failed sign-ins; try again in 15 minutes"),
    "csrf": N_("The form expired or is not valid; reload the page"),
    "forbidden": N_("This account lacks the role for this"),
    "not_found": N_("No such certificate for this organisation"),
    "nav_issue": N_("Issue"),
    "nav_search": N_("Search"),
    "nav_bulk": N_("Bulk upload"),
    "nav_dashboard": N_("Dashboard"),
    "issue_title": N_("Issue a vaccination certificate"),
    "family_name": N_("Family name"),
    "given_name": N_("Given names"),
    "dob": N_("Date of birth"),
    "vaccine": N_("Vaccine"),
    "manufacturer": N_("Manufacturer"),
    "dose": N_("Dose number"),
    "doses": N_("Total doses"),
    "vaccinated_on": N_("Date of vaccination"),
    "country": N_("Country of vaccination"),
    "issue_button": N_("Issue and sign"),
    "fix_fields": N_("Correct the marked fields"),
    "required": N_("Required"),
    "issued": N_("Certificate issued"),
    "search_title": N_("Find a certificate"),
    "search_hint": N_("Name (accents optional), date of birth (dd/mm/yyyy) or UVCI"),
    "search_button": N_("Find"),
    "no_results": N_("No results"),
    "results": N_("Results"),
    "name": N_("Name"),
    "type": N_("Type"),
    "issued_at": N_("Issued on"),
    "expires_at": N_("Valid until"),
    "status": N_("Status"),
    "valid": N_("Valid"),
    "revoked": N_("REVOKED"),
    "uvci": N_("Certificate identifier"),
    "print": N_("Print (PDF)"),
    "reprint": N_("Reprint"),
    "revoke_title": N_("Revoke the certificate"),
    "reason": N_("Reason"),
    "revoke_button": N_("Revoke"),
    "reason_short": N_("The reason needs 3 to 200 characters"),
    "revoked_on": N_("Revoked on"),
    "bulk_title": N_("Issue from a CSV or NDJSON file"),
    "file": N_("File"),
    "upload": N_("Upload"),
    "no_file": N_("Choose a file"),
    "progress": N_("Progress"),
    "rows_done": N_("Rows done"),
    "rows_issued": N_("Issued"),
    "rows_rejected": N_("Rejected"),
    "row": N_("Row"),
    "result": N_("Result"),
    "rejects_csv": N_("Download rejected rows (CSV)"),
    "job_running": N_("Running"),
    "job_finished": N_("Finished"),
    "job_failed": N_("Failed"),
    "dashboard_title": N_("Certificates issued in the last 30 days"),
    "per_day": N_("Per day"),
    "per_site": N_("Per site"),
    "per_type": N_("Per type"),
    "all_orgs": N_("All organisations"),
    "this_org": N_("My organisation"),
    "total": N_("Total"),
    "type_v": N_("Vaccination"),
    "type_t": N_("Test"),
    "type_r": N_("Recovery"),
    "language": N_("Language"),
    "unavailable": N_("Service unavailable; nothing was stored"),
}

# The language of the request being served; each request sets its own (an async dependency).
LANGUAGE: ContextVar[str] = ContextVar("vaxcert_console_language", default=DEFAULT_LANGUAGE)


def current() -> Translator:
    return translator(LANGUAGE.get())


def text(key: str) -> str:
    """The words for ``key`` in the request's language."""
    return current().gettext(TEXTS[key])

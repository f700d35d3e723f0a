"""Every word the checkpoint scanner page shows, as message ids of the shared catalogue.

The English text is the message id (``vaxcert_apps.i18n``); the server translates it into the
language each request asked for, and the page itself holds no sentences: the HTML's
``{{key}}`` slots are filled from :data:`HTML` and the script shows what the server sends.
"""

from __future__ import annotations

from collections.abc import Mapping

from vaxcert.summary import Status
from vaxcert_apps.i18n import N_, Translator

FORMAT_NAMES: Mapping[str, str] = {
    "hcert": "HCERT (EU DCC / WHO DDCC)",
    "shc": "SMART Health Card",
    "icao-vds-nc": "ICAO VDS-NC",
    "divoc": "DIVOC",
    "unknown": "?",
}

EVENT_NAMES: Mapping[str, str] = {
    "vaccination": N_("Vaccination"),
    "test": N_("Test"),
    "recovery": N_("Recovery"),
}

RESULT_NAMES: Mapping[str, str] = {
    "negative": N_("Negative"),
    "positive": N_("Positive"),
}

HEADLINE: Mapping[str, str] = {
    "green": N_("VALID"),
    "amber": N_("CHECK"),
    "red": N_("NOT VALID"),
}

INCOMPLETE_SCAN = N_("Incomplete scan, scan again")

# What the officer should understand and do, per status; the library's own message is
# shown beside it in small print for the technically minded.  A status without an entry
# here is told in the shared status line (Translator.status).
REASONS: Mapping[Status, str] = {
    Status.NOT_SUPPORTED: N_("This is not a health certificate code this scanner reads"),
    Status.INVALID_ENCODING: INCOMPLETE_SCAN,
    Status.INVALID_COMPRESSION: N_("The code is damaged, scan again"),
    Status.INVALID_SIGNING_FORMAT: N_("The code's signature is malformed"),
    Status.ISSUER_NOT_TRUSTED: N_("The issuer is not on this scanner's trust list"),
    Status.INVALID_SIGNATURE: N_("The code was altered or forged: the signature does not match"),
    Status.REVOKED: N_("The issuer has revoked this certificate"),
    Status.EXPIRED: N_("The certificate has expired"),
    Status.REVOCATION_UNKNOWN: N_("Genuine, but the revocation list is out of date: revocation unknown"),
    Status.RULES_NOT_MET: N_("Genuine, but entry rules not met"),
}

NOT_TRUSTWORTHY = N_("The details below are NOT trustworthy")
DOSE = N_("dose {dose}")
CHUNKS = N_("Scanned part {have} of {total}, scan the next")

# The lists the verdicts rely on.
TRUST_LIST = N_("Trust list")
REVOCATION_LIST = N_("Revocation list")
RULES = N_("Entry rules")
NOT_CHECKED_REVOCATION = N_("REVOCATION NOT CHECKED: no revocation list")
NOT_CHECKED_RULES = N_("ENTRY RULES NOT CHECKED: no rules loaded")
NO_TRUST_LIST = N_("No signed trust list: only the certificates given are trusted")
STALE_WARNING = N_("{name} is STALE (due {due}): update it")
ISSUED_AGO = N_("signed {age} ago")
DUE = N_("update due {due}")
LOADED = N_("{count} rules, file of {date}")
COUNTS = N_("Since start: {valid} valid, {invalid} not valid")


def age_text(seconds: float, t: Translator) -> str:
    """A list's age in the largest whole unit."""
    seconds = max(0, int(seconds))
    units = ((86400, N_("{count} days")), (3600, N_("{count} hours")), (60, N_("{count} minutes")))
    for limit, message in units:
        if seconds >= limit:
            return t.gettext(message).format(count=seconds // limit)
    return t.gettext(N_("{count} seconds")).format(count=seconds)


# Sentences the page's script shows; it receives them, translated, with the list status.
PAGE: Mapping[str, str] = {
    "ready": N_("Ready to scan"),
    "born": N_("Date of birth"),
    "format": N_("Format"),
    "missing": N_("NONE"),
    "stale": N_("STALE"),
    "chunks": CHUNKS,
    "camera_on": N_("Camera scanning"),
    "camera_failed": N_("Cannot open the camera: allow it or use the handheld scanner"),
}

# The words written into scanner.html's ``{{key}}`` slots.
HTML: Mapping[str, str] = {
    "title": N_("Checkpoint scanner"),
    "heading": N_("Certificate check"),
    "lists": N_("Lists"),
    "ready": PAGE["ready"],
    "camera_off": N_("Camera off"),
    "start_camera": N_("Start camera"),
    "handheld": N_("Handheld scanner"),
    "scan_here": N_("Scan here…"),
    "next": N_("Next scan"),
    "language": N_("Language"),
}


def page_texts(t: Translator) -> dict[str, str]:
    return {key: t.gettext(message) for key, message in PAGE.items()}

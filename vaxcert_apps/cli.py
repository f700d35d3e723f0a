"""The error handling all three command lines share: exit codes and one plain line per refusal.

Exit codes, the same for ``vaxcert``, ``vaxcert-verify`` and ``vaxcert-trust``:

- 0: done, or the certificate is valid;
- 1: what the command was given was checked and refused: an invalid certificate,
  a rejected trust or revocation list, a key that cannot sign;
- 2: the command was called wrongly: a bad option, a missing or unreadable file
  (argparse uses 2 for its own errors too).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from vaxcert import VaxcertError
from vaxcert.signed import SignedDocumentError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """A problem with how the command was called, not with what it was given to check."""


def describe(error: VaxcertError) -> str:
    """One line for a refusal: what was refused, the stable code, and the reason."""
    if isinstance(error, SignedDocumentError) and error.code.startswith(("trustlist.", "revocationlist.")):
        # A list refusal reads as such, so staff do not take it for a verdict on a certificate.
        what = "danh sách thu hồi bị từ chối / revocation list rejected"
        if error.code.startswith("trustlist."):
            what = "danh sách tin cậy bị từ chối / trust list rejected"
        return f"{what}: {error.code}: {error.message}"
    return f"{error.code}: {error.message}"


def run(prog: str, command: Callable[[], int], stderr: TextIO | None = None) -> int:
    """Run ``command``; turn the errors every CLI shares into a line on stderr and an exit code."""
    err = stderr or sys.stderr
    try:
        return command()
    except UsageError as exc:
        print(f"{prog}: error: {exc}", file=err)
        return EXIT_USAGE
    except VaxcertError as exc:
        print(f"{prog}: {describe(exc)}", file=err)
        return EXIT_FAILED

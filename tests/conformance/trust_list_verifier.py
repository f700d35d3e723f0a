"""A verifier command for the shared harness that trusts ONLY a signed trust list.

    python trust_list_verifier.py LIST ANCHOR -- <harness arguments>

The harness always passes ``--trust-cert FILE``; this drops it and adds
``--trust-list LIST --anchor ANCHOR`` instead, so the corpus is scored with
nothing but the list's signed entries.
"""

from __future__ import annotations

import sys
import tempfile

from verifier_cli.main import main


def without_trust_certs(arguments: list[str]) -> list[str]:
    kept: list[str] = []
    skip_next = False
    for index, argument in enumerate(arguments):
        if skip_next:
            skip_next = False
            continue
        if argument == "--":
            return kept + arguments[index:]
        if argument == "--trust-cert":
            skip_next = True
            continue
        kept.append(argument)
    return kept


if __name__ == "__main__":
    trust_list_path, anchor_path, separator, *rest = sys.argv[1:]
    assert separator == "--"
    arguments = without_trust_certs(rest)
    with tempfile.TemporaryDirectory() as empty_cache:
        command, *options = arguments
        code_at = options.index("--") if "--" in options else len(options)
        extra = ["--trust-list", trust_list_path, "--anchor", anchor_path, "--cache-dir", empty_cache]
        raise SystemExit(main([command, *options[:code_at], *extra, *options[code_at:]]))

"""JSON-LD to URDNA2015 canonical N-Quads, offline and bounded, and the LD-signature signing input.

The Linked Data Signatures 2018 procedure (``RsaSignature2018``,
``Ed25519Signature2018``) signs ``SHA-256(canonical proof options) ‖ SHA-256(canonical
credential without its proof)``, where the proof options are the proof without
``jws``/``signatureValue``/``proofValue`` under the ``https://w3id.org/security/v2``
context.  pyld does the JSON-LD processing and URDNA2015; this module adds what a
verifier of untrusted input needs around it:

- contexts come only from :mod:`.contexts` (nothing is fetched), and pyld's context
  cache is a private, bounded one per thread: the process-wide cache pyld uses by
  default could hold a context another loader in the same process fetched;
- the RDF dataset is bounded (quads, blank nodes) before canonicalisation, and the
  exponential part of URDNA2015 (Hash N-Degree Quads over permutations of blank
  nodes, the "poison graph" problem) runs under a work budget.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .contexts import UnknownContextError, load_document
from .errors import CanonicalError

SECURITY_V2 = "https://w3id.org/security/v2"
PROOF_VALUE_MEMBERS = frozenset({"jws", "signatureValue", "proofValue"})
MAX_OBJECTS = 64  # a DIVOC credential has about 8 (subject, addresses, evidence, verifier, facility, proof)
MAX_QUADS = 1024
MAX_BLANK_NODES = 64
# A DIVOC credential canonicalises with no N-degree hashing at all (its blank nodes have
# distinct first-degree hashes); a budget of 128 runs still covers odd but honest graphs.
MAX_N_DEGREE_CALLS = 128
MAX_RELATED_GROUP = 5  # 5! = 120 permutations per group at most


@dataclass(frozen=True, slots=True)
class Canonical:
    """One document's canonical N-Quads and the literal values it signs."""

    nquads: str
    literals: frozenset[str]

    @property
    def digest(self) -> bytes:
        return hashlib.sha256(self.nquads.encode("utf-8")).digest()


def canonicalize(document: Mapping[str, Any]) -> Canonical:
    """URDNA2015 N-Quads of ``document``; raises :class:`CanonicalError` on any failure or bound."""
    objects = _count_objects(document)
    if objects > MAX_OBJECTS:
        # Expansion costs about a millisecond per node object (type-scoped contexts are
        # processed again for each): bounded before pyld starts, not after.
        raise CanonicalError("canonical.too_large", f"the credential has {objects} JSON objects, over {MAX_OBJECTS}")
    # pyld (and lxml under it) load on first use: a process that never meets a DIVOC
    # code, like a verifier started for one HC1 code, does not pay the ~0.1 s import.
    from . import _urdna

    jsonld = _urdna.jsonld
    options = {
        "documentLoader": load_document,
        "contextResolver": _urdna.resolver(),
        "base": "",
        "produceGeneralizedRdf": False,
        "extractAllScripts": True,
        "processingMode": "json-ld-1.1",
    }
    try:
        # pyld's expansion deep-copies its input, so ``document`` is never changed.
        dataset = jsonld.JsonLdProcessor().to_rdf(dict(document), options)
    except jsonld.JsonLdError as exc:
        unknown = _unknown_context(exc)
        if unknown is not None:
            raise CanonicalError("canonical.unknown_context", str(unknown)) from None
        raise CanonicalError("canonical.bad_jsonld", f"not valid JSON-LD ({_reason(exc)})") from None
    except UnknownContextError as exc:
        raise CanonicalError("canonical.unknown_context", str(exc)) from None
    except (RecursionError, TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        # pyld assumes well-formed JSON-LD in places; a hostile document reaches those.
        raise CanonicalError("canonical.bad_jsonld", f"not valid JSON-LD ({type(exc).__name__})") from None
    quads = [quad for graph in dataset.values() for quad in graph]
    if len(quads) > MAX_QUADS:
        raise CanonicalError("canonical.too_large", f"the credential makes {len(quads)} RDF quads, over {MAX_QUADS}")
    blank = {part["value"] for quad in quads for part in quad.values() if part.get("type") == "blank node"} | {
        name for name in dataset if name.startswith("_:")
    }
    if len(blank) > MAX_BLANK_NODES:
        raise CanonicalError(
            "canonical.too_large", f"the credential has {len(blank)} blank nodes, over {MAX_BLANK_NODES}"
        )
    literals = frozenset(quad["object"]["value"] for quad in quads if quad["object"].get("type") == "literal")
    try:
        nquads = _urdna.BoundedURDNA2015().main(dataset, {"format": "application/n-quads"})
    except _urdna.Budget as exc:
        raise CanonicalError("canonical.too_complex", f"URDNA2015 work bound reached ({exc})") from None
    return Canonical(nquads=str(nquads), literals=literals)


def proof_options(proof: Mapping[str, Any], context: Any = SECURITY_V2) -> dict[str, Any]:
    """The proof without its signature value, under ``context`` (security v2 for the 2018 suites)."""
    options = {key: value for key, value in proof.items() if key not in PROOF_VALUE_MEMBERS}
    options["@context"] = context
    return options


def unsigned_document(credential: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in credential.items() if key != "proof"}


def signing_digests(credential: Mapping[str, Any], proof: Mapping[str, Any], context: Any = SECURITY_V2) -> bytes:
    """``SHA-256(canonical proof options) ‖ SHA-256(canonical credential)``: what the detached JWS signs."""
    return canonicalize(proof_options(proof, context)).digest + canonicalize(unsigned_document(credential)).digest


def _count_objects(value: Any) -> int:
    count, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            count += 1
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def _unknown_context(exc: BaseException) -> UnknownContextError | None:
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, UnknownContextError):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


def _reason(exc: Any) -> str:
    return str(getattr(exc, "code", None) or getattr(exc, "type", None) or type(exc).__name__)[:80]

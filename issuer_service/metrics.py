"""Prometheus metrics, one registry per app so tests and workers do not share state."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.issued = Counter(
            "vaxcert_certificates_issued", "Certificates issued", ["type", "organisation"], registry=self.registry
        )
        self.signing_seconds = Histogram(
            "vaxcert_signing_seconds",
            "Time to build and sign one certificate",
            registry=self.registry,
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1.0),
        )
        self.errors = Counter(
            "vaxcert_errors", "Refused or failed requests by stage", ["stage"], registry=self.registry
        )
        self.requests = Counter("vaxcert_http_requests", "HTTP requests", ["route", "status"], registry=self.registry)

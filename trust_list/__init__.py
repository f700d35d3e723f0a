"""``vaxcert-trust``: PKI tooling and signed trust lists (build, sign, check, publish, serve)."""

"""``vaxcert-verify``: the offline verifier for checkpoint staff and integrators."""

"""Issuing programs: the `vaxcert` command line (and, later, the HTTP service)."""

"""What the three command-line apps share, so that none of them imports another.

The apps (``verifier_cli``, ``trust_list``, ``issuer_service``) sit side by side on
the core library (``vaxcert``) and on this layer: atomic file writes, the
human-readable verdict and list summaries, and the common CLI error handling.
This layer imports only the core; the core imports neither it nor an app.
"""

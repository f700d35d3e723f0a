"""The issuer web console (``/console``): staff sign in to issue, find, print and revoke certificates."""

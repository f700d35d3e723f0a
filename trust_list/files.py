"""Moved to :mod:`vaxcert_apps.files`; kept so existing imports inside this app keep working."""

from vaxcert_apps.files import write_atomically

__all__ = ["write_atomically"]

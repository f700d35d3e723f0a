"""Moved to :mod:`vaxcert_apps.render`; kept so existing imports of the verifier's renderer keep working."""

from vaxcert_apps.render import print_list, render_human

__all__ = ["print_list", "render_human"]

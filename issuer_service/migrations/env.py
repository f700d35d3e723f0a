"""Alembic environment: the connection comes from ``issuer_service.db.migrate``."""

from __future__ import annotations

from alembic import context

from issuer_service.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through issuer_service.db.migrate (vaxcert-issuer migrate)")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

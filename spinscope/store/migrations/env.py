"""Alembic environment of the store. Migrations run from `spinscope.store.migrate` on the
connection it passes in `config.attributes["connection"]`; there is no alembic.ini."""

from __future__ import annotations

from alembic import context

from spinscope.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()

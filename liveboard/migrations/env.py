"""Alembic environment: run by `liveboard.migrate`, with the connection handed in through the config."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import liveboard.models  # noqa: F401  (registers the tables on the metadata)

target_metadata = SQLModel.metadata
connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

"""Alembic environment: migrates the engine's and the records' tables together."""
from alembic import context

import records
from engine import Base as EngineBase

target_metadata = [EngineBase.metadata, records.Base.metadata]
connection = context.config.attributes.get("connection")

if connection is None:
    raise RuntimeError("run migrations through `gridsafe init` (it passes the configured connection)")

context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()

"""Running the Alembic migrations against the configured database."""
from __future__ import annotations

from alembic import command
from alembic.config import Config

from .config import ROOT

MIGRATIONS = ROOT / "migrations"


def alembic_config(connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(sa_engine, revision: str = "heads") -> None:
    """Bring the schema to `revision` (idempotent). Independent features may add migration branches
    from the same parent; "heads" applies them all."""
    with sa_engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def revision(sa_engine, message: str) -> None:
    """Autogenerate a new migration from the models (for developers)."""
    with sa_engine.begin() as connection:
        command.revision(alembic_config(connection), message=message, autogenerate=True)

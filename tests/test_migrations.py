"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import records
from engine.database import make_engine
from engine.models import Base as EngineBase
from services import migrate


def _compared(dialect: str):
    """Tables the test helpers make for themselves (tests/support.py: test_effect) are not the app's; an index
    the models keep for another database (Index.ddl_if) is not looked for in this one."""
    def include(obj, name, type_, reflected, compare_to) -> bool:
        if type_ == "table" and reflected and compare_to is None and name.startswith("test_"):
            return False
        only = getattr(obj, "_ddl_if", None) if not reflected else None
        return only is None or only.dialect in (None, dialect)
    return include


def test_the_migrated_schema_matches_the_models(db_url):
    sa = make_engine(db_url)
    try:
        with sa.connect() as connection:
            context = MigrationContext.configure(connection, opts={
                "compare_type": True, "include_object": _compared(connection.dialect.name)})
            differences = compare_metadata(context, [EngineBase.metadata, records.Base.metadata])
    finally:
        sa.dispose()
    assert differences == [], ("the models and the migrations disagree (write a migration; "
                               f"services.migrate.revision autogenerates one): {differences}")


def test_there_is_one_head(tmp_path):
    """Feature branches of the migration tree are merged: a new migration has one parent to build on."""
    from alembic.script import ScriptDirectory
    script = ScriptDirectory.from_config(migrate.alembic_config(None))
    assert len(script.get_heads()) == 1, script.get_heads()

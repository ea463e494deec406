"""PostgreSQL: a transaction that only read ends with COMMIT instead of ROLLBACK (engine/database.py), so that
psycopg keeps its prepared statements; one that wrote, or failed, is still rolled back."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError

from engine.database import make_engine, make_session_factory
from records import Branch

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(pg_url):
    from conftest import _truncate_pg
    _truncate_pg(pg_url)
    sa = make_engine(pg_url)
    yield sa, make_session_factory(sa)
    sa.dispose()


@pytest.fixture
def other(pg):
    """A second engine on the same database: another client, or the administrator."""
    sa = make_engine(pg[0].url.render_as_string(hide_password=False))
    yield sa
    sa.dispose()


def _prepared(session) -> list[tuple[str, int]]:
    return [(r.statement, r.generic_plans + r.custom_plans) for r in session.execute(text(
        "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"))]


def test_a_read_repeated_in_sessions_closed_without_commit_is_executed_prepared(pg):
    sa, sessions = pg
    with sessions() as s:
        s.add(Branch(code="JA", name="江岸供电公司"))
        s.commit()
    for _ in range(8):                        # psycopg prepares a statement at its 5th execution
        with sessions() as s:
            assert s.scalar(select(Branch.name).where(Branch.code == "JA")) == "江岸供电公司"
    assert sa.pool.checkedin() == 1           # one connection served them all
    with sessions() as s:
        found = [(statement, runs) for statement, runs in _prepared(s) if "FROM branch" in statement]
    assert found and found[0][1] >= 3, found  # prepared once, then run prepared (a ROLLBACK would drop it)


def test_a_session_that_wrote_and_was_not_committed_is_rolled_back(pg):
    _sa, sessions = pg
    with sessions() as s:
        s.add(Branch(code="JA", name="江岸供电公司"))
        s.flush()
        assert s.scalar(select(Branch.id).where(Branch.code == "JA")) is not None
    with sessions() as s:                     # a write hidden in a WITH is a write too
        s.execute(text("WITH made AS (INSERT INTO branch (code, name, kind, lock_version) VALUES ('JB', '江北', 'county', 1) "
                       "RETURNING id) SELECT id FROM made")).scalar()
    with sessions() as s:
        s.execute(insert(Branch).values(code="JC", name="江城", lock_version=1))
        s.rollback()
        assert s.scalars(select(Branch.code)).all() == []


def test_a_failed_read_is_rolled_back_and_the_connection_serves_the_next(pg):
    _sa, sessions = pg
    with sessions() as s:
        with pytest.raises(DBAPIError):
            s.execute(text("SELECT 1 / 0"))
    with sessions() as s:
        assert s.scalar(text("SELECT 2")) == 2


def test_a_row_locked_by_a_read_is_free_when_its_session_ends(pg, other):
    _sa, sessions = pg
    with sessions() as s:
        s.add(Branch(code="JA", name="江岸供电公司"))
        s.commit()
    with sessions() as s:
        s.execute(select(Branch.id).where(Branch.code == "JA").with_for_update()).scalar()
    with other.connect() as conn:           # NOWAIT: a lock still held would raise here
        assert conn.execute(select(Branch.id).where(Branch.code == "JA").with_for_update(nowait=True)).scalar()


def _ended_by_the_server(other, session) -> int:
    """End the session's connection from the server side (as a restart or an administrator would) and wait
    until it is gone; its backend's pid."""
    pid = session.scalar(text("SELECT pg_backend_pid()"))
    with other.begin() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    for _ in range(100):
        with other.begin() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).first():
                return pid
        time.sleep(0.05)
    raise AssertionError(f"the server did not end connection {pid}")


def test_a_read_whose_connection_the_server_ended_closes_cleanly_and_the_next_session_reads(pg, other):
    _sa, sessions = pg
    with sessions() as s:
        _ended_by_the_server(other, s)
        with pytest.raises(DBAPIError):
            s.execute(text("SELECT 1"))
    with sessions() as s:                     # the broken connection was dropped, not handed out again
        assert s.scalar(text("SELECT 2")) == 2


def test_a_read_whose_connection_the_server_ended_after_its_last_statement_ends_quietly(pg, other):
    _sa, sessions = pg
    with sessions() as s:
        pid = _ended_by_the_server(other, s)
    # the read had all it asked for: leaving the session raised nothing, and the pool gives a live one
    with sessions() as s:
        assert s.scalar(text("SELECT pg_backend_pid()")) != pid

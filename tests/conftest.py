"""Shared fixtures: a migrated database per test (SQLite always, PostgreSQL when it answers), a clock."""
from __future__ import annotations

import os
import shutil
import uuid

import pytest
from sqlalchemy import create_engine, text

from engine import FixedClock
from engine.database import make_engine, make_session_factory
from services import migrate

PG_BASE_URL = os.environ.get("GRIDSAFE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_pg_state: dict = {}


def postgres_reason() -> str | None:
    """None when PostgreSQL answers, else why the PostgreSQL tests are skipped."""
    if "reason" not in _pg_state:
        try:
            sa = create_engine(PG_BASE_URL, connect_args={"connect_timeout": 3})
            with sa.connect() as conn:
                conn.execute(text("SELECT 1"))
            sa.dispose()
            _pg_state["reason"] = None
        except Exception as err:  # noqa: BLE001 - any failure means "not available here"
            _pg_state["reason"] = (f"PostgreSQL not reachable at {PG_BASE_URL} ({type(err).__name__}): "
                                   "PostgreSQL variants skipped")
    return _pg_state["reason"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "template.db"
    sa = make_engine(f"sqlite:///{path}")
    migrate.upgrade(sa)
    sa.dispose()
    return path


@pytest.fixture(scope="session")
def pg_url():
    reason = postgres_reason()
    if reason:
        pytest.skip(reason)
    schema = f"gs_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_BASE_URL, pool_pre_ping=True)     # a connection ended meanwhile is replaced
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_BASE_URL}?options=-csearch_path%3D{schema}"
    sa = make_engine(url)
    migrate.upgrade(sa)
    sa.dispose()
    yield url
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _truncate_pg(url: str) -> None:
    sa = create_engine(url)
    with sa.begin() as conn:
        tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                                   "AND tablename <> 'alembic_version'")).scalars().all()
        if tables:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    sa.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path, sqlite_template):
    """A freshly migrated, empty database; each test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "gridsafe.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_url")
    _truncate_pg(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template):
    """A freshly migrated SQLite database (for tests that need only the default store)."""
    path = tmp_path / "gridsafe.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def clock():
    return FixedClock("2026-03-02T01:00:00+00:00")


@pytest.fixture
def sessions(db_url):
    """A session factory on the test database."""
    sa = make_engine(db_url)
    yield make_session_factory(sa)
    sa.dispose()


@pytest.fixture
def app(sqlite_url, tmp_path, clock):
    """The Flask app on a migrated SQLite database, with the test clock."""
    from support import FORMS
    from webui import create_app
    return create_app({"ENV": "testing", "SECRET_KEY": "test-secret", "DATABASE_URL": sqlite_url,
                       "DATA_DIR": str(tmp_path / "data"), "FORMS_DIR": str(FORMS), "CLOCK": clock,
                       "RUN_SCENARIOS": False})          # the shipped scenarios: test_process_scenarios.py


@pytest.fixture
def site(app, clock):
    """The app with one user per role (web_support.USERS) and the test diagrams deployed."""
    from web_support import Site
    return Site(app, clock)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    """Invoke `gridsafe` commands against the test app: runner.invoke(args)."""
    from click.testing import CliRunner

    from cli import main

    class _Runner:
        def invoke(self, args):
            return CliRunner().invoke(main, args, obj={"app": app}, catch_exceptions=False)

    return _Runner()


@pytest.fixture
def hazard_app(sqlite_url, tmp_path, clock):
    """The app with the real forms and diagrams: people, two customers, the dictionary, the lifecycle deployed."""
    from inspection_walk import make_app
    return make_app(sqlite_url, tmp_path / "data", clock)


@pytest.fixture(scope="session")
def _chromium_process():
    """One Chromium per test worker: starting it costs most of a second, a fresh context costs little."""
    from browser_support import browser
    playwright, instance = browser()
    yield instance
    instance.close()
    playwright.stop()


@pytest.fixture
def chromium(_chromium_process):
    """Debian's Chromium through Playwright (the test is skipped, with the reason, when it cannot start).
    Each test's pages and contexts are its own (new_page opens a fresh context: no cookies, storage or
    service worker of another test) and are closed after it."""
    yield _chromium_process
    for context in list(_chromium_process.contexts):
        context.close()

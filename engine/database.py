"""Connecting to the database: SQLite (default, embedded) or PostgreSQL (psycopg 3).

SQLite runs in WAL mode; each transaction starts with BEGIN IMMEDIATE, so writers queue (up to the
busy timeout) instead of failing half-way, and savepoints work (the pysqlite recipe of the
SQLAlchemy docs). Read-only sessions begin deferred and never block writers. synchronous=NORMAL keeps every commit across a crash of the process;
synchronous=FULL (GRIDSAFE_SQLITE_SYNCHRONOUS) also across a power loss.
"""
from __future__ import annotations

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.orm import sessionmaker


def make_engine(url: str, *, sqlite_synchronous: str = "NORMAL", busy_timeout_ms: int = 30000,
                echo: bool = False) -> SAEngine:
    """A SQLAlchemy engine with GridSafe's connection settings."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite"):
        sa = create_engine(url, echo=echo, connect_args={"timeout": busy_timeout_ms / 1000,
                                                          "check_same_thread": False})
        _sqlite_setup(sa, sqlite_synchronous.upper(), busy_timeout_ms)
        return sa
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _sqlite_setup(sa: SAEngine, synchronous: str, busy_timeout_ms: int) -> None:
    if synchronous not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        raise ValueError(f"GRIDSAFE_SQLITE_SYNCHRONOUS must be NORMAL, FULL or EXTRA, not {synchronous!r}")

    @event.listens_for(sa, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (savepoints, BEGIN IMMEDIATE)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(sa, "begin")
    def _begin(conn):
        deferred = conn.get_execution_options().get("gridsafe_read_only")
        conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def make_session_factory(sa: SAEngine, *, read_only: bool = False) -> sessionmaker:
    """Sessions that keep loaded objects usable after commit (expire_on_commit=False).

    read_only sessions begin deferred on SQLite: long reads (lists, reports) then never hold the
    write lock. They must not write.
    """
    bind = sa.execution_options(gridsafe_read_only=True) if read_only else sa
    return sessionmaker(bind=bind, expire_on_commit=False)

"""Connecting to the database: SQLite (default, embedded) or PostgreSQL (psycopg 3).

SQLite runs in WAL mode; each transaction starts with BEGIN IMMEDIATE, so writers queue (up to the
busy timeout) instead of failing half-way, and savepoints work (the pysqlite recipe of the
SQLAlchemy docs). Read-only sessions begin deferred and never block writers. synchronous=NORMAL keeps every commit across a crash of the process;
synchronous=FULL (GRIDSAFE_SQLITE_SYNCHRONOUS) also across a power loss.
"""
from __future__ import annotations

import time

from sqlalchemy import create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.orm import sessionmaker

PING_AFTER_IDLE_SECONDS = 1.0     # PostgreSQL: a pooled connection idle longer than this is pinged before use


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
    sa = create_engine(url, echo=echo, pool_size=10, max_overflow=10)
    _ping_when_idle(sa)
    _reads_end_with_commit(sa)
    _savepoints_kept_when_asked(sa)
    return sa


KEEP_SAVEPOINTS = "gridsafe.keep_savepoints"    # connection.info key: [how many were kept] while set
KEPT_SAVEPOINTS_MAX = 32


def _savepoints_kept_when_asked(sa: SAEngine) -> None:
    """PostgreSQL: while a connection's info holds KEEP_SAVEPOINTS (an engine call running its service tasks),
    a savepoint that succeeded is left in place instead of RELEASEd: one round trip less per service task.
    It changes nothing the transaction does: COMMIT keeps what every savepoint holds, and rolling back to a
    later savepoint undoes only what came after it, as after a RELEASE. At most KEPT_SAVEPOINTS_MAX are left
    per call, so that the server's stack of subtransactions stays short."""
    release = sa.dialect.do_release_savepoint

    def do_release_savepoint(connection, name):
        kept = connection.info.get(KEEP_SAVEPOINTS)
        if kept is not None and kept[0] < KEPT_SAVEPOINTS_MAX:
            kept[0] += 1
            return
        release(connection, name)
    sa.dialect.do_release_savepoint = do_release_savepoint


def _ping_when_idle(sa: SAEngine, idle_seconds: float = PING_AFTER_IDLE_SECONDS) -> None:
    """Ping a pooled connection before handing it out when it sat unused longer than idle_seconds, instead
    of before every use (pool_pre_ping): one round trip less per request and per transaction. A server
    restarted within that moment is met by the request's own statement instead, which answers 503 and
    invalidates the pool, as a restart in the middle of a request always did."""
    @event.listens_for(sa, "checkin")
    def _returned(_dbapi_connection, record):
        if record is not None:
            record.info["gridsafe_returned_at"] = time.monotonic()

    @event.listens_for(sa, "checkout")
    def _handed_out(dbapi_connection, record, _proxy):
        returned = record.info.get("gridsafe_returned_at")
        if returned is None or time.monotonic() - returned < idle_seconds:
            return                               # new, or in use a moment ago
        try:
            alive = sa.dialect.do_ping(dbapi_connection)
        except sa.dialect.loaded_dbapi.Error as err:
            raise DisconnectionError(str(err)) from err
        if not alive:
            raise DisconnectionError("the connection did not answer the ping")


_READS = ("SELECT", "SET", "SHOW", "WITH")     # a WITH that writes says so inside it (_writes)


def _reads_end_with_commit(sa: SAEngine) -> None:
    """PostgreSQL: a transaction that only read is ended with COMMIT where it would be rolled back (a read
    request, a session closed without commit). The effect is the same, nothing was written, but psycopg
    forgets every prepared statement at a ROLLBACK, so that with a ROLLBACK ending each read no statement
    was ever executed prepared and each was planned anew (a hazard with its customer, branch and team read
    by id: 1.5 ms of planning for 0.1 ms of work)."""
    @event.listens_for(sa, "begin")
    def _begun(conn):
        conn.info["gridsafe_wrote"] = False

    @event.listens_for(sa, "before_cursor_execute")
    def _statement(conn, _cursor, statement, _parameters, _context, _many):
        if not conn.info.get("gridsafe_wrote"):
            head = statement.lstrip()[:6].upper()
            if not head.startswith(_READS) or (head.startswith("WITH") and _writes(statement)):
                conn.info["gridsafe_wrote"] = True

    @event.listens_for(sa, "rollback")
    def _rollback(conn):
        if conn.invalidated or conn.closed or conn.info.get("gridsafe_wrote", True):
            return                       # a lost connection (its rollback cleans up), or one that wrote
        from psycopg import Error
        from psycopg.pq import TransactionStatus
        raw = conn.connection.dbapi_connection
        if raw is None or raw.info.transaction_status != TransactionStatus.INTRANS:      # failed, or none
            return
        try:
            raw.commit()                 # the rollback that follows finds no transaction and sends nothing
        except Error as err:             # lost since its last statement: nothing to keep, it leaves the pool
            conn.invalidate(err)         # and the rollback that follows has nothing to do


def _writes(statement: str) -> bool:
    upper = statement.upper()
    return any(word in upper for word in ("INSERT ", "UPDATE ", "DELETE ", "MERGE "))


MMAP_BYTES = 256 * 1024 * 1024       # SQLite: up to this much of the database file read through a memory map


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
        # reads map the file instead of copying each page from the OS through a 2 MB page cache per
        # connection: the indicators' lookups of a few thousand hazards by id (bench/kpi_scale.py) and
        # every list read pages the OS already holds (https://sqlite.org/mmap.html)
        cursor.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
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

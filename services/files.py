"""The stored files as a whole: moving a local folder into PostgreSQL, and collecting orphans.

Moving (`gridsafe files migrate`), after switching to PostgreSQL:
each file of the folder is checked
against its name (its SHA-256), written into the database in a transaction of its own (a file already
there is kept), read back and hashed again; then every file a row names must be in the database. The
folder is left as it is (remove it once the report is clean). Running it again is harmless.

Collecting (daily, and `gridsafe files collect`): the local folder is written before the transaction that
names a file commits, so a request that rolls back leaves a file no row names. Such a file is removed once
it is older than ORPHAN_FILE_HOURS (a request still in flight is never that old). In PostgreSQL a file
commits or rolls back with its row, so there is nothing to collect; unnamed files there are only counted.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from records import FileChunk, FolderStore

from . import access
from .backup import referenced_digests
from .errors import Invalid, NotFound
from .i18n import _


@dataclass
class Moved:
    moved: int = 0                    # written into the database now
    present: int = 0                  # already there (same bytes)
    problems: list[str] = field(default_factory=list)


def migrate_folder(rt, actor, folder: Path | None = None) -> Moved:
    """Copy every file of `folder` (default DATA_DIR/files) into the database store and verify it."""
    if actor is not access.SYSTEM:
        raise NotFound()
    if rt.files.kind != "database":
        raise Invalid(_("This service keeps its files in the local folder (the database is not PostgreSQL): "
                        "there is nothing to move."))
    source = FolderStore(Path(folder) if folder else Path(rt.config["DATA_DIR"]) / "files")
    report = Moved()
    for digest in source.digests():
        data = source.get(digest)
        if hashlib.sha256(data).hexdigest() != digest:
            report.problems.append(f"file {digest} in the folder is damaged (its content has another hash); not moved")
            continue
        with rt.sessions() as session:
            if rt.files.exists(digest, session):
                report.present += 1
            else:
                rt.files.put(data, session)
                session.commit()
                report.moved += 1
        if not rt.files.intact(digest):
            report.problems.append(f"file {digest} does not read back with its hash from the database")
    with rt.read_sessions() as session:
        report.problems += [f"file {d} named by the database is missing or damaged"
                            for d in sorted(referenced_digests(session)) if not rt.files.intact(d, session)]
    return report


@dataclass
class Collected:
    removed: int = 0                  # orphans removed from the folder
    recent: int = 0                   # orphans younger than the grace period, kept for now
    unnamed_in_database: int = 0      # PostgreSQL: files no row names (counted, not removed)


def collect_orphans(rt, actor, *, hours: float | None = None) -> Collected:
    """Remove the folder's files that no attachment or document names and that are older than `hours`
    (default ORPHAN_FILE_HOURS). The names are read after the folder is listed, so a file named by a row
    that commits meanwhile is kept."""
    if actor is not access.SYSTEM:
        raise NotFound()
    grace = float(rt.config.get("ORPHAN_FILE_HOURS", 24) if hours is None else hours) * 3600
    report = Collected()
    if rt.files.kind == "database":
        with rt.read_sessions() as session:
            stored = set(session.scalars(select(FileChunk.sha256).where(FileChunk.seq == 0)))
            report.unnamed_in_database = len(stored - referenced_digests(session))
        return report
    listed = list(rt.files.digests())
    with rt.read_sessions() as session:
        named = referenced_digests(session)
    now = time.time()
    for digest in listed:
        if digest in named:
            continue
        path = rt.files.path(digest)
        try:
            if now - path.stat().st_mtime < grace:
                report.recent += 1
                continue
            path.unlink()
        except FileNotFoundError:
            continue
        report.removed += 1
    return report

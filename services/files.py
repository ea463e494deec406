"""Moving the files of a service that ran on a local folder into PostgreSQL, verifying every hash.

Run once after switching to PostgreSQL (`gridsafe files migrate`): each file of the folder is checked
against its name (its SHA-256), written into the database in a transaction of its own (a file already
there is kept), read back and hashed again; then every file a row names must be in the database. The
folder is left as it is (remove it once the report is clean). Running it again is harmless.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from records import FolderStore

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

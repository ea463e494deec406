"""A consistent copy of the database and the stored files together, and putting one back.

Order is what makes it consistent: the database is copied first, as one snapshot (SQLite's online
backup API, which includes what is still in the WAL; pg_dump's single transaction on PostgreSQL), and
the files after it. Files are content-addressed and never changed or deleted while a row names them,
so every file a row of the snapshot names is already there when the files are copied (a file of a
request that committed later is copied too, harmlessly). A manifest lists each file the snapshot
names, with its digest; `check` verifies a backup or a restored service against it, and restore ends
with the audit trail's verification and that file check. When the files are stored in PostgreSQL
(records.files.DatabaseStore) the dump holds them: the manifest names them under files_in_database.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from records import Attachment, Document

from .errors import ServiceError

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite"
PG_FILE = "database.pgdump"


class BackupFailed(ServiceError):
    status = 400


def backup(rt, dest: Path) -> dict:
    """Write a backup of the database and the files into the new folder `dest`; returns the manifest."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupFailed(f"{dest} exists and is not empty; name a new folder")
    dest.mkdir(parents=True, exist_ok=True)
    dialect = rt.sa.dialect.name
    if dialect == "sqlite":
        _sqlite_copy(_sqlite_path(rt), dest / SQLITE_FILE)
        referenced = _referenced_sqlite(dest / SQLITE_FILE)
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={dest / PG_FILE}",
              *_pg_schema_args(rt), _libpq_url(rt)])
        with rt.read_sessions() as session:          # names at least every file the snapshot names
            referenced = referenced_digests(session)
    files = dest / "files"
    missing = []
    in_database = rt.files.kind == "database"       # the files are rows of the dump already
    for digest in [] if in_database else sorted(referenced):
        source = rt.files.path(digest)
        if not source.is_file():
            missing.append(digest)
            continue
        target = files / source.relative_to(rt.files.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    manifest = {"created_at": datetime.now(timezone.utc).isoformat(), "dialect": dialect,
                "files": [] if in_database else sorted(referenced), "missing_at_backup": missing,
                "files_in_database": sorted(referenced) if in_database else []}
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    problems = check_folder(dest)
    if problems:
        raise BackupFailed("the backup is incomplete: " + "; ".join(problems[:5]))
    return manifest


def restore(rt, source: Path) -> dict:
    """Put a backup back: the database (replaced) and the files (added), then verify both.
    Returns {"events": checked, "audit": [breaks], "files": [problems]}."""
    source = Path(source)
    problems = check_folder(source)
    if problems:
        raise BackupFailed("the backup cannot be restored: " + "; ".join(problems[:5]))
    manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    dialect = rt.sa.dialect.name
    if manifest["dialect"] != dialect:
        raise BackupFailed(f"the backup is of a {manifest['dialect']} database; this service uses {dialect}")
    rt.sa.dispose()
    if dialect == "sqlite":
        _sqlite_copy(source / SQLITE_FILE, _sqlite_path(rt))
    else:
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
              f"--dbname={_libpq_url(rt)}", str(source / PG_FILE)])
    for digest in manifest["files"]:
        backed = source / "files" / digest[:2] / digest[2:4] / digest
        if rt.files.kind == "database":              # a backup made before the files moved into the database
            rt.files.put(backed.read_bytes())
            continue
        target = rt.files.path(digest)
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(backed, target)
    return verify(rt)


def verify(rt) -> dict:
    """The audit trail's hash chains and the stored files, as they are now."""
    with rt.read_sessions() as session:
        events, breaks = rt.engine.verify_audit(session)
        files = [f"file {d} named by the database is missing or damaged" for d in sorted(referenced_digests(session))
                 if not rt.files.intact(d, session)]
    return {"events": events, "audit": [str(b) for b in breaks], "files": files}


def check_folder(folder: Path) -> list[str]:
    """What is wrong with a backup folder (empty when it is complete)."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return [f"no readable {MANIFEST} ({err})"]
    database = folder / (SQLITE_FILE if manifest.get("dialect") == "sqlite" else PG_FILE)
    problems = [] if database.is_file() else [f"{database.name} is missing"]
    for digest in manifest.get("files", []):
        if not _intact(folder / "files" / digest[:2] / digest[2:4] / digest, digest):
            problems.append(f"file {digest} is missing or damaged")
    problems += [f"file {d} was already missing when the backup was made" for d in manifest.get("missing_at_backup", [])]
    return problems


def _intact(path: Path, digest: str) -> bool:
    if not path.is_file():
        return False
    sha = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest() == digest


def referenced_digests(session) -> set[str]:
    rendered = select(Document.sha256).where(Document.sha256.is_not(None))     # not the ones still to render
    return set(session.scalars(select(Attachment.id))) | set(session.scalars(rendered))


def _referenced_sqlite(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT id FROM attachment UNION "
                                           "SELECT sha256 FROM document WHERE sha256 IS NOT NULL")}


def _sqlite_path(rt) -> Path:
    database = make_url(str(rt.sa.url)).database
    if not database or database == ":memory:":
        raise BackupFailed("an in-memory database cannot be backed up")
    return Path(database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy even while others write (WAL content included)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _libpq_url(rt) -> str:
    url = make_url(str(rt.sa.url)).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _pg_schema_args(rt) -> list[str]:
    """A database whose search_path names one schema (e.g. the tests') is backed up as that schema."""
    options = make_url(str(rt.sa.url)).query.get("options", "")
    if isinstance(options, tuple):
        options = options[0]
    if "search_path=" in options:
        return [f"--schema={options.split('search_path=')[1].split()[0].split(',')[0]}"]
    return []


def _run(command: list[str]) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=3600, env=os.environ.copy())
    except FileNotFoundError:
        raise BackupFailed(f"{command[0]} is not installed; install the PostgreSQL client tools") from None
    if done.returncode != 0:
        raise BackupFailed(f"{command[0]} failed: {done.stderr.strip()[:500]}")

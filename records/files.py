"""Where the bytes of photos, signatures and documents live, addressed by their SHA-256 and never overwritten.

One interface, two stores, chosen from the database (`store_for`):
- FolderStore (SQLite): <root>/<ab>/<cd>/<sha256> in a local folder;
- DatabaseStore (PostgreSQL): rows of `file_chunk` (sha256, seq, data), written through the caller's
  session, so a file commits or rolls back with the row that names it, every node sees it and one
  pg_dump holds it; read back chunk by chunk (a server-side cursor) so a download is streamed.

Both: put(data, session) -> digest (the same bytes twice: stored once), get(digest, session) -> bytes,
exists(digest, session), open(digest) -> a binary file object to stream, intact(digest, session).
"""
from __future__ import annotations

import hashlib
import io
import os
import tempfile
from pathlib import Path
from typing import Iterator

from sqlalchemy import Integer, LargeBinary, String, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, memo

CHUNK_BYTES = 256 * 1024


class FileChunk(Base):
    """One piece of a stored file: the file is its chunks in `seq` order; seq 0 exists for every file."""

    __tablename__ = "file_chunk"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class FolderStore:
    """Content-addressed files in a local folder: <root>/<ab>/<cd>/<sha256>. The session is not used."""

    kind = "folder"

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:4] / digest

    def put(self, data: bytes, session=None) -> str:
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.exists():
            os.utime(target)               # fresh again: the orphan collector keeps a file about to be named
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)        # atomic: a reader never sees half a file
        return digest

    def get(self, digest: str, session=None) -> bytes:
        return self.path(digest).read_bytes()

    def exists(self, digest: str, session=None) -> bool:
        return self.path(digest).is_file()

    def present(self, digests, session=None) -> set[str]:
        """Which of these files are stored."""
        return {d for d in digests if d and self.exists(d)}

    def open(self, digest: str):
        return self.path(digest).open("rb")

    def intact(self, digest: str, session=None) -> bool:
        if not self.exists(digest):
            return False
        with self.open(digest) as f:
            return _sha256(iter(lambda: f.read(1 << 20), b"")) == digest

    def digests(self) -> Iterator[str]:
        """Every file in the folder (by name), for moving them elsewhere."""
        for path in sorted(self.root.glob("??/??/*")):
            if path.is_file() and len(path.name) == 64:
                yield path.name


FileStore = FolderStore          # its name before files could live in the database


class DatabaseStore:
    """Content-addressed files as rows of file_chunk. put/get/exists use the caller's session (put without
    one writes in a transaction of its own); open() streams through its own connection."""

    kind = "database"

    def __init__(self, sa):
        self.sa = sa

    def put(self, data: bytes, session=None) -> str:
        digest = hashlib.sha256(data).hexdigest()
        if session is None:
            with self.sa.begin() as conn:
                self._insert(conn, digest, data)
        else:
            self._insert(session, digest, data)
            memo(session, "file_present")[digest] = True
        return digest

    def _insert(self, conn, digest: str, data: bytes) -> None:
        if self._exists(conn, digest):
            return
        name = conn.dialect.name if hasattr(conn, "dialect") else conn.get_bind().dialect.name
        dialect = postgresql if name == "postgresql" else sqlite
        rows = [{"sha256": digest, "seq": i, "data": data[at:at + CHUNK_BYTES]}
                for i, at in enumerate(range(0, max(len(data), 1), CHUNK_BYTES))]
        # the same bytes written at the same moment by another transaction: it waits, then keeps theirs
        conn.execute(dialect.insert(FileChunk).on_conflict_do_nothing(), rows)

    @staticmethod
    def _exists(conn, digest: str) -> bool:
        return conn.execute(select(FileChunk.seq).where(FileChunk.sha256 == digest, FileChunk.seq == 0)).first() \
            is not None

    def exists(self, digest: str, session=None) -> bool:
        if session is not None:     # stored bytes are never removed inside a transaction: asked once in it
            present = memo(session, "file_present")
            if digest not in present and self._exists(session, digest):
                present[digest] = True
            return digest in present
        with self.sa.connect() as conn:
            return self._exists(conn, digest)

    def present(self, digests, session=None) -> set[str]:
        """Which of these files are stored: one query for those not yet known in the session's transaction."""
        digests = {d for d in digests if d}
        if session is None:
            return {d for d in digests if self.exists(d)}
        known = memo(session, "file_present")
        asked = sorted(digests - known.keys())
        if asked:
            known.update(dict.fromkeys(session.scalars(select(FileChunk.sha256).where(
                FileChunk.sha256.in_(asked), FileChunk.seq == 0)), True))
        return {d for d in digests if d in known}

    def get(self, digest: str, session=None) -> bytes:
        if session is not None:
            data = b"".join(session.scalars(self._query(digest)))
        else:
            data = b"".join(self.chunks(digest))
        if not data and not self.exists(digest, session):
            raise FileNotFoundError(digest)
        return data

    def chunks(self, digest: str) -> Iterator[bytes]:
        """The file's chunks in order, fetched one at a time (a server-side cursor on PostgreSQL)."""
        with self.sa.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=1).execute(self._query(digest))
            for (data,) in result:
                yield data

    def open(self, digest: str):
        """The file to stream (empty when there is none: ask exists() first, in the request's session)."""
        return ChunkReader(self.chunks(digest))

    def intact(self, digest: str, session=None) -> bool:
        if not self.exists(digest, session):
            return False
        parts = session.scalars(self._query(digest)) if session is not None else self.chunks(digest)
        return _sha256(parts) == digest

    @staticmethod
    def _query(digest: str):
        return select(FileChunk.data).where(FileChunk.sha256 == digest).order_by(FileChunk.seq)


class ChunkReader(io.RawIOBase):
    """A read-only binary file over an iterator of byte chunks (what a streamed response reads)."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks, self._left = chunks, memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._left:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._left = memoryview(chunk)
        n = min(len(buffer), len(self._left))
        buffer[:n], self._left = self._left[:n], self._left[n:]
        return n

    def close(self) -> None:
        if not self.closed:
            getattr(self._chunks, "close", lambda: None)()     # gives the connection back
        super().close()


def store_for(sa, folder: str | Path):
    """The database itself on PostgreSQL (every node sees the files); the local folder on SQLite."""
    return DatabaseStore(sa) if sa.dialect.name == "postgresql" else FolderStore(folder)


def _sha256(parts) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(part)
    return sha.hexdigest()

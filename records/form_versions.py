"""Versions of user-task forms (a JSON Schema or a UI schema file), kept like the diagrams' versions.

A version is never changed: a diagram version records the content hash of each form it shows, so an
instance keeps the form it started with after a new version is deployed.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime

FROM_FILES = "file"          # shipped in the forms folder
MODELER = "modeler"          # edited in the browser


class FormVersion(Base):
    __tablename__ = "form_version"
    __table_args__ = (UniqueConstraint("name", "version"), Index("ix_form_version_name_hash", "name", "content_hash"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))             # the file name a diagram names
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)                 # the JSON text as written
    origin: Mapped[str] = mapped_column(String(16))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deployed_by: Mapped[str] = mapped_column(String(100))
    comment: Mapped[str | None] = mapped_column(Text)

    def parsed(self):
        return json.loads(self.content)


def content_hash(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def latest(session, name: str) -> FormVersion | None:
    """The newest version of a form, or None."""
    return session.scalars(select(FormVersion).where(FormVersion.name == name)
                           .order_by(FormVersion.version.desc()).limit(1)).first()


def latest_shipped(session, name: str) -> FormVersion | None:
    """The newest version that came from the forms folder."""
    return session.scalars(select(FormVersion).where(FormVersion.name == name, FormVersion.origin == FROM_FILES)
                           .order_by(FormVersion.version.desc()).limit(1)).first()


def by_hash(session, name: str, digest: str) -> FormVersion | None:
    return session.scalars(select(FormVersion).where(FormVersion.name == name, FormVersion.content_hash == digest)
                           .order_by(FormVersion.version.desc()).limit(1)).first()


def current_hashes(session, names) -> dict[str, str]:
    """{name: content hash} of the newest version of each of these forms that has one."""
    names = sorted(set(names))
    if not names:
        return {}
    newest = (select(FormVersion.name, func.max(FormVersion.version).label("version"))
              .where(FormVersion.name.in_(names)).group_by(FormVersion.name).subquery())
    same = (FormVersion.name == newest.c.name) & (FormVersion.version == newest.c.version)
    rows = session.execute(select(FormVersion.name, FormVersion.content_hash).join(newest, same))
    return dict(rows.all())


def newest_all(session) -> list[FormVersion]:
    """The newest version of every form, by name."""
    newest = (select(FormVersion.name, func.max(FormVersion.version).label("version"))
              .group_by(FormVersion.name).subquery())
    return list(session.scalars(select(FormVersion).join(
        newest, (FormVersion.name == newest.c.name) & (FormVersion.version == newest.c.version))
        .order_by(FormVersion.name)))


def versions_of(session, name: str) -> list[FormVersion]:
    return list(session.scalars(select(FormVersion).where(FormVersion.name == name)
                                .order_by(FormVersion.version.desc())))


def add(session, name: str, content: str, *, origin: str, actor: str, now: datetime,
        comment: str | None = None) -> FormVersion:
    """Store the next version of a form (not committed)."""
    previous = latest(session, name)
    row = FormVersion(name=name, version=(previous.version if previous else 0) + 1, content_hash=content_hash(content),
                      content=content, origin=origin, deployed_at=now, deployed_by=actor, comment=comment)
    session.add(row)
    session.flush()
    return row

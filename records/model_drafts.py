"""Drafts of diagrams: what a process owner saved in the modeler without deploying, one per model file.

A draft is replaced by whoever saves next, but only if they saw the latest save (lock_version):
two owners editing the same diagram cannot overwrite each other's work unnoticed.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class StaleDraft(Exception):
    """Someone saved the draft after the caller loaded it; nothing was stored."""


class ModelDraft(Base):
    __tablename__ = "model_draft"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(Text)
    base_version: Mapped[int | None] = mapped_column(Integer)      # the deployed version it started from
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": lock_version}


def get(session, name: str) -> ModelDraft | None:
    return session.get(ModelDraft, name)


def save(session, name: str, kind: str, source: str, *, actor: str, now: datetime, expect_lock: int | None,
         base_version: int | None) -> ModelDraft:
    """Store the draft; expect_lock is the lock_version the caller loaded (None: there was no draft)."""
    draft = session.get(ModelDraft, name)
    seen = draft.lock_version if draft is not None else None
    if seen != expect_lock:
        who = f" by {draft.updated_by}" if draft is not None else ""
        raise StaleDraft(f"the draft of {name} was saved{who} after you opened it (or discarded); "
                         "reload the editor to see it")
    if draft is None:
        draft = ModelDraft(name=name, kind=kind, source=source, base_version=base_version, updated_by=actor,
                           updated_at=now)
        session.add(draft)
    else:
        draft.kind, draft.source, draft.base_version = kind, source, base_version
        draft.updated_by, draft.updated_at = actor, now
    session.flush()
    return draft


def discard(session, name: str) -> None:
    draft = session.get(ModelDraft, name)
    if draft is not None:
        session.delete(draft)

"""Process scenarios (tests) edited in the browser: one JSON text per model, replacing the file beside the
diagram in the bpmn folder (bpmn/<name>.scenarios.json) from the first save on.

A save replaces the text only if the saver saw the latest save (lock_version), as drafts do.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime
from .model_drafts import StaleDraft


class ModelScenarios(Base):
    __tablename__ = "model_scenarios"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": lock_version}


def get(session, name: str) -> ModelScenarios | None:
    return session.get(ModelScenarios, name)


def save(session, name: str, source: str, *, actor: str, now: datetime, expect_lock: int | None) -> ModelScenarios:
    """Store the scenarios; expect_lock is the lock_version the caller loaded (None: there were none)."""
    row = session.get(ModelScenarios, name)
    seen = row.lock_version if row is not None else None
    if seen != expect_lock:
        who = f" by {row.updated_by}" if row is not None else ""
        raise StaleDraft(f"the scenarios of {name} were saved{who} after you opened them; reload the page")
    if row is None:
        row = ModelScenarios(name=name, source=source, updated_by=actor, updated_at=now)
        session.add(row)
    else:
        row.source, row.updated_by, row.updated_at = source, actor, now
    session.flush()
    return row

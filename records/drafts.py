"""Drafts of task forms: what someone entered and saved without submitting, per user and task; and the
submissions received, by the idempotency key their device gave them (a retry completes nothing twice)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, bindparam, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, memo


class TaskDraft(Base):
    __tablename__ = "task_draft"

    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TaskSubmission(Base):
    __tablename__ = "task_submission"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


def submission(session, key: str) -> TaskSubmission | None:
    return session.get(TaskSubmission, key)


def record_submission(session, key: str, task_id: str, user_id: int, now: datetime) -> None:
    """Kept in the transaction that completes the task: both or neither."""
    session.add(TaskSubmission(key=key, task_id=task_id, user_id=user_id, received_at=now))


def get(session, task_id: str, user_id: int) -> dict | None:
    draft = session.get(TaskDraft, (task_id, user_id))
    return draft.data if draft else None


def saved_at(session, task_id: str, user_id: int) -> datetime | None:
    """When this user last saved a draft of the task (None: never)."""
    return session.scalar(select(TaskDraft.updated_at).where(TaskDraft.task_id == task_id,
                                                              TaskDraft.user_id == user_id))


def latest(session, task_id: str) -> tuple[int, datetime] | None:
    """(user id, time) of the most recent draft of the task by anybody."""
    row = session.execute(select(TaskDraft.user_id, TaskDraft.updated_at).where(TaskDraft.task_id == task_id)
                          .order_by(TaskDraft.updated_at.desc()).limit(1)).first()
    return (row.user_id, row.updated_at) if row else None


def save(session, task_id: str, user_id: int, data: dict, now: datetime) -> None:
    memo(session, DRAFTED)[task_id] = True
    draft = session.get(TaskDraft, (task_id, user_id))
    if draft is None:
        session.add(TaskDraft(task_id=task_id, user_id=user_id, data=data, updated_at=now))
    else:
        draft.data, draft.updated_at = data, now


_DISCARD = delete(TaskDraft).where(TaskDraft.task_id == bindparam("task_id"))   # built once: every completion
DRAFTED = "task_drafted"      # memo: {task id: whether it has drafts}, as read in this transaction


def has_any(task_id_column):
    """A column expression: whether the task of that id has a draft (for a statement that reads the task)."""
    return select(TaskDraft.task_id).where(TaskDraft.task_id == task_id_column).exists()


def note(session, task_id: str, drafted: bool) -> None:
    """What has_any found for the task, kept until the transaction ends."""
    memo(session, DRAFTED)[task_id] = drafted


def discard(session, task_id: str) -> None:
    """Drop the task's drafts, everyone's. None to drop (the task read in this transaction had none, and
    none was saved since): no statement, most completions."""
    if memo(session, DRAFTED).get(task_id) is not False:
        session.execute(_DISCARD, {"task_id": task_id})

"""In-app notifications (the bell): who should know what, with a link to act on it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime
from .people import User, UserRole, branch_ids_above


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_inbox", "user_id", "read_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def users_with_role(session, role: str, branch_code: str | None = None) -> list[User]:
    """Active users holding a role, in a branch or the branches above it (a company leader oversees all)."""
    query = select(User).join(UserRole).where(UserRole.role == role, User.active.is_(True)).order_by(User.username)
    if branch_code is not None:
        query = query.where(User.branch_id.in_(branch_ids_above(session, branch_code)))
    return list(session.scalars(query))


def notify(session, users, *, kind: str, title: str, body: str | None, link: str | None, now: datetime) -> int:
    """One notification per user (once per user even if listed twice); returns how many."""
    seen = set()
    for user in users:
        if user.id in seen:
            continue
        seen.add(user.id)
        session.add(Notification(user_id=user.id, kind=kind, title=title, body=body, link=link, created_at=now))
    return len(seen)


def unread_count(session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.user_id == user_id, Notification.read_at.is_(None))) or 0




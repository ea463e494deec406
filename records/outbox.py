"""The outbox: every message to a person or unit, written in the same transaction as the change it tells.

Channels: in-app (the bell; delivered at once, it lives in this database), e-mail and SMS (delivered
afterwards by the scheduler, with retries and exponential backoff). A message that cannot be sent
stays here with its error, visible to administrators, until it is sent: nothing is lost while a
channel is down. This module holds the rows and their state changes; it sends nothing itself.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, Integer, String, Text, func, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime
from .notifications import Notification
from .people import User

CHANNELS = ("inapp", "email", "sms")
STATUSES = ("pending", "sent", "failed")     # failed: given up until an administrator retries
ADDRESS_OF = {"email": "email", "sms": "mobile"}
MISSING = {"email": "e-mail address", "sms": "mobile number"}


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),
                      Index("ix_outbox_message_created", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(40))                    # e.g. risk_warning
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"), index=True)
    recipient: Mapped[str] = mapped_column(String(200))              # who, in words
    address: Mapped[str | None] = mapped_column(String(200))         # e-mail address or mobile number
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    warning_id: Mapped[int | None] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": lock_version}


def enqueue(session, *, channel: str, kind: str, subject: str, body: str, now: datetime, user: User | None = None,
            recipient: str | None = None, address: str | None = None, link: str | None = None,
            warning_id: int | None = None, missing: str | None = None) -> OutboxMessage:
    """Write one message in the caller's transaction (never commits).

    In-app messages become a notification at once. An e-mail or SMS whose recipient has no address
    is stored as failed with the reason (`missing` says why when nobody could be found), so an
    administrator sees it and can retry once it is fixed.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if user is not None and address is None and channel in ADDRESS_OF:
        address = getattr(user, ADDRESS_OF[channel]) or None
    who = recipient or (f"{user.display_name} ({user.username})" if user is not None else "?")
    row = OutboxMessage(channel=channel, kind=kind, user_id=user.id if user is not None else None, recipient=who,
                        address=address, subject=subject[:200], body=body, link=link, warning_id=warning_id,
                        status="pending", attempts=0, next_attempt_at=now, created_at=now)
    session.add(row)
    if channel == "inapp":
        if user is None:
            raise ValueError("an in-app message needs a user")
        session.add(Notification(user_id=user.id, kind=kind, title=subject[:200], body=body, link=link,
                                 created_at=now))
        row.status, row.sent_at, row.attempts = "sent", now, 1
    elif not address:
        row.status = "failed"
        row.last_error = missing or (f"{who} has no {MISSING[channel]}: add it to the user's record, then retry"
                                     if user is not None else f"no {MISSING[channel]} for {who}")
    return row


def due(session, now: datetime, limit: int = 100, *, lock: bool = False) -> list[OutboxMessage]:
    """Pending e-mail and SMS messages whose next attempt is due, oldest first.

    With lock (PostgreSQL), the rows are taken FOR UPDATE SKIP LOCKED: several schedulers never send one twice.
    """
    query = (select(OutboxMessage).where(OutboxMessage.status == "pending", OutboxMessage.channel != "inapp",
                                         OutboxMessage.next_attempt_at <= now)
             .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit))
    if lock:
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def sent(row: OutboxMessage, now: datetime) -> None:
    row.status, row.sent_at, row.attempts = "sent", now, row.attempts + 1
    row.next_attempt_at = None


def attempt_failed(row: OutboxMessage, error: str, now: datetime, *, base_seconds: int, cap_seconds: int,
                   max_attempts: int, permanent: bool = False) -> None:
    """Count a failed attempt: retry after base × 2^(attempts-1) seconds (at most cap), or give up
    (failed) when the error is permanent or the attempts are used up (max_attempts 0: never)."""
    row.attempts += 1
    row.last_error = error[:2000]
    if permanent or (max_attempts and row.attempts >= max_attempts):
        row.status, row.next_attempt_at = "failed", None
        return
    delay = min(base_seconds * 2 ** min(row.attempts - 1, 30), cap_seconds)
    row.next_attempt_at = now + timedelta(seconds=delay)


def retry(session, row: OutboxMessage, now: datetime) -> None:
    """An administrator's retry: pending again, due now, attempts counted afresh, the address re-read."""
    if row.status == "sent":
        raise ValueError("this message was sent already")
    if row.user_id is not None and row.channel in ADDRESS_OF:
        user = session.get(User, row.user_id)
        if user is not None:
            row.address = getattr(user, ADDRESS_OF[row.channel]) or None
    row.status, row.attempts, row.next_attempt_at = "pending", 0, now
    if not row.address:
        row.status = "failed"
        row.last_error = f"{row.recipient} still has no {MISSING[row.channel]}"


def undelivered_count(session) -> int:
    """Messages an administrator should look at: failed, or pending after at least one failed attempt."""
    return session.scalar(select(func.count()).select_from(OutboxMessage).where(or_(
        OutboxMessage.status == "failed", (OutboxMessage.status == "pending") & (OutboxMessage.attempts > 0)))) or 0

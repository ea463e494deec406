"""Sign-in records: the server-side web sessions (a cookie names one; ending the row ends the session
everywhere) and the sign-in attempts that the rate limit counts across every worker and process."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Integer, String, delete, func, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class WebSession(Base):
    __tablename__ = "web_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)        # SHA-256 of the cookie's token
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginAttempt(Base):
    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    account: Mapped[str] = mapped_column(String(60), index=True)        # the user name as typed, lower case
    address: Mapped[str] = mapped_column(String(45), index=True)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session, user_id: int, now: datetime, lifetime: timedelta) -> str:
    """A new session row (in the caller's transaction); the token for the cookie."""
    token = secrets.token_urlsafe(32)
    session.add(WebSession(id=_digest(token), user_id=user_id, created_at=now, expires_at=now + lifetime))
    return token


def live_user_id(session, token: str, now: datetime) -> int | None:
    """The user of a live (not ended, not expired) session, or None."""
    if not token or len(token) > 100:
        return None
    row = session.get(WebSession, _digest(token))
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    return row.user_id


def end_session(session, token: str, now: datetime) -> None:
    if token and len(token) <= 100:
        session.execute(update(WebSession).where(WebSession.id == _digest(token), WebSession.ended_at.is_(None))
                        .values(ended_at=now))


def end_sessions_of(session, user_id: int, now: datetime) -> None:
    """End every live session of a user (password changed, account deactivated)."""
    session.execute(update(WebSession).where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
                    .values(ended_at=now))


def record_attempt(session, account: str, address: str, now: datetime, keep: timedelta) -> None:
    """Record one sign-in attempt (in the caller's transaction) and forget those older than `keep`."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - keep))
    session.add(LoginAttempt(at=now, account=account[:60], address=address[:45]))
    session.flush()


def attempts_since(session, since: datetime, *, account: str | None = None, address: str | None = None) -> int:
    """Attempts since then on this account or from this address, on every worker."""
    where = LoginAttempt.account == account[:60] if account is not None else LoginAttempt.address == address[:45]
    return session.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.at >= since, where))


def forget_expired(session, now: datetime) -> None:
    session.execute(delete(WebSession).where(or_(WebSession.expires_at < now - timedelta(days=1),
                                                 WebSession.ended_at < now - timedelta(days=1))))

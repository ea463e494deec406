"""API bearer tokens: only a hash is stored; the token is shown once when created."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, String, bindparam, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime
from .people import SIGNED_IN, SignedIn, User, signed_in

PREFIX = "gs_"


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create(session, user: User, name: str, now: datetime) -> tuple[ApiToken, str]:
    """A new token for the user: (row, the token text to hand over once)."""
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=_hash(token), hint=token[:10], created_at=now)
    session.add(row)
    return row, token


_token = ApiToken.__table__
# built once: a statement object is compiled and its cache key computed once, not per API call
_LIVE_TOKEN_USER = SIGNED_IN.where(User.__table__.c.id == select(_token.c.user_id).where(
    _token.c.token_hash == bindparam("token_hash"), _token.c.revoked_at.is_(None)).scalar_subquery())


def user_for(session, token: str) -> SignedIn | None:
    """The active user a live token belongs to, or None. One statement by the token's unique hash, no ORM
    objects: every API call pays for it."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    return signed_in(session, _LIVE_TOKEN_USER, {"token_hash": _hash(token)})


def of_user(session, user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked ones too)."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke(session, token_id: int, now: datetime) -> ApiToken | None:
    """Revoke a token at once (the next call with it is refused); None when there is no such live token."""
    row = session.get(ApiToken, token_id)
    if row is None or row.revoked_at is not None:
        return None
    row.revoked_at = now
    return row

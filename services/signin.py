"""Signing in and out of the pages: a rate limit shared by every worker and process (in the database),
per account and per address; answers that take as long for an unknown name as for a known one; sessions
kept on the server, so signing out, a password change and deactivation end them everywhere."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache

from limits import parse
from werkzeug.security import check_password_hash, generate_password_hash

from records import User, people, signins

from .errors import ServiceError
from .i18n import _


class TooManyAttempts(ServiceError):
    """Too many sign-in attempts on the account or from the address in the window."""

    status = 429


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    """A hash to check an unknown name's password against, so the answer takes as long as a real check."""
    return generate_password_hash("no such user: the check only spends the time a real one takes")


def _now() -> datetime:
    """Sign-in windows and session lifetimes run on the wall clock, not the runtime's business clock (which
    tests, demos and `tick --now` move): a session lasts its real hours whatever the business date."""
    return datetime.now(timezone.utc)


def _limit(text: str) -> tuple[int, timedelta]:
    item = parse(text)
    return item.amount, timedelta(seconds=item.get_expiry())


def sign_in(rt, session, username: str, password: str, address: str, *, remember: bool) -> tuple[User, str] | None:
    """(user, session token) for the right name and password of an active user, None otherwise. Every
    attempt counts, right or wrong; beyond the limits: TooManyAttempts, whatever the password."""
    now, account = _now(), (username or "").strip().lower()[:60]
    per_account, account_window = _limit(rt.config["LOGIN_RATE_LIMIT"])
    per_address, address_window = _limit(rt.config["LOGIN_ADDRESS_RATE_LIMIT"])
    signins.record_attempt(session, account, address or "", now, max(account_window, address_window))
    session.commit()          # counted even when the check below fails or the process dies
    if signins.attempts_since(session, now - account_window, account=account) > per_account or \
            signins.attempts_since(session, now - address_window, address=address or "") > per_address:
        raise TooManyAttempts(_("Too many attempts; wait a minute and try again"))
    user = people.user_by_name(session, (username or "").strip()[:60])
    if user is None:
        check_password_hash(_decoy_hash(), password or "")
        return None
    if not user.check_password(password or "") or not user.active:
        return None
    hours = rt.config["REMEMBER_DAYS"] * 24 if remember else rt.config["SESSION_HOURS"]
    token = signins.open_session(session, user.id, now, timedelta(hours=hours))
    signins.forget_expired(session, now)
    session.commit()
    return user, token


def user_for_session(rt, session, token: str | None) -> people.SignedIn | None:
    """The active user of a live session, or None."""
    user_id = signins.live_user_id(session, token or "", _now())
    return people.signed_in_by_id(session, user_id) if user_id is not None else None   # active only, no ORM graph


def sign_out(rt, session, token: str | None) -> None:
    """End this session (its cookie, copied or not, no longer signs anyone in)."""
    signins.end_session(session, token or "", _now())
    session.commit()

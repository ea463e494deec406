"""The outbox: delivering it (e-mail over SMTP, SMS through an HTTP gateway with a JSON POST; in-app
messages are delivered when written) and the administrators' view of it (what could not be
delivered and why; retrying one message or every undelivered one).

Each message is sent in its own transaction, taken FOR UPDATE SKIP LOCKED on PostgreSQL so that
several schedulers never send one twice. A failure is counted and retried later with exponential
backoff (records/outbox.py); a permanent one (no address, channel not configured, address refused)
is failed at once and shown to administrators. A crash between sending and committing can resend
a message: the gateway gets the same id ("gridsafe-<n>") and the e-mail the same Message-ID, so
either can drop the duplicate. The outbox holds every recipient's address: administrators only
(`access.require_outbox`). Imports no web framework.
"""
from __future__ import annotations

import base64
import json
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import func, or_, select

from engine import audit
from records import outbox
from records.outbox import OutboxMessage

from . import access
from .errors import Conflict, NotFound
from .i18n import _

PAGE_SIZE = 100
VIEWS = ("undelivered", "pending", "failed", "sent", "all")
CHANNELS = outbox.CHANNELS


class DeliveryError(Exception):
    """A message could not be sent; permanent ones are not retried automatically."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class Smtp:
    """E-mail through the SMTP server of the settings (GRIDSAFE_SMTP_*)."""

    def __init__(self, config: dict):
        self.config = config

    def send(self, row: OutboxMessage) -> None:
        c = self.config
        if not c.get("SMTP_HOST"):
            raise DeliveryError("e-mail is not configured: set GRIDSAFE_SMTP_HOST (and _PORT, _USER, _PASSWORD, "
                                "_FROM), then retry", permanent=True)
        message = EmailMessage()
        message["Subject"], message["From"], message["To"] = row.subject, c["SMTP_FROM"], row.address
        message["Message-ID"] = f"<gridsafe-{row.id}@{c['SMTP_FROM'].rpartition('@')[2] or 'gridsafe'}>"
        message.set_content(row.body)
        timeout = c.get("DELIVERY_TIMEOUT_SECONDS", 10)
        try:
            if c.get("SMTP_SSL"):
                server = smtplib.SMTP_SSL(c["SMTP_HOST"], c["SMTP_PORT"], timeout=timeout,
                                          context=ssl.create_default_context())
            else:
                server = smtplib.SMTP(c["SMTP_HOST"], c["SMTP_PORT"], timeout=timeout)
            with server:
                if c.get("SMTP_STARTTLS"):
                    server.starttls(context=ssl.create_default_context())
                if c.get("SMTP_USER"):
                    server.login(c["SMTP_USER"], c.get("SMTP_PASSWORD") or "")
                server.send_message(message)
        except smtplib.SMTPRecipientsRefused as err:
            raise DeliveryError(f"the mail server refused the address {row.address}: {err.recipients}",
                                permanent=True) from None
        except smtplib.SMTPAuthenticationError as err:
            raise DeliveryError(f"the mail server refused the credentials (GRIDSAFE_SMTP_USER): {err}",
                                permanent=True) from None
        except (smtplib.SMTPException, OSError) as err:
            raise DeliveryError(f"the mail server at {c['SMTP_HOST']}:{c['SMTP_PORT']} did not take the message: "
                                f"{type(err).__name__}: {err}") from None


class SmsGateway:
    """SMS through an HTTP gateway: POST {"id", "mobile", "text"} as JSON; a 2xx JSON object answers.

    The answer {"ok": false, "error": ...} (or any "error") is a failure; 5xx, 408, 429, timeouts and
    answers that are not JSON are retried; other 4xx answers mean the request itself is wrong.
    """

    def __init__(self, config: dict):
        self.config = config

    def send(self, row: OutboxMessage) -> None:
        c = self.config
        url = c.get("SMS_URL")
        if not url:
            raise DeliveryError("the SMS gateway is not configured: set GRIDSAFE_SMS_URL (and its credentials), "
                                "then retry", permanent=True)
        body = json.dumps({"id": f"gridsafe-{row.id}", "mobile": row.address, "text": row.body},
                          ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(url, data=body, method="POST", headers=self._headers())
        try:
            with urllib.request.urlopen(request, timeout=c.get("DELIVERY_TIMEOUT_SECONDS", 10)) as response:
                raw = response.read(65536)
        except urllib.error.HTTPError as err:
            detail = err.read(300).decode("utf-8", "replace")
            permanent = 400 <= err.code < 500 and err.code not in (408, 429)
            raise DeliveryError(f"the SMS gateway answered HTTP {err.code}: {detail}", permanent=permanent) from None
        except (urllib.error.URLError, OSError) as err:
            raise DeliveryError(f"the SMS gateway at {url} cannot be reached: {getattr(err, 'reason', err)}") from None
        try:
            answer = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise DeliveryError(f"the SMS gateway answered something that is not JSON: {raw[:120]!r}") from None
        if not isinstance(answer, dict):
            raise DeliveryError(f"the SMS gateway answered {raw[:120]!r}, not a JSON object")
        if answer.get("ok") is False or answer.get("error"):
            raise DeliveryError(f"the SMS gateway refused the message: {answer.get('error') or answer}")

    def _headers(self) -> dict:
        c = self.config
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        if c.get("SMS_TOKEN"):
            headers["Authorization"] = f"Bearer {c['SMS_TOKEN']}"
        elif c.get("SMS_USER"):
            pair = f"{c['SMS_USER']}:{c.get('SMS_PASSWORD') or ''}".encode("utf-8")
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        return headers


def channels(config: dict) -> dict:
    return {"email": Smtp(config), "sms": SmsGateway(config)}


# --- delivery (the scheduler) ---------------------------------------------------------------------

def deliver_due(rt, *, limit: int | None = None) -> dict:
    """Send what is due now; returns counts {"sent", "retrying", "failed", "skipped"}."""
    config, now = rt.config, rt.now()
    limit = limit or config.get("OUTBOX_BATCH", 200)
    with rt.sessions() as session:
        ids = [row.id for row in outbox.due(session, now, limit)]
    senders = channels(config)
    report = {"sent": 0, "retrying": 0, "failed": 0, "skipped": 0}
    for message_id in ids:
        report[_deliver_one(rt, senders, message_id, now)] += 1
    return report


def _deliver_one(rt, senders, message_id: int, now) -> str:
    config = rt.config
    with rt.sessions() as session:
        query = select(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.status == "pending",
                                            OutboxMessage.next_attempt_at <= now)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = session.scalars(query).first()
        if row is None:
            return "skipped"             # another scheduler has it, or it was sent meanwhile
        try:
            senders[row.channel].send(row)
        except Exception as err:  # noqa: BLE001 - any failure of a channel is the message's, never the tick's
            permanent = isinstance(err, DeliveryError) and err.permanent
            error = str(err) if isinstance(err, DeliveryError) else f"unexpected {type(err).__name__}: {err}"
            outbox.attempt_failed(row, error, now, base_seconds=config.get("OUTBOX_RETRY_BASE_SECONDS", 60),
                                  cap_seconds=config.get("OUTBOX_RETRY_MAX_SECONDS", 3600),
                                  max_attempts=config.get("OUTBOX_MAX_ATTEMPTS", 48), permanent=permanent)
            outcome = "failed" if row.status == "failed" else "retrying"
        else:
            outbox.sent(row, now)
            outcome = "sent"
        session.commit()
        return outcome


# --- the administrators' view ---------------------------------------------------------------------

@dataclass
class OutboxQuery:
    """Which messages to list; values it does not know fall back to the undelivered ones, any channel."""

    view: str = "undelivered"
    channel: str | None = None
    page: int = 1

    def __post_init__(self):
        self.view = self.view if self.view in VIEWS else "undelivered"
        self.channel = self.channel if self.channel in outbox.CHANNELS else None
        self.page = max(1, int(self.page or 1))


def _condition(q: OutboxQuery):
    condition = OutboxMessage.id.is_not(None)
    if q.view == "undelivered":
        condition &= or_(OutboxMessage.status == "failed",
                         (OutboxMessage.status == "pending") & (OutboxMessage.attempts > 0))
    elif q.view != "all":
        condition &= OutboxMessage.status == q.view
    if q.channel:
        condition &= OutboxMessage.channel == q.channel
    return condition


def messages(rt, session, actor, q: OutboxQuery) -> tuple[list[OutboxMessage], int, dict]:
    """(messages, total, counts), newest first. The counts are those of the lists the tabs open: per status,
    "undelivered" and "all", of the chosen channel; "undelivered_anywhere" is what "retry all" retries."""
    access.require_outbox(actor)
    condition = _condition(q)
    total = session.scalar(select(func.count()).select_from(OutboxMessage).where(condition)) or 0
    rows = session.scalars(select(OutboxMessage).where(condition).order_by(OutboxMessage.created_at.desc(),
                                                                           OutboxMessage.id.desc())
                           .limit(PAGE_SIZE).offset((q.page - 1) * PAGE_SIZE)).all()
    channel = OutboxMessage.channel == q.channel if q.channel else OutboxMessage.id.is_not(None)
    counts = {s: 0 for s in outbox.STATUSES} | dict(session.execute(
        select(OutboxMessage.status, func.count()).where(channel).group_by(OutboxMessage.status)).all())
    counts["all"] = sum(counts[s] for s in outbox.STATUSES)
    counts["undelivered"] = session.scalar(select(func.count()).select_from(OutboxMessage).where(
        _condition(OutboxQuery(view="undelivered", channel=q.channel)))) or 0
    counts["undelivered_anywhere"] = outbox.undelivered_count(session)
    return list(rows), total, counts


def retry(rt, session, actor, message_id: int, *, lock_version: str | None = None) -> OutboxMessage:
    """One message due again now (the address re-read from the user); one transaction, one audit event.
    NotFound when absent; Conflict when it changed meanwhile (lock_version) or was sent already."""
    access.require_outbox(actor)
    row = session.get(OutboxMessage, message_id)
    if row is None:
        raise NotFound(_("There is no message %(id)s.", id=message_id))
    if lock_version is not None and str(lock_version) != str(row.lock_version):
        raise Conflict(_("The message changed meanwhile or does not exist; reload and try again."))
    now = rt.now()
    before = {"status": row.status, "attempts": row.attempts, "last_error": row.last_error}
    try:
        outbox.retry(session, row, now)
    except ValueError as err:                  # sent already
        session.rollback()
        raise Conflict(str(err)) from err
    audit.record(session, f"outbox:{row.id}", at=now, actor=actor.username, action="outbox.retried", before=before,
                 after={"status": row.status, "address": row.address})
    session.commit()
    return row


def retry_undelivered(rt, session, actor) -> int:
    """Every failed or retrying message due again now (e.g. after the SMS gateway was repaired); one
    transaction, one audit event. Returns how many."""
    access.require_outbox(actor)
    now = rt.now()
    rows = session.scalars(select(OutboxMessage).where(_condition(OutboxQuery()))).all()
    for row in rows:
        outbox.retry(session, row, now)
    audit.record(session, "outbox", at=now, actor=actor.username, action="outbox.retried_all",
                 after={"ids": [r.id for r in rows]})
    session.commit()
    return len(rows)

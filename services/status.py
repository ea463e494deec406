"""What an operator on call needs to see: the database, the schedulers, timers, the outbox, instances in
error, sizes, and the years the working-day calendar does not cover. Read-only; the admin page 系统状态
and /metrics read it, the runtime logs the calendar's gaps when it starts."""
from __future__ import annotations

import logging
import shutil
from datetime import timedelta

from sqlalchemy import case, func, select, text

from engine import ACTIVE_STATUSES, HumanTask, ProcessInstance, SchedulerBeat
from records import Document, outbox, workdays
from records.outbox import OutboxMessage

from . import access

LOG = logging.getLogger("gridsafe.status")
CALENDAR_HORIZON_DAYS = 60          # deadlines reach this far ahead: a year within it must be known


def calendar_gaps(config: dict, today) -> list[int]:
    """The years of today and the next CALENDAR_HORIZON_DAYS whose holidays nobody gives (the package
    does not cover them yet and no GRIDSAFE_HOLIDAYS entry falls in them)."""
    years = sorted({today.year, (today + timedelta(days=CALENDAR_HORIZON_DAYS)).year})
    return workdays.uncovered_years(config, years)


def log_calendar_gaps(config: dict, today) -> list[int]:
    """Warn once per start about the years counted with weekends only."""
    gaps = calendar_gaps(config, today)
    for year in gaps:
        LOG.warning("working-day calendar does not cover %s: only weekends count as days off; update the "
                    "chinese-calendar package or set GRIDSAFE_HOLIDAYS and GRIDSAFE_MAKEUP_WORKDAYS for %s",
                    year, year, extra={"event": "calendar_not_covered", "year": year})
    return gaps


def snapshot(rt, session, actor) -> dict:
    """The essentials in one read (administrators only): numbers an operator compares with last week's."""
    access.require_right(actor, "system.status")
    now = rt.now()
    return {
        "at": now,
        "database": database(rt, session),
        "schedulers": schedulers(rt, session),
        "timer_lag_seconds": timer_lag(session, now),
        "instances": dict(session.execute(select(ProcessInstance.status, func.count())
                                          .group_by(ProcessInstance.status)).all()),
        "instances_in_error": session.execute(
            select(ProcessInstance.id, ProcessInstance.title, ProcessInstance.error_element,
                   ProcessInstance.error_message, ProcessInstance.updated_at)
            .where(ProcessInstance.status == "error").order_by(ProcessInstance.updated_at.desc())
            .limit(ERRORS_LISTED)).all(),
        "tasks": tasks(session, now),
        "outbox": outbox_counts(session),
        "documents": dict(session.execute(select(Document.kind, func.count()).group_by(Document.kind)).all()),
        "disk": disk(rt),
        "calendar": {"covered": workdays.covered_years(), "gaps": calendar_gaps(rt.config, rt.today()),
                     "source": rt.config.get("WORKDAY_CALENDAR") or workdays.KEPT},
    }


ERRORS_LISTED = 20


def database(rt, session) -> dict:
    """Which database, whether it answers, and how large it is (bytes; None when unknown)."""
    dialect = session.get_bind().dialect.name
    try:
        if dialect == "postgresql":
            size = session.scalar(text("SELECT pg_database_size(current_database())"))
        else:
            size = (session.scalar(text("PRAGMA page_count")) or 0) * (session.scalar(text("PRAGMA page_size")) or 0)
    except Exception as err:  # noqa: BLE001 - a status page reports any failure
        return {"ok": False, "dialect": dialect, "error": str(err), "size": None}
    return {"ok": True, "dialect": dialect, "size": int(size), "url": rt.sa.url.render_as_string(hide_password=True)}


def schedulers(rt, session) -> list[dict]:
    """Each scheduler's last beat, how long ago, and whether that is too long."""
    now, limit = rt.now(), rt.config["SCHEDULER_MAX_LAG_SECONDS"]
    rows = session.scalars(select(SchedulerBeat).order_by(SchedulerBeat.last_tick_at.desc())).all()
    return [{"name": row.name, "last_tick": row.last_tick_at, "duration_ms": row.last_duration_ms,
             "fired": row.fired, "errors": row.errors,
             "age_seconds": max(0, int((now - row.last_tick_at).total_seconds())),
             "late": (now - row.last_tick_at).total_seconds() > limit} for row in rows]


def timer_lag(session, now) -> float:
    """How late the oldest due timer is (0 when none is due): a stopped scheduler shows here first."""
    due = session.scalar(select(func.min(ProcessInstance.next_wake_at)).where(
        ProcessInstance.next_wake_at <= now, ProcessInstance.status.in_(ACTIVE_STATUSES)))
    return max(0.0, (now - due).total_seconds()) if due is not None else 0.0


def tasks(session, now) -> dict:
    """Open user tasks and those past their due time."""
    ready = HumanTask.status == "ready"
    return {"open": session.scalar(select(func.count()).select_from(HumanTask).where(ready)) or 0,
            "overdue": session.scalar(select(func.count()).select_from(HumanTask).where(
                ready, HumanTask.due_at < now)) or 0}


def outbox_counts(session) -> dict:
    """{channel: {"pending": n, "failed": n, "retrying": n}}: the backlog and the failures per channel."""
    counts = {channel: {"pending": 0, "failed": 0, "retrying": 0} for channel in outbox.CHANNELS}
    retrying = case((OutboxMessage.attempts > 0, 1), else_=0)
    for channel, status, n, n_retrying in session.execute(
            select(OutboxMessage.channel, OutboxMessage.status, func.count(), func.sum(retrying))
            .where(OutboxMessage.status != "sent").group_by(OutboxMessage.channel, OutboxMessage.status)):
        row = counts.setdefault(channel, {"pending": 0, "failed": 0, "retrying": 0})
        row[status] = n
        if status == "pending":
            row["retrying"] = int(n_retrying or 0)
    return counts


def disk(rt) -> dict:
    """Free and total bytes where the files are kept."""
    usage = shutil.disk_usage(rt.config["DATA_DIR"])
    return {"path": rt.config["DATA_DIR"], "free": usage.free, "total": usage.total}

"""What one scheduler tick does: fire due timers, then the periodic jobs that are due — the daily
inspection plan, the daily risk grading, the outbox, the assessment of a finished period, the SQLite
statistics — and remember the beat for /healthz.

Each periodic job runs once per period even with several schedulers (records.jobs.claim_period), each
in its own transactions, as the system actor. Imports no web framework: `gridsafe tick` and
`gridsafe scheduler` run without Flask.
"""
from __future__ import annotations

import logging
import time

from engine import timers
from records import jobs

from . import assessment, outbox, planning, risk

LOG = logging.getLogger("gridsafe.scheduler")


def run_tick(rt, name: str) -> dict:
    """Run every due job once, each in its own transactions; returns what happened."""
    started = time.monotonic()
    report = rt.engine.fire_due_timers(rt.sessions)
    done = {"fired": report.fired, "errors": report.errors}
    done["plan"] = daily_plan(rt)
    done["risk"] = risk.daily(rt, logger=LOG)
    done["outbox"] = outbox.deliver_due(rt)
    done["assessment"] = start_assessment(rt)
    done["statistics"] = daily_statistics(rt)
    with rt.sessions() as session:
        timers.record_beat(session, name, rt.now(), started, report)
    return done


def _claim(rt, job: str) -> bool:
    """Whether this scheduler is the first to run `job` today (the company's day)."""
    with rt.sessions() as session:
        claimed = jobs.claim_period(session, job, rt.today().isoformat(), rt.now())
        session.commit()
        return claimed


def daily_plan(rt) -> int | None:
    """Once a day: create the periodic inspections that fell due (None when already done today)."""
    if not _claim(rt, "plan"):
        return None
    return len(planning.generate(rt, rt.today()).created)


def start_assessment(rt) -> str | None:
    """After each month (or quarter), start the assessment of the one that ended (see
    services.assessment.start_due)."""
    return assessment.start_due(rt)


def daily_statistics(rt) -> bool | None:
    """Once a day on SQLite: ANALYZE, so that the query planner knows the tables' sizes and picks the
    indexes the inbox and lists are built on (without statistics it guesses, and at a million tasks it
    guesses slow). PostgreSQL's autovacuum does this by itself. None when not due or not SQLite."""
    if rt.sa.dialect.name != "sqlite" or not _claim(rt, "statistics"):
        return None
    with rt.sa.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    return True

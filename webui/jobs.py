"""What one scheduler tick does: fire due timers, then the periodic jobs that are due (each runs once
per period even with several schedulers: records.jobs.claim_period)."""
from __future__ import annotations

import time

from engine import timers
from records import jobs
from services import assessment

from . import db, delivery, grading, planning
from .work import local_day


def run_tick(app, eng, name: str) -> dict:
    """Run every due job once, each in its own transactions; returns what happened."""
    started = time.monotonic()
    report = eng.fire_due_timers(db.session_factory())
    done = {"fired": report.fired, "errors": report.errors}
    done["plan"] = daily_plan(app, eng)
    done["risk"] = grading.daily(eng, db.session_factory(), app.config["GRIDSAFE"], app.logger)
    done["outbox"] = delivery.deliver_due(app.config["GRIDSAFE"], db.session_factory(), eng.clock.now())
    done["assessment"] = assessment.start_due(app.extensions["gridsafe.runtime"].with_clock(eng.clock))
    done["statistics"] = daily_statistics(app, eng)
    with db.session_factory()() as session:
        timers.record_beat(session, name, eng.clock.now(), started, report)
    return done


def daily_plan(app, eng) -> int | None:
    """Once a day: create the periodic inspections that fell due (None when already done today)."""
    today = local_day(eng, app.config["GRIDSAFE"])
    with db.session_factory()() as session:
        if not jobs.claim_period(session, "plan", today.isoformat(), eng.clock.now()):
            return None
        session.commit()
    return len(planning.generate(eng, db.session_factory(), app.config["GRIDSAFE"], today).created)


def daily_statistics(app, eng) -> bool | None:
    """Once a day on SQLite: ANALYZE, so that the query planner knows the tables' sizes and picks the
    indexes the inbox and lists are built on (without statistics it guesses, and at a million tasks it
    guesses slow). PostgreSQL's autovacuum does this by itself. None when not due or not SQLite."""
    sa = app.extensions["gridsafe.sa"]
    if sa.dialect.name != "sqlite":
        return None
    today = local_day(eng, app.config["GRIDSAFE"])
    with db.session_factory()() as session:
        if not jobs.claim_period(session, "statistics", today.isoformat(), eng.clock.now()):
            return None
        session.commit()
    with sa.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    return True

"""What one scheduler tick does: fire due timers, file the hazards of submitted inspections still waiting,
then the periodic jobs that are due — the daily inspection plan, the daily risk grading, the outbox, the
documents still to render, the
assessment of a finished period, the SQLite statistics — and remember the beat for /healthz.

Each periodic job runs once per period even with several schedulers (records.jobs.claim_period), each
in its own transactions, as the system actor. Imports no web framework: `gridsafe tick` and
`gridsafe scheduler` run without Flask.
"""
from __future__ import annotations

import logging
import os
import socket
import time
from datetime import datetime, timedelta, timezone

from engine import timers, transient
from records import jobs

from . import access, assessment, files, hazard_filing, outbox, planning, rendering, risk, snapshots

LOG = logging.getLogger("gridsafe.scheduler")
DAILY_LEASE = timedelta(minutes=30)     # a daily run not done this long after its claim is run again
HOST = socket.gethostname()


def run_tick(rt, name: str, *, beat: bool = True) -> dict:
    """Run every due job once, each in its own transactions; returns what happened.

    A job that fails is logged and reported and the others still run; only a database outage ends the
    tick (raised, for the loop to back off). `beat`: remember the tick for /healthz, at the wall-clock
    time (a tick at another instant, `gridsafe tick --now`, says nothing about a scheduler's health)."""
    started = time.monotonic()
    done: dict = {"fired": 0, "errors": []}
    report = _guarded(done, "timers", lambda: rt.engine.fire_due_timers(rt.sessions))
    if report is not None:
        done["fired"] = report.fired
        done["errors"].extend(report.errors)
    done["hazards"] = _guarded(done, "hazards", lambda: hazard_filing.file_waiting(rt))
    done["plan"] = _guarded(done, "plan", lambda: daily_plan(rt))
    done["risk"] = _guarded(done, "risk", lambda: _daily(rt, risk.DAILY, lambda: risk.daily(rt, force=True, logger=LOG)))
    done["outbox"] = _guarded(done, "outbox", lambda: outbox.deliver_due(rt))
    done["documents"] = _guarded(done, "documents", lambda: rendering.render_due(rt))
    done["assessment"] = _guarded(done, "assessment", lambda: start_assessment(rt))
    done["statistics"] = _guarded(done, "statistics", lambda: daily_statistics(rt))
    done["files"] = _guarded(done, "files", lambda: daily_files(rt))
    done["snapshots"] = _guarded(done, "snapshots", lambda: close_months(rt))
    if beat:
        tally = timers.TickReport(fired=done["fired"], errors=done["errors"])
        with rt.sessions() as session:
            transient.attempts(lambda: timers.record_beat(session, name, datetime.now(timezone.utc), started, tally),
                               what="scheduler beat")
    return done


def _guarded(done: dict, job: str, work):
    """work(), or None with the failure logged and reported; an outage is raised."""
    try:
        return work()
    except Exception as err:  # noqa: BLE001 - one job's failure must not stop the others
        if transient.is_outage(err):
            raise
        LOG.exception("scheduler job %s failed", job)
        done["errors"].append(f"{job}: {type(err).__name__}: {err}")
        return None


def owner() -> str:
    """Who claims a daily run: this machine and process."""
    return f"{HOST}:{os.getpid()}"


def gone(claimant: str) -> bool:
    """Whether the process that claimed a run is known to have died: it ran on this machine and no longer
    runs. A claimant on another machine is not known to be gone (its claim ends with DAILY_LEASE)."""
    host, _, pid = claimant.rpartition(":")
    if host != HOST or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:          # it runs, as another user
        return False
    return False


def _claim(rt, job: str) -> bool:
    """Whether this scheduler runs `job` today (the company's day): nobody claimed it yet, or the one who
    did stopped before finishing it (it died on this machine, or DAILY_LEASE passed)."""
    with rt.sessions() as session:
        claimed = jobs.claim_period(session, job, rt.today().isoformat(), rt.now(), lease=DAILY_LEASE,
                                    owner=owner(), gone=gone)
        session.commit()
        return claimed


def _daily(rt, job: str, work, *, marks_done: bool = False):
    """Run a claimed daily job and mark it done when it is; a failure gives the claim back (next tick).

    The jobs run in pieces (one transaction per inspection or customer) and are idempotent, so a crash
    before the mark means the next tick runs the job again. `marks_done`: work(finish) marks the run done
    itself, in the transaction of its work (finish(session, result))."""
    if not _claim(rt, job):
        return None
    period = rt.today().isoformat()

    def finish(session, result):
        jobs.finish_period(session, job, period, {"result": result})
    try:
        result = work(finish) if marks_done else work()
    except BaseException:
        with rt.sessions() as session:
            jobs.release_period(session, job, period)
            session.commit()
        raise
    if not marks_done:
        with rt.sessions() as session:
            jobs.finish_period(session, job, period, {"result": result})
            session.commit()
    return result


def daily_plan(rt) -> int | None:
    """Once a day: create the periodic inspections that fell due (None when already done today).
    Creating them is idempotent (each missing one is made once), so a run cut short is simply run again."""
    return _daily(rt, "plan", lambda: len(planning.generate(rt, rt.today()).created))


def start_assessment(rt) -> str | None:
    """After each month (or quarter), start the assessment of the one that ended (see
    services.assessment.start_due)."""
    return assessment.start_due(rt)


def daily_statistics(rt) -> bool | None:
    """Once a day on SQLite: ANALYZE, so that the query planner knows the tables' sizes and picks the
    indexes the inbox and lists are built on (without statistics it guesses, and at a million tasks it
    guesses slow). PostgreSQL's autovacuum does this by itself. None when not due or not SQLite."""
    if rt.sa.dialect.name != "sqlite":
        return None

    def analyze(finish):
        with rt.sessions() as session:          # the statistics and the mark of the day, together
            session.connection().exec_driver_sql("ANALYZE")
            finish(session, True)
            session.commit()
        return True
    return _daily(rt, "statistics", analyze, marks_done=True)


def daily_files(rt) -> int | None:
    """Once a day: remove stored files that no row names (a rolled-back request's), past their grace
    period (services.files.collect_orphans). Returns how many were removed; None when not due."""
    return _daily(rt, "files", lambda: files.collect_orphans(rt, access.SYSTEM).removed)


def close_months(rt) -> list[str] | None:
    """Once a day: count the indicators of every ended month that can be closed and is not
    (services.snapshots); the months closed now, or None when already done today."""
    return _daily(rt, "snapshots", lambda: snapshots.close_due(rt).months)

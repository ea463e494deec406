"""Firing due timers: the scheduler's sweep, safe to run in several processes at once.

Due instances are found by the indexed next_wake_at. Each is fired in its own transaction after
re-checking that it is still due; on PostgreSQL the row is taken with FOR UPDATE SKIP LOCKED, so two
schedulers never fire one timer twice (on SQLite, writers are serialized by BEGIN IMMEDIATE).
"""
from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass, field

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from . import audit, runtime, transient
from .clocked import timer_due_times
from .errors import EngineError
from .models import ACTIVE_STATUSES, ProcessInstance, SchedulerBeat

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    fired: int = 0
    errors: list[str] = field(default_factory=list)


def due_instance_ids(session, now, limit: int) -> list[int]:
    return list(session.scalars(
        select(ProcessInstance.id)
        .where(ProcessInstance.next_wake_at <= now, ProcessInstance.status.in_(ACTIVE_STATUSES))
        .order_by(ProcessInstance.next_wake_at).limit(limit)))


def _claim(session, instance_id: int, now):
    query = select(ProcessInstance).where(ProcessInstance.id == instance_id, ProcessInstance.next_wake_at <= now,
                                          ProcessInstance.status.in_(ACTIVE_STATUSES))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return session.scalars(query).first()


def fire_instance(eng, session, instance: ProcessInstance, actor: str = "scheduler") -> ProcessInstance:
    """Let one instance's due timers fire and run it until it waits again (one transaction)."""
    _, workflow = runtime.load(eng, session, instance.id)
    now = eng.clock.now()
    fired = [t.task_spec.bpmn_id for due, t in timer_due_times(workflow) if due <= now]
    return runtime.execute(eng, session, instance, workflow, actor, action="timer.fired",
                           act=lambda wf: wf.refresh_timers(), element_id=fired[0] if fired else None,
                           detail={"timers": fired})


def fire_due_timers(eng, session_factory, *, limit: int = 1000) -> TickReport:
    """Fire every timer due as of the engine's clock. Returns how many instances moved.

    One instance never stops the sweep: a transient database error is retried a few times (then the
    instance waits for the next tick), any other failure is logged and puts that instance in error.
    Only an outage (the database does not answer) ends the sweep, raised for the caller to back off.
    """
    now = eng.clock.now()
    report = TickReport()
    with session_factory() as session:
        ids = due_instance_ids(session, now, limit)
    for instance_id in ids:
        try:
            if transient.attempts(lambda: _fire_one(eng, session_factory, instance_id, now),
                                  what=f"timer of instance {instance_id}"):
                report.fired += 1
        except EngineError as err:
            report.errors.append(f"instance {instance_id}: {err}")
        except Exception as err:  # noqa: BLE001 - one instance must not stop the scheduler
            if transient.is_outage(err):
                raise
            if transient.is_busy(err):
                log.warning("instance %s: the database stayed busy; its timer fires at a later tick", instance_id)
                report.errors.append(f"instance {instance_id}: database busy, left for the next tick")
                continue
            log.exception("instance %s cannot be run by the scheduler; it is put in error", instance_id)
            report.errors.append(f"instance {instance_id}: {type(err).__name__}: {err}")
            transient.attempts(lambda: mark_failed(eng, session_factory, instance_id, err),
                               what=f"marking instance {instance_id}")
    return report


def _fire_one(eng, session_factory, instance_id: int, now) -> bool:
    with session_factory() as session:
        instance = _claim(session, instance_id, now)
        if instance is None:
            session.rollback()
            return False
        fire_instance(eng, session, instance)
        return True


def mark_failed(eng, session_factory, instance_id: int, err: BaseException, actor: str = "scheduler") -> None:
    """Put an instance that cannot even be loaded or run in error (one transaction, one audit event),
    so that the scheduler stops picking it and an administrator sees why."""
    with session_factory() as session:
        instance = session.get(ProcessInstance, instance_id, with_for_update=True)
        if instance is None or instance.status not in ACTIVE_STATUSES:
            return
        before = {"status": instance.status}
        message = f"the scheduler could not run this instance: {type(err).__name__}: {err}"[:2000]
        instance.status = "error"
        instance.updated_at = eng.clock.now()
        runtime.set_error(instance, {"message": message,
                                     "traceback": "".join(traceback.format_exception(err))})
        audit.append(session, instance, chain=instance.chain, at=instance.updated_at, actor=actor,
                     action="instance.failed", instance_id=instance.id, before=before,
                     after={"status": "error", "error": {"message": message, "element": None}})
        runtime.write_instance(session, instance)
        runtime.commit(session)


def record_beat(session, name: str, at, started: float, report: TickReport) -> None:
    """Remember this scheduler's last tick (read by /healthz): `at` is the wall-clock time of the tick.
    Several schedulers (or ticks) of one name may write at once: an insert that loses the race updates."""
    values = {"last_tick_at": at, "last_duration_ms": int((time.monotonic() - started) * 1000),
              "fired": report.fired, "errors": len(report.errors)}
    table = SchedulerBeat.__table__
    if session.execute(update(table).where(table.c.name == name).values(**values)).rowcount == 0:
        try:
            with session.begin_nested():
                session.execute(insert(table).values(name=name, **values))
        except IntegrityError:
            session.execute(update(table).where(table.c.name == name).values(**values))
    session.commit()

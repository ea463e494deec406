"""Firing due timers: the scheduler's sweep, safe to run in several processes at once.

Due instances are found by the indexed next_wake_at. Each is fired in its own transaction after
re-checking that it is still due; on PostgreSQL the row is taken with FOR UPDATE SKIP LOCKED, so two
schedulers never fire one timer twice (on SQLite, writers are serialized by BEGIN IMMEDIATE).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from sqlalchemy import select

from . import runtime
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
    """Fire every timer due as of the engine's clock. Returns how many instances moved."""
    now = eng.clock.now()
    report = TickReport()
    with session_factory() as session:
        ids = due_instance_ids(session, now, limit)
    for instance_id in ids:
        with session_factory() as session:
            instance = _claim(session, instance_id, now)
            if instance is None:
                session.rollback()
                continue
            try:
                fire_instance(eng, session, instance)
                report.fired += 1
            except EngineError as err:
                report.errors.append(f"instance {instance_id}: {err}")
    return report


def record_beat(session, name: str, at, started: float, report: TickReport) -> None:
    """Remember this scheduler's last tick (read by /healthz)."""
    beat = session.get(SchedulerBeat, name) or SchedulerBeat(name=name)
    beat.last_tick_at = at
    beat.last_duration_ms = int((time.monotonic() - started) * 1000)
    beat.fired = report.fired
    beat.errors = len(report.errors)
    session.merge(beat)
    session.commit()

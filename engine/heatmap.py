"""Where instances of one process version stall: how many wait at each element now, and for how long
they waited there over a period. Read only; never deserializes a workflow.

The source is the audit trail. Every engine call ends with one event whose `after.waiting_at` lists
the elements the instance waits at once the call is done (user tasks, receive tasks, timers, message
events). Walking one instance's events in order, an element *enters* when it first appears in that
list and *leaves* at the first later event where it is gone; the difference is one stay. A stay
counts for the period when it ended inside it; stays still open are the "waiting now" counts (for
unfinished instances) and are reported with their age so far, not mixed into the median.

Limits: two stays at one element inside a single call (a loop that leaves and re-enters in one step)
read as one; an instance migrated from another version counts wholly for the version it is on now.
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent

from .clock import utc
from .models import ACTIVE_STATUSES, AuditEvent, ModelVersion, ProcessInstance

UNFINISHED = (*ACTIVE_STATUSES, "suspended", "error")


def _events(session, model_version_id: int, process_id: str | None, since: datetime | None):
    instance = ProcessInstance.__table__.c
    event = AuditEvent.__table__.c
    query = (select(event.instance_id, event.at, event.after["waiting_at"].label("waiting_at"), instance.status,
                    instance.error_element)
             .join(ProcessInstance.__table__, instance.id == event.instance_id)
             .where(instance.model_version_id == model_version_id)
             .order_by(event.instance_id, event.seq))
    if process_id:
        query = query.where(instance.process_id == process_id)
    if since is not None:     # instances that ended before the period cannot contribute
        query = query.where((instance.completed_at.is_(None)) | (instance.completed_at >= since))
    return session.execute(query)


def heatmap(session, model_version_id: int, *, process_id: str | None = None, since: datetime | None = None,
            until: datetime | None = None, now: datetime, ignore: frozenset = frozenset(),
            names: dict | None = None) -> dict:
    """{element_id: {"waiting", "errors", "stays", "median_seconds", "oldest_waiting_seconds"}} and totals.

    ignore: element ids that wait alongside another (boundary events wait with their task).
    """
    durations: dict = defaultdict(list)
    waiting_now: dict = defaultdict(int)
    oldest: dict = {}
    errors: dict = defaultdict(int)
    instances = 0
    current_id, entered, last = None, {}, None

    def close_instance():
        if current_id is None or last is None or last.status not in UNFINISHED:
            return
        for element, started in entered.items():
            waiting_now[element] += 1
            oldest[element] = max(oldest.get(element, 0), (now - started).total_seconds())
        if last.status == "error" and last.error_element:
            errors[last.error_element] += 1

    for row in _events(session, model_version_id, process_id, since):
        if row.instance_id != current_id:
            close_instance()
            current_id, entered, instances = row.instance_id, {}, instances + 1
        last = row
        if row.waiting_at is None:
            continue            # not an engine call (e.g. a claim): the instance did not move
        at, now_waiting = _aware(row.at), set(row.waiting_at) - ignore
        for element in list(entered):
            if element not in now_waiting:
                started = entered.pop(element)
                if (since is None or at >= since) and (until is None or at < until):
                    durations[element].append((at - started).total_seconds())
        for element in now_waiting - set(entered):
            entered[element] = at
    close_instance()
    elements = set(durations) | set(waiting_now) | set(errors)
    return {
        "instances": instances,
        "elements": {e: {"name": (names or {}).get(e, e), "waiting": waiting_now.get(e, 0), "errors": errors.get(e, 0),
                         "stays": len(durations.get(e, [])),
                         "median_seconds": statistics.median(durations[e]) if durations.get(e) else None,
                         "oldest_waiting_seconds": oldest.get(e)} for e in sorted(elements)},
    }


def _aware(value: datetime) -> datetime:
    return utc(value)


def elements_of(eng, session, model_version_id: int) -> tuple[dict, frozenset]:
    """({element id: name}, boundary event ids) of a version's processes; boundary events wait with
    the task they are attached to, so they are not counted on their own."""
    version = session.get(ModelVersion, model_version_id)
    names, boundary = {}, set()
    for process_id in (version.process_ids or []) if version is not None and version.kind == "bpmn" else []:
        spec, subprocess_specs = eng.specs.get(session, version.id, process_id)
        for s in (spec, *subprocess_specs.values()):
            for ts in s.task_specs.values():
                if ts.bpmn_id:
                    names.setdefault(ts.bpmn_id, ts.bpmn_name or ts.bpmn_id)
                    if isinstance(ts, BoundaryEvent):
                        boundary.add(ts.bpmn_id)
    return names, frozenset(boundary)

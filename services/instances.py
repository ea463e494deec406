"""Process instances for the people who run the system: the list, one instance's "why is it not
moving?", the admin actions (retry, skip, suspend, resume, terminate), the instance on its diagrams,
one element's detail, a deployed version's source and its heatmap.

Looking is for admins and process owners (access.observes_instances); acting is for admins. Anyone
else is told an instance does not exist.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import defer

import engine
from engine import Definition, ModelVersion, ProcessInstance

from . import access
from .errors import Invalid, NotFound
from .i18n import _l

PAGE_SIZE = 50
ACTIONS = {"retry": _l("Retry the failed step"), "skip": _l("Skip the failed step with data"),
           "suspend": _l("Suspend"), "resume": _l("Resume"), "terminate": _l("Terminate"),
           "signal": _l("Send a signal")}
DEFAULT_PERIOD_DAYS = 90
DESTRUCTIVE = frozenset({"terminate"})      # cannot be undone: asked apart from the others, with a confirmation


@dataclass
class InstanceQuery:
    process: str | None = None
    version: int | None = None
    status: str | None = None
    key: str | None = None
    started_from: date | None = None
    started_to: date | None = None
    page: int = 1


def instance_page(rt, session, actor, q: InstanceQuery) -> tuple[list, int]:
    """(instances with their model version, total) matching the filters, newest first."""
    access.require_observer(actor)
    condition = ProcessInstance.id.is_not(None)
    if q.process:
        condition &= ProcessInstance.process_id == q.process
    if q.version:
        condition &= ModelVersion.version == q.version
    if q.status:
        condition &= ProcessInstance.status == q.status
    if q.key:
        condition &= ProcessInstance.business_key == q.key
    if q.started_from:
        condition &= ProcessInstance.created_at >= datetime.combine(q.started_from, time.min, timezone.utc)
    if q.started_to:
        condition &= ProcessInstance.created_at < datetime.combine(q.started_to, time.max, timezone.utc)
    counted = select(func.count()).select_from(ProcessInstance)
    if q.version:
        counted = counted.join(ModelVersion)
    total = session.scalar(counted.where(condition))
    # the list shows no state: leave the (large) serialized workflow and tracebacks in the database
    rows = session.execute(select(ProcessInstance, ModelVersion.version).join(ModelVersion).where(condition)
                           .options(defer(ProcessInstance.state), defer(ProcessInstance.error_traceback))
                           .order_by(ProcessInstance.created_at.desc(), ProcessInstance.id.desc())
                           .limit(PAGE_SIZE).offset((q.page - 1) * PAGE_SIZE)).all()
    return rows, total


def process_ids(rt, session, actor) -> list[str]:
    """Every deployed process id, for the list's filter (not a scan of every instance)."""
    access.require_observer(actor)
    return list(session.scalars(select(Definition.definition_id).where(Definition.kind == "process")
                                .order_by(Definition.definition_id).distinct()))


def describe(rt, session, actor, instance_id: int, *, with_version: bool = True) -> dict:
    """One instance: what it waits for, its elements, data, audit trail and error, with its version
    (with_version=False: without it, for the API, which does not print the diagram's source)."""
    instance = access.instance_or_404(session, actor, instance_id)
    view = rt.engine.describe(session, instance.id)    # finds the row just read in the session (held: no second read)
    if with_version:
        view["version"] = session.get(ModelVersion, view["instance"].model_version_id)
    view["can_act"] = actor.has_role("admin")
    return view


def act(rt, session, actor, instance_id: int, action: str, reason: str, data: dict | None = None):
    """retry, skip (with data), suspend, resume, terminate or signal (data: {"signal": name, "payload": {...}}),
    with a reason: one engine call, audited."""
    access.instance_or_404(session, actor, instance_id)
    access.require_instance_actor(actor)
    if action not in ACTIONS:
        raise Invalid(errors={"action": [action]})
    reason = (reason or "").strip()
    if not reason:
        message = str(_l("Give a reason: it is kept in the audit trail."))
        raise Invalid(message, errors={"reason": [message]})
    extra = {"data": data} if action in ("skip", "signal") else {}
    return getattr(rt.engine, action)(session, instance_id, actor.username, reason, **extra)


def diagram(rt, session, actor, instance_id: int) -> dict:
    """Markers per diagram (completed, active, error) and call activities' targets, for the viewer."""
    access.instance_or_404(session, actor, instance_id)
    return rt.engine.instance_diagram(session, instance_id)


def element_detail(rt, session, actor, instance_id: int, element_id: str) -> dict:
    """One element of one instance: its tasks (state, time, data), user-task rows and audit events."""
    access.instance_or_404(session, actor, instance_id)
    return rt.engine.element_detail(session, instance_id, element_id)


def version_source(rt, session, actor, version_id: int) -> str:
    """A deployed version's XML, for the viewer."""
    access.require_observer(actor)
    number = access.key(version_id)          # a huge id is answered like an absent one, not by an overflow
    mv = session.get(ModelVersion, number) if number is not None else None
    if mv is None:
        raise NotFound()
    return mv.source


def heatmap(rt, session, actor, name: str, version: int, first: date | None = None,
            last: date | None = None) -> dict:
    """Per element of a BPMN version: instances waiting there now and the median time spent there in
    the period (local days; the last 90 days by default)."""
    access.require_observer(actor)
    mv = session.scalars(select(ModelVersion).where(ModelVersion.name == name,
                                                    ModelVersion.version == version)).first()
    if mv is None or mv.kind != "bpmn":
        raise NotFound()
    today = rt.today()
    first = first or today - timedelta(days=DEFAULT_PERIOD_DAYS)
    last = last or today
    since = datetime.combine(first, time.min, rt.zone).astimezone(timezone.utc)
    until = datetime.combine(last + timedelta(days=1), time.min, rt.zone).astimezone(timezone.utc)
    result = rt.engine.heatmap(session, mv.id, since=since, until=until)
    cells = {e: {k: c[k] for k in ("waiting", "errors", "median_seconds")} for e, c in result["elements"].items()}
    return {"mv": mv, "result": result, "cells": cells, "first": first, "last": last}


def statuses() -> tuple:
    return engine.STATUSES

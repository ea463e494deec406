"""Projections of a workflow into plain rows: human tasks, message subscriptions, status, wake-up time.

Refreshed after every engine call from the workflow in hand, so that no query ever has to
deserialize a workflow.
"""
from __future__ import annotations

import functools
import logging
from datetime import datetime

from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import select
from SpiffWorkflow.util.task import TaskState

from . import correlation, statements
from .clock import parse_instant, utc
from .clocked import timer_due_times
from .lint import FORM_PROPERTY, UI_FORM_PROPERTY
from .models import HumanTask, MessageSubscription

log = logging.getLogger(__name__)
_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>!#|~&"})


def _markdown_literal(value):
    """A value inserted into instructions: its text shows as typed; only the diagram's own instructions
    are Markdown (a customer name cannot add a link or load an image)."""
    return value.translate(_MARKDOWN_SPECIAL) if isinstance(value, str) else value


_JINJA = SandboxedEnvironment(autoescape=False, finalize=_markdown_literal)


def ready_user_tasks(workflow) -> list:
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def compute_status(workflow, error: bool, ready: list) -> str:
    if error:
        return "error"
    if workflow.is_completed():
        return "completed"
    return "running" if ready else "waiting"


def next_wake_at(workflow) -> datetime | None:
    due = timer_due_times(workflow)
    return due[0][0] if due else None


def waiting_messages(workflow) -> list[tuple[str, str, str | None]]:
    """(message name, element id, correlation key or None) of every message catch event now waiting."""
    out = []
    for task in workflow.event_manager.tasks.values():
        if not task.has_state(TaskState.WAITING):
            continue
        for d in correlation.message_definitions(task.task_spec):
            out.append((d.name, task.task_spec.bpmn_id or task.task_spec.name, correlation.waiting_key(task, d)))
    return out


def refresh_human_tasks(session, instance, ready: list, open_before: set, *, now, actor,
                        completed_id=None, reconcile=False, written: list | None = None) -> list[str]:
    """Insert rows for newly ready tasks, close rows of tasks no longer ready. Returns warnings.

    The rows mirror the workflow (both are written in the same transaction), so the tasks that were
    ready before the call are exactly the open rows; only `reconcile` (an admin reset that may re-open
    a task) looks rows up. `written` gets the values of the rows inserted.
    """
    warnings: list[str] = []
    ready_now = {str(task.id): task for task in ready}
    connection = session.connection()
    for task_id in open_before - set(ready_now):
        done = task_id == completed_id
        connection.execute(statements.CLOSE_TASK, {"w_id": task_id, "status": "completed" if done else "cancelled",
                                                   "completed_at": now, "completed_by": actor if done else None})
    new_ids = set(ready_now) - open_before
    reopened = {}
    if reconcile and new_ids:
        reopened = {row.id: row for row in session.scalars(select(HumanTask).where(HumanTask.id.in_(new_ids)))}
    rows = []
    for task_id in sorted(new_ids):
        values = _row_for(ready_now[task_id], instance, now, warnings)
        if task_id in reopened:
            for key, value in values.items():
                setattr(reopened[task_id], key, value)
            reopened[task_id].completed_at = reopened[task_id].completed_by = None
        else:
            rows.append(values)
    if rows:
        connection.execute(statements.INSERT_TASK, rows)
    if written is not None:
        written.extend(rows)
    return warnings


def ready_rows(instance) -> list[HumanTask] | None:
    """The instance's ready tasks as the last engine call on this object left them, when that call wrote
    all of them and nothing wrote the instance since (its lock_version): rows not in any session, so
    that the answer to the call needs no query. None when they must be read."""
    left = instance.__dict__.get("_gridsafe_ready")
    if left is None or left[0] != instance.lock_version:
        return None
    return [HumanTask(**{**values, "completed_at": None, "completed_by": None,
                         "created_at": utc(values["created_at"]),
                         "due_at": utc(values["due_at"]) if values["due_at"] is not None else None})
            for values in left[1]]


def keep_ready_rows(instance, ready: list, written: list, lock_version: int) -> None:
    """Remember the ready tasks this call wrote for ready_rows (only when it wrote every ready one)."""
    complete = {v["id"] for v in written} == {str(t.id) for t in ready}
    instance.__dict__["_gridsafe_ready"] = (lock_version, list(written)) if complete else None


def close_all_human_tasks(session, instance, now) -> None:
    for row in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                       HumanTask.status == "ready")):
        row.status, row.completed_at = "cancelled", now


def uses_messages(workflow) -> bool:
    """Whether the instance's spec can wait for a message at all (cached on the spec)."""
    spec = workflow.spec
    found = getattr(spec, "_gridsafe_uses_messages", None)
    if found is None:
        specs = [spec, *workflow.subprocess_specs.values()]
        found = any(correlation.message_definitions(ts) for s in specs for ts in s.task_specs.values())
        spec._gridsafe_uses_messages = found
    return found


def open_subscriptions(session, instance_id: int) -> list:
    return list(session.scalars(select(MessageSubscription).where(MessageSubscription.instance_id == instance_id)))


def refresh_subscriptions(session, instance, workflow, existing: list, *, now, active=True) -> None:
    """One row per waiting message catch event, keyed by its correlation values, else the business key."""
    wanted = {(name, element_id): key or instance.business_key
              for name, element_id, key in (waiting_messages(workflow) if active else [])}
    have = {(s.message_name, s.element_id): s for s in existing}
    for key, sub in have.items():
        if key not in wanted or sub.correlation_key != wanted[key]:
            session.delete(sub)
    for (name, element_id), key in wanted.items():
        sub = have.get((name, element_id))
        if sub is None or sub.correlation_key != key:
            session.add(MessageSubscription(instance_id=instance.id, message_name=name, correlation_key=key,
                                            element_id=element_id, created_at=now))


def _row_for(task, instance, now, warnings) -> dict:
    spec = task.task_spec
    props = (spec.extensions or {}).get("properties", {})
    return dict(
        id=str(task.id), instance_id=instance.id, process_id=instance.process_id,
        element_id=spec.bpmn_id or spec.name, title=spec.bpmn_name or spec.bpmn_id or spec.name,
        lane=spec.lane, candidate_team=_text(task, props.get("candidateTeam"), warnings),
        assignee=_text(task, props.get("assignee"), warnings),
        form=props.get(FORM_PROPERTY), ui_form=props.get(UI_FORM_PROPERTY),
        due_at=_instant(task, props.get("dueDate"), warnings), business_key=instance.business_key,
        subject=instance.subject, instance_title=instance.title,
        instructions=_instructions(task, warnings), prefill=_prefill(task, props.get("formData"), warnings),
        status="ready", created_at=now, lock_version=1,
    )


def _evaluate(task, expression, warnings):
    try:
        return task.workflow.script_engine.evaluate(task, expression)
    except Exception as err:  # a diagram bug must not lose the user's completed work
        warnings.append(f"{task.task_spec.bpmn_id}: {expression!r} failed: {err}")
        return None


def _text(task, expression, warnings) -> str | None:
    if not expression:
        return None
    value = _evaluate(task, expression, warnings)
    return None if value in (None, "") else str(value)


def _instant(task, expression, warnings) -> datetime | None:
    if not expression:
        return None
    value = _evaluate(task, expression, warnings)
    if value in (None, ""):
        return None
    try:
        return parse_instant(value.isoformat() if isinstance(value, datetime) else str(value))
    except ValueError:
        warnings.append(f"{task.task_spec.bpmn_id}: dueDate {value!r} is not an ISO 8601 instant")
        return None


def _prefill(task, expression, warnings) -> dict | None:
    if not expression:
        return None
    value = _evaluate(task, expression, warnings)
    if value is not None and not isinstance(value, dict):
        warnings.append(f"{task.task_spec.bpmn_id}: formData {expression!r} is not an object")
        return None
    return value


@functools.lru_cache(maxsize=512)
def _compiled(template: str):
    """A diagram's instructions compiled once per process (compiling costs ~7 ms, rendering ~0.1 ms)."""
    return _JINJA.from_string(template)


def _instructions(task, warnings) -> str | None:
    template = (task.task_spec.extensions or {}).get("instructionsForEndUser")
    if not template:
        return None
    try:
        return _compiled(template).render(**task.data)
    except Exception as err:  # show the raw text rather than nothing
        warnings.append(f"{task.task_spec.bpmn_id}: instructions could not be rendered: {err}")
        return template

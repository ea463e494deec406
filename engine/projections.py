"""Projections of a workflow into plain rows: human tasks, message subscriptions, status, wake-up time.

Refreshed after every engine call from the workflow in hand, so that no query ever has to
deserialize a workflow.
"""
from __future__ import annotations

import logging
from datetime import datetime

from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import select
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.util.task import TaskState

from .clock import parse_instant
from .clocked import timer_due_times
from .lint import FORM_PROPERTY, UI_FORM_PROPERTY
from .models import HumanTask, MessageSubscription

log = logging.getLogger(__name__)
_JINJA = SandboxedEnvironment(autoescape=False)


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


def waiting_messages(workflow) -> list[tuple[str, str]]:
    """(message name, element id) of every message catch event now waiting."""
    out = []
    for task in workflow.event_manager.tasks.values():
        if not task.has_state(TaskState.WAITING):
            continue
        definition = task.task_spec.event_definition
        defs = definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
        for d in defs:
            if isinstance(d, MessageEventDefinition):
                out.append((d.name, task.task_spec.bpmn_id or task.task_spec.name))
    return out


def refresh_human_tasks(session, instance, ready: list, *, now, actor, completed_id=None,
                        fresh=False) -> list[str]:
    """Insert rows for newly ready tasks and close rows of tasks no longer ready. Returns warnings."""
    existing = {} if fresh else {row.id: row for row in session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == "ready"))}
    warnings: list[str] = []
    ready_ids = set()
    for task in ready:
        task_id = str(task.id)
        ready_ids.add(task_id)
        if task_id not in existing:
            session.add(_row_for(task, instance, now, warnings))
    for task_id, row in existing.items():
        if task_id not in ready_ids:
            done = task_id == completed_id
            row.status = "completed" if done else "cancelled"
            row.completed_at = now
            row.completed_by = actor if done else None
    return warnings


def close_all_human_tasks(session, instance, now) -> None:
    for row in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                       HumanTask.status == "ready")):
        row.status, row.completed_at = "cancelled", now


def refresh_subscriptions(session, instance, workflow, *, now, fresh=False, active=True) -> None:
    wanted = set(waiting_messages(workflow)) if active else set()
    existing = [] if fresh else list(session.scalars(
        select(MessageSubscription).where(MessageSubscription.instance_id == instance.id)))
    have = {(s.message_name, s.element_id): s for s in existing}
    for key, sub in have.items():
        if key not in wanted or sub.correlation_key != instance.business_key:
            session.delete(sub)
    for name, element_id in wanted:
        sub = have.get((name, element_id))
        if sub is None or sub.correlation_key != instance.business_key:
            session.add(MessageSubscription(instance_id=instance.id, message_name=name,
                                            correlation_key=instance.business_key, element_id=element_id,
                                            created_at=now))


def _row_for(task, instance, now, warnings) -> HumanTask:
    spec = task.task_spec
    props = (spec.extensions or {}).get("properties", {})
    return HumanTask(
        id=str(task.id), instance_id=instance.id, process_id=instance.process_id,
        element_id=spec.bpmn_id or spec.name, title=spec.bpmn_name or spec.bpmn_id or spec.name,
        lane=spec.lane, candidate_team=_text(task, props.get("candidateTeam"), warnings),
        assignee=_text(task, props.get("assignee"), warnings),
        form=props.get(FORM_PROPERTY), ui_form=props.get(UI_FORM_PROPERTY),
        due_at=_instant(task, props.get("dueDate"), warnings), business_key=instance.business_key,
        instructions=_instructions(task, warnings), status="ready", created_at=now,
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


def _instructions(task, warnings) -> str | None:
    template = (task.task_spec.extensions or {}).get("instructionsForEndUser")
    if not template:
        return None
    try:
        return _JINJA.from_string(template).render(**task.data)
    except Exception as err:  # show the raw text rather than nothing
        warnings.append(f"{task.task_spec.bpmn_id}: instructions could not be rendered: {err}")
        return template

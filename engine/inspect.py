"""Answers to "why is this instance not moving?": one instance's tasks, timers, messages, elements.

This is the one read that deserializes a workflow, for a single instance's admin page.
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import bindparam, select
from SpiffWorkflow.util.task import TaskState

from . import projections, runtime
from .clocked import timer_due_times
from .models import AuditEvent, HumanTask, MessageSubscription, ProcessInstance


# built once (an instance's page and the API read them on every call)
_TASKS = select(HumanTask).where(HumanTask.instance_id == bindparam("instance_id")).order_by(HumanTask.created_at)
_MESSAGES = select(MessageSubscription).where(MessageSubscription.instance_id == bindparam("instance_id"))
_EVENTS = select(AuditEvent).where(AuditEvent.chain == bindparam("chain")).order_by(AuditEvent.seq)


def describe(eng, session, instance_id: int) -> dict:
    """Status, what it waits on (people, timers, messages), its elements and data, and the error."""
    instance = session.get(ProcessInstance, instance_id)    # a read: no row lock (runtime.load takes one)
    if instance is None:
        raise runtime.UnknownInstance(f"there is no process instance {instance_id}")
    workflow = runtime.restore(eng, session, instance)
    tasks = session.scalars(_TASKS, {"instance_id": instance.id}).all()
    return {
        "instance": instance,
        "open_tasks": [t for t in tasks if t.status == "ready"],
        "task_history": [t for t in tasks if t.status != "ready"],
        "timers": [{"element_id": t.task_spec.bpmn_id, "name": t.task_spec.bpmn_name, "due_at": due}
                   for due, t in timer_due_times(workflow)],
        "messages": session.scalars(_MESSAGES, {"instance_id": instance.id}).all()
        if projections.uses_messages(workflow) else [],      # a diagram without message events has none
        "elements": element_states(workflow),
        "data": current_data(workflow),
        "events": session.scalars(_EVENTS, {"chain": instance.chain}).all(),
    }


def element_states(workflow) -> list[dict]:
    """Per diagram element: how many of its tasks are in each state (for the table and the heatmap)."""
    states: dict = defaultdict(lambda: defaultdict(int))
    names = {}
    for task in workflow.get_tasks(state=TaskState.ANY_MASK):
        spec = task.task_spec
        if spec.bpmn_id is None:
            continue
        key = (task.workflow.spec.name, spec.bpmn_id)
        names[key] = spec.bpmn_name or spec.bpmn_id
        states[key][TaskState.get_name(task.state)] += 1
    return [{"process": p, "element_id": e, "name": names[(p, e)], "states": dict(s)}
            for (p, e), s in states.items()]


def current_data(workflow) -> dict:
    """The data as the process sees it now (the most recently changed task's data)."""
    if workflow.is_completed():
        return dict(workflow.data)
    last = workflow.last_task or workflow.task_tree
    return dict(last.data)



def visited(eng, session, instance_id: int) -> dict:
    """The elements one instance ran in the order it ran them, loops repeated (from its audit trail: the
    task a person completed or the event a message reached, then what the engine ran after it), the
    end events of its top process among them, and its data now."""
    _instance, workflow = runtime.load(eng, session, instance_id)
    path = []
    for action, element_id, after in session.execute(
            select(AuditEvent.action, AuditEvent.element_id, AuditEvent.after)
            .where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.seq)):
        if action in ("task.completed", "message.delivered") and element_id:
            path.append(element_id)
        path.extend((after or {}).get("path") or [])
    top_ends = {spec.bpmn_id for spec in workflow.spec.task_specs.values() if type(spec).__name__ == "EndEvent"}
    data = current_data(workflow)
    session.rollback()
    return {"path": path, "ends": [e for e in path if e in top_ends], "data": data}

"""An administrator's hands on one instance: retry, skip with data, suspend, resume, terminate, signal.

Each takes a reason, runs as one unit of work and leaves one audit event.
"""
from __future__ import annotations

from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import SignalEventDefinition
from SpiffWorkflow.util.task import TaskState

from . import audit, projections, runtime
from .errors import InstanceNotActive, InvalidRequest, NoSubscriber
from .serializer import dump_state


def _reason(reason: str | None) -> str:
    if not reason or not reason.strip():
        raise InvalidRequest("give a reason: it is kept in the audit trail")
    return reason.strip()


def _errored_task(workflow, instance):
    if instance.error_task_id:
        try:
            task = workflow.get_task_from_id(UUID(instance.error_task_id))
        except Exception:  # noqa: BLE001 - a stale id just means "no task to reset"
            task = None
        if task is not None and task.has_state(TaskState.ERROR):
            return task
    return workflow.get_next_task(state=TaskState.ERROR)


def _require_error(instance) -> None:
    if instance.status != "error":
        raise InstanceNotActive(f"instance {instance.id} is {instance.status}, not in error")


def retry(eng, session, instance_id: int, actor: str, reason: str):
    """Run the failed step again (after its cause was fixed)."""
    reason = _reason(reason)
    instance, workflow = runtime.load(eng, session, instance_id)
    _require_error(instance)
    task = _errored_task(workflow, instance)

    def act(wf):
        if task is not None:
            wf.reset_from_task_id(task.id)
    return runtime.execute(eng, session, instance, workflow, actor, action="instance.retried", act=act,
                           element_id=instance.error_element, reason=reason, reconcile=True)


def skip(eng, session, instance_id: int, actor: str, reason: str, data: dict | None = None):
    """Mark the failed step done with the given data instead of running it, and go on."""
    reason = _reason(reason)
    data = runtime.jsonable(data, "the data")
    instance, workflow = runtime.load(eng, session, instance_id)
    _require_error(instance)
    task = _errored_task(workflow, instance)
    if task is None:
        raise InvalidRequest("the error is not on a step that can be skipped; use retry")

    def act(_wf):
        task.data.update(data)
        task.complete()
    return runtime.execute(eng, session, instance, workflow, actor, action="instance.skipped", act=act,
                           element_id=task.task_spec.bpmn_id, detail={"data": data}, reason=reason,
                           reconcile=True)


def signal(eng, session, instance_id: int, actor: str, reason: str, data: dict | None = None):
    """Send a signal (data: {"signal": its name, "payload": {...}}) to the instance: its waiting signal events
    and boundary events catch it, as when another process throws it."""
    reason = _reason(reason)
    data = runtime.jsonable(data or {}, "the data")
    name, payload = str(data.get("signal") or "").strip(), data.get("payload")
    if not name or len(name) > 200:
        raise InvalidRequest("name the signal: data {\"signal\": \"its name\", \"payload\": {...}}")
    if payload is not None and not isinstance(payload, dict):
        raise InvalidRequest("the signal's payload must be an object")
    instance, workflow = runtime.load(eng, session, instance_id)
    runtime.require_active(instance)

    def act(wf):
        try:
            wf.send_event(BpmnEvent(SignalEventDefinition(name), payload=payload))
        except WorkflowException:
            raise NoSubscriber(f"instance {instance.id} is not waiting for the signal {name!r}") from None
    return runtime.execute(eng, session, instance, workflow, actor, action="instance.signalled", act=act,
                           detail={"signal": name, "payload": payload}, reason=reason)


def suspend(eng, session, instance_id: int, actor: str, reason: str):
    """Stop timers and task completion until resumed."""
    reason = _reason(reason)
    instance, workflow = runtime.load(eng, session, instance_id)
    runtime.require_active(instance)
    instance.status = "suspended"
    instance.suspended_reason = reason
    return runtime.execute(eng, session, instance, workflow, actor, action="instance.suspended",
                           reason=reason, steps=False)


def resume(eng, session, instance_id: int, actor: str, reason: str):
    """Let a suspended instance go on; timers that fell due meanwhile fire at the next tick."""
    reason = _reason(reason)
    instance, workflow = runtime.load(eng, session, instance_id)
    if instance.status != "suspended":
        raise InstanceNotActive(f"instance {instance.id} is {instance.status}, not suspended")
    instance.status = "running"
    instance.suspended_reason = None
    return runtime.execute(eng, session, instance, workflow, actor, action="instance.resumed", reason=reason)


def terminate(eng, session, instance_id: int, actor: str, reason: str):
    """End the instance for good: its open tasks are cancelled and it waits for nothing."""
    reason = _reason(reason)
    instance, workflow = runtime.load(eng, session, instance_id)
    if instance.status in ("completed", "terminated"):
        raise InstanceNotActive(f"instance {instance.id} is already {instance.status}")
    before = {"status": instance.status, "waiting_at": runtime.waiting_at(workflow)}
    workflow.cancel()
    now = eng.clock.now()
    instance.status = "terminated"
    instance.next_wake_at = None
    instance.completed_at = now
    instance.updated_at = now
    runtime.set_error(instance, None)
    instance.state = dump_state(workflow)
    projections.close_all_human_tasks(session, instance, now)
    projections.refresh_subscriptions(session, instance, workflow,
                                      projections.open_subscriptions(session, instance.id), now=now, active=False)
    audit.append(session, instance, chain=instance.chain, at=now, actor=actor, action="instance.terminated",
                 instance_id=instance.id, before=before, after={"status": "terminated"}, reason=reason)
    runtime.commit(session)
    return instance

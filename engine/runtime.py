"""Running instances: start, complete a user task, deliver a message — each one unit of work.

Every call: load the instance (its lock_version is checked when it is written back) → apply the
act → run SpiffWorkflow until the process waits → store state, projections and one audit event →
commit once. A failing step puts the instance in error; what that step wrote is rolled back to its
savepoint, what earlier steps wrote stays with the state that says they ran.
"""
from __future__ import annotations

import json
import traceback
from uuid import UUID

from sqlalchemy import event
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.exceptions import TaskNotFoundException, WorkflowException
from SpiffWorkflow.spiff.specs.defaults import ServiceTask
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from . import audit, compaction, correlation, decisions, projections, statements
from .deploy import latest_definition
from .errors import (ConcurrentUpdate, Conflict, InstanceNotActive, InvalidRequest, NoSubscriber,
                     TaskNotReady, UnknownInstance, UnknownTask)
from .models import ACTIVE_STATUSES, ProcessInstance
from .budget import exceeded_in
from .database import KEEP_SAVEPOINTS
from .scripting import ScriptEngine
from .serializer import dump_state, load_state
from .transient import database_error, is_transient

MAX_ENGINE_TASKS_PER_CALL = 5000
_KEPT = "engine.kept"
_LOST_RACE = "someone else changed this instance at the same moment; nothing was saved — reload and try again"


@event.listens_for(Session, "loaded_as_persistent")
@event.listens_for(Session, "pending_to_persistent")
def _keep(session, instance) -> None:
    """During an engine call the session keeps what it loaded or wrote: the identity map holds objects
    weakly, so a hazard one handler got and let go was read again by the next (a SELECT per handler)."""
    kept = session.info.get(_KEPT)
    if kept is not None:
        kept.append(instance)


class _Call:
    """One engine call: what handlers get in their context, and what they asked to audit."""

    def __init__(self, eng, session, instance, actor, models_deployed: int | None = None):
        self.eng, self.session, self.instance, self.actor = eng, session, instance, actor
        self.models_deployed = models_deployed
        self.path: list[str] = []
        self.events: list[dict] = []
        self._step_events: list[dict] = []
        self._step_names: dict = {}
        self.count = 0
        self._decisions: dict = {}

    def call_service(self, task, operation_name: str, params: dict) -> dict:
        handler = self.eng.handlers.get(operation_name)
        if handler is None:
            raise LookupError(f"no handler is registered for operator {operation_name!r}")
        ctx = self.eng.context_factory(
            session=self.session, clock=self.eng.clock, actor=self.actor, instance_id=self.instance.id,
            business_key=self.instance.business_key, element_id=task.task_spec.bpmn_id, audit=self.audit,
            describe=self.describe, start_process=self.start_process, decide=self.decide)
        result = handler(ctx, **params)
        result = {} if result is None else result
        if not isinstance(result, dict):
            raise TypeError(f"handler {operation_name} returned {type(result).__name__}, not a dict")
        return result

    def describe(self, *, business_key: str | None = None, title: str | None = None,
                 subject: str | None = None) -> None:
        """Let a handler name the instance (e.g. a file number allocated by the first step)."""
        for name, value in (("business_key", business_key), ("title", title), ("subject", subject)):
            if value is not None:
                self._step_names[name] = value      # applied only if the step succeeds

    def start_process(self, process_id: str, *, data: dict, business_key: str | None = None,
                      title: str | None = None, subject: str | None = None) -> int:
        """Start another instance in this call's transaction (it runs until it waits); returns its id."""
        started = start_instance(self.eng, self.session, process_id, actor=self.actor, business_key=business_key,
                                 data=data, title=title, subject=subject, nested=True)
        self.audit("instance.spawned", after={"process_id": process_id, "instance_id": started.id})
        return started.id

    def decide(self, decision_id: str, inputs: dict) -> tuple[dict, str]:
        """Evaluate the newest deployed decision table: (outputs, "<file> v<version>"). Raises DecisionFailed."""
        return decisions.decide(self.eng, self.session, decision_id, inputs, newest=self._decisions,
                                models_deployed=self.models_deployed)

    def audit(self, action: str, *, before=None, after=None, reason=None, element_id=None) -> None:
        self._step_events.append({"action": action, "before": before, "after": after, "reason": reason,
                                  "element_id": element_id})

    def will_run(self, task) -> None:
        self.count += 1
        if self.count > MAX_ENGINE_TASKS_PER_CALL:
            raise RuntimeError(f"more than {MAX_ENGINE_TASKS_PER_CALL} steps without waiting: "
                               "the diagram loops without a user task, message or timer")
        if task.task_spec.bpmn_id:
            self.path.append(task.task_spec.bpmn_id)
        self._step_events, self._step_names = [], {}

    def did_run(self) -> None:
        self.events.extend(self._step_events)
        for name, value in self._step_names.items():
            setattr(self.instance, name, value)
        self._step_events, self._step_names = [], {}


def _engine_steps(workflow, session, call: _Call) -> None:
    """do_engine_steps until nothing is left to run, each service task inside a savepoint."""
    open_savepoint = []

    def will(task):
        call.will_run(task)
        if isinstance(task.task_spec, ServiceTask):
            open_savepoint.append(session.begin_nested())

    def did(task):
        if open_savepoint:
            open_savepoint.pop().commit()
        call.did_run()

    info = session.connection().info
    owner = KEEP_SAVEPOINTS not in info        # a nested call (a process started by a handler) shares its caller's
    if owner:
        info[KEEP_SAVEPOINTS] = [0]
    try:
        while True:
            workflow.script_engine.timer_fired = False
            workflow.do_engine_steps(will, did)
            if not workflow.script_engine.timer_fired:  # only a timer can make work after the last step
                return
    except BaseException:
        if open_savepoint:
            open_savepoint.pop().rollback()
        raise
    finally:
        if owner:
            info.pop(KEEP_SAVEPOINTS, None)


def _failure(exc: BaseException) -> dict:
    task = getattr(exc, "task", None)
    element = task.task_spec.bpmn_id if task is not None else None
    if element is None and getattr(exc, "task_spec", None) is not None:
        element = exc.task_spec.bpmn_id
    message = str(exc).rstrip(". ") or exc.__class__.__name__
    budget = exceeded_in(exc)
    if budget is not None:
        message = str(budget)
    elif isinstance(exc, WorkflowTaskException) and exc.__cause__ is not None and str(exc.__cause__) not in message:
        message = f"{message} ({exc.__cause__})"
    return {"message": message, "element": element, "task_id": str(task.id) if task is not None else None,
            "traceback": "".join(traceback.format_exception(exc))}


def waiting_at(workflow, ready=None) -> list[str]:
    ready = projections.ready_user_tasks(workflow) if ready is None else ready
    ids = [t.task_spec.bpmn_id for t in ready]
    ids += [t.task_spec.bpmn_id for t in workflow.event_manager.tasks.values() if t.has_state(TaskState.WAITING)]
    return sorted({i for i in ids if i})


def execute(eng, session, instance, workflow, actor: str, *, action: str, act=None, element_id=None,
            detail=None, reason=None, completed_id=None, fresh=False, steps=True,
            reconcile=False, nested=False, models_deployed: int | None = None) -> ProcessInstance:
    """Apply `act`, run the engine, save everything and commit: the one unit of work.

    reconcile: the act may re-open tasks that have rows already (admin retry/skip).
    nested: started by a handler of another instance — part of that call's transaction, so this
    neither commits nor rolls back (the caller's step does, with its savepoint).
    models_deployed: statements.MODELS_DEPLOYED as the call's first statement read it, if it did.
    """
    if nested:
        return _execute_nested(eng, session, instance, workflow, actor, action=action, act=act, detail=detail,
                               models_deployed=models_deployed)
    session.info[_KEPT] = [instance]
    try:
        return _execute(eng, session, instance, workflow, actor, action=action, act=act, element_id=element_id,
                        detail=detail, reason=reason, completed_id=completed_id, fresh=fresh, steps=steps,
                        reconcile=reconcile, models_deployed=models_deployed)
    finally:
        session.info.pop(_KEPT, None)


def _execute(eng, session, instance, workflow, actor: str, *, action, act, element_id, detail, reason,
             completed_id, fresh, steps, reconcile, models_deployed) -> ProcessInstance:
    call = _Call(eng, session, instance, actor, models_deployed)
    workflow.script_engine = ScriptEngine(eng.clock, call.call_service, eng.script_limits, zone=eng.zone)
    ready_before = [] if fresh else projections.ready_user_tasks(workflow)
    # like the inbox rows, the subscription rows mirror the stored state: none when it waits for no message
    subscribed = not fresh and projections.uses_messages(workflow) and (
        reconcile or bool(projections.waiting_messages(workflow)))
    before = None if fresh else {"status": instance.status, "waiting_at": waiting_at(workflow, ready_before)}
    failure = None
    try:
        try:
            if act is not None:
                act(workflow)
            if steps:
                _engine_steps(workflow, session, call)
        except (KeyboardInterrupt, SystemExit, InvalidRequest, NoSubscriber, StaleDataError):
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of the diagram becomes the instance's error
            if is_transient(exc):   # ... but not the database's "not now": rolled back, the caller retries
                raise database_error(exc) from exc
            failure = _failure(exc)
        _save(eng, session, instance, workflow, call, failure, action=action, element_id=element_id,
              before=before, detail=detail, reason=reason, completed_id=completed_id, fresh=fresh,
              open_before={str(t.id) for t in ready_before}, reconcile=reconcile, subscribed=subscribed)
    except (StaleDataError, IntegrityError) as err:
        session.rollback()
        raise ConcurrentUpdate(_LOST_RACE) from err
    except BaseException:
        session.rollback()
        raise
    commit(session)
    return instance


def _execute_nested(eng, session, instance, workflow, actor, *, action, act, detail, models_deployed
                    ) -> ProcessInstance:
    call = _Call(eng, session, instance, actor, models_deployed)
    workflow.script_engine = ScriptEngine(eng.clock, call.call_service, eng.script_limits, zone=eng.zone)
    failure = None
    try:
        act(workflow)
        _engine_steps(workflow, session, call)
    except (KeyboardInterrupt, SystemExit, InvalidRequest, NoSubscriber, StaleDataError):
        raise
    except Exception as exc:  # noqa: BLE001 - the started instance's own error, not its starter's
        if is_transient(exc):
            raise database_error(exc) from exc
        failure = _failure(exc)
    _save(eng, session, instance, workflow, call, failure, action=action, element_id=None, before=None,
          detail=detail, reason=None, completed_id=None, fresh=True, open_before=set(), reconcile=False,
          subscribed=False)
    return instance


def _save(eng, session, instance, workflow, call, failure, *, action, element_id, before, detail, reason,
          completed_id, fresh, open_before, reconcile, subscribed) -> None:
    with session.no_autoflush:   # write everything in one flush, at commit
        _write(eng, session, instance, workflow, call, failure, action=action, element_id=element_id,
               before=before, detail=detail, reason=reason, completed_id=completed_id, fresh=fresh,
               open_before=open_before, reconcile=reconcile, subscribed=subscribed)


def _write(eng, session, instance, workflow, call, failure, *, action, element_id, before, detail, reason,
           completed_id, fresh, open_before, reconcile, subscribed) -> None:
    """subscribed: the instance may have subscription rows (its state before the call waited for a message)."""
    now = eng.clock.now()
    existing_subs = projections.open_subscriptions(session, instance.id) if subscribed else []
    ready = projections.ready_user_tasks(workflow)
    status = projections.compute_status(workflow, failure is not None, ready)
    if instance.status == "suspended" and status in ACTIVE_STATUSES:
        status = "suspended"
    compaction.forget_finished_iterations(workflow)
    thrown = _drain_events(workflow)
    instance.state = dump_state(workflow)
    instance.status = status
    instance.updated_at = now
    instance.next_wake_at = projections.next_wake_at(workflow) if status in ACTIVE_STATUSES else None
    if status == "completed":
        instance.completed_at = now
    set_error(instance, failure)
    written: list[dict] = []
    warnings = projections.refresh_human_tasks(session, instance, ready, open_before, now=now, actor=call.actor,
                                               completed_id=completed_id, reconcile=reconcile, written=written)
    projections.refresh_subscriptions(session, instance, workflow, existing_subs, now=now,
                                      active=status not in ("completed", "terminated"))
    after = {"status": status, "waiting_at": waiting_at(workflow, ready), "path": call.path}
    if detail:
        after.update(detail)
    if failure:
        after["error"] = {"message": failure["message"], "element": failure["element"]}
    if warnings:
        after["warnings"] = warnings
    if thrown:
        after["thrown"] = thrown
    step = {"action": action, "element_id": element_id or (failure or {}).get("element"), "before": before,
            "after": after, "reason": reason}
    audit.append_all(session, instance, instance.chain, [{"at": now, "actor": call.actor, "instance_id": instance.id,
                                                          **event} for event in [*call.events, step]])
    write_instance(session, instance)
    projections.keep_ready_rows(instance, ready, written, instance.lock_version)


def _drain_events(workflow) -> list[dict]:
    """Empty the workflow's queue of events nothing inside it caught (SpiffWorkflow keeps them, and
    they are saved with the state, until someone takes them). A terminate end inside a subprocess
    leaves one per run: kept, a loop's state would grow by one event per round. Messages thrown out
    of the process are not routed to other instances (diagrams start or notify other processes
    through handlers); they are returned so that the audit event records them."""
    thrown = []
    for event in workflow.get_events():
        definition = event.event_definition
        if isinstance(definition, MessageEventDefinition):
            thrown.append({"message": definition.name, "payload": event.payload})
    return thrown


def attach(session, values: dict) -> ProcessInstance:
    """An ORM instance object for a row read or written with Core, tracked by the session as persistent."""
    existing = session.identity_map.get(identity_key(ProcessInstance, values["id"]))
    if existing is not None:
        return existing
    instance = ProcessInstance(**values)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


def write_instance(session, instance) -> None:
    """UPDATE the instance row if nobody changed it since it was read (lock_version); else StaleDataError.

    One prebuilt Core statement instead of an ORM flush: this is the hot path of every engine call.
    """
    values = {name: getattr(instance, name) for name in statements.INSTANCE_FIELDS}
    version = instance.lock_version
    result = session.connection().execute(statements.UPDATE_INSTANCE,
                                          {**values, "w_id": instance.id, "w_version": version,
                                           "w_new_version": version + 1})
    if result.rowcount != 1:
        raise StaleDataError(f"process_instance {instance.id} changed since version {version}")
    set_committed_value(instance, "lock_version", version + 1)
    state = instance_state(instance)
    state._commit_all(state.dict, session.identity_map)  # the row now holds these values: nothing left for the ORM to flush


def set_error(instance, failure) -> None:
    failure = failure or {}
    instance.error_message = failure.get("message")
    instance.error_element = failure.get("element")
    instance.error_task_id = failure.get("task_id")
    instance.error_traceback = failure.get("traceback")


def commit(session) -> None:
    """Commit, turning a lost race into ConcurrentUpdate (nothing of this call is kept). A database that
    is busy or gone (engine.transient) is raised as it is: the caller retries or answers 503."""
    try:
        session.commit()
    except (StaleDataError, IntegrityError) as err:
        session.rollback()
        raise ConcurrentUpdate(_LOST_RACE) from err
    except OperationalError:
        session.rollback()
        raise


def load(eng, session, instance_id: int, expect_version: int | None = None):
    """The instance row and its workflow, rebuilt from state and the cached spec.

    The row is locked (FOR UPDATE on PostgreSQL) before anything else of the call: every engine call —
    a request's or the scheduler's — takes the instance row first and only then what its handlers
    touch (a hazard, a customer), so the two can never wait for each other in opposite orders."""
    instance = session.get(ProcessInstance, instance_id, with_for_update=True)
    if instance is None:
        raise UnknownInstance(f"there is no process instance {instance_id}")
    return instance, restore(eng, session, instance, expect_version)


def restore(eng, session, instance, expect_version: int | None = None):
    """The workflow of a loaded instance row."""
    if expect_version is not None and instance.lock_version != expect_version:
        raise ConcurrentUpdate(f"instance {instance.id} is at version {instance.lock_version}, "
                               f"not {expect_version}: it changed since you loaded it")
    spec, subprocess_specs = eng.specs.get(session, instance.model_version_id, instance.process_id)
    return load_state(instance.state, spec, subprocess_specs)


def require_active(instance) -> None:
    if instance.status not in ACTIVE_STATUSES:
        hint = {"suspended": "resume it first", "error": "an administrator must retry or skip the failed step",
                "completed": "it has finished", "terminated": "it was terminated"}.get(instance.status, "")
        raise InstanceNotActive(f"instance {instance.id} is {instance.status}; {hint}")


def jsonable(data, what: str) -> dict:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidRequest(f"{what} must be a JSON object")
    try:
        json.dumps(data)
    except (TypeError, ValueError) as err:
        raise InvalidRequest(f"{what} is not JSON: {err}") from None
    return data


def start_instance(eng, session, process_id: str, *, actor: str, business_key: str | None = None,
                   data: dict | None = None, title: str | None = None, subject: str | None = None,
                   nested: bool = False, on_created=None, definition=None) -> ProcessInstance:
    """Start the newest version of a process with initial data and run it until it waits. `on_created` gets
    the new instance's id before anything commits, to link a row of the caller's to it in the same transaction."""
    data = jsonable(data, "the start data")
    definition = definition or latest_definition(session, "process", process_id)
    spec, subprocess_specs = eng.specs.get(session, definition.model_version_id, process_id)
    workflow = BpmnWorkflow(spec, subprocess_specs)
    now = eng.clock.now()
    values = dict(process_id=process_id, model_version_id=definition.model_version_id, business_key=business_key,
                  title=title or definition.title, subject=subject, status="running", state="", started_by=actor,
                  created_at=now,
                  updated_at=now, audit_seq=0, audit_hash="", lock_version=1)
    values["id"] = session.connection().execute(statements.INSERT_INSTANCE, values).scalar_one()
    if on_created is not None:
        on_created(values["id"])
    # every column known (None where not set), so that writing it back never reloads the row first
    instance = attach(session, {**dict.fromkeys(statements.INSTANCE_COLUMNS), **values})
    return execute(eng, session, instance, workflow, actor, action="instance.started",
                   act=lambda wf: wf.task_tree.data.update(data), detail={"data": data}, fresh=True, nested=nested,
                   models_deployed=getattr(definition, "models_deployed", None))


def complete_task(eng, session, task_id: str, data: dict | None, actor: str, *,
                  expect_version: int | None = None) -> ProcessInstance:
    """Complete a ready user task with the submitted data and run the process until it waits again."""
    data = jsonable(data, "the task data")
    connection = session.connection()
    postgresql = connection.dialect.name == "postgresql"
    row = connection.execute(statements.TASK_WITH_INSTANCE_LOCKED_SEEN if postgresql
                             else statements.TASK_WITH_INSTANCE_LOCKED, {"task_id": str(task_id)}).first()
    if row is not None and postgresql and row.seen_version != row.lock_version:
        # the lock was waited for while another call changed the instance: read the task again, as it is now
        row = connection.execute(statements.TASK_WITH_INSTANCE, {"task_id": str(task_id)}).first()
    if row is None:
        raise UnknownTask(f"there is no task {task_id}")
    instance = attach(session, {name: getattr(row, name) for name in statements.INSTANCE_COLUMNS})
    if row.task_status != "ready":
        raise TaskNotReady(f"the task '{row.task_title}' is already {row.task_status}")
    require_active(instance)
    workflow = restore(eng, session, instance, expect_version)
    try:
        task = workflow.get_task_from_id(UUID(row.task_id))
    except (TaskNotFoundException, ValueError):
        task = None
    if task is None or not task.has_state(TaskState.READY):
        raise TaskNotReady(f"the task '{row.task_title}' is not ready any more")

    def act(_wf):
        add = getattr(task.task_spec, "add_data_from_form", None)
        add(task, data) if add else DeepMerge.merge(task.data, data)
        task.run()

    return execute(eng, session, instance, workflow, actor, action="task.completed", act=act,
                   element_id=row.task_element_id, detail={"task": row.task_title, "data": data}, completed_id=row.task_id,
                   models_deployed=row.models_deployed)


def deliver_message(eng, session, name: str, correlation_key: str | None, payload: dict | None,
                    actor: str) -> ProcessInstance:
    """Deliver a message to the one instance waiting for it under this correlation key."""
    payload = jsonable(payload, "the message payload")
    subs, correlations = correlation.subscribers(eng, session, name, correlation_key, payload)
    instance_ids = {s.instance_id for s in subs}
    if not instance_ids:
        raise NoSubscriber(f"no process instance is waiting for the message {name!r} with key {correlation_key!r}")
    if len(instance_ids) > 1:
        raise Conflict(f"{len(instance_ids)} instances wait for {name!r} with key {correlation_key!r}; "
                       "the key must identify one")
    instance, workflow = load(eng, session, instance_ids.pop())
    require_active(instance)

    def act(wf):
        try:
            wf.send_event(BpmnEvent(MessageEventDefinition(name), payload=payload, correlations=correlations))
        except WorkflowException:
            raise NoSubscriber(f"instance {instance.id} is not waiting for {name!r} any more") from None

    return execute(eng, session, instance, workflow, actor, action="message.delivered", act=act,
                   element_id=subs[0].element_id, detail={"message": name, "payload": payload})

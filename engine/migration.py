"""Moving running instances to another version of their process (engine-notes.md §8).

The dry run (`check_instances`) says per instance whether it can move. It cannot when an element
that was changed or removed in the target version already ran, is running or failed in it: its
history would not match the new diagram. Label and documentation edits never block. What lies ahead
of the instance (ready and waiting tasks and everything after them) is predicted again from the new
version, keeping each waiting task's data and computed deadline.

Moving one instance (`migrate_instance`) is one unit of work: the version the caller saw in the dry
run is checked, the spec swapped, projections refreshed, one audit event, one commit. Anything that
stops it leaves the instance untouched on its version.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff
from SpiffWorkflow.util.task import TaskState

from . import projections, runtime
from .errors import ConcurrentUpdate, Conflict, EngineError, InvalidRequest, UnknownInstance
from .models import HumanTask, ModelVersion, ProcessInstance
from .scripting import ScriptEngine
from .serializer import REGISTRY, load_state

MOVABLE_STATUSES = ("running", "waiting", "suspended", "error")
BLOCKING_STATES = TaskState.COMPLETED | TaskState.STARTED | TaskState.ERROR
COSMETIC = frozenset({"bpmn_name", "documentation"})
RESET_STATES = TaskState.READY | TaskState.WAITING


@dataclass
class Check:
    """Whether one instance can move to the target version, and if not, why."""

    instance_id: int
    lock_version: int
    status: str
    business_key: str | None
    title: str | None
    waiting_at: list = field(default_factory=list)
    blocked: list = field(default_factory=list)     # {"element_id", "name", "process", "change", "state"}
    refusal: str | None = None

    @property
    def can_migrate(self) -> bool:
        return self.refusal is None and not self.blocked

    def reasons(self) -> list[str]:
        """Why it cannot move, in words (empty when it can)."""
        out = [self.refusal] if self.refusal else []
        for b in self.blocked:
            what = "was removed" if b["change"] == ["removed"] else f"changed ({', '.join(b['change'])})"
            out.append(f"'{b['name']}' ({b['element_id']}) {what} and is already "
                       f"{b['state'].lower()} in this instance")
        return out

    def as_dict(self) -> dict:
        return {"instance_id": self.instance_id, "lock_version": self.lock_version, "status": self.status,
                "business_key": self.business_key, "title": self.title, "waiting_at": self.waiting_at,
                "can_migrate": self.can_migrate, "reasons": self.reasons(), "blocked": self.blocked}


class _Plan:
    """The spec diffs from one version of a process to another, computed once for many instances."""

    def __init__(self, eng, session, process_id: str, source: ModelVersion, target: ModelVersion):
        self.process_id, self.source, self.target = process_id, source, target
        if process_id not in (target.process_ids or []):
            raise InvalidRequest(f"{target.name} version {target.version} has no process {process_id!r}")
        self.old = eng.specs.get(session, source.id, process_id)
        self.new = eng.specs.get(session, target.id, process_id)
        self.top = SpecDiff(REGISTRY, self.old[0], self.new[0])
        self.subs = {name: SpecDiff(REGISTRY, spec, self.new[1][name])
                     for name, spec in self.old[1].items() if name in self.new[1]}

    def workflow(self, instance):
        return load_state(instance.state, *self.old)

    def diffs(self, workflow):
        """(top WorkflowDiff, {subworkflow id: WorkflowDiff or None when its process is gone})."""
        subs = {sp_id: (WorkflowDiff(sp, self.subs[sp.spec.name]) if sp.spec.name in self.subs else None)
                for sp_id, sp in workflow.subprocesses.items()}
        return WorkflowDiff(workflow, self.top), subs


def _blocking(diff: WorkflowDiff, spec_diff: SpecDiff, process: str) -> list[dict]:
    found, seen = [], set()
    changed = {spec: [a for a in attrs if a not in COSMETIC] for spec, attrs in spec_diff.changed.items()}
    removed = set(spec_diff.removed)
    for task in diff.changed + diff.removed:
        spec = task.task_spec
        change = ["removed"] if spec in removed else changed.get(spec)
        if not change or not task.has_state(BLOCKING_STATES) or (process, spec.name) in seen:
            continue
        seen.add((process, spec.name))
        element = spec.bpmn_id or spec.name.split(".")[0]
        found.append({"element_id": element, "name": spec.bpmn_name or element, "process": process,
                      "change": sorted(change), "state": TaskState.get_name(task.state)})
    return found


def _check(plan: _Plan, instance, workflow, diffs=None) -> Check:
    result = Check(instance.id, instance.lock_version, instance.status, instance.business_key, instance.title,
                   waiting_at=runtime.waiting_at(workflow))
    if instance.status == "error":
        result.refusal = "it is in error: retry or skip the failed step first"
        return result
    top, subs = diffs or plan.diffs(workflow)
    result.blocked = _blocking(top, plan.top, plan.process_id)
    for sp_id, sub in subs.items():
        name = workflow.subprocesses[sp_id].spec.name
        if sub is None:
            result.blocked.append({"element_id": name, "name": name, "process": name, "change": ["removed"],
                                   "state": "STARTED"})
        else:
            result.blocked.extend(_blocking(sub, plan.subs[name], name))
    return result


def _versions(session, source_id: int, target_id: int) -> tuple[ModelVersion, ModelVersion]:
    source, target = session.get(ModelVersion, source_id), session.get(ModelVersion, target_id)
    if source is None or target is None:
        raise InvalidRequest("unknown model version")
    if source.name != target.name or target.kind != "bpmn":
        raise InvalidRequest(f"{target.name} v{target.version} is not a version of {source.name}")
    if source.id == target.id:
        raise InvalidRequest("the instance is already on that version")
    return source, target


def check_instances(eng, session, source_id: int, target_id: int, instance_ids=None) -> list[Check]:
    """Dry run: every unfinished instance of `source_id` (or those listed), can it move to `target_id`?"""
    source, target = _versions(session, source_id, target_id)
    query = select(ProcessInstance).where(ProcessInstance.model_version_id == source.id,
                                          ProcessInstance.status.in_(MOVABLE_STATUSES))
    if instance_ids is not None:
        query = query.where(ProcessInstance.id.in_(list(instance_ids)))
    plans: dict = {}
    out = []
    for instance in session.scalars(query.order_by(ProcessInstance.id)):
        plan = plans.get(instance.process_id)
        if plan is None:
            plan = plans[instance.process_id] = _Plan(eng, session, instance.process_id, source, target)
        out.append(_check(plan, instance, plan.workflow(instance)))
    session.rollback()          # read only: end the read transaction (SQLite holds it otherwise)
    return out


def _reset_ahead(diff: WorkflowDiff, workflow, spec) -> None:
    """Like SpiffWorkflow's migrate_workflow, but a waiting task keeps its data and computed deadline."""
    workflow.spec = spec
    for task in workflow.tasks.values():
        aligned = diff.alignment.get(task)
        if aligned is not None:
            task.task_spec = aligned
    for task in list(workflow.get_tasks(state=RESET_STATES, skip_subprocesses=True)):
        if task.id not in workflow.tasks:
            continue            # dropped with an earlier branch
        kept, data = dict(task.internal_data), task.data
        task.reset_branch(data)
        if task.has_state(RESET_STATES) and "event_value" in kept:
            task.internal_data.update(event_value=kept["event_value"])
    if workflow.last_task not in workflow.tasks.values():
        workflow.last_task = None


def migrate_instance(eng, session, instance_id: int, target_id: int, actor: str, *, expect_version: int,
                     reason: str | None = None) -> ProcessInstance:
    """Move one instance to `target_id` if it still is as the dry run saw it (`expect_version`)."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise UnknownInstance(f"there is no process instance {instance_id}")
    try:
        source, target = _versions(session, instance.model_version_id, target_id)
        if instance.lock_version != expect_version:
            raise ConcurrentUpdate(f"instance {instance.id} changed since the dry run (version "
                                   f"{instance.lock_version}, not {expect_version}); run the dry run again")
        if instance.status not in MOVABLE_STATUSES:
            raise Conflict(f"instance {instance.id} is {instance.status}; only unfinished instances move")
        plan = _Plan(eng, session, instance.process_id, source, target)
        workflow = plan.workflow(instance)
        top, subs = plan.diffs(workflow)                 # walks every task: once, for the check and the move
        check = _check(plan, instance, workflow, (top, subs))
        if not check.can_migrate:
            raise Conflict(f"instance {instance.id} cannot move to version {target.version}: "
                           + "; ".join(check.reasons()))
        workflow.script_engine = ScriptEngine(eng.clock, _no_services, eng.script_limits)   # never run a script unrestricted
        changed = _changed_user_tasks(workflow, [top, *[d for d in subs.values() if d is not None]])
        _reset_ahead(top, workflow, plan.new[0])
        for sp_id, sub in subs.items():
            subworkflow = workflow.subprocesses.get(sp_id)
            if subworkflow is not None:
                _reset_ahead(sub, subworkflow, plan.new[1][subworkflow.spec.name])
        workflow.subprocess_specs = plan.new[1]
        _point_at(session, instance, target.id)
        _reproject(session, instance, workflow, changed, eng.clock.now())
    except BaseException:
        session.rollback()
        raise
    detail = {"from": {"model_version_id": source.id, "version": source.version},
              "to": {"model_version_id": target.id, "version": target.version}}
    return runtime.execute(eng, session, instance, workflow, actor, action="instance.migrated", detail=detail,
                           reason=reason, steps=instance.status != "suspended", reconcile=True)


def _no_services(task, operation_name, params):
    raise LookupError("no service runs while an instance is being migrated")


def _changed_user_tasks(workflow, diffs) -> set:
    """Ids of the ready user tasks whose element changed: their inbox rows must show the new version."""
    changed = {task.id for diff in diffs for task in diff.changed}
    return {task.id for task in projections.ready_user_tasks(workflow) if task.id in changed}


def _reproject(session, instance, workflow, task_ids: set, now) -> None:
    """Refresh the open inbox rows of changed tasks (title, role, team, form, due date, instructions);
    who holds the task stays."""
    warnings: list = []
    for task_id in task_ids:
        values = projections._row_for(workflow.get_task_from_id(task_id), instance, now, warnings)
        values = {k: v for k, v in values.items() if k in _REPROJECTED}
        session.execute(update(HumanTask.__table__).where(HumanTask.__table__.c.id == str(task_id),
                                                          HumanTask.__table__.c.status == "ready")
                        .values(**values, lock_version=HumanTask.__table__.c.lock_version + 1))


_REPROJECTED = ("title", "lane", "candidate_team", "form", "ui_form", "due_at", "instructions", "prefill")


def _point_at(session, instance, model_version_id: int) -> None:
    # Core, not the ORM: an ORM flush would bump lock_version before runtime.execute writes the row.
    session.execute(update(ProcessInstance.__table__).where(ProcessInstance.__table__.c.id == instance.id)
                    .values(model_version_id=model_version_id))
    set_committed_value(instance, "model_version_id", model_version_id)


def migrate_instances(eng, session, target_id: int, expected: dict[int, int], actor: str,
                      reason: str | None = None) -> list[dict]:
    """Move each listed instance ({id: version seen in the dry run}), each in its own transaction.

    Returns one result per instance: migrated, or refused with the reason; one failing never
    stops the others.
    """
    results = []
    for instance_id, version in expected.items():
        try:
            instance = migrate_instance(eng, session, instance_id, target_id, actor, expect_version=version,
                                        reason=reason)
            results.append({"instance_id": instance_id, "migrated": True, "status": instance.status,
                            "lock_version": instance.lock_version, "message": None})
        except EngineError as err:
            session.rollback()
            results.append({"instance_id": instance_id, "migrated": False, "status": None,
                            "lock_version": None, "message": str(err)})
    return results

"""One instance on its diagrams: which elements completed, which are active or waiting, which failed;
which model version holds the diagram of each process it runs (call activities open another file);
and, for one element, its tasks' data and history. Read only, for the admin's instance page.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity
from SpiffWorkflow.util.task import TaskState

from . import runtime
from .models import AuditEvent, HumanTask, ModelVersion

ACTIVE = TaskState.READY | TaskState.STARTED | TaskState.WAITING
RANK = {"completed": 1, "active": 2, "error": 3}


def _marker(task) -> str | None:
    if task.has_state(TaskState.ERROR):
        return "error"
    if task.has_state(ACTIVE):
        return "active"
    if task.has_state(TaskState.COMPLETED):
        return "completed"
    return None


def _version_of_file(session, instance_version: ModelVersion, filename: str | None) -> ModelVersion | None:
    """The model version whose source holds a process: this instance's file, or a file it calls."""
    stem = Path(filename or "").stem
    if not stem or stem == instance_version.name:
        return instance_version
    digest = (instance_version.dependencies or {}).get(stem)
    query = select(ModelVersion).where(ModelVersion.name == stem)
    query = query.where(ModelVersion.content_hash == digest) if digest else query
    return session.scalars(query.order_by(ModelVersion.version.desc()).limit(1)).first()


def instance_diagram(eng, session, instance_id: int) -> dict:
    """{"root": version id, "diagrams": {version id: {"name", "version", "markers"}}, "calls": {...}}.

    markers: element id -> completed | active | error (the strongest over loops and repeats);
    calls: call activity element id -> the version id whose diagram it opens.
    """
    instance, workflow = runtime.load(eng, session, instance_id)
    own = session.get(ModelVersion, instance.model_version_id)
    specs = {workflow.spec.name: workflow.spec, **workflow.subprocess_specs}
    holders = {name: _version_of_file(session, own, spec.file) for name, spec in specs.items()}
    diagrams = {mv.id: {"name": mv.name, "version": mv.version, "markers": {}}
                for mv in holders.values() if mv is not None}
    for task in workflow.get_tasks(state=TaskState.ANY_MASK):
        element, marker = task.task_spec.bpmn_id, _marker(task)
        holder = holders.get(task.workflow.spec.name)
        if element is None or marker is None or holder is None:
            continue
        markers = diagrams[holder.id]["markers"]
        if RANK[marker] > RANK.get(markers.get(element), 0):
            markers[element] = marker
    if instance.status == "error" and instance.error_element and own.id in diagrams:
        diagrams[own.id]["markers"].setdefault(instance.error_element, "error")
    calls = {}
    for spec in specs.values():
        for task_spec in spec.task_specs.values():
            if isinstance(task_spec, CallActivity) and holders.get(task_spec.spec) is not None:
                calls[task_spec.bpmn_id] = holders[task_spec.spec].id
    session.rollback()
    return {"root": own.id, "diagrams": diagrams, "calls": calls}


def element_detail(eng, session, instance_id: int, element_id: str) -> dict:
    """One element of one instance: its tasks (state, when, data), user-task rows and audit events."""
    instance, workflow = runtime.load(eng, session, instance_id)
    tasks = []
    for task in workflow.get_tasks(state=TaskState.ANY_MASK):
        if task.task_spec.bpmn_id != element_id:
            continue
        tasks.append({"id": str(task.id), "process": task.workflow.spec.name, "name": task.task_spec.bpmn_name,
                      "state": TaskState.get_name(task.state),
                      "changed_at": datetime.fromtimestamp(task.last_state_change, timezone.utc),
                      "data": dict(task.data)})
    human = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                    HumanTask.element_id == element_id)
                            .order_by(HumanTask.created_at)).all()
    events = [e for e in session.scalars(select(AuditEvent).where(AuditEvent.chain == instance.chain)
                                         .order_by(AuditEvent.seq))
              if e.element_id == element_id or element_id in ((e.after or {}).get("path") or [])]
    return {"instance": instance, "element_id": element_id, "tasks": tasks, "human_tasks": human,
            "events": events}

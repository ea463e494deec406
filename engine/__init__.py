"""GridSafe's process runtime: durable BPMN instances on SpiffWorkflow. Knows nothing of hazards.

The only package that imports SpiffWorkflow and writes workflow state. The app builds one Engine
(handlers, clock, form check) in create_app and calls its methods; every method that changes
something is one transaction and one audit event.
"""
from __future__ import annotations

from datetime import timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

from sqlalchemy import select

from . import admin_ops, assignment, audit, decisions, deploy, inspect, projections, runtime, timers
from . import consistency, correlation, diagram, diffing, heatmap, migration, resolve
from .clock import Clock, FixedClock, parse_instant, utc
from .errors import (AmbiguousDefinition, Conflict, ConcurrentUpdate, EngineError, InstanceNotActive,
                     InvalidRequest, NoSubscriber,
                     NotFound, TaskNotReady, UnknownInstance, UnknownProcess, UnknownTask)
from .budget import BudgetExceeded, Limits
from .lint import lint_bpmn, lint_dmn
from .models import ACTIVE_STATUSES, STATUSES, AuditEvent, Base, Definition, HumanTask, MessageSubscription, \
    ModelVersion, ProcessInstance, SchedulerBeat
from .specs import ModelInvalid, Problem, kind_of, read_xml
from .tables import DecisionFailed, TableView

__all__ = [
    "Engine", "Clock", "FixedClock", "parse_instant", "utc", "Base", "STATUSES", "ACTIVE_STATUSES",
    "AuditEvent", "Definition", "HumanTask", "MessageSubscription", "ModelVersion", "ProcessInstance",
    "SchedulerBeat", "AmbiguousDefinition", "EngineError", "NotFound", "Conflict", "ConcurrentUpdate", "InstanceNotActive",
    "InvalidRequest", "NoSubscriber", "TaskNotReady", "UnknownInstance", "UnknownProcess", "UnknownTask",
    "ModelInvalid", "Problem", "audit", "DecisionFailed", "TableView", "BudgetExceeded", "Limits",
]


class Engine:
    """The configured runtime: handlers by operator id, the clock, and how to check forms."""

    def __init__(self, *, handlers: dict[str, Callable] | None = None, clock: Clock | None = None,
                 context_factory: Callable[..., object] | None = None,
                 form_check: Callable[[str], str | None] | None = None,
                 check_decisions: Callable[[str, dict], list] | None = None,
                 check_processes: Callable[..., list] | None = None,
                 form_store=None,
                 max_model_bytes: int = 2 * 1024 * 1024, script_limits: Limits | None = None, zone=None):
        self.handlers = dict(handlers or {})
        self.clock = clock or Clock()
        self.context_factory = context_factory or SimpleNamespace
        self.form_check = form_check
        self.check_decisions = check_decisions
        self.check_processes = check_processes    # the deployer's scenarios of a process file (see deploy.py)
        # versioned forms (optional): .versions(session, names) -> {name: content hash} of the current ones,
        # .problem(session, name) -> why a form cannot be used; a version records the forms it shows
        self.form_store = form_store
        self.max_model_bytes = max_model_bytes
        self.script_limits = script_limits or Limits()    # time and memory of diagram code per call
        self.zone = zone or timezone.utc          # where a diagram's time without a zone is read
        self.specs = deploy.SpecCache()
        self.decision_cache: dict = {}
        self.newest_decisions: dict = {}        # decision id -> (model versions deployed then, its newest version)

    def with_clock(self, clock: Clock) -> "Engine":
        """The same engine (handlers, caches) reading another clock, e.g. for `gridsafe tick --now`."""
        other = object.__new__(Engine)
        other.__dict__.update(self.__dict__)
        other.clock = clock
        return other

    @property
    def operators(self) -> set[str]:
        return set(self.handlers)

    # deploying
    def deploy_folder(self, session, folder: Path, actor: str = "system"):
        return deploy.deploy_folder(self, session, Path(folder), actor)

    def deploy_source(self, session, filename: str, data: bytes, actor: str, comment: str | None = None, *,
                      origin: str = deploy.FROM_FILES):
        return deploy.deploy_source(self, session, filename, data, actor, comment, origin=origin)

    def deploy_files(self, session, files: list[tuple[str, bytes]], actor: str, comment: str | None = None, *,
                     origin: str = deploy.FROM_FILES):
        """Deploy several (filename, content) pairs together, callees first; the outcome of each."""
        return deploy.deploy_files(self, session, files, actor, comment, origin)

    def lint_files(self, session, files: list[tuple[str, bytes]], folder: Path | None = None,
                   form_check: Callable[[str], str | None] | None = None) -> dict:
        """{filename: problems} of several files checked together; session may be None (no database)."""
        return deploy.lint_files(self, session, files, folder, form_check)

    def lint_source(self, session, filename: str, data: bytes) -> list[Problem]:
        """Every problem that would stop this file from deploying, and the warnings (Problem.warning)."""
        try:
            return deploy.validate(self, session, filename, data)[4]
        except ModelInvalid as err:
            return err.problems
        finally:
            session.rollback()

    def forms_used(self, source: str) -> set[str]:
        """The form files a diagram's user tasks name (for exporting them with it)."""
        try:
            return resolve.forms_used(read_xml(source.encode("utf-8"), "model", len(source.encode("utf-8")) + 1))
        except ModelInvalid:
            return set()

    def process_properties(self, session, process_id: str, model_version_id: int | None = None) -> dict[str, str]:
        """The extension properties a diagram declares on a process element (the newest deployed version
        unless one is named); what they mean is for the caller to decide. Raises UnknownProcess."""
        if model_version_id is None:
            model_version_id = deploy.latest_definition(session, "process", process_id).model_version_id
        return self.specs.properties(session, model_version_id, process_id)

    def newest_process(self, session, process_id: str):
        """(model_version_id, title) of the newest deployed version of a process. Raises UnknownProcess."""
        return deploy.latest_definition(session, "process", process_id)

    # running
    def start_instance(self, session, process_id: str, *, actor: str, business_key: str | None = None,
                       data: dict | None = None, title: str | None = None,
                       subject: str | None = None, commit: bool = True,
                       on_created: Callable[[int], None] | None = None, definition=None) -> ProcessInstance:
        """Start the newest version of a process; subject (e.g. a customer number) is for filtering.
        commit=False: the start is part of the caller's transaction (the caller commits it together with
        the row that says what was started, or rolls it all back); a failing step is still the new
        instance's own error. on_created gets the new id inside the transaction (a caller's row that names
        the instance commits with it). definition: what newest_process answered earlier in this transaction
        (not looked up again)."""
        return runtime.start_instance(self, session, process_id, actor=actor, business_key=business_key,
                                      data=data, title=title, subject=subject, nested=not commit,
                                      on_created=on_created, definition=definition)

    def complete_task(self, session, task_id: str, data: dict | None, actor: str, *,
                      expect_version: int | None = None) -> ProcessInstance:
        return runtime.complete_task(self, session, task_id, data, actor, expect_version=expect_version)

    def deliver_message(self, session, name: str, correlation_key: str | None, payload: dict | None,
                        actor: str) -> ProcessInstance:
        return runtime.deliver_message(self, session, name, correlation_key, payload, actor)

    def ready_tasks(self, session, instance: ProcessInstance) -> list[HumanTask]:
        """The instance's ready user tasks: as the last call on this object wrote them (no query), else read."""
        left = projections.ready_rows(instance)
        if left is not None:
            return left
        return list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                            HumanTask.status == "ready")))

    def message_waiters(self, session, name: str, correlation_key: str | None, payload: dict | None) -> set[int]:
        """The instances a message would be delivered to (by key, else by the correlation its payload names)."""
        return {s.instance_id for s in correlation.subscribers(self, session, name, correlation_key, payload)[0]}

    def claim_task(self, session, task_id: str, username: str) -> HumanTask:
        return assignment.claim(self, session, task_id, username)

    def release_task(self, session, task_id: str, username: str) -> HumanTask:
        return assignment.release(self, session, task_id, username)

    def assign_task(self, session, task_id: str, username: str | None, actor: str, reason: str | None = None):
        return assignment.assign(self, session, task_id, username, actor, reason)

    def fire_due_timers(self, session_factory, *, limit: int = 1000) -> timers.TickReport:
        return timers.fire_due_timers(self, session_factory, limit=limit)

    def evaluate_decision(self, session, decision_id: str, inputs: dict) -> tuple[dict, int]:
        return decisions.evaluate(self, session, decision_id, inputs)

    def decide(self, session, decision_id: str, inputs: dict) -> tuple[dict, str]:
        """(outputs, "<file> v<version>") of the newest table: what handlers get as ctx.decide."""
        return decisions.decide(self, session, decision_id, inputs)

    # administering
    def retry(self, session, instance_id: int, actor: str, reason: str) -> ProcessInstance:
        return admin_ops.retry(self, session, instance_id, actor, reason)

    def skip(self, session, instance_id: int, actor: str, reason: str, data: dict | None = None):
        return admin_ops.skip(self, session, instance_id, actor, reason, data)

    def signal(self, session, instance_id: int, actor: str, reason: str, data: dict | None = None):
        return admin_ops.signal(self, session, instance_id, actor, reason, data)

    def suspend(self, session, instance_id: int, actor: str, reason: str) -> ProcessInstance:
        return admin_ops.suspend(self, session, instance_id, actor, reason)

    def resume(self, session, instance_id: int, actor: str, reason: str) -> ProcessInstance:
        return admin_ops.resume(self, session, instance_id, actor, reason)

    def terminate(self, session, instance_id: int, actor: str, reason: str) -> ProcessInstance:
        return admin_ops.terminate(self, session, instance_id, actor, reason)

    def describe(self, session, instance_id: int) -> dict:
        return inspect.describe(self, session, instance_id)

    def visited(self, session, instance_id: int) -> dict:
        """{"path": element ids completed, in order; "ends": end events reached by the top process;
        "data": the instance's data now} (scenario checks)."""
        return inspect.visited(self, session, instance_id)

    def verify_audit(self, session):
        return audit.verify(session)

    def check_projections(self, session) -> tuple[int, list[consistency.Disagreement]]:
        """(instances checked, disagreements): every instance's task rows, status, wake-up time and
        subscriptions recomputed from its stored state (read-only)."""
        return consistency.check_all(self, session)

    # diagrams and versions (the process owner's and admin's views)
    def diff_versions(self, session, old_version_id: int, new_version_id: int) -> dict:
        return diffing.diff_versions(self, session, old_version_id, new_version_id)

    def instance_diagram(self, session, instance_id: int) -> dict:
        return diagram.instance_diagram(self, session, instance_id)

    def element_detail(self, session, instance_id: int, element_id: str) -> dict:
        return diagram.element_detail(self, session, instance_id, element_id)

    def heatmap(self, session, model_version_id: int, *, process_id: str | None = None, since=None,
                until=None) -> dict:
        names, boundary = heatmap.elements_of(self, session, model_version_id)
        return heatmap.heatmap(session, model_version_id, process_id=process_id, since=since, until=until,
                               now=self.clock.now(), ignore=boundary, names=names)

    # migrating running instances to another version
    def check_migration(self, session, from_version_id: int, to_version_id: int,
                        instance_ids=None) -> list[migration.Check]:
        return migration.check_instances(self, session, from_version_id, to_version_id, instance_ids)

    def migrate_instance(self, session, instance_id: int, to_version_id: int, actor: str, *, expect_version: int,
                         reason: str | None = None) -> ProcessInstance:
        return migration.migrate_instance(self, session, instance_id, to_version_id, actor,
                                          expect_version=expect_version, reason=reason)

    def migrate_instances(self, session, to_version_id: int, expected: dict, actor: str,
                          reason: str | None = None) -> list[dict]:
        return migration.migrate_instances(self, session, to_version_id, expected, actor, reason)

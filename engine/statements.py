"""Prebuilt Core statements for the writes every engine call makes (built once, compiled once).

Building a statement costs more than running it on SQLite; these are the hot path.
"""
from __future__ import annotations

from sqlalchemy import bindparam, func, insert, select, update

from .models import AuditEvent, HumanTask, ModelVersion, ProcessInstance

_instance = ProcessInstance.__table__
_task = HumanTask.__table__

INSTANCE_FIELDS = ("state", "status", "business_key", "title", "subject", "updated_at", "next_wake_at", "completed_at", "error_message",
                   "error_element", "error_task_id", "error_traceback", "suspended_reason", "audit_seq",
                   "audit_hash")

UPDATE_INSTANCE = (
    update(_instance)
    .where(_instance.c.id == bindparam("w_id"), _instance.c.lock_version == bindparam("w_version"))
    .values({**{name: bindparam(name, type_=_instance.c[name].type) for name in INSTANCE_FIELDS},
             "lock_version": bindparam("w_new_version")})
)

CLOSE_TASK = (
    update(_task)
    .where(_task.c.id == bindparam("w_id"), _task.c.status == "ready")
    .values(status=bindparam("status"), completed_at=bindparam("completed_at", type_=_task.c.completed_at.type),
            completed_by=bindparam("completed_by"), lock_version=_task.c.lock_version + 1)
)

INSERT_TASK = insert(_task)
INSERT_AUDIT = insert(AuditEvent.__table__)

INSTANCE_COLUMNS = tuple(c.name for c in _instance.columns)
INSERT_INSTANCE = insert(_instance).returning(_instance.c.id)

# how many model versions are deployed (they are only ever added): a call that read it knows without asking
# again that the newest decision table it looked up before is still the newest (engine/decisions.py)
MODELS_DEPLOYED = select(func.count()).select_from(ModelVersion.__table__).scalar_subquery().label("models_deployed")

TASK_WITH_INSTANCE = (
    select(_task.c.id.label("task_id"), _task.c.status.label("task_status"), _task.c.title.label("task_title"),
           _task.c.element_id.label("task_element_id"),
           *(_instance.c[name] for name in INSTANCE_COLUMNS), MODELS_DEPLOYED)
    .join(_instance, _instance.c.id == _task.c.instance_id)
    .where(_task.c.id == bindparam("task_id"))
)
# the same, with the instance row locked first (FOR UPDATE OF process_instance on PostgreSQL; SQLite's
# write transactions hold the database lock already): the one lock order of every engine call
TASK_WITH_INSTANCE_LOCKED = TASK_WITH_INSTANCE.with_for_update(of=_instance)
# ... and the instance's lock_version as the statement's snapshot saw it: on PostgreSQL a waited-for lock
# returns the locked row as it is now but the task row as it was. Every change of a task's status, title or
# element is written by an engine call, which moves lock_version on: the same number means nothing changed.
_seen = _instance.alias("seen")
TASK_WITH_INSTANCE_LOCKED_SEEN = TASK_WITH_INSTANCE_LOCKED.add_columns(
    select(_seen.c.lock_version).where(_seen.c.id == _instance.c.id).scalar_subquery().label("seen_version"))

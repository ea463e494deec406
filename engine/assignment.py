"""Who works on a ready user task: claim, release, assign. Each is one transaction and one audit event.

The engine does not know people: the caller decides who may; here the race is settled (two claims
of one task: the first wins, the second gets Conflict).
"""
from __future__ import annotations

from sqlalchemy import update

from . import audit, runtime
from .errors import Conflict, TaskNotReady, UnknownTask
from .models import HumanTask, ProcessInstance

_task = HumanTask.__table__


def _open_task(session, task_id: str) -> HumanTask:
    task = session.get(HumanTask, str(task_id))
    if task is None:
        raise UnknownTask(f"there is no task {task_id}")
    if task.status != "ready":
        raise TaskNotReady(f"the task '{task.title}' is already {task.status}")
    return task


def _set_assignee(eng, session, task, assignee, *, expect_assignee, actor, action, reason=None) -> HumanTask:
    condition = _task.c.assignee.is_(None) if expect_assignee is None else _task.c.assignee == expect_assignee
    result = session.execute(update(_task).where(_task.c.id == task.id, _task.c.status == "ready", condition)
                             .values(assignee=assignee, lock_version=_task.c.lock_version + 1))
    if result.rowcount != 1:
        session.rollback()
        current = session.get(HumanTask, task.id)
        holder = current.assignee if current is not None else None
        raise Conflict(f"the task '{task.title}' was taken by {holder} in the meantime" if holder
                       else f"the task '{task.title}' changed in the meantime; reload it")
    instance = session.get(ProcessInstance, task.instance_id)
    audit.append(session, instance, chain=instance.chain, at=eng.clock.now(), actor=actor, action=action,
                 instance_id=instance.id, element_id=task.element_id,
                 before={"assignee": expect_assignee}, after={"assignee": assignee, "task": task.title},
                 reason=reason)
    runtime.commit(session)
    session.refresh(task)
    return task


def claim(eng, session, task_id: str, username: str) -> HumanTask:
    """Take an unassigned task; Conflict when someone else took it first."""
    task = _open_task(session, task_id)
    if task.assignee == username:
        return task
    if task.assignee is not None:
        raise Conflict(f"the task '{task.title}' is already taken by {task.assignee}")
    return _set_assignee(eng, session, task, username, expect_assignee=None, actor=username, action="task.claimed")


def release(eng, session, task_id: str, username: str) -> HumanTask:
    """Give a task one holds back to the team."""
    task = _open_task(session, task_id)
    if task.assignee != username:
        raise Conflict(f"the task '{task.title}' is not held by {username}")
    return _set_assignee(eng, session, task, None, expect_assignee=username, actor=username, action="task.released")


def assign(eng, session, task_id: str, username: str | None, actor: str, reason: str | None) -> HumanTask:
    """Hand a task to someone else (or back to the team with None)."""
    task = _open_task(session, task_id)
    return _set_assignee(eng, session, task, username, expect_assignee=task.assignee, actor=actor,
                         action="task.assigned", reason=reason)

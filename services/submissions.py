"""A task form sent from a device, perhaps more than once (the offline queue, a retry after a lost answer).

The device names each submission with an idempotency key: the first one received completes the task
(with the key, in the same transaction); the same key again completes nothing and answers "already
done", so each hazard is filed once. When the task changed meanwhile (completed by someone else,
handed to another person, cancelled by a migration) the refusal says so in words; nothing is written.
"""
from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError

import engine
from records import drafts

from . import access, work
from .errors import Conflict, Invalid
from .i18n import _

KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def check_key(key: str | None) -> str:
    if not KEY.match(key or ""):
        raise Invalid(_("The submission has no valid idempotency key; send it again from the task page."))
    return key


def seen(session, actor, task_id: str, key: str) -> bool:
    """Whether this submission was received already (then nothing more is done). Conflict when the key
    belongs to another task or person."""
    found = drafts.submission(session, check_key(key))
    if found is None:
        return False
    if found.task_id != task_id or found.user_id != actor.id:
        raise Conflict(_("This submission key was used for another task."))
    return True


def why_not(session, actor, task_id: str) -> None:
    """Conflict with the reason in words when the actor can no longer complete the task."""
    task = access.task_or_404(session, actor, task_id)
    if task.status == "completed":
        raise Conflict(_("This task was completed by %(user)s in the meantime.", user=task.completed_by or "—"))
    if task.status != "ready":
        raise Conflict(_("This task was cancelled in the meantime (its process was changed or migrated)."))
    if task.assignee not in (None, actor.username):
        raise Conflict(_("This task was handed to %(user)s in the meantime.", user=task.assignee))
    if not access.offered(task, actor):
        raise Conflict(_("This task is no longer offered to you."))


def submit(rt, session, actor, task_id: str, data: dict, key: str, *, locale: str = "zh_CN",
           field_errors: dict | None = None) -> tuple[str, str | None]:
    """Complete the task once per key: ("completed", note) the first time — the note says what was kept when
    a system step after it failed — and ("already", None) for the same key again."""
    if seen(session, actor, task_id, key):
        return "already", None
    why_not(session, actor, task_id)
    try:
        instance = work.complete(rt, session, actor, task_id, data, locale=locale, field_errors=field_errors,
                                 submission_key=key)
    except (engine.Conflict, Conflict, IntegrityError):
        session.rollback()               # the same key, sent twice at once: the other one won
        if seen(session, actor, task_id, key):
            return "already", None
        why_not(session, actor, task_id)
        raise
    return "completed", work.after_completion(session, instance)

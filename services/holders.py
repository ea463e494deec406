"""Who a task is offered to, held by or done by, in the words people read: a lane's role by its label
(用电检查员), a candidate group by its team's or branch's name (吉州用电检查一组), a user by real name.
Codes and login names stay in the records; unknown ones are shown as they are."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from records import people

from .i18n import _l
from .people import ROLE_LABELS

SYSTEM = {"scheduler", "system", "engine", "seed", "demo"}


@dataclass(frozen=True)
class Holder:
    """A task's people in words (empty strings where the task has none)."""

    role: str = ""
    group: str = ""
    assignee: str = ""
    completed_by: str = ""


def role_label(role: str | None) -> str:
    return str(ROLE_LABELS.get(role or "", role or ""))


def group_name(session, code: str | None) -> str:
    """A candidate group's name: the team with that code, else the branch, else the code."""
    if not code:
        return ""
    team = session.scalars(select(people.Team.name).where(people.Team.code == code)).first()
    branch = None if team else session.scalars(select(people.Branch.name).where(people.Branch.code == code)).first()
    return team or branch or code


def person_name(session, username: str | None) -> str:
    """A user by real name; the scheduler and the engine as 系统 (the system)."""
    if not username:
        return ""
    if username in SYSTEM:
        return str(_l("the system"))
    user = session.scalars(select(people.User).where(people.User.username == username)).first()
    return user.display_name if user and user.display_name else username


def of_task(session, task) -> Holder:
    """The words for a task's lane, candidate group, assignee and the person who completed it."""
    return Holder(role=role_label(task.lane), group=group_name(session, task.candidate_team),
                  assignee=person_name(session, task.assignee), completed_by=person_name(session, task.completed_by))

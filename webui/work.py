"""Tasks as people see them, shared by the pages and the API: inbox queries, offers, completing.

Reads only the human_task projection. Permission rules come from permissions.py.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import abort, current_app
from flask_babel import gettext
from sqlalchemy import and_, func, select, union_all
from sqlalchemy.orm import defer

import engine
import forms
from engine import HumanTask
from records import Attachment, AttachmentRefused, attachments, dictionary, drafts, people

from . import engine_of
from .permissions import can_see, offered
from .rendering import page_number

PAGE_SIZE = 50
SCOPES = ("mine", "team", "branch", "all")
DUE_FILTERS = ("overdue", "today", "week")


@dataclass
class InboxQuery:
    scope: str = "team"
    process: str | None = None
    customer: str | None = None
    due: str | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "InboxQuery":
        scope = args.get("scope", "team")
        due = args.get("due") or None
        return cls(scope=scope if scope in SCOPES else "team", process=args.get("process") or None,
                   customer=(args.get("customer") or "").strip() or None,
                   due=due if due in DUE_FILTERS else None, page=page_number(args))


def scopes_for(user) -> list[str]:
    scopes = ["mine", "team"]
    if user.has_role("leader", "supervisor"):
        scopes.append("branch")
    if user.has_role("admin", "specialist"):
        scopes.append("all")
    return scopes


def branch_groups(session, user) -> set[str]:
    """Group codes of the user's branch and the branches under it (what a leader oversees)."""
    if user.branch is None:
        return set()
    codes = people.branch_codes_under(session, user.branch)
    return codes | people.team_codes_in(session, codes)


def _scope_conditions(session, user, scope: str) -> list:
    """The scope as disjoint conditions whose union it is. "My teams'" is two: offered to one of my
    teams, or to no team. Each is an index range on its own, where their OR is not one on PostgreSQL
    (it walked every unassigned task of the role and filtered the teams)."""
    ready = HumanTask.status == "ready"
    if scope == "mine":
        return [ready & (HumanTask.assignee == user.username)]
    if scope == "branch" and user.has_role("leader", "supervisor"):
        return [ready & HumanTask.candidate_team.in_(branch_groups(session, user))]
    if scope == "all" and user.has_role("admin", "specialist"):
        return [ready]
    open_to_role = ready & HumanTask.assignee.is_(None) & HumanTask.lane.in_(user.roles or {"-"})
    return [open_to_role & HumanTask.candidate_team.in_(user.groups or {"-"}),
            open_to_role & HumanTask.candidate_team.is_(None)]


def _count(session, conditions: list) -> int:
    return sum(session.scalar(select(func.count()).select_from(HumanTask).where(c)) for c in conditions)


def inbox(session, user, query: InboxQuery, now: datetime, tz: str) -> tuple[list[HumanTask], int]:
    """(tasks on this page, total) for the user's scope and filters, earliest due first."""
    extra = []
    if query.process:
        extra.append(HumanTask.process_id == query.process)
    if query.customer:
        extra.append(HumanTask.subject == query.customer)
    if query.due:
        extra.append(HumanTask.due_at < _due_limit(query.due, now, tz))
    conditions = [and_(c, *extra) for c in _scope_conditions(session, user, query.scope)]
    total = _count(session, conditions)
    # the page's ids first (from the queue index alone), then those rows: a team with hundreds of
    # ready tasks costs an index range, not hundreds of row reads to sort
    keys = (HumanTask.id, HumanTask.due_at, HumanTask.created_at)
    if len(conditions) == 1:
        tid, due, created = keys
        picked = select(tid).where(conditions[0])
    else:
        source = union_all(*(select(*keys).where(c) for c in conditions)).subquery()
        tid, due, created = source.c.id, source.c.due_at, source.c.created_at
        picked = select(tid)
    ids = session.scalars(picked.order_by(due.is_(None), due, created, tid)
                          .limit(PAGE_SIZE).offset((query.page - 1) * PAGE_SIZE)).all()
    found = {t.id: t for t in session.scalars(select(HumanTask).where(HumanTask.id.in_(ids))
                                              .options(defer(HumanTask.prefill)))} if ids else {}
    return [found[i] for i in ids if i in found], total


def _due_limit(due: str, now: datetime, tz: str) -> datetime:
    if due == "overdue":
        return now
    if due == "today":
        local = now.astimezone(ZoneInfo(tz))
        return (local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)).astimezone(now.tzinfo)
    return now + timedelta(days=7)


def counts(session, user) -> dict[str, int]:
    """How many tasks wait in 'mine' and 'team' (for the navigation)."""
    out = {}
    for scope in ("mine", "team"):
        out[scope] = _count(session, _scope_conditions(session, user, scope))
    return out


def eligible_users(session, task: HumanTask) -> list:
    """Active users whose roles and groups fit the task (whom it may be handed to)."""
    users = session.scalars(select(people.User).where(people.User.active.is_(True))
                            .order_by(people.User.username)).all()
    return [u for u in users if (task.lane is None or task.lane in u.roles)
            and (task.candidate_team is None or task.candidate_team in u.groups)]


def task_or_404(session, task_id: str) -> HumanTask:
    task = session.get(HumanTask, str(task_id)[:36])
    if task is None:
        abort(404)
    return task


def visible_or_403(session, task: HumanTask, user) -> HumanTask:
    if not can_see(task, user, branch_groups(session, user)):
        abort(403)
    return task


def offered_or_403(task: HumanTask, user) -> HumanTask:
    if not offered(task, user):
        abort(409 if task.status != "ready" else 403)
    return task


def claim(session, task: HumanTask, user) -> HumanTask:
    """Take a task offered to the user's team. Conflict (409) when someone else holds it or wins the race."""
    if task.status == "ready" and task.assignee not in (None, user.username):
        raise engine.Conflict(gettext("already taken by %(user)s", user=task.assignee))
    offered_or_403(task, user)
    return engine_of(current_app).claim_task(session, task.id, user.username)


def form_of(task: HumanTask) -> tuple[dict, dict]:
    """(schema, UI schema) of the task's form; a task without a form gets an empty one."""
    if not task.form:
        return {"type": "object", "properties": {}}, {}
    return forms.load_pair(task.form, task.ui_form, folder=Path(current_app.config["GRIDSAFE"]["FORMS_DIR"]))


def file_store():
    return current_app.extensions["gridsafe.files"]


def translate(message: str, **params) -> str:
    return gettext(message, **params)


def storer(session, user):
    """The store callback forms.parse uses: check an upload, keep it, return its id."""
    limit = current_app.config["GRIDSAFE"]["MAX_UPLOAD_BYTES"]
    now = engine_of(current_app).clock.now()

    def store(kind: str, data: bytes, filename: str | None) -> str:
        try:
            row = attachments.store_image(session, file_store(), data, kind=kind, actor=user.username, now=now,
                                          original_name=filename, max_bytes=limit)
        except AttachmentRefused as err:
            raise ValueError(gettext(err.message, **err.params)) from None
        session.flush()
        return row.id
    return store


def attachment_exists(session):
    return lambda digest: session.get(Attachment, digest) is not None


class _Options(Mapping):
    """Named choice lists, each read from the database only when a form refers to it."""

    def __init__(self, loaders: dict):
        self._loaders, self._loaded = loaders, {}

    def __getitem__(self, name: str) -> list:
        if name not in self._loaded:
            self._loaded[name] = self._loaders[name]()
        return self._loaded[name]

    def __iter__(self):
        return iter(self._loaders)

    def __len__(self) -> int:
        return len(self._loaders)


def form_options(session) -> Mapping:
    """The named choice lists forms may refer to with "x-options" (read when a form uses one)."""
    def hazard_items():
        return [(i.code, f"{i.code} {i.name_zh}") for i in dictionary.current_items(session) if i.active]

    def teams():
        rows = session.scalars(select(people.Team).where(people.Team.active.is_(True)).order_by(people.Team.code))
        return [(t.code, f"{t.name}（{t.code}）") for t in rows]

    return _Options({"hazard_items": hazard_items, "teams": teams})


def check(session, schema: dict, data: dict) -> dict:
    """Field errors of data against the task's schema (attachments must exist)."""
    return forms.validate(schema, data, attachment_exists=attachment_exists(session), translate=translate,
                          today=local_today(), options=form_options(session), locale=current_locale())


def current_locale() -> str:
    from flask_babel import get_locale
    return str(get_locale() or "zh_CN")


def local_day(eng, config: Mapping) -> date:
    """Today in the company's time zone (dates such as deadlines are the customer's days)."""
    return eng.clock.now().astimezone(ZoneInfo(config.get("TIMEZONE", "Asia/Shanghai"))).date()


def local_today() -> date:
    """Today in the company's time zone, by the current app's engine clock."""
    return local_day(engine_of(current_app), current_app.config["GRIDSAFE"])


def complete(session, task: HumanTask, user, data: dict):
    """Complete an offered task with valid data: one transaction (the draft goes with it)."""
    drafts.discard(session, task.id)
    return engine_of(current_app).complete_task(session, task.id, data, actor=user.username)


def save_draft(session, task: HumanTask, user, data: dict) -> None:
    drafts.save(session, task.id, user.id, data, engine_of(current_app).clock.now())
    session.commit()

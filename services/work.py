"""Work: the inbox and the tasks in it — who sees which task, claiming, handing over, drafts, completing.

Reads only the human_task projection for lists. A task outside the actor's reach is answered like an
absent one (NotFound) before anything is written; a task the actor sees but is not offered is
Forbidden for acts that need the offer. The forms of tasks (loading, choice lists, validation,
uploads) are in services.task_forms.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, event, func, select, union_all
from sqlalchemy.orm import Session, defer

import engine
from engine import HumanTask, transient
from records import documents, drafts, notifications, people
from records.findings import PendingFinding
from records.render_jobs import RenderJob
from records.hazards import Hazard
from records.inspections import Inspection

from . import access, form_versions, hazard_filing, holders, task_forms
from .errors import Conflict, Forbidden, Invalid, NotYet
from .i18n import _
from .task_forms import check, form_of, form_options, may_use, storer  # noqa: F401 - the forms of tasks, for every area

__all__ = ["InboxQuery", "TaskView", "scopes_for", "inbox", "card_names", "counts", "process_choices", "task_or_404",
           "offered_task", "open_task", "eligible_users", "claim", "release", "reassign", "save_draft", "complete",
           "after_completion", "failure_note", "kept_numbers", "ready_for", "check", "form_of", "form_options",
           "may_use", "storer"]

LOG = logging.getLogger("gridsafe.work")
PAGE_SIZE = 50
SCOPES = ("mine", "team", "branch", "all")
DUE_FILTERS = ("overdue", "today", "week")
REASSIGNERS = frozenset({"specialist", "admin"})


@dataclass
class InboxQuery:
    scope: str = "team"
    process: str | None = None
    customer: str | None = None
    due: str | None = None
    page: int = 1


def scopes_for(actor) -> list[str]:
    """The inbox scopes an actor may choose: mine and my teams', the branch for leaders and
    supervisors, all (in reach) for specialists and admins."""
    scopes = ["mine", "team"]
    if actor.has_role("leader", "supervisor"):
        scopes.append("branch")
    if actor.has_role("admin", "specialist"):
        scopes.append("all")
    return scopes


def _scope_conditions(session, actor, scope: str) -> list:
    """The scope as disjoint conditions whose union it is. "My teams'" is two: offered to one of my
    teams, or to no team. Each is an index range on its own, where their OR is not one on PostgreSQL
    (it walked every unassigned task of the role and filtered the teams)."""
    ready = HumanTask.status == "ready"
    if scope == "mine":
        return [ready & (HumanTask.assignee == bindparam("username"))]
    if scope in ("branch", "all") and scope in scopes_for(actor):
        return [ready & access.tasks_in_reach(session, actor)]
    open_to_role = ready & HumanTask.assignee.is_(None) & HumanTask.lane.in_(actor.roles or {"-"})
    return [open_to_role & HumanTask.candidate_team.in_(actor.groups or {"-"}),
            open_to_role & HumanTask.candidate_team.is_(None)]


def _count(session, conditions: list, params: dict | None = None) -> int:
    """The tasks of all the conditions (disjoint), counted in one statement: one count per condition, each
    on its own index range."""
    counts = [select(func.count()).select_from(HumanTask).where(c).scalar_subquery() for c in conditions]
    return sum(session.execute(select(*counts), params).one())


def inbox(rt, session, actor, query: InboxQuery) -> tuple[list[HumanTask], int]:
    """(tasks on this page, total) for the actor's scope and filters, earliest due first."""
    if query.scope not in scopes_for(actor):
        raise Forbidden(_("The list %(scope)s is not available to your roles.", scope=query.scope))
    params = {"username": actor.username, "process": query.process, "customer": query.customer,
              "due_limit": _due_limit(rt, query.due) if query.due else None,
              "skipped": (query.page - 1) * PAGE_SIZE}
    tasks = session.scalars(_page(session, actor, query), params).all()
    # a page that is not full is the last one: its rows tell the total without counting (the usual inbox)
    skipped = params["skipped"]
    total = skipped + len(tasks) if 0 < len(tasks) < PAGE_SIZE or (not tasks and query.page == 1) \
        else _count(session, _conditions(session, actor, query), params)
    return tasks, total


_PAGES: dict = {}          # (scope, roles, groups, filters) -> the statement of a page, built once


def _conditions(session, actor, query: InboxQuery) -> list:
    """The scope's disjoint conditions with the filters (their values as bound parameters)."""
    extra = []
    if query.process:
        extra.append(HumanTask.process_id == bindparam("process"))
    if query.customer:
        extra.append(HumanTask.subject == bindparam("customer"))
    if query.due:
        extra.append(HumanTask.due_at < bindparam("due_limit", type_=HumanTask.due_at.type))
    return [and_(c, *extra) for c in _scope_conditions(session, actor, query.scope)]


def _page(session, actor, query: InboxQuery):
    """The statement of one page's tasks, without the prefill (the list does not print it). The page's ids
    are picked first, in a subquery, from the queue index alone, then joined to their rows: a team with
    hundreds of ready tasks costs an index range, not hundreds of row reads to sort, and the page one
    statement (it was two: the ids, then their rows). "mine" and "team" depend on the actor's roles and
    groups only: built once per combination."""
    key = None
    if query.scope in ("mine", "team"):
        key = (query.scope, frozenset(actor.roles or ()), frozenset(actor.groups or ()),
               bool(query.process), bool(query.customer), bool(query.due))
        found = _PAGES.get(key)
        if found is not None:
            return found
    conditions = _conditions(session, actor, query)
    keys = (HumanTask.id, HumanTask.due_at, HumanTask.created_at)
    if len(conditions) == 1:
        tid, due, created = keys
        picked = select(tid).where(conditions[0])
    else:
        source = union_all(*(select(*keys).where(c) for c in conditions)).subquery()
        tid, due, created = source.c.id, source.c.due_at, source.c.created_at
        picked = select(tid)
    ids = picked.order_by(due.is_(None), due, created, tid).limit(PAGE_SIZE).offset(bindparam("skipped")).subquery()
    statement = (select(HumanTask).join(ids, ids.c.id == HumanTask.id).options(defer(HumanTask.prefill))
                 .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at, HumanTask.id))
    if key is not None:
        if len(_PAGES) >= 1024:
            _PAGES.pop(next(iter(_PAGES)))
        _PAGES[key] = statement
    return statement


def card_names(session, tasks) -> dict:
    """What the inbox cards print instead of codes: {"teams": {code: name}, "people": {username: name}}."""
    codes = {t.candidate_team for t in tasks if t.candidate_team}
    usernames = {t.assignee for t in tasks if t.assignee}
    teams = dict(session.execute(select(people.Team.code, people.Team.name).where(people.Team.code.in_(codes))).all()) \
        if codes else {}
    users = dict(session.execute(select(people.User.username, people.User.display_name)
                                 .where(people.User.username.in_(usernames))).all()) if usernames else {}
    return {"teams": teams, "people": users}


def _due_limit(rt, due: str) -> datetime:
    now = rt.now()
    if due == "overdue":
        return now
    if due == "today":
        local = now.astimezone(rt.zone)
        return (local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)).astimezone(now.tzinfo)
    return now + timedelta(days=7)


def counts(rt, session, actor) -> dict[str, int]:
    """How many tasks wait in 'mine' and 'team', and the actor's unread notifications (the navigation)."""
    found = {scope: _count(session, _scope_conditions(session, actor, scope), {"username": actor.username})
             for scope in ("mine", "team")}
    found["unread"] = notifications.unread_count(session, actor.id)
    return found


def process_choices(rt, session, actor) -> list:
    """(definition_id, title) of every deployed process, for the inbox's filter."""
    table = engine.Definition.__table__
    return list(session.execute(select(table.c.definition_id, table.c.title)
                                .where(table.c.kind == "process").distinct()))


# --- one task -----------------------------------------------------------------------------------------

@dataclass
class TaskView:
    """A task as its page shows it: the form, what to fill it with, and what the actor may do."""

    task: HumanTask
    schema: dict
    ui: dict
    data: dict = field(default_factory=dict)
    offered: bool = False
    eligible: list = field(default_factory=list)
    last_saved: dict | None = None          # who saved a draft last and when (teammates see it)
    my_draft_at: datetime | None = None
    holder: holders.Holder = field(default_factory=holders.Holder)   # role, team and people in words
    documents: list = field(default_factory=list)    # what the step hands over (the notice to deliver)


def task_or_404(rt, session, actor, task_id: str) -> HumanTask:
    """A task the actor may see (offered, held, done, or of a group in reach); else NotFound."""
    # the row and its forms in one read; `held` keeps the row alive (the session's identity map holds rows
    # weakly), so access.task_or_404's session.get asks no query
    held = form_versions.task_and_forms(session, task_id)  # noqa: F841
    return access.task_or_404(session, actor, task_id)


def offered_task(rt, session, actor, task_id: str) -> HumanTask:
    """A task the actor may work on now: NotFound outside reach, Conflict when no longer ready,
    Forbidden when it is offered to someone else."""
    task = task_or_404(rt, session, actor, task_id)
    if not access.offered(task, actor):
        if task.status != "ready":
            raise Conflict()
        raise Forbidden(_("This task is not offered to you; you can see it but not complete it."))
    return task


def open_task(rt, session, actor, task_id: str) -> TaskView:
    """A visible task with its form, the actor's draft (or the prefill) and whom it may be handed to."""
    task = task_or_404(rt, session, actor, task_id)
    schema, ui = task_forms.form_of(rt, task, session)
    view = TaskView(task, schema, ui, offered=access.offered(task, actor), holder=holders.of_task(session, task))
    if view.offered:
        view.data = drafts.get(session, task.id, actor.id) or task.prefill or {}
        view.my_draft_at = drafts.saved_at(session, task.id, actor.id)
    view.last_saved = _last_saved(session, task.id)
    view.documents = _handed_over(session, task)
    if actor.has_role(*REASSIGNERS) and task.status == "ready":
        view.eligible = eligible_users(rt, session, actor, task)
    return view


# the document a task delivers: its page shows it (生成中 until the render job has made it)
HANDED_OVER = {"deliver_notice": "hazard_notice", "deliver_order": "supervision_order"}


def _handed_over(session, task: HumanTask) -> list:
    kind = HANDED_OVER.get(task.element_id)
    if kind is None or not task.business_key:
        return []
    found = session.scalars(select(documents.Document).where(documents.Document.kind == kind,
                                                             documents.Document.subject == task.business_key)
                            .order_by(documents.Document.version.desc()).limit(1)).first()
    return [found] if found is not None else []


def _document_ready(rt, session, actor, task: HumanTask, data: dict) -> None:
    """A task that delivers a document waits for it: while its render job has not made it (生成中, normally
    about a second), the submission is refused with NotYet and what was entered is kept as the actor's
    draft (one commit), so that nothing is lost and the page's queue sends it again."""
    waiting = [d for d in _handed_over(session, task) if not d.ready]
    if not waiting:
        return
    _keep_draft(rt, session, actor, task, data)
    document = waiting[0]
    if session.scalar(select(RenderJob.status).where(RenderJob.document_id == document.id)) == "failed":
        raise NotYet(_("%(document)s %(number)s could not be generated; an administrator retries it on the outbox "
                       "page. What you entered is kept: submit again once it exists.",
                       document=document.kind_name, number=document.number))
    raise NotYet(_("%(document)s %(number)s is still being generated; it must exist before it is delivered. "
                   "What you entered is kept: submit again in a moment.",
                   document=document.kind_name, number=document.number))


def _last_saved(session, task_id: str) -> dict | None:
    found = drafts.latest(session, task_id)
    if found is None:
        return None
    user = session.get(people.User, found[0])
    return {"by": user.display_name if user else "", "at": found[1]}


def eligible_users(rt, session, actor, task: HumanTask) -> list:
    """Active users in the actor's reach whose roles and groups fit the task (whom it may be handed to)."""
    users = session.scalars(select(people.User).where(people.User.active.is_(True))
                            .order_by(people.User.username)).all()
    return [u for u in users if (task.lane is None or task.lane in u.roles)
            and (task.candidate_team is None or task.candidate_team in u.groups)
            and access.user_in_reach(session, actor, u)]


def claim(rt, session, actor, task_id: str) -> HumanTask:
    """Take a task offered to the actor's team. Conflict when someone else holds it or wins the race."""
    task = access.task_or_404(session, actor, task_id)
    if task.status == "ready" and task.assignee not in (None, actor.username):
        raise Conflict(_("already taken by %(user)s", user=holders.person_name(session, task.assignee)))
    offered_task(rt, session, actor, task_id)
    try:
        return rt.engine.claim_task(session, task.id, actor.username)
    except engine.Conflict:                     # lost the race (the engine has rolled back): say who won
        won = session.get(HumanTask, task.id)
        if won is not None and won.assignee:
            raise Conflict(_("already taken by %(user)s", user=holders.person_name(session, won.assignee))) from None
        raise Conflict(_("The task changed in the meantime; open it again.")) from None


def release(rt, session, actor, task_id: str) -> HumanTask:
    """Give a task the actor holds back to the team."""
    task = access.task_or_404(session, actor, task_id)
    if task.assignee != actor.username:
        raise Forbidden()
    return rt.engine.release_task(session, task.id, actor.username)


def reassign(rt, session, actor, task_id: str, username: str | None, reason: str | None = None) -> HumanTask:
    """Hand a task to an eligible user in reach (specialists and admins); None gives it back to the team."""
    task = access.task_or_404(session, actor, task_id)
    if not (access.is_system(actor) or actor.has_role(*REASSIGNERS)):
        raise Forbidden()
    if username is not None and username not in {u.username for u in eligible_users(rt, session, actor, task)}:
        message = _("%(user)s may not do this task (role or team does not match).", user=username)
        raise Invalid(message, errors={"username": [message]})
    return rt.engine.assign_task(session, task.id, username, actor.username, reason)


def save_draft(rt, session, actor, task_id: str, data: dict) -> HumanTask:
    """Keep what the actor entered without submitting (and the uploads that came with it): one commit."""
    task = offered_task(rt, session, actor, task_id)
    _keep_draft(rt, session, actor, task, data)
    return task


def _keep_draft(rt, session, actor, task: HumanTask, data: dict) -> None:
    drafts.save(session, task.id, actor.id, data, rt.now())
    task_forms.link_to_task(session, actor, task, data)
    session.commit()


def complete(rt, session, actor, task_id: str, data: dict, *, locale: str = "zh_CN",
             field_errors: dict | None = None, expect_version: int | None = None, submission_key: str | None = None):
    """Complete an offered task with data valid against its form: one transaction (the draft and the
    attachment links go with it). Invalid data: Invalid with the field errors; uploads made while
    parsing the submission are kept (committed), the task is untouched. A submission key (services.submissions)
    is kept with the completion."""
    task = offered_task(rt, session, actor, task_id)
    _document_ready(rt, session, actor, task, data)
    schema, _ui = task_forms.form_of(rt, task, session)
    errors = {**task_forms.check(rt, session, actor, schema, data, locale=locale, task=task), **(field_errors or {})}
    if errors:
        session.commit()
        raise Invalid(_("Please correct the marked fields."), errors=errors)

    def finish():        # one transaction; run again (bounded) when PostgreSQL gave it up for another's sake
        drafts.discard(session, task.id)
        if submission_key:
            drafts.record_submission(session, submission_key, task.id, actor.id, rt.now())
        task_forms.link_to_task(session, actor, task, data)
        return rt.engine.complete_task(session, task.id, data, actor.username, expect_version=expect_version)
    instance = transient.attempts(finish, retry_if=transient.is_conflict, what=f"completing task {task_id}")
    _fan_out(rt, session, task.instance_id)
    return instance


def _fan_out(rt, session, instance_id: int) -> None:
    """The work the completion queued (an inspection's hazard files), one transaction each, after it was
    committed: a failure here loses nothing (the scheduler files what is left), so it is logged, not raised.
    A completion that queued nothing (most of them) costs nothing here."""
    if not session.info.pop(_QUEUED, False):
        return
    try:
        hazard_filing.after_completion(rt, session, instance_id)
    except Exception:  # noqa: BLE001 - the submission is recorded; what is left is resumed by the scheduler
        session.rollback()
        LOG.exception("filing the hazards queued by instance %s is left for the scheduler", instance_id)


_QUEUED = "gridsafe.findings_queued"


@event.listens_for(Session, "before_flush")
def _note_queued_findings(session, _context, _instances) -> None:
    """Mark a session that wrote findings waiting for their files (the handlers add them as rows)."""
    if any(isinstance(o, PendingFinding) for o in session.new):
        session.info[_QUEUED] = True


def kept_numbers(session, instance) -> list[str]:
    """The file and worksheet numbers an instance holds (its business key, the hazard files it opened or its
    inspection found): what stays saved when a later step fails."""
    if instance is None:
        return []
    found = [instance.business_key] if instance.business_key else []
    inspection = select(Inspection.id).where(Inspection.number == instance.business_key)
    found += session.scalars(select(Hazard.file_number).where(
        (Hazard.instance_id == instance.id) | Hazard.inspection_id.in_(inspection)).order_by(Hazard.id)).all()
    return list(dict.fromkeys(n for n in found if n))


def failure_note(numbers: list[str]) -> str:
    """What a person is told when a system step after their submission failed: what was kept, what comes next."""
    if numbers:
        return _("Your entries are saved (%(numbers)s). A system step after them failed; an administrator sees it "
                 "on the status page and retries it. You do not need to file or submit it again.",
                 numbers="、".join(numbers))
    return _("Your entries are saved, but a system step failed before a number was given; an administrator sees "
             "it on the status page and retries it, and the number is given then. You do not need to file or "
             "submit it again.")


def after_completion(session, instance) -> str | None:
    """The failure note for a completion whose process then stopped in error; None when it went on."""
    if instance is None or getattr(instance, "status", None) != "error":
        return None
    return failure_note(kept_numbers(session, instance))


def ready_for(rt, session, actor, instance) -> list[HumanTask]:
    """The instance's ready tasks that are offered to the actor (what to do next): those the engine call
    that returned `instance` left, without reading them again."""
    return [t for t in rt.engine.ready_tasks(session, instance) if access.offered(t, actor)]

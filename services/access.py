"""Who reaches what, decided in one place: the branches and teams an actor reaches, as SQL conditions
for lists and as checks for single objects.

- admin and process_owner reach every branch (they run the system and its diagrams);
- specialist, leader and supervisor reach their branch and the branches under it (a company's
  specialist reaches every county of the company; a county's, only that county);
- an inspector reaches the objects of their own teams, and the customers of their teams' branches
  (the customers they may visit and open hazards on);
- the scheduler and the CLI act as SYSTEM, which reaches everything.

A user may hold several roles: what they reach is the union. An object outside the actor's scope is
answered like one that does not exist (`NotFound`), before anything is written, so that a refusal
tells nothing and changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, false, func, or_, select, true

from engine import HumanTask, ModelVersion, ProcessInstance
from records import Attachment, Branch, Customer, Document, Hazard, Inspection, ReportLog, people
from records.assessments import AssessmentRun, TeamScore
from records.attachments import AttachmentLink

from .errors import Forbidden, NotFound

SEES_ALL = frozenset({"admin", "process_owner"})
BRANCH_ROLES = frozenset({"specialist", "leader", "supervisor"})
TEAM_ROLES = frozenset({"inspector"})


class SystemActor:
    """The scheduler, the CLI and the demo loader: reaches everything, holds no role of a person."""

    id = None
    username = "system"
    display_name = "系统"
    roles: frozenset = frozenset()
    teams: list = []
    branch = None
    branch_id = None
    groups: frozenset = frozenset()
    is_system = True
    is_authenticated = False

    def has_role(self, *_roles: str) -> bool:
        return False

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = SystemActor()


@dataclass(frozen=True)
class Scope:
    """The reach of one actor, computed once per request (see `scope_of`)."""

    everything: bool = False
    branch_ids: frozenset = frozenset()        # branches whose objects the actor reaches (branch roles)
    team_ids: frozenset = frozenset()          # teams whose objects the actor reaches (inspectors)
    visit_branch_ids: frozenset = frozenset()  # branches of the actor's teams: customers they may visit
    branch_codes: frozenset = frozenset()      # codes of branch_ids (task groups name branches by code)
    team_codes: frozenset = frozenset()        # codes of every team in branch_ids or team_ids

    def where(self, *, branch=None, team=None, visit_branch=None):
        """An SQL condition on a row's branch column, team column and (customers) visiting branch."""
        if self.everything:
            return true()
        parts = []
        if branch is not None and self.branch_ids:
            parts.append(branch.in_(sorted(self.branch_ids)))
        if team is not None and self.team_ids:
            parts.append(team.in_(sorted(self.team_ids)))
        if visit_branch is not None and self.visit_branch_ids:
            parts.append(visit_branch.in_(sorted(self.visit_branch_ids)))
        return or_(*parts) if parts else false()

    def reaches(self, *, branch_id=None, team_id=None, visit_branch_id=None) -> bool:
        """The same rule for one object already loaded."""
        return (self.everything or (branch_id is not None and branch_id in self.branch_ids)
                or (team_id is not None and team_id in self.team_ids)
                or (visit_branch_id is not None and visit_branch_id in self.visit_branch_ids))


def scope_of(session, actor) -> Scope:
    """The actor's scope (cached on the actor object for the rest of its request or command)."""
    if getattr(actor, "is_system", False):
        return Scope(everything=True)
    cached = getattr(actor, "_gridsafe_scope", None)
    if cached is not None:
        return cached
    scope = _compute(session, actor)
    try:
        actor._gridsafe_scope = scope
    except AttributeError:
        pass
    return scope


def _compute(session, actor) -> Scope:
    roles = set(getattr(actor, "roles", ()) or ())
    if roles & SEES_ALL:
        return Scope(everything=True)
    branch_ids: set[int] = set()
    if roles & BRANCH_ROLES and getattr(actor, "branch_id", None) is not None:
        branch_ids = branches_under(session, actor.branch_id)
    team_ids: set[int] = set()
    visit: set[int] = set()
    if roles & TEAM_ROLES:
        teams = [t for t in actor.teams if t.active]
        team_ids = {t.id for t in teams}
        visit = {t.branch_id for t in teams}
    branch_codes = set(session.scalars(select(Branch.code).where(Branch.id.in_(branch_ids)))) if branch_ids else set()
    team_codes = set(session.scalars(select(people.Team.code).where(
        or_(people.Team.branch_id.in_(branch_ids or {-1}), people.Team.id.in_(team_ids or {-1})))))
    return Scope(branch_ids=frozenset(branch_ids), team_ids=frozenset(team_ids), visit_branch_ids=frozenset(visit),
                 branch_codes=frozenset(branch_codes), team_codes=frozenset(team_codes))


def branches_under(session, branch_id: int) -> set[int]:
    """The branch and every branch below it."""
    ids, frontier = {branch_id}, [branch_id]
    while frontier:
        frontier = [i for i in session.scalars(select(Branch.id).where(Branch.parent_id.in_(frontier)))
                    if i not in ids]
        ids.update(frontier)
    return ids


# --- the objects, as conditions for lists -----------------------------------------------------------

def hazards(session, actor):
    """Hazard files: by their branch (branch roles) or their team (inspectors)."""
    return scope_of(session, actor).where(branch=Hazard.branch_id, team=Hazard.team_id)


def customers(session, actor):
    """Customers: by their branch, their default team, or the branches of the inspector's teams."""
    return scope_of(session, actor).where(branch=Customer.branch_id, team=Customer.default_team_id,
                                          visit_branch=Customer.branch_id)


def inspections(session, actor):
    """Inspections: by their customer's branch (branch roles) or their team (inspectors)."""
    scope = scope_of(session, actor)
    if scope.everything:
        return true()
    parts = []
    if scope.branch_ids:
        parts.append(Inspection.customer_id.in_(select(Customer.id).where(
            Customer.branch_id.in_(sorted(scope.branch_ids)))))
    if scope.team_ids:
        parts.append(Inspection.team_id.in_(sorted(scope.team_ids)))
    return or_(*parts) if parts else false()


def customer_ids(session, actor):
    """A subquery of the ids of the customers in reach (for rows keyed by customer: grades, reports)."""
    return select(Customer.id).where(customers(session, actor))


# --- single objects ---------------------------------------------------------------------------------

def hazard_or_404(session, actor, file_number: str) -> Hazard:
    found = session.scalars(select(Hazard).where(Hazard.file_number == str(file_number)[:40],
                                                 hazards(session, actor))).first()
    if found is None:
        raise NotFound()
    return found


def hazard_by_id_or_404(session, actor, hazard_id: int) -> Hazard:
    found = session.scalars(select(Hazard).where(Hazard.id == hazard_id, hazards(session, actor))).first()
    if found is None:
        raise NotFound()
    return found


def customer_or_404(session, actor, number: str) -> Customer:
    found = session.scalars(select(Customer).where(Customer.number == str(number).strip()[:20],
                                                   customers(session, actor))).first()
    if found is None:
        raise NotFound()
    return found


def customer_by_id_or_404(session, actor, customer_id: int) -> Customer:
    found = session.scalars(select(Customer).where(Customer.id == customer_id, customers(session, actor))).first()
    if found is None:
        raise NotFound()
    return found


def inspection_or_404(session, actor, number: str) -> Inspection:
    found = session.scalars(select(Inspection).where(Inspection.number == str(number)[:40],
                                                     inspections(session, actor))).first()
    if found is None:
        raise NotFound()
    return found


def reaches_customer(session, actor, customer: Customer) -> bool:
    return scope_of(session, actor).reaches(branch_id=customer.branch_id, team_id=customer.default_team_id,
                                            visit_branch_id=customer.branch_id)


def reaches_hazard(session, actor, hazard: Hazard) -> bool:
    return scope_of(session, actor).reaches(branch_id=hazard.branch_id, team_id=hazard.team_id)


def reaches_document(session, actor, doc: Document) -> bool:
    """A document is reached through the hazard, inspection or customer it belongs to; a document of
    the whole company (summaries, assessments) through its branch (see `document_branch`)."""
    scope = scope_of(session, actor)
    if scope.everything:
        return True
    if doc.hazard_id is not None:
        hazard = session.get(Hazard, doc.hazard_id)
        return hazard is not None and reaches_hazard(session, actor, hazard)
    if doc.kind == "inspection_worksheet" and reaches_worksheet(session, actor, doc):
        return True
    if doc.customer_id is not None:
        customer = session.get(Customer, doc.customer_id)
        return customer is not None and reaches_customer(session, actor, customer)
    branch_id = document_branch(session, doc)
    if branch_id is None:                # of the whole organisation: for those who reach every branch
        return reaches_every_branch(session, actor)
    return branch_id in scope.branch_ids


def document_branch(session, doc: Document) -> int | None:
    """The branch a company-level document (a summary, an assessment) was made for: its subject is the
    branch code, or ends with it after a slash (e.g. "2026-03/JA"); None when it names none (a document
    of the whole organisation, e.g. "2026-03" or "KH-2026-03")."""
    code = (doc.subject or "").rsplit("/", 1)[-1]
    return session.scalar(select(Branch.id).where(Branch.code == code))


def document_or_404(session, actor, document_id: int) -> Document:
    doc = session.get(Document, document_id)
    if doc is None or not reaches_document(session, actor, doc):
        raise NotFound()
    return doc


# --- tasks ------------------------------------------------------------------------------------------

def offered(task: HumanTask, actor) -> bool:
    """A task is offered to its assignee, or (unassigned) to holders of its lane role in its group."""
    if task.status != "ready" or getattr(actor, "is_system", False):
        return False
    if task.assignee is not None:
        return task.assignee == actor.username
    if task.lane is not None and task.lane not in actor.roles:
        return False
    return task.candidate_team is None or task.candidate_team in actor.groups


def task_visible(session, actor, task: HumanTask) -> bool:
    """Seeing a task: offered to you or your team, held or done by you, or of a group in your reach."""
    if getattr(actor, "is_system", False):
        return True
    if offered(task, actor) or task.assignee == actor.username or task.completed_by == actor.username:
        return True
    if (task.lane is None or task.lane in actor.roles) and task.candidate_team in actor.groups:
        return True                      # offered to the user's team, now held or done by a teammate
    scope = scope_of(session, actor)
    if scope.everything:
        return True
    return task.candidate_team is not None and (task.candidate_team in scope.team_codes
                                                or task.candidate_team in scope.branch_codes)


def task_or_404(session, actor, task_id: str) -> HumanTask:
    task = session.get(HumanTask, str(task_id)[:36])
    if task is None or not task_visible(session, actor, task):
        raise NotFound()
    return task


# --- models, their versions and instances (the modeling area) ---------------------------------------
# Diagrams belong to the whole company: no branch or team scope. Who may model is decided here for
# every door (pages, API, CLI), not only by the route matrix; SYSTEM (the CLI) may do both.

MODELLERS = frozenset({"process_owner", "admin"})
MIGRATORS = frozenset({"admin"})
LARGEST_KEY = 2 ** 63 - 1            # the largest integer every database here compares without overflow


def key(value) -> int | None:
    """A positive integer id or number as the database can compare it; None for anything else
    (huge, negative, non-numeric), which is therefore answered like an absent one."""
    if isinstance(value, str):
        value = value.strip()
        if not (value.isascii() and value.isdigit()) or len(value) > 30:
            return None
    elif isinstance(value, bool) or not isinstance(value, int):
        return None
    number = int(value)
    return number if 0 < number <= LARGEST_KEY else None


def may_model(actor) -> bool:
    """Read the library, edit drafts, validate, deploy, look at a migration's dry run."""
    return getattr(actor, "is_system", False) or bool(set(getattr(actor, "roles", ()) or ()) & MODELLERS)


def require_modeller(actor) -> None:
    if not may_model(actor):
        raise Forbidden()


def may_migrate(actor) -> bool:
    """Move running instances to another version: administrators only."""
    return getattr(actor, "is_system", False) or bool(set(getattr(actor, "roles", ()) or ()) & MIGRATORS)


def require_migrator(actor) -> None:
    if not may_migrate(actor):
        raise Forbidden()


def model_version_or_404(session, actor, name: str, version) -> ModelVersion:
    """One deployed version of a model, for a modeller; Forbidden for anyone else."""
    require_modeller(actor)
    number = key(version)
    found = None if number is None else session.scalars(select(ModelVersion).where(
        ModelVersion.name == str(name)[:200], ModelVersion.version == number)).first()
    if found is None:
        raise NotFound()
    return found


# --- hazards area: report logs, customers' documents, where customers may be placed, rights ---------

RIGHTS = {  # what a role may change in the hazards area (scope decides on which objects)
    "hazard.open": frozenset({"inspector", "specialist", "admin"}),
    "hazard.cancel": frozenset({"specialist", "admin"}),
    "dictionary.edit": frozenset({"specialist", "admin"}),
    "customer.edit": frozenset({"specialist", "admin"}),
    "report.submit": frozenset({"leader", "specialist", "admin"}),
    "system.status": frozenset({"admin"}),           # 系统状态 and /metrics: the operator's view
}
# company-level reports are numbered prefix-branch-period (handlers/summaries.py), or prefix-period for
# the whole company
REPORT_PREFIXES = ("YHTJ", "YHNB")


def has_right(actor, right: str) -> bool:
    return getattr(actor, "is_system", False) or bool(set(getattr(actor, "roles", ()) or ()) & RIGHTS[right])


def require_right(actor, right: str) -> None:
    if not has_right(actor, right):
        raise Forbidden()


def branches(session, actor):
    """Branches the actor may place customers in (branch roles: their branch and those under it)."""
    return scope_of(session, actor).where(branch=Branch.id)


def teams(session, actor):
    """Teams in reach: of the actor's branches, or the inspector's own."""
    return scope_of(session, actor).where(branch=people.Team.branch_id, team=people.Team.id)


def reaches_branch(session, actor, branch_id) -> bool:
    return scope_of(session, actor).reaches(branch_id=branch_id)


def reaches_team(session, actor, team) -> bool:
    """The actor may name this team (a Team or its id), e.g. as a customer's default team."""
    team_id = getattr(team, "id", team)
    return session.scalar(select(people.Team.id).where(people.Team.id == team_id, teams(session, actor))) is not None


def customer_documents(session, actor):
    """Documents of customers in reach; those of a hazard only when the hazard is in reach too."""
    return Document.customer_id.in_(customer_ids(session, actor)) & or_(
        Document.hazard_id.is_(None), Document.hazard_id.in_(select(Hazard.id).where(hazards(session, actor))))


def report_logs(session, actor):
    """Reports (ReportLog): by their hazard, else their customer, else the branch their document names."""
    scope = scope_of(session, actor)
    if scope.everything:
        return true()
    company_level = ReportLog.hazard_id.is_(None) & ReportLog.customer_id.is_(None)
    named = [Document.subject.in_(sorted(scope.branch_codes))]
    for code in sorted(scope.branch_codes):
        named.append(Document.subject.like(f"%/{code}"))
        named.extend(Document.number.like(f"{prefix}-{code}-%") for prefix in REPORT_PREFIXES)
    if scope.branch_ids and session.scalar(select(Branch.id).where(Branch.id.in_(sorted(scope.branch_ids)),
                                                                   Branch.parent_id.is_(None)).limit(1)):
        # the company's own branch reaches the reports of the whole company (no branch in the number)
        named.extend(func.substr(Document.number, len(prefix) + 2, 1).between("0", "9")
                     & Document.number.like(f"{prefix}-%") for prefix in REPORT_PREFIXES)
    return or_(ReportLog.hazard_id.in_(select(Hazard.id).where(hazards(session, actor))),
               ReportLog.hazard_id.is_(None) & ReportLog.customer_id.in_(customer_ids(session, actor)),
               company_level & ReportLog.document_id.in_(select(Document.id).where(or_(*named))))


def report_log_or_404(session, actor, log_id: int) -> ReportLog:
    found = session.scalars(select(ReportLog).where(ReportLog.id == log_id, report_logs(session, actor))).first()
    if found is None:
        raise NotFound()
    return found


# --- inspections, the plan, the customer import, long jobs ------------------------------------------

def reaches_worksheet(session, actor, doc: Document) -> bool:
    """An inspection worksheet is reached by whoever reaches its inspection (its subject is the
    inspection's number), e.g. a team sent to a customer outside its own branch."""
    return session.scalar(select(Inspection.id).where(Inspection.number == doc.subject,
                                                      inspections(session, actor))) is not None


def reaches_every_branch(session, actor) -> bool:
    """Company-wide settings (the inspection cycles): admins, and those whose branch is at the top."""
    scope = scope_of(session, actor)
    if scope.everything:
        return True
    if not scope.branch_ids:
        return False
    outside = session.scalar(select(Branch.id).where(Branch.id.not_in(sorted(scope.branch_ids))).limit(1))
    return outside is None


def job_or_404(session, actor, job_id: int):
    """A long job (import, campaign) is seen by who started it, and by admins."""
    from records import Job
    job = session.get(Job, job_id)
    if job is None or not (getattr(actor, "is_system", False) or "admin" in (getattr(actor, "roles", ()) or ())
                           or job.created_by == actor.username):
        raise NotFound()
    return job


# --- work: tasks in reach, process instances, process starts, attachments ---------------------------

OBSERVERS = SEES_ALL                 # who looks at running instances and deployed versions
INSTANCE_ACTORS = frozenset({"admin"})


def is_system(actor) -> bool:
    return bool(getattr(actor, "is_system", False))


def tasks_in_reach(session, actor):
    """Human tasks whose candidate group is a team or branch in the actor's reach (the "branch" and
    "all" inbox scopes): an SQL condition on the indexed candidate_team column."""
    scope = scope_of(session, actor)
    if scope.everything:
        return true()
    codes = sorted(scope.team_codes | scope.branch_codes)
    return HumanTask.candidate_team.in_(codes) if codes else false()


def user_in_reach(session, actor, user) -> bool:
    """A person the actor may hand work to: of a branch or a team in the actor's reach."""
    scope = scope_of(session, actor)
    return (scope.everything or user.branch_id in scope.branch_ids
            or any(t.id in scope.team_ids or t.branch_id in scope.branch_ids for t in user.teams))


def observes_instances(actor) -> bool:
    """Instances and deployed versions are for the people who run the system and its diagrams."""
    return is_system(actor) or bool(set(getattr(actor, "roles", ()) or ()) & OBSERVERS)


def require_observer(actor) -> None:
    if not observes_instances(actor):
        raise Forbidden()


def instance_or_404(session, actor, instance_id: int) -> ProcessInstance:
    """One instance, for an observer; for anyone else it does not exist."""
    found = session.get(ProcessInstance, instance_id) if observes_instances(actor) else None
    if found is None:
        raise NotFound()
    return found


def require_instance_actor(actor) -> None:
    """Retrying, skipping, suspending, resuming and terminating instances: administrators only."""
    if not (is_system(actor) or set(getattr(actor, "roles", ()) or ()) & INSTANCE_ACTORS):
        raise Forbidden()


def may_start(actor, startable_by) -> bool:
    """A generic start: the actor holds one of the roles the diagram declares (none declared: nobody)."""
    return is_system(actor) or bool(set(startable_by) & set(getattr(actor, "roles", ()) or ()))


def attachment_or_404(session, actor, digest: str) -> Attachment:
    """An attachment the actor uploaded, or that an object the actor may see refers to (a hazard or
    an inspection in reach, a task visible to the actor); one indexed lookup by attachment id."""
    row = session.get(Attachment, str(digest)[:64])
    if row is None:
        raise NotFound()
    scope = scope_of(session, actor)
    if scope.everything or row.created_by == getattr(actor, "username", None):
        return row
    link = AttachmentLink
    objects = or_(and_(link.object_kind == "upload", link.object_id == actor.username),
                  and_(link.object_kind.not_in(("upload", "task")),
                       scope.where(branch=link.branch_id, team=link.team_id)))
    if session.scalar(select(link.id).where(link.attachment_id == row.id, objects).limit(1)) is not None:
        return row
    task_ids = select(link.object_id).where(link.attachment_id == row.id, link.object_kind == "task")
    for task in session.scalars(select(HumanTask).where(HumanTask.id.in_(task_ids))):
        if task_visible(session, actor, task):
            return row
    raise NotFound()


# --- risk grades and the outbox (area: risk) --------------------------------------------------------

GRADERS = frozenset({"specialist", "admin"})
OUTBOX_READERS = frozenset({"admin"})


def grades_by_hand(actor) -> bool:
    """Who may have a customer graded again now (the page shows the button only to them)."""
    return getattr(actor, "is_system", False) or bool(set(getattr(actor, "roles", ()) or ()) & GRADERS)


def regrade_customer_or_404(session, actor, number: str) -> Customer:
    """A customer the actor reaches and may regrade: out of scope looks like absent (NotFound), in
    scope without the right is Forbidden."""
    customer = customer_or_404(session, actor, number)
    if not grades_by_hand(actor):
        raise Forbidden()
    return customer


def require_outbox(actor) -> None:
    """The outbox (every message of every recipient, their addresses) is for administrators only."""
    if not (getattr(actor, "is_system", False) or set(getattr(actor, "roles", ()) or ()) & OUTBOX_READERS):
        raise Forbidden()


# --- indicators, government reports, team assessment ------------------------------------------------
# The numbers of the dashboard count the branches in reach; a summary or annual report belongs to the
# branch its subject names ("2026-03/JA-JZ"), or to the whole organisation (no branch named); a team
# assessment run is reached through the scorecards of the teams in reach.

def kpi_branch_ids(session, actor) -> tuple | None:
    """The branches whose numbers the actor may count (None: all of them, no filter needed). Numbers are
    counted by branch: an inspector, who reaches teams rather than branches, counts none."""
    if reaches_every_branch(session, actor):
        return None
    return tuple(sorted(scope_of(session, actor).branch_ids))





def reports(session, actor):
    """Summaries and annual reports (Documents): those of a branch in reach, and those of the whole
    organisation for an actor who reaches every branch."""
    if reaches_every_branch(session, actor):
        return true()
    codes = sorted(scope_of(session, actor).branch_codes)
    return or_(*[Document.subject.like("%/" + _like_escape(code), escape="\\") for code in codes]) if codes \
        else false()


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def team_scores(session, actor):
    """Scorecards of a team assessment: those of the teams in reach."""
    if scope_of(session, actor).everything:
        return true()
    return TeamScore.team_id.in_(select(people.Team.id).where(teams(session, actor)))


def assessment_runs(session, actor):
    """Assessment runs: every one for an actor who reaches every branch, else those holding a scorecard of
    a team in reach."""
    if reaches_every_branch(session, actor):
        return true()
    return select(TeamScore.id).where(TeamScore.run_id == AssessmentRun.id, team_scores(session, actor)).exists()


def assessment_run_or_404(session, actor, run_id: int) -> AssessmentRun:
    found = session.scalars(select(AssessmentRun).where(AssessmentRun.id == run_id,
                                                        assessment_runs(session, actor))).first()
    if found is None:
        raise NotFound()
    return found

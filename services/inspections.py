"""Inspections: the list and one inspection, manual tasks and campaigns, and the step-by-step jobs
(records.Job) behind campaigns and large imports.

Every inspection read is limited to the actor's reach (access.inspections); a manual task or a
campaign names only customers in reach; a job is seen and driven only by who started it (or an
admin), and its steps act with its starter's reach.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from engine import HumanTask, audit
from records import Campaign, Customer, Document, Inspection, Job, Team, customers, inspections, people

from . import access, customer_import, hazard_filing, planning
from .errors import Invalid
from .i18n import _

PAGE_SIZE = 50
CAMPAIGN_STEP = 20


@dataclass(frozen=True)
class Filters:
    """The list's filters as the request gave them (unknown values are ignored)."""

    status: str | None = None
    kind: str | None = None
    team: str | None = None
    customer: str | None = None
    page: int = 1


def listing(rt, session, actor, filters: Filters) -> dict:
    """One page of the inspections in reach, filtered; overdue ones are marked by the page."""
    today = rt.today()
    condition = access.inspections(session, actor)
    if filters.status == "open":
        condition &= Inspection.status.in_(inspections.OPEN)
    elif filters.status in inspections.STATUS_NAMES:
        condition &= Inspection.status == filters.status
    if filters.status == "overdue":
        condition &= Inspection.status.in_(inspections.OPEN) & (Inspection.due_date < today)
    if filters.kind in inspections.KINDS:
        condition &= Inspection.kind == filters.kind
    if filters.team:
        condition &= Inspection.team_id.in_(select(Team.id).where(Team.code == filters.team))
    number = (filters.customer or "").strip()[:20]
    if number:
        condition &= Inspection.customer_id.in_(select(Customer.id).where(Customer.number == number))
    total = session.scalar(select(func.count()).select_from(Inspection).where(condition))
    rows = session.scalars(select(Inspection).where(condition).order_by(Inspection.due_date, Inspection.id)
                           .limit(PAGE_SIZE).offset((filters.page - 1) * PAGE_SIZE)).all()
    teams = session.scalars(select(Team).where(access.teams(session, actor)).order_by(Team.code)).all()
    return {"rows": rows, "total": total, "page": filters.page, "page_size": PAGE_SIZE, "today": today,
            "teams": teams, "kinds": inspections.KIND_NAMES, "statuses": inspections.STATUS_NAMES}


def detail(rt, session, actor, number: str) -> dict:
    """One inspection in reach: its open tasks, results, findings and their hazard files, the worksheet."""
    ins = access.inspection_or_404(session, actor, number)
    tasks = session.scalars(select(HumanTask).where(HumanTask.instance_id == ins.instance_id,
                                                    HumanTask.status == "ready")).all()
    approver = people.user_by_name(session, ins.approved_by) if ins.approved_by else None
    filing = hazard_filing.status(session, ins)
    return {"ins": ins, "tasks": tasks, "today": rt.today(), "kinds": inspections.KIND_NAMES,
            "statuses": inspections.STATUS_NAMES, "filing": filing,
            "waiting": sum(1 for f in filing if f["status"] == "pending"),
            "approver": approver.display_name if approver else ins.approved_by,
            "worksheet": session.get(Document, ins.worksheet_id) if ins.worksheet_id else None}


# --- manual tasks and campaigns --------------------------------------------------------------------

def new_form(session, actor) -> dict:
    """What the form for a manual task offers."""
    return {"kinds": inspections.KIND_NAMES, "classes": customers.CLASS_NAMES}


def create_campaign(rt, session, actor, form: dict) -> Job:
    """A manual inspection task (periodic or special) for one customer, or a campaign over many, all in
    the actor's reach: the campaign and its job in one transaction. Raises Invalid (errors by field)."""
    errors = {}
    kind = form.get("kind")
    if kind not in inspections.KINDS:
        errors["kind"] = _("Choose one of the listed values.")
    due = None
    try:
        due = date.fromisoformat(form.get("due_date") or "")
        if due < rt.today():
            errors["due_date"] = _("The due date cannot be in the past.")
    except ValueError:
        errors["due_date"] = _("Enter a date as YYYY-MM-DD.")
    ids, selection, problem = _select_customers(session, actor, form)
    if problem:
        errors["customers"] = problem
    name = (form.get("name") or "").strip()[:100]
    if len(ids) > 1 and not name:
        errors["name"] = _("Name the campaign (e.g. 2026年高考保电专项检查).")
    if errors:
        raise Invalid(errors=errors)
    now = rt.now()
    campaign = Campaign(name=name or _("Single inspection"), kind=kind, due_date=due, selection=selection,
                        customer_ids=ids, created_by=actor.username, created_at=now)
    session.add(campaign)
    session.flush()
    job = Job(kind="campaign", total=len(ids), state={"campaign_id": campaign.id, "index": 0},
              report={"created": [], "skipped": []}, created_by=actor.username, created_at=now, updated_at=now)
    session.add(job)
    audit.record(session, f"campaign:{campaign.id}", at=now, actor=actor.username, action="campaign.created",
                 after={"name": campaign.name, "kind": kind, "due": due.isoformat(), "customers": len(ids),
                        "selection": selection})
    session.commit()
    return job


def _select_customers(session, actor, form) -> tuple[list[int], dict, str | None]:
    """(customer ids, how they were chosen, error) from a list of 户号 or a filter, in the actor's reach:
    a number outside it is unknown, a filter never matches outside it."""
    in_reach = access.customers(session, actor)
    numbers = [n.strip() for n in (form.get("numbers") or "").replace(",", "\n").splitlines() if n.strip()]
    if numbers:
        found = {c.number: c.id for c in session.scalars(select(Customer).where(Customer.number.in_(numbers),
                                                                                 in_reach))}
        unknown = [n for n in numbers if n not in found]
        if unknown:
            return [], {}, _("Unknown customer numbers: %(numbers)s", numbers="、".join(unknown[:20]))
        return list(dict.fromkeys(found[n] for n in numbers)), {"numbers": numbers}, None
    query, selection = select(Customer.id).where(in_reach), {}
    if form.get("importance"):
        query = query.where(Customer.importance == form["importance"])
        selection["importance"] = form["importance"]
    if form.get("branch"):
        query = query.where(Customer.branch_id.in_(select(customers.Branch.id)
                                                   .where(customers.Branch.code == form["branch"])))
        selection["branch"] = form["branch"]
    if form.get("high_risk"):
        query = query.where(Customer.high_risk.is_(True))
        selection["high_risk"] = True
    if form.get("industry"):
        query = query.where(Customer.industry.like(f"%{form['industry'].replace('%', '')}%"))
        selection["industry"] = form["industry"]
    if not selection:
        return [], {}, _("Give a list of customer numbers or at least one filter.")
    ids = list(session.scalars(query.order_by(Customer.number)))
    if not ids:
        return [], selection, _("The filter matches no customer.")
    return ids, selection, None


# --- long jobs -------------------------------------------------------------------------------------

def job(rt, session, actor, job_id: int) -> Job:
    """A long job's progress (import or campaign): its starter's, or any for an admin."""
    return access.job_or_404(session, actor, job_id)


def job_step(rt, session, actor, job_id: int) -> Job:
    """Do the next step of a running job (one transaction per batch) and return it."""
    found = access.job_or_404(session, actor, job_id)
    if found.status == "running":
        if found.kind == "customer_import":
            customer_import.step(rt, session, found)
        else:
            _campaign_step(rt, session, found)
        found = session.get(Job, job_id)
    return found


def _campaign_step(rt, session, job: Job) -> None:
    """The next batch of a campaign's inspections, each committed with its process; then the progress.
    The customers were checked against the starter's reach when the campaign was made."""
    campaign = session.get(Campaign, job.state["campaign_id"])
    start, job_id, today = job.state["index"], job.id, rt.today()
    batch = campaign.customer_ids[start:start + CAMPAIGN_STEP]
    created, skipped = list(job.report.get("created", [])), list(job.report.get("skipped", []))
    for customer_id in batch:
        customer = session.get(Customer, customer_id)
        ins = planning.create(rt, session, customer, kind=campaign.kind, due=campaign.due_date, planned_from=today,
                              actor=job.created_by, campaign_id=campaign.id, full=campaign.kind == "periodic")
        (created if ins else skipped).append(ins.number if ins else customer.number)
    job = session.get(Job, job_id)
    campaign = session.get(Campaign, job.state["campaign_id"])
    job.state = {**job.state, "index": start + len(batch)}
    job.done, job.report, job.updated_at = start + len(batch), {"created": created, "skipped": skipped}, rt.now()
    campaign.created_count = len(created)
    if job.done >= job.total:
        job.status = campaign.status = "done"
    session.commit()

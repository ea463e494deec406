"""Inspection pages: the list, one inspection, manual tasks and campaigns, the plan and its cycles,
the customer import, and the step-by-step jobs behind large imports and campaigns."""
from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from engine import HumanTask, audit
from records import Campaign, Customer, Inspection, InspectionCycle, Job, Team, customers, inspections

from . import db, engine_of, planning
from .customer_import import ImportRefused, apply_row, read_rows
from .rendering import page_number
from .work import local_today

bp = Blueprint("inspections", __name__)
PAGE_SIZE = 50
IMPORT_STEP, CAMPAIGN_STEP = 200, 20


def _now():
    return engine_of(current_app).clock.now()


@bp.get("/inspections")
def index():
    """Inspections: filter by status, kind, team, customer; overdue ones marked."""
    session = db.session()
    status, kind, team = request.args.get("status") or None, request.args.get("kind") or None, request.args.get("team")
    customer = (request.args.get("customer") or "").strip()[:20] or None
    page = page_number(request.args)
    condition = Inspection.id.is_not(None)
    if status == "open":
        condition &= Inspection.status.in_(inspections.OPEN)
    elif status in inspections.STATUS_NAMES:
        condition &= Inspection.status == status
    if status == "overdue":
        condition &= Inspection.status.in_(inspections.OPEN) & (Inspection.due_date < local_today())
    if kind in inspections.KINDS:
        condition &= Inspection.kind == kind
    if team:
        condition &= Inspection.team_id.in_(select(Team.id).where(Team.code == team))
    if customer:
        condition &= Inspection.customer_id.in_(select(Customer.id).where(Customer.number == customer))
    if current_user.has_role("inspector") and not current_user.has_role("specialist", "admin", "leader", "supervisor"):
        condition &= Inspection.team_id.in_([t.id for t in current_user.teams] or [-1])
    total = session.scalar(select(func.count()).select_from(Inspection).where(condition))
    rows = session.scalars(select(Inspection).where(condition).order_by(Inspection.due_date, Inspection.id)
                           .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    teams = session.scalars(select(Team).order_by(Team.code)).all()
    return render_template("inspections/index.html", rows=rows, total=total, page=page, page_size=PAGE_SIZE,
                           today=local_today(), teams=teams, kinds=inspections.KIND_NAMES,
                           statuses=inspections.STATUS_NAMES, args=request.args)


@bp.get("/inspections/<number>")
def detail(number):
    """One inspection: its task, results, findings and their hazard files, the worksheet."""
    session = db.session()
    ins = session.scalars(select(Inspection).where(Inspection.number == number[:40])).first() or abort(404)
    tasks = session.scalars(select(HumanTask).where(HumanTask.instance_id == ins.instance_id,
                                                    HumanTask.status == "ready")).all()
    return render_template("inspections/detail.html", ins=ins, tasks=tasks, today=local_today(),
                           kinds=inspections.KIND_NAMES, statuses=inspections.STATUS_NAMES)


def _select_customers(session, form) -> tuple[list[int], dict, str | None]:
    """(customer ids, how they were chosen, error) from a list of 户号 or a filter."""
    numbers = [n.strip() for n in (form.get("numbers") or "").replace(",", "\n").splitlines() if n.strip()]
    if numbers:
        found = {c.number: c.id for c in session.scalars(select(Customer).where(Customer.number.in_(numbers)))}
        unknown = [n for n in numbers if n not in found]
        if unknown:
            return [], {}, _("Unknown customer numbers: %(numbers)s", numbers="、".join(unknown[:20]))
        return list(dict.fromkeys(found[n] for n in numbers)), {"numbers": numbers}, None
    query, selection = select(Customer.id), {}
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


@bp.route("/inspections/new", methods=["GET", "POST"])
def new():
    """A manual inspection task (periodic or special) for one customer or a campaign over many."""
    session = db.session()
    errors, form = {}, request.form
    if request.method == "POST":
        kind = form.get("kind")
        if kind not in inspections.KINDS:
            errors["kind"] = _("Choose one of the listed values.")
        try:
            due = date.fromisoformat(form.get("due_date") or "")
            if due < local_today():
                errors["due_date"] = _("The due date cannot be in the past.")
        except ValueError:
            due, errors["due_date"] = None, _("Enter a date as YYYY-MM-DD.")
        ids, selection, problem = _select_customers(session, form)
        if problem:
            errors["customers"] = problem
        name = (form.get("name") or "").strip()[:100]
        if len(ids) > 1 and not name:
            errors["name"] = _("Name the campaign (e.g. 2026年高考保电专项检查).")
        if not errors:
            campaign = Campaign(name=name or _("Single inspection"), kind=kind, due_date=due, selection=selection,
                                customer_ids=ids, created_by=current_user.username, created_at=_now())
            session.add(campaign)
            session.flush()
            job = Job(kind="campaign", total=len(ids), state={"campaign_id": campaign.id, "index": 0},
                      report={"created": [], "skipped": []}, created_by=current_user.username, created_at=_now(),
                      updated_at=_now())
            session.add(job)
            audit.record(session, f"campaign:{campaign.id}", at=_now(), actor=current_user.username,
                         action="campaign.created", after={"name": campaign.name, "kind": kind, "due": due.isoformat(),
                                                           "customers": len(ids), "selection": selection})
            session.commit()
            return redirect(url_for("inspections.job", job_id=job.id))
    return render_template("inspections/new.html", errors=errors, form=form, kinds=inspections.KIND_NAMES,
                           classes=customers.CLASS_NAMES), 422 if errors else 200


@bp.get("/jobs/<int:job_id>")
def job(job_id):
    """A long job's progress (import or campaign); the page drives the steps."""
    found = db.session().get(Job, job_id) or abort(404)
    return render_template("inspections/job.html", job=found)


@bp.post("/jobs/<int:job_id>/step")
def job_step(job_id):
    """Do the next step of a job (one transaction per row batch) and return its progress."""
    session = db.session()
    found = session.get(Job, job_id) or abort(404)
    if found.status == "running":
        (_import_step if found.kind == "customer_import" else _campaign_step)(session, found)
    return render_template("inspections/_progress.html", job=found)


def _campaign_step(session, job: Job) -> None:
    campaign = session.get(Campaign, job.state["campaign_id"])
    start = job.state["index"]
    batch = campaign.customer_ids[start:start + CAMPAIGN_STEP]
    created, skipped = list(job.report.get("created", [])), list(job.report.get("skipped", []))
    job_id = job.id
    for customer_id in batch:
        customer = session.get(Customer, customer_id)
        ins = planning.create(session, engine_of(current_app), customer, kind=campaign.kind, due=campaign.due_date,
                              planned_from=local_today(), actor=job.created_by, campaign_id=campaign.id,
                              full=campaign.kind == "periodic")
        (created if ins else skipped).append(ins.number if ins else customer.number)
    job = session.get(Job, job_id)
    campaign = session.get(Campaign, job.state["campaign_id"])
    job.state = {**job.state, "index": start + len(batch)}
    job.done, job.report, job.updated_at = start + len(batch), {"created": created, "skipped": skipped}, _now()
    campaign.created_count = len(created)
    if job.done >= job.total:
        job.status = campaign.status = "done"
    session.commit()


@bp.route("/customers/import", methods=["GET", "POST"])
def customer_import():
    """Upload an Excel or CSV export of the register; it is imported in steps with a progress bar."""
    error = None
    if request.method == "POST":
        upload = request.files.get("file")
        suffix = Path(upload.filename or "").suffix.lower() if upload else ""
        if not upload or suffix not in (".xlsx", ".csv"):
            error = _("Choose an .xlsx or .csv file.")
        else:
            folder = Path(current_app.config["GRIDSAFE"]["DATA_DIR"]) / "imports"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{uuid.uuid4().hex}{suffix}"
            upload.save(path)
            try:
                total = len(read_rows(path))
            except ImportRefused as err:
                path.unlink(missing_ok=True)
                error = str(err)
            else:
                session = db.session()
                job = Job(kind="customer_import", total=total, state={"path": str(path), "offset": 0},
                          report={"created": 0, "updated": 0, "rejected": []}, created_by=current_user.username,
                          created_at=_now(), updated_at=_now())
                session.add(job)
                session.commit()
                return redirect(url_for("inspections.job", job_id=job.id))
    return render_template("inspections/import.html", error=error), 422 if error else 200


def _import_step(session, job: Job) -> None:
    rows = read_rows(Path(job.state["path"]))
    start = job.state["offset"]
    report = dict(job.report)
    rejected = list(report.get("rejected", []))
    for index, row in enumerate(rows[start:start + IMPORT_STEP], start=start + 2):   # row 1 is the header
        with session.begin_nested():
            state, reasons = apply_row(session, row, _now())
        if state == "rejected":
            rejected.append({"row": index, "number": row.get("number", ""), "reasons": reasons})
        else:
            report[state] = report.get(state, 0) + 1
    done = min(len(rows), start + IMPORT_STEP)
    report["rejected"] = rejected
    job.state, job.done, job.report, job.updated_at = {**job.state, "offset": done}, done, report, _now()
    if done >= len(rows):
        job.status = "done"
        audit.record(session, "import:customers", at=_now(), actor=job.created_by, action="customers.imported",
                     after={"created": report.get("created", 0), "updated": report.get("updated", 0),
                            "rejected": len(rejected)})
    session.commit()


@bp.get("/plan")
def plan():
    """The plan: cycles per class (editable by specialists), due and overdue periodic inspections."""
    return _plan_page(db.session(), {})


@bp.post("/plan/cycles")
def plan_cycles():
    """Change the inspection cycle of customer classes (months); audited."""
    session = db.session()
    cycles = inspections.cycles(session)
    errors, changes = {}, {}
    for key in inspections.DEFAULT_CYCLES:
        raw = (request.form.get(key) or "").strip()
        if not raw.isdigit() or not (0 if key == "temporary" else 1) <= int(raw) <= 60:
            errors[key] = _("A cycle is a whole number of months from 0 to 60.") if key == "temporary" else \
                _("A cycle is a whole number of months from 1 to 60.")
        elif int(raw) != cycles[key]:
            changes[key] = int(raw)
    if errors:
        return _plan_page(session, errors)
    if changes:
        for key, months in changes.items():
            row = session.get(InspectionCycle, key) or InspectionCycle(key=key, months=months)
            row.months, row.updated_by, row.updated_at = months, current_user.username, _now()
            session.merge(row)
        audit.record(session, "plan:cycles", at=_now(), actor=current_user.username, action="cycles.changed",
                     before={k: cycles[k] for k in changes}, after=changes)
        session.commit()
        flash(_("Cycles saved."), "success")
    return redirect(url_for("inspections.plan"))


def _plan_page(session, errors: dict):
    cycles = inspections.cycles(session)
    today = local_today()
    due = planning.due_customers(session, current_app.config["GRIDSAFE"], today)
    overdue = session.scalars(select(Inspection).where(Inspection.status.in_(inspections.OPEN),
                                                       Inspection.due_date < today)
                              .order_by(Inspection.due_date).limit(100)).all()
    return render_template("inspections/plan.html", cycles=cycles, names=inspections.CYCLE_NAMES, errors=errors,
                           due=due, overdue=overdue, today=today), 422 if errors else 200


@bp.post("/plan/run")
def plan_run():
    """Create the due periodic inspections now (the scheduler does it daily)."""
    db.release()        # generate() commits customer by customer in its own sessions: end this request's transaction
    report = planning.generate(engine_of(current_app), db.session_factory(), current_app.config["GRIDSAFE"],
                               local_today())
    flash(_("%(count)s periodic inspections created.", count=len(report.created)), "success")
    return redirect(url_for("inspections.plan"))

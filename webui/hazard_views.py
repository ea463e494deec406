"""Hazard files as people see them, shared by pages and API: the scoped list, the dossier, opening one.

Scope: inspectors see their teams' hazards, leaders and supervisors their branch, specialists,
process owners and admins every branch.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from engine import HumanTask, ProcessInstance
from records import Customer, Document, Hazard, Team, customers, dictionary, documents, hazards, kpi, people, risk

from . import engine_of
from .rendering import page_number
from .work import local_today

PAGE_SIZE = 50
SEARCH_CAP = 2000          # a search matching more than this is counted by the database
SEES_ALL = ("specialist", "process_owner", "admin")


@dataclass
class HazardQuery:
    status: str | None = None
    severity: str | None = None
    overdue: bool = False
    customer: str | None = None
    team: str | None = None
    branch: str | None = None
    q: str | None = None
    page: int = 1
    kpi: str | None = None              # a set of records.kpi: the hazards behind a dashboard number
    kpi_args: dict | None = None        # ... for the period and filters of these (period, from, to, klass...)

    @classmethod
    def from_args(cls, args) -> "HazardQuery":
        def text(name, size=60):
            return (args.get(name) or "").strip()[:size] or None
        status, severity = text("status"), text("severity")
        return cls(status=status if status in hazards.STATUSES + ("open",) else None,
                   severity=severity if severity in dictionary.SEVERITIES else None,
                   overdue=args.get("overdue") in ("1", "true", "on"), customer=text("customer", 20),
                   team=text("team"), branch=text("branch"), q=text("q", 40), page=page_number(args),
                   kpi=text("kpi", 30) if text("kpi", 30) in kpi.HAZARD_SETS else None,
                   kpi_args={k: args.get(k) for k in ("period", "from", "to", "klass", "industry", "branch", "team",
                                                       "category")
                             if args.get(k)})


def scope_condition(session, user):
    """Which hazards a user may see at all."""
    if user.has_role(*SEES_ALL):
        return Hazard.id.is_not(None)
    conditions = []
    if user.has_role("leader", "supervisor") and user.branch is not None:
        codes = people.branch_codes_under(session, user.branch)
        conditions.append(Hazard.branch_id.in_(select(people.Branch.id).where(people.Branch.code.in_(codes))))
    team_ids = [t.id for t in user.teams]
    if team_ids:
        conditions.append(Hazard.team_id.in_(team_ids))
    return or_(*conditions) if conditions else Hazard.id.is_(None)


def hazard_page(session, user, q: HazardQuery, now) -> tuple[list[Hazard], int]:
    """(hazards on this page, total) for the user's scope and the filters, newest first."""
    condition = scope_condition(session, user)
    if q.status == "open":
        condition &= Hazard.status.in_(hazards.OPEN)
    elif q.status:
        condition &= Hazard.status == q.status
    if q.severity:
        condition &= Hazard.severity == q.severity
    if q.overdue:
        condition &= Hazard.status.in_(("rectifying", "overdue", "supervising", "acceptance_failed")) \
            & (Hazard.deadline < now)
    if q.customer:
        condition &= Hazard.customer_id.in_(select(Customer.id).where(Customer.number == q.customer))
    if q.team:
        condition &= Hazard.team_id.in_(select(Team.id).where(Team.code == q.team))
    if q.branch:
        codes = {q.branch}
        found = session.scalars(select(people.Branch).where(people.Branch.code == q.branch)).first()
        if found is not None:
            codes = people.branch_codes_under(session, found)
        condition &= Hazard.branch_id.in_(select(people.Branch.id).where(people.Branch.code.in_(codes)))
    if q.q:
        # matched on the file-number index alone (a covering scan), not row by row along the date order
        pattern = f"%{q.q.upper().replace('%', '').replace('_', '')}%"     # file numbers are upper case
        condition &= Hazard.id.in_(select(Hazard.id).where(Hazard.file_number.like(pattern)))
    if q.kpi:
        from services.indicators import hazard_list_condition
        condition &= hazard_list_condition(current_app.extensions["gridsafe.runtime"], session, user, q.kpi,
                                           q.kpi_args or {})
    ordered = select(Hazard.id).where(condition).order_by(Hazard.opened_at.desc(), Hazard.id.desc())
    start = (q.page - 1) * PAGE_SIZE
    if q.q:
        # A search scans the file-number index once: take every match (a search matches few) and
        # count them here, instead of scanning again for the count.
        matches = session.scalars(ordered.limit(SEARCH_CAP + 1)).all()
        if len(matches) <= SEARCH_CAP:
            return _rows(session, matches[start:start + PAGE_SIZE]), len(matches)
    total = session.scalar(select(func.count()).select_from(Hazard).where(condition))
    # The page's ids first (index-only, no joins over the skipped rows), then those 50 rows with their
    # customer, branch and team.
    return _rows(session, session.scalars(ordered.limit(PAGE_SIZE).offset(start)).all()), total


def _rows(session, ids: list[int]) -> list[Hazard]:
    """The hazards of these ids, in this order, with their customer, branch and team."""
    found = {h.id: h for h in session.scalars(select(Hazard).where(Hazard.id.in_(ids)))} if ids else {}
    return [found[i] for i in ids]


def visible_hazard_or_404(session, user, file_number: str) -> Hazard:
    found = session.scalars(select(Hazard).where(Hazard.file_number == file_number[:40],
                                                 scope_condition(session, user))).first()
    if found is None:
        abort(404)
    return found


def dossier(session, hazard: Hazard) -> dict:
    """Everything of one hazard file: timeline, documents, photos, deadlines, where the process stands."""
    instance = session.get(ProcessInstance, hazard.instance_id) if hazard.instance_id else None
    open_tasks = session.scalars(select(HumanTask).where(HumanTask.instance_id == hazard.instance_id,
                                                         HumanTask.status == "ready")).all() \
        if hazard.instance_id else []
    before, after = hazard.photos or [], hazard.after_photos or []
    return {
        "hazard": hazard, "timeline": hazards.timeline(session, hazard.id),
        "documents": documents.for_hazard(session, hazard.id), "instance": instance, "open_tasks": open_tasks,
        "photo_pairs": [(before[i] if i < len(before) else None, after[i] if i < len(after) else None)
                        for i in range(max(len(before), len(after)))],
        "grade": risk.current_grade(session, hazard.customer_id),
        "reports": session.scalars(select(documents.ReportLog).where(documents.ReportLog.hazard_id == hazard.id)).all(),
    }


def dossier_json(view: dict) -> dict:
    """The dossier for the API."""
    h = view["hazard"]
    return {
        "file_number": h.file_number, "status": h.status, "status_name": hazards.STATUS_NAMES[h.status],
        "severity": h.severity, "item": h.item, "location": h.location, "equipment": h.equipment,
        "description": h.description, "deadline": h.deadline.isoformat(),
        "original_deadline": h.original_deadline.isoformat(), "supervision_count": h.supervision_count,
        "refused_to_sign": h.refused_to_sign, "reported_to_government": h.reported_to_government,
        "customer": {"number": h.customer.number, "name": h.customer.name, "class": h.customer.importance},
        "team": h.team.code if h.team else None, "branch": h.branch.code, "opened_by": h.opened_by,
        "opened_at": h.opened_at.isoformat(), "closed_at": h.closed_at.isoformat() if h.closed_at else None,
        "photos": h.photos, "after_photos": h.after_photos, "instance_id": h.instance_id,
        "timeline": [{"at": e.at.isoformat(), "actor": e.actor, "kind": e.kind, "status_before": e.status_before,
                      "status_after": e.status_after, "detail": e.detail, "document_id": e.document_id}
                     for e in view["timeline"]],
        "documents": [{"id": d.id, "kind": d.kind, "number": d.number, "version": d.version, "sha256": d.sha256,
                       "created_at": d.created_at.isoformat()} for d in view["documents"]],
        "open_tasks": [{"id": t.id, "title": t.title, "assignee": t.assignee, "due_at":
                        t.due_at.isoformat() if t.due_at else None} for t in view["open_tasks"]],
    }


def document_or_404(session, user, document_id: int) -> Document:
    doc = session.get(Document, document_id)
    if doc is None:
        abort(404)
    if doc.hazard_id is not None:
        hazard = session.get(Hazard, doc.hazard_id)
        if session.scalar(select(Hazard.id).where(Hazard.id == hazard.id, scope_condition(session, user))) is None:
            abort(404)
    return doc


# --- opening a hazard by hand -------------------------------------------------------------------

OPEN_FIELDS = ("customer", "item_code", "location", "equipment", "description", "severity", "severity_reason",
               "interim_measures")


def check_opening(session, user, values: dict, photos: list[str]) -> tuple[dict, dict]:
    """(start data, errors by field) for a hazard opened by hand; nothing is written here."""
    errors: dict = {}
    customer = customers.by_number(session, values.get("customer") or "") if values.get("customer") else None
    if customer is None:
        errors["customer"] = _("There is no customer with this number.")
    item = dictionary.current(session, values.get("item_code") or "")
    if item is None:
        errors["item_code"] = _("Choose an item of the hazard dictionary.")
    for name, limit in (("location", 200), ("description", 2000)):
        if not (values.get(name) or "").strip():
            errors[name] = _("This field is required.")
        elif len(values[name]) > limit:
            errors[name] = _("Use at most %(limit)s characters.", limit=limit)
    for name, limit in (("equipment", 200), ("severity_reason", 500), ("interim_measures", 1000)):
        if len(values.get(name) or "") > limit:
            errors[name] = _("Use at most %(limit)s characters.", limit=limit)
    severity = values.get("severity") or None
    if severity and severity not in dictionary.SEVERITIES:
        errors["severity"] = _("Choose one of the listed values.")
    if customer is not None and item is not None and severity:
        base = item.severity_for(customer.effective_class(local_today()))
        if dictionary.SEVERITIES.index(severity) < dictionary.SEVERITIES.index(base):
            errors["severity"] = _("The severity may be raised above the dictionary's, not lowered.")
        elif severity != base and not (values.get("severity_reason") or "").strip():
            errors["severity_reason"] = _("Say why the severity is raised.")
    if not photos:
        errors["photos"] = _("Take at least one photo of the hazard.")
    team = None
    if customer is not None and customer.default_team is None:
        own = [t for t in user.teams if t.active]
        if len(own) == 1:
            team = own[0].code
        else:
            errors["customer"] = _("The customer has no default team; ask a specialist to set one.")
    data = {"customer_id": customer.id if customer else None, "item_code": item.code if item else None,
            "location": (values.get("location") or "").strip(), "description": (values.get("description") or "").strip(),
            "equipment": (values.get("equipment") or "").strip() or None, "photos": photos, "severity": severity,
            "severity_reason": (values.get("severity_reason") or "").strip() or None, "team": team,
            "inspection_id": None, "interim_measures": (values.get("interim_measures") or "").strip() or None}
    return data, errors


def open_hazard(session, user, data: dict, subject: str):
    """Start hazard_lifecycle for a checked opening; the first step files it (one transaction)."""
    return engine_of(current_app).start_instance(session, "hazard_lifecycle", actor=user.username, data=data,
                                                 subject=subject)

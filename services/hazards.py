"""Hazard files (一患一档) as people see them: the scoped list with its filters and search, one dossier,
downloading its documents (cancelling one raised in error is `services.cancellations`). Opening one by hand is
`open_hazard` (its checks are `services.hazard_opening`).

Every function takes the runtime, the session and the actor, and decides scope through
`services.access` before it reads or writes: a hazard outside the actor's reach is not found.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from engine import HumanTask, ProcessInstance
from records import Customer, Document, Hazard, Team, dictionary, documents, hazards, kpi, people
from records import risk as grade_records

from . import access, cancellations, indicators, paging
from . import risk as grading_service
from . import hazard_opening as opening
from .errors import Conflict, NotFound
from .hazard_opening import OPEN_FIELDS, Opened, OpeningRefused
from .i18n import _

__all__ = ["HazardQuery", "PAGE_SIZE", "hazard_page", "filter_teams", "dossier", "dossier_json", "open_hazard",
           "opening_items", "document", "OPEN_FIELDS", "Opened", "OpeningRefused"]

PAGE_SIZE = 50
SEARCH_CAP = 2000          # a search matching more than this is counted by the database
OVERDUE_STATUSES = ("found", "rectifying", "overdue", "supervising", "acceptance_failed")
KPI_ARGS = ("period", "from", "to", "klass", "industry", "branch", "team", "category")


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
        """The filters of a query string (any mapping of names to text); unknown values are dropped."""
        def text(name, size=60):
            return (args.get(name) or "").strip()[:size] or None
        status, severity, kpi_set = text("status"), text("severity"), text("kpi", 30)
        page = paging.page_number(args)
        return cls(status=status if status in hazards.STATUSES + ("open",) else None,
                   severity=severity if severity in dictionary.SEVERITIES else None,
                   overdue=args.get("overdue") in ("1", "true", "on"), customer=text("customer", 20),
                   team=text("team"), branch=text("branch"), q=text("q", 40), page=page,
                   kpi=kpi_set if kpi_set in kpi.HAZARD_SETS else None,
                   kpi_args={k: args.get(k) for k in KPI_ARGS if args.get(k)})


def overdue_condition(now):
    """Overdue against the deadline in force (as the indicators count it): an undelivered notice past its
    delivery deadline, a rectification past its deadline (an approved extension moves it); a 督导单 does not
    make an unrectified hazard on time again — its own deadline only decides the next escalation."""
    undelivered = Hazard.rectification_deadline.is_(None) & (Hazard.deadline < now)
    late = Hazard.rectification_deadline < now
    return Hazard.status.in_(OVERDUE_STATUSES) & ((Hazard.status.in_(("overdue", "supervising"))) | undelivered | late)


def hazard_page(rt, session, actor, q: HazardQuery) -> tuple[list[Hazard], int]:
    """(hazards on this page, total) of the actor's scope and the filters, newest first."""
    condition = access.hazards(session, actor)
    if q.status == "open":
        condition &= Hazard.status.in_(hazards.OPEN)
    elif q.status:
        condition &= Hazard.status == q.status
    if q.severity:
        condition &= Hazard.severity == q.severity
    if q.overdue:
        condition &= overdue_condition(rt.now())
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
        condition &= indicators.hazard_list_condition(rt, session, actor, q.kpi, q.kpi_args or {})
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


def filter_teams(rt, session, actor) -> list[Team]:
    """The active teams in the actor's reach (the list's team filter)."""
    return list(session.scalars(select(Team).where(Team.active.is_(True), access.teams(session, actor))
                                .order_by(Team.code)))


def dossier(rt, session, actor, file_number: str) -> dict:
    """Everything of one hazard file in reach: timeline, documents, photos, deadlines, where the process stands."""
    return _view(session, access.hazard_or_404(session, actor, file_number))


def _view(session, hazard: Hazard) -> dict:
    """The dossier of a hazard already found in reach (or just opened)."""
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
        "grade": grade_records.current_grade(session, hazard.customer_id),
        "reports": session.scalars(select(documents.ReportLog).where(documents.ReportLog.hazard_id == hazard.id)).all(),
        "cancellation": cancellations.pending_for(session, hazard.id),
    }


def dossier_json(dossier_view: dict) -> dict:
    """A dossier as plain JSON (the API's answer)."""
    h = dossier_view["hazard"]
    return {
        "file_number": h.file_number, "status": h.status, "status_name": hazards.STATUS_NAMES[h.status],
        "severity": h.severity, "item": h.item, "location": h.location, "equipment": h.equipment,
        "description": h.description, "deadline": h.deadline.isoformat(),
        "original_deadline": h.original_deadline.isoformat(), "supervision_count": h.supervision_count,
        "refused_to_sign": h.refused_to_sign, "reported_to_government": h.reported_to_government,
        "refused_to_rectify": bool(h.refused_to_rectify), "supervision_failed": bool(h.supervision_failed),
        "rectification_deadline": h.rectification_deadline.isoformat() if h.rectification_deadline else None,
        "customer": {"number": h.customer.number, "name": h.customer.name, "class": h.customer.importance},
        "team": h.team.code if h.team else None, "branch": h.branch.code, "opened_by": h.opened_by,
        "opened_at": h.opened_at.isoformat(), "closed_at": h.closed_at.isoformat() if h.closed_at else None,
        "photos": h.photos, "after_photos": h.after_photos, "instance_id": h.instance_id,
        "timeline": [{"at": e.at.isoformat(), "actor": e.actor, "kind": e.kind, "status_before": e.status_before,
                      "status_after": e.status_after, "detail": e.detail, "document_id": e.document_id}
                     for e in dossier_view["timeline"]],
        "documents": [{"id": d.id, "kind": d.kind, "number": d.number, "version": d.version, "sha256": d.sha256,
                       "created_at": d.created_at.isoformat()} for d in dossier_view["documents"]],
        "open_tasks": [{"id": t.id, "title": t.title, "assignee": t.assignee, "due_at":
                        t.due_at.isoformat() if t.due_at else None} for t in dossier_view["open_tasks"]],
    }


def opening_items(rt, session, actor) -> list:
    """The dictionary's current items, to open a hazard on (the reference data every user reads)."""
    return dictionary.current_items(session)


def open_hazard(rt, session, actor, values, photos=(), uploads=(), *, with_dossier: bool = False,
                idempotency_key: str | None = None, key_from_content: bool = False) -> Opened:
    """Open a hazard file by hand (outside an inspection): it starts hazard_lifecycle, whose first step files
    it, in one transaction. `values` holds OPEN_FIELDS as text, `photos` ids of uploaded photos, `uploads`
    (bytes, filename) pairs of new ones. The customer must be in the actor's reach and every photo a photo:
    all is checked before anything is written. A refusal raises OpeningRefused and writes nothing, except
    that new uploads are kept for the corrected form when the customer is one the actor reaches. A retry
    with the same idempotency key gets the file the first request opened, and opens no other; without a key,
    `key_from_content` makes one of the request's content (a retry sends the same fields and photos).
    When the first step fails the instance waits in error for an administrator: Opened with no file number."""
    access.require_right(actor, "hazard.open")
    if idempotency_key is None and key_from_content:
        idempotency_key = opening.content_key(values, photos)
    earlier = opening.earlier_request(session, actor, idempotency_key)
    if earlier is not None:
        return _opened(session, actor, earlier, with_dossier)
    values = opening.clean(values)
    customer = opening.customer_in_reach(session, actor, values["customer"])
    data, errors = opening.check(rt, session, actor, customer, values)
    photos = [str(p) for p in photos]
    if len(photos) + len(uploads) > opening.MAX_PHOTOS:     # refused before any is read or stored
        errors["photos"] = _("Add at most %(limit)s.", limit=opening.MAX_PHOTOS)
        raise OpeningRefused(errors, [])
    known = opening.uploaded_photos(session, actor, photos)
    if any(p not in known for p in photos):
        errors["photos"] = _("Only uploaded photos can be attached.")
    images, refused = opening.checked_uploads(rt, uploads)
    if refused:
        errors["photos"] = refused            # an upload error says more than "take a photo"
    elif not photos and not images:
        errors["photos"] = _("Take at least one photo of the hazard.")
    if errors:
        kept = [p for p in photos if p in known]
        if customer is not None and images:
            kept += opening.store(rt, session, actor, images)
            session.commit()
        raise OpeningRefused(errors, kept)
    data["photos"] = photos + opening.store(rt, session, actor, images)
    claimed = opening.claim_request(session, actor, idempotency_key, rt.now())
    if claimed is False:                       # the same key, at the same moment, from another request
        return _opened(session, actor, opening.earlier_request(session, actor, idempotency_key), with_dossier)
    instance = rt.engine.start_instance(session, "hazard_lifecycle", actor=actor.username, data=data,
                                        subject=customer.number, commit=False)
    if claimed is not None:
        claimed.instance_id = instance.id       # the key and what it started: one commit, no gap between
    try:
        session.commit()
    except IntegrityError:                      # the same key committed by another request meanwhile
        session.rollback()
        return _opened(session, actor, opening.earlier_request(session, actor, idempotency_key), with_dossier)
    except BaseException:
        session.rollback()
        raise
    return _opened(session, actor, instance.id, with_dossier)


def _opened(session, actor, instance_id: int, with_dossier: bool) -> Opened:
    """What opening started: the file found by its instance (its team may be one the opener does not reach)."""
    instance = session.get(ProcessInstance, instance_id)
    hazard = session.scalars(select(Hazard).where(Hazard.instance_id == instance.id)).first()
    if hazard is None:
        return Opened(file_number=None, status=instance.status, error=instance.error_message, instance_id=instance.id)
    return Opened(file_number=hazard.file_number, status=instance.status, error=instance.error_message,
                  team=hazard.team.code if hazard.team else None, visible=access.reaches_hazard(session, actor, hazard),
                  dossier=_view(session, hazard) if with_dossier else None)


def document_row(rt, session, actor, document_id: int) -> Document:
    """A generated document the actor reaches (whether it is rendered yet: Document.ready)."""
    return access.document_or_404(session, actor, document_id)


def document(rt, session, actor, document_id: int) -> tuple[Document, BinaryIO]:
    """A generated document (any version) the actor reaches, and its bytes opened for streaming."""
    doc = access.document_or_404(session, actor, document_id)
    if not doc.ready:
        raise Conflict(_("The document is being generated; try again in a moment."))
    if not rt.files.exists(doc.sha256, session):
        raise NotFound()
    return doc, rt.files.open(doc.sha256)

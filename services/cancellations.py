"""Cancelling a hazard raised in error (已撤销): a request with a reason, decided by a leader (or, when
CANCEL_APPROVERS says so, by another specialist). Only the approval cancels: the file is marked, the
customer graded again and the process terminated, in one transaction, audited. The indicators count
the cancellation from the moment of approval (records.kpi_conditions.not_cancelled), so a closed
period's numbers never change.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from engine import EngineError, audit
from records import Hazard, notifications
from records.hazards import Cancellation, record_event

from . import access
from . import risk as grading_service
from .errors import Conflict, Forbidden, Invalid, NotFound
from .i18n import _

REASON_MAX = 500
LIST_LIMIT = 200


def approver_roles(rt) -> set:
    return set(rt.config.get("CANCEL_APPROVERS") or ("leader",))


def may_request(actor) -> bool:
    return access.has_right(actor, "hazard.cancel")


def may_decide(rt, actor, request: Cancellation | None = None) -> bool:
    """A leader (or a role CANCEL_APPROVERS names), and never the one who asked."""
    if request is not None and request.requested_by == actor.username:
        return False
    return bool(set(getattr(actor, "roles", ()) or ()) & approver_roles(rt))


def pending_for(session, hazard_id: int) -> Cancellation | None:
    return session.scalars(select(Cancellation).where(Cancellation.hazard_id == hazard_id,
                                                      Cancellation.status == "pending")).first()


def request(rt, session, actor, file_number: str, reason: str) -> Cancellation:
    """Ask to cancel an open hazard in reach, with a reason; the approvers of its branch are told."""
    hazard = access.hazard_or_404(session, actor, file_number)
    access.require_right(actor, "hazard.cancel")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("Give a reason for cancelling."), errors={"reason": _("Give a reason for cancelling.")})
    if len(reason) > REASON_MAX:
        message = _("The reason is too long (at most %(n)s characters).", n=REASON_MAX)
        raise Invalid(message, errors={"reason": message})
    if not hazard.is_open:
        raise Conflict(_("Only open hazards can be cancelled."))
    if pending_for(session, hazard.id) is not None:
        raise Conflict(_("A cancellation of this hazard is already waiting for a decision."))
    now = rt.now()
    row = Cancellation(hazard_id=hazard.id, reason=reason, requested_by=actor.username, requested_at=now)
    session.add(row)
    record_event(session, hazard, at=now, actor=actor.username, kind="cancel_requested", detail={"reason": reason})
    session.flush()
    audit.record(session, f"hazard:{hazard.file_number}", at=now, actor=actor.username,
                 action="hazard.cancel_requested", after={"request": row.id, "reason": reason})
    approvers = [u for role in sorted(approver_roles(rt))
                 for u in notifications.users_with_role(session, role, hazard.branch.code) if u.id != actor.id]
    notifications.notify(session, approvers, kind="cancellation", title=f"隐患撤销待审批：{hazard.file_number}",
                         body=f"{hazard.customer.name} · {hazard.item['name_zh']}。撤销理由：{reason}",
                         link=f"/hazards/{hazard.file_number}", now=now)
    _commit(session)
    return row


def decide(rt, session, actor, request_id: int, *, approve: bool, lock_version, comment: str | None = None
           ) -> Cancellation:
    """Approve (the hazard is cancelled from now) or refuse a pending request in reach."""
    row = session.get(Cancellation, int(request_id))
    if row is None:
        raise NotFound()
    hazard = access.hazard_or_404(session, actor, row.hazard.file_number)
    if not may_decide(rt, actor, row):
        raise Forbidden(_("A cancellation is decided by a leader, not by the one who asked for it."))
    if row.status != "pending" or str(lock_version) != str(row.lock_version):
        raise Conflict(_("The request was decided or changed meanwhile; reload and try again."))
    comment = (comment or "").strip()[:REASON_MAX] or None
    now = rt.now()
    row.status, row.decided_by, row.decided_at, row.comment = ("approved" if approve else "refused"), \
        actor.username, now, comment
    detail = {"reason": row.reason, "requested_by": row.requested_by, "comment": comment}
    audit.record(session, f"hazard:{hazard.file_number}", at=now, actor=actor.username,
                 action="hazard.cancel_approved" if approve else "hazard.cancel_refused",
                 before={"status": hazard.status}, after={"request": row.id, **detail})
    if not approve:
        record_event(session, hazard, at=now, actor=actor.username, kind="cancel_refused", detail=detail)
        _commit(session)
        return row
    if not hazard.is_open:
        session.rollback()
        raise Conflict(_("Only open hazards can be cancelled."))
    hazard.cancelled_reason, hazard.cancelled_at = row.reason, now
    record_event(session, hazard, at=now, actor=actor.username, kind="cancelled", status="cancelled", detail=detail)
    try:
        grading_service.regrade(rt, session, hazard.customer, "cancelled", actor.username)
        if hazard.instance_id:
            rt.engine.terminate(session, hazard.instance_id, actor.username, f"撤销隐患：{row.reason}")   # commits
        else:
            _commit(session)
    except (EngineError, ValueError, StaleDataError) as err:
        session.rollback()
        raise Conflict(str(err)) from err
    return row


def pending(rt, session, actor) -> list[Cancellation]:
    """Requests waiting for a decision on hazards in reach, oldest first."""
    return list(session.scalars(select(Cancellation).join(Hazard, Hazard.id == Cancellation.hazard_id)
                                .where(Cancellation.status == "pending", access.hazards(session, actor))
                                .order_by(Cancellation.requested_at).limit(LIST_LIMIT)))


def _commit(session) -> None:
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        raise Conflict(_("The request was decided or changed meanwhile; reload and try again.")) from None

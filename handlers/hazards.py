"""Hazard files: register, notify, supervise, accept, close — the steps of hazard_lifecycle.bpmn.

Each handler changes the hazard record and its timeline in the caller's transaction, appends an
audit event, and returns the hazard's summary (the process keeps it in the variable `hazard`).
"""
from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from records import attachments, customers, dictionary, hazards
from records.hazards import Hazard, record_event
from records.people import Team

from . import alerts, risk
from .context import Context, end_of_day, local_today, zone
from .deliveries import (HazardError, check_photos, checked_delivery, delivery_deadline, rectification_deadline,
                         yes)

__all__ = ["HazardError"]


def _hazard(ctx: Context, hazard_id) -> Hazard:
    found = ctx.session.get(Hazard, int(hazard_id))
    if found is None:
        raise HazardError(f"there is no hazard {hazard_id}")
    return found


def _event(ctx, hazard, kind, status=None, detail=None, document_id=None):
    before = hazard.status
    record_event(ctx.session, hazard, at=ctx.now(), actor=ctx.actor, kind=kind, status=status, detail=detail,
                 document_id=document_id)
    _link(ctx, hazard, attachments.digests_in(detail or {}))    # signatures, refusal, evidence, after-photos
    ctx.audit(f"hazard.{kind}", before={"status": before}, after={"status": hazard.status, **(detail or {})})


def _regrade(ctx: Context, hazard: Hazard, reason: str) -> None:
    """Grade the customer again within this step. The diagram has its own grade steps at opening, overdue,
    supervision and close; the other acts that change a grade's inputs regrade here, so that no diagram
    version (nor an instance started on an older one) can leave a stale grade behind."""
    risk.grade(ctx, hazard.customer_id, reason)


def _link(ctx, hazard: Hazard, ids) -> None:
    """The hazard's file refers to these attachments: whoever may see the hazard may see them."""
    attachments.link(ctx.session, ids, kind="hazard", object_id=hazard.id, branch_id=hazard.branch_id,
                     team_id=hazard.team_id)


def register(ctx: Context, customer_id, item_code, location, description, photos=None, equipment=None,
             severity=None, severity_reason=None, team=None, inspection_id=None, interim_measures=None) -> dict:
    """Open the file (一患一档): number, dictionary snapshot, severity, deadline from the dictionary."""
    customer = ctx.session.get(customers.Customer, int(customer_id))
    if customer is None:
        raise HazardError(f"there is no customer {customer_id}")
    item = dictionary.current(ctx.session, item_code)
    if item is None:
        raise HazardError(f"{item_code} is not an active item of the hazard dictionary")
    now = ctx.now()
    base = effective = item.severity_at(customer, local_today(ctx))     # by class, then the item's rules
    if severity and severity != effective:
        if dictionary.SEVERITIES.index(severity) < dictionary.SEVERITIES.index(effective):
            raise HazardError("the severity may be raised, not lowered, from the dictionary's")
        if not (severity_reason or "").strip():
            raise HazardError("raising the severity needs a reason")
        effective = severity
    team_row = _team(ctx, customer, team)
    deadline = delivery_deadline(ctx, item.snapshot())     # the rectification deadline starts at delivery
    number = hazards.next_number(ctx.session, "YH", customer.branch.code, now.astimezone(ZoneInfo(zone(ctx))).year)
    hazard = Hazard(file_number=number, customer_id=customer.id, branch_id=customer.branch_id,
                    team_id=team_row.id if team_row else None, item_code=item.code, item=item.snapshot(),
                    severity=effective, severity_reason=severity_reason, location=location, equipment=equipment,
                    description=description, interim_measures=interim_measures,
                    photos=check_photos(ctx, photos, "photos"), status="found", deadline=deadline,
                    original_deadline=deadline, instance_id=ctx.instance_id, inspection_id=inspection_id,
                    opened_by=ctx.actor, opened_at=now)
    ctx.session.add(hazard)
    ctx.session.flush()
    _link(ctx, hazard, hazard.photos)
    raised = {"dictionary_severity": base, "severity_reason": severity_reason} if effective != base else {}
    _event(ctx, hazard, "registered", detail={"file_number": number, "item": item.code, "severity": effective,
                                              "deadline": deadline.isoformat(), "stage": "notice", **raised})
    ctx.describe(business_key=number, title=f"{number} {customer.name} · {item.name_zh}", subject=customer.number)
    return hazard.summary() | {"photos": hazard.photos}


def _team(ctx, customer, team_code) -> Team | None:
    if team_code:
        found = ctx.session.scalars(select(Team).where(Team.code == team_code)).first()
        if found is None:
            raise HazardError(f"there is no team {team_code}")
        return found
    return customer.default_team


def record_delivery(ctx: Context, hazard_id, delivery: dict) -> dict:
    """The notice was delivered (通知到位): signed for, or the refusal recorded; rectification starts."""
    hazard = _hazard(ctx, hazard_id)
    kept = checked_delivery(ctx, delivery, "hazard notice")
    late = hazard.deadline < ctx.now()
    if late:
        kept["late"] = True
        kept["delivery_deadline"] = hazard.deadline.isoformat()
    hazard.notified_at = ctx.now()
    hazard.refused_to_sign = kept["refused"]
    hazard.deadline = hazard.original_deadline = hazard.rectification_deadline = rectification_deadline(ctx, hazard)
    _event(ctx, hazard, "notice_refused" if kept["refused"] else "notice_signed", status="notified", detail=kept)
    _event(ctx, hazard, "rectification_started", status="rectifying",
           detail={"deadline": hazard.deadline.isoformat()})
    _regrade(ctx, hazard, "notice_refused" if kept["refused"] else "notice_signed")
    return hazard.summary() | {"photos": hazard.photos, "notice_delivery": kept}


def notice_overdue(ctx: Context, hazard_id) -> dict:
    """The notice was not delivered by its delivery deadline: found → overdue, the supervisor is told.
    (The diagram reports a 重大 hazard to the government.) Nothing happens once it is delivered."""
    hazard = _hazard(ctx, hazard_id)
    if hazard.status != "found":
        return hazard.summary() | {"photos": hazard.photos}
    _event(ctx, hazard, "notice_overdue", status="overdue",
           detail={"deadline": hazard.deadline.isoformat(), "stage": "notice"})
    day = hazard.deadline.astimezone(ZoneInfo(zone(ctx)))
    alerts.tell_role(ctx, hazard, "supervisor", kind="supervision",
                     title=f"告知书逾期未送达：{hazard.file_number}",
                     body=f"{hazard.customer.name} 的隐患“{hazard.item['name_zh']}”（{dictionary.SEVERITY_NAMES[hazard.severity]}）"
                          f"的隐患告知书应于 {day:%Y-%m-%d} 前送达，至今未送达，请督促送达。")
    return hazard.summary() | {"photos": hazard.photos}


def mark_overdue(ctx: Context, hazard_id) -> dict:
    """The deadline passed without rectification: the file is overdue (督导 follows)."""
    hazard = _hazard(ctx, hazard_id)
    if hazard.status in ("rectifying", "supervising", "acceptance_failed"):
        if hazard.status == "supervising":
            hazard.supervision_failed = True          # stays so until rectified or an extension is approved
        _event(ctx, hazard, "overdue", status="overdue", detail={"deadline": hazard.deadline.isoformat()})
    return hazard.summary() | {"photos": hazard.photos}


def issue_order(ctx: Context, hazard_id, issue: dict) -> dict:
    """The supervision head (督导负责人) issues the 督导单: signed by name, with any further requirements;
    the inspection team delivers it."""
    hazard = _hazard(ctx, hazard_id)
    name = ((issue or {}).get("issuer_name") or "").strip()
    if not name:
        raise HazardError("supervision order: the issuer signs it by name")
    days = (issue or {}).get("days")
    if days is not None and not (isinstance(days, int) and 1 <= days <= 30):
        raise HazardError("supervision order: the days to rectify must be a whole number from 1 to 30")
    _event(ctx, hazard, "order_issued", detail={"issuer_name": name, "requirements": (issue.get("requirements") or
                                                                                       "").strip() or None,
                                                "days": days, "count": hazard.supervision_count + 1})
    return hazard.summary() | {"photos": hazard.photos}


def _issued(ctx, hazard: Hazard) -> dict:
    """The newest issue of a 督导单 (its signer, requirements, days), or {} for an order issued before this step."""
    found = ctx.session.scalars(select(hazards.HazardEvent).where(hazards.HazardEvent.hazard_id == hazard.id,
                                                                  hazards.HazardEvent.kind == "order_issued")
                                .order_by(hazards.HazardEvent.id.desc()).limit(1)).first()
    return found.detail if found is not None else {}


def supervise(ctx: Context, hazard_id, delivery: dict, progress: str | None = None) -> dict:
    """A supervision order (督导单) was delivered: count it, set the new short deadline, tell supervisors."""
    hazard = _hazard(ctx, hazard_id)
    kept = checked_delivery(ctx, delivery, "supervision order")
    kept["customer_reason"] = (delivery.get("customer_reason") or "").strip() or None
    kept["review_photos"] = check_photos(ctx, delivery.get("photos"), "review photos")
    hazard.supervision_count += 1
    days = int(_issued(ctx, hazard).get("days") or ctx.settings.get("SUPERVISION_DAYS", 7))
    hazard.deadline = end_of_day(ctx, local_today(ctx) + timedelta(days=days))
    if kept["refused"]:
        hazard.refused_to_sign = True
    _event(ctx, hazard, "supervised", status="supervising",
           detail={**kept, "count": hazard.supervision_count, "deadline": hazard.deadline.isoformat(),
                   "progress": progress})
    alerts.tell_role(ctx, hazard, "supervisor", kind="supervision",
                     title=f"隐患督导：{hazard.file_number}（第{hazard.supervision_count}次）",
                     body=f"{hazard.customer.name} 的隐患“{hazard.item['name_zh']}”逾期未整改，已下达督导单，"
                          f"新期限 {hazard.deadline.astimezone(ZoneInfo(zone(ctx))):%Y-%m-%d}。")
    return hazard.summary() | {"photos": hazard.photos}


def escalate(ctx: Context, hazard_id) -> dict:
    """Second overdue: the leader is told (报告到位)."""
    hazard = _hazard(ctx, hazard_id)
    _event(ctx, hazard, "escalated_to_leader", detail={"count": hazard.supervision_count})
    alerts.tell_role(ctx, hazard, "leader", kind="escalation",
                     title=f"隐患逾期升级：{hazard.file_number}",
                     body=f"{hazard.customer.name} 的隐患“{hazard.item['name_zh']}”第{hazard.supervision_count}次"
                          f"逾期未整改，请主管领导督办。")
    return hazard.summary() | {"photos": hazard.photos}


def record_assistance(ctx: Context, hazard_id, visit: dict) -> dict:
    """A visit to help the customer rectify (服务到位)."""
    hazard = _hazard(ctx, hazard_id)
    detail = {"visit_date": visit.get("visit_date"), "advice": visit.get("advice"),
              "photos": check_photos(ctx, visit.get("photos"), "visit photos")}
    _event(ctx, hazard, "assistance_visit", detail=detail)
    return hazard.summary() | {"photos": hazard.photos}


def record_refusal(ctx: Context, hazard_id, refusal: dict) -> dict:
    """The customer refuses to rectify (拒不整改), recorded with evidence: it raises the hazard one level in
    grading until the customer reports it rectified; the first refusal is reported to the government."""
    hazard = _hazard(ctx, hazard_id)
    statement = ((refusal or {}).get("refusal_statement") or "").strip()
    photos = check_photos(ctx, (refusal or {}).get("refusal_photos"), "refusal evidence")
    if not statement or not photos:
        raise HazardError("a refusal to rectify needs what the customer said and at least one photo as evidence")
    first = not hazard.refused_to_rectify
    hazard.refused_to_rectify = True
    _event(ctx, hazard, "rectification_refused", detail={"statement": statement, "evidence": photos,
                                                         "witness": (refusal.get("refusal_witness") or "").strip()
                                                         or None})
    _regrade(ctx, hazard, "refused_to_rectify")
    return hazard.summary() | {"photos": hazard.photos, "first_refusal": first}


def decide_extension(ctx: Context, hazard_id, request: dict, decision: dict) -> dict:
    """An extension request decided: approved moves the deadline (and so the process's timer)."""
    hazard = _hazard(ctx, hazard_id)
    detail = {"requested": request.get("proposed_deadline"), "reason": request.get("reason"),
              "interim_controls": request.get("interim_controls"), "approved": yes(decision.get("approved")),
              "comment": decision.get("comment")}
    if yes(decision.get("approved")):
        new_day = date.fromisoformat(decision.get("new_deadline") or request["proposed_deadline"])
        if new_day < local_today(ctx):
            raise HazardError("an extension cannot end in the past")
        hazard.supervision_failed = False
        hazard.deadline = hazard.rectification_deadline = end_of_day(ctx, new_day)
        detail["deadline"] = hazard.deadline.isoformat()
        _event(ctx, hazard, "extension_approved", status="rectifying", detail=detail)
        _regrade(ctx, hazard, "extended")
    else:
        _event(ctx, hazard, "extension_refused", detail=detail)
    return hazard.summary() | {"photos": hazard.photos}


def rectification_reported(ctx: Context, hazard_id, report: dict, source: str) -> dict:
    """The customer reports the hazard rectified (by the inspector's task or by message): to acceptance."""
    hazard = _hazard(ctx, hazard_id)
    if not hazard.is_open:
        raise HazardError(f"{hazard.file_number} is {hazard.status}; nothing to report")
    hazard.rectified_at = ctx.now()
    hazard.refused_to_rectify = False              # the refusal is over; the timeline keeps it
    detail = {"source": source, "measures": (report or {}).get("measures"),
              "completed_on": (report or {}).get("completed_on"),
              "evidence": check_photos(ctx, (report or {}).get("evidence_photos"), "evidence photos")}
    _event(ctx, hazard, "rectification_reported", status="pending_acceptance", detail=detail)
    _regrade(ctx, hazard, "rectification_reported")
    return hazard.summary() | {"photos": hazard.photos}


def record_acceptance(ctx: Context, hazard_id, acceptance: dict) -> dict:
    """Acceptance on site (验收): passed → accepted; failed → back to rectification with a new deadline."""
    hazard = _hazard(ctx, hazard_id)
    after = check_photos(ctx, acceptance.get("after_photos"), "after photos")
    detail = {"method": acceptance.get("method"), "checks": acceptance.get("checks"),
              "second_inspector": acceptance.get("second_inspector"), "result": acceptance.get("result"),
              "after_photos": after, "signer_name": acceptance.get("signer_name"),
              "signature": acceptance.get("customer_signature")}
    if acceptance.get("result") == "pass":
        hazard.after_photos = after
        hazard.accepted_at = ctx.now()
        _event(ctx, hazard, "accepted", status="accepted", detail=detail)
    else:
        new_day = date.fromisoformat(acceptance["new_deadline"])
        if new_day < local_today(ctx):
            raise HazardError("the new deadline cannot be in the past")
        hazard.supervision_failed = False
        hazard.deadline = hazard.rectification_deadline = end_of_day(ctx, new_day)
        detail.update(reasons=acceptance.get("reasons"), deadline=hazard.deadline.isoformat())
        _event(ctx, hazard, "acceptance_failed", status="acceptance_failed", detail=detail)
        _event(ctx, hazard, "rectification_resumed", status="rectifying",
               detail={"deadline": hazard.deadline.isoformat()})
    _regrade(ctx, hazard, "acceptance")
    return hazard.summary() | {"photos": hazard.photos, "after_photos": hazard.after_photos,
                               "acceptance": detail}


def close(ctx: Context, hazard_id, approval: dict) -> dict:
    """销号: the team head approved closing the file — or sent it back to rectification."""
    hazard = _hazard(ctx, hazard_id)
    if yes(approval.get("approved")):
        hazard.closed_at = ctx.now()
        _event(ctx, hazard, "closed", status="closed", detail={"comment": approval.get("comment")})
    else:
        days = int(ctx.settings.get("SUPERVISION_DAYS", 7))
        hazard.supervision_failed = False
        hazard.deadline = hazard.rectification_deadline = end_of_day(ctx, local_today(ctx) + timedelta(days=days))
        _event(ctx, hazard, "close_refused", status="rectifying",
               detail={"comment": approval.get("comment"), "deadline": hazard.deadline.isoformat()})
        _regrade(ctx, hazard, "close_refused")
    return hazard.summary() | {"photos": hazard.photos, "after_photos": hazard.after_photos}

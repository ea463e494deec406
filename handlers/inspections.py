"""Inspections: the steps of inspection.bpmn — prepare, assign, approve the worksheet before the visit,
record the result, open one hazard file per finding, record the inspection on the customer, warn when
the due date passes.
"""
from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from records import attachments, dictionary, findings, inspections, notifications, outbox
from records.inspections import Inspection
from records.people import Team

from . import presence, sms
from .context import Context, end_of_day, local_today


class InspectionError(ValueError):
    """The step cannot be done with these inputs (the message says why)."""


def _inspection(ctx, inspection_id) -> Inspection:
    found = ctx.session.get(Inspection, int(inspection_id))
    if found is None:
        raise InspectionError(f"there is no inspection {inspection_id}")
    return found


def summary(ctx, ins: Inspection) -> dict:
    """What the process keeps of its inspection (variable `inspection`)."""
    due_end = end_of_day(ctx, ins.due_date)
    c = ins.customer
    head = ins.team.head if ins.team is not None and ins.team.head_id else None
    return {"id": ins.id, "number": ins.number, "kind": ins.kind, "status": ins.status,
            "kind_name": inspections.KIND_NAMES.get(ins.kind, ins.kind), "customer_id": c.id,
            "customer_number": c.number, "customer_name": c.name, "customer_class": c.class_name,
            "address": c.address, "branch": c.branch.code, "team": ins.team.code if ins.team else None,
            "due_date": ins.due_date.isoformat(), "due_end": due_end.isoformat(),
            "hazards": list(ins.hazard_numbers or []),
            "team_head": head.username if head is not None and head.active else None,
            "approved": ins.approved_at is not None, "returned_reason": ins.returned_reason}


def prepare(ctx: Context, inspection_id) -> dict:
    """Name the instance after the worksheet and hand the checklist to the execution form."""
    ins = _inspection(ctx, inspection_id)
    ctx.describe(business_key=ins.number, title=f"{ins.number} {ins.customer.name} · "
                                               f"{inspections.KIND_NAMES.get(ins.kind, ins.kind)}",
                 subject=ins.customer.number)
    return summary(ctx, ins) | {"prefill": _prefill(ctx, ins)}


def _prefill(ctx, ins: Inspection) -> dict:
    """The execution form starts with the checklist of the customer's class and the inspection kind; each
    item names the dictionary item a failure of it is (when that item is current), so that a failed item
    becomes its hazard file without the finding being typed again."""
    _, items = inspections.template_for(ins.customer, ins.kind)
    today = local_today(ctx)
    current = {i.code: i.severity_at(ins.customer, today) for i in dictionary.current_items(ctx.session) if i.active}

    def severity(code):     # the dictionary's severity here: the floor the inspector may raise from
        return {"dictionary_severity": current[code], "severity": current[code]} if code in current else {}
    return {"checklist": [{"code": i["code"], "section": i["section"], "text": i["text"], "result": None,
                           **({"hazard": i["hazard"]} if i.get("hazard") else {}),
                           **({"item_code": i["hazard"]} if i.get("hazard") in current else {}),
                           **severity(i.get("hazard"))}
                          for i in items]}


def assign(ctx: Context, inspection_id, team: str) -> dict:
    """The specialist gives the inspection to a team (派工)."""
    ins = _inspection(ctx, inspection_id)
    found = ctx.session.scalars(select(Team).where(Team.code == team, Team.active.is_(True))).first()
    if found is None:
        raise InspectionError(f"there is no active team {team}")
    ins.team_id, ins.status, ins.assigned_at = found.id, "assigned", ctx.now()
    ins.approved_by = ins.approved_at = None          # a new preparation is approved again
    ctx.session.flush()
    ctx.session.refresh(ins)
    ctx.audit("inspection.assigned", after={"team": team})
    return summary(ctx, ins) | {"prefill": _prefill(ctx, ins)}


def approve(ctx: Context, inspection_id, approval: dict) -> dict:
    """The team head or a specialist approves the prepared worksheet before the inspectors go (domain.md
    §6.1), or refuses it with a reason that sends it back to preparation (派工)."""
    ins = _inspection(ctx, inspection_id)
    if ins.status not in inspections.OPEN:
        raise InspectionError(f"inspection {ins.number} is {ins.status}: there is nothing to approve")
    if (approval or {}).get("approved") == "yes":
        ins.approved_by, ins.approved_at, ins.returned_reason = ctx.actor, ctx.now(), None
        ctx.audit("inspection.approved", after={"approved_by": ctx.actor, "comment": approval.get("comment")})
    else:
        reason = ((approval or {}).get("comment") or "").strip()
        if not reason:
            raise InspectionError("a refused worksheet needs the reason")
        ins.approved_by = ins.approved_at = None
        ins.returned_reason = reason[:1000]
        ctx.audit("inspection.returned", after={"returned_by": ctx.actor}, reason=reason[:1000])
    return summary(ctx, ins) | {"prefill": _prefill(ctx, ins)}


def _raised(row) -> dict:
    """The severity the inspector raised the item's to, with the reason (the form's check refused a lower
    one and a raise without a reason); nothing when it is the dictionary's."""
    chosen, floor = row.get("severity"), row.get("dictionary_severity")
    if chosen not in dictionary.SEVERITIES or chosen == floor:
        return {}
    reason = (row.get("severity_reason") or "").strip()
    if floor in dictionary.SEVERITIES and dictionary.SEVERITIES.index(chosen) < dictionary.SEVERITIES.index(floor):
        raise InspectionError(f"checklist item {row.get('code')}: the severity may be raised, not lowered")
    if not reason:
        raise InspectionError(f"checklist item {row.get('code')}: raising the severity needs a reason")
    return {"severity": chosen, "severity_reason": reason}


def _failed_items(ctx, checklist) -> list[dict]:
    """Each 不合格 item becomes a hazard file or carries the reason it is not one (e.g. fixed on the spot),
    with a photo either way; the hazard's finding is the item's own (dictionary item, note, photos)."""
    derived = []
    for row in checklist:
        code = row.get("code")
        if row.get("result") != "fail":
            continue
        if not (row.get("note") or row.get("photos")):
            raise InspectionError(f"checklist item {code}: 不合格 needs a note or a photo")
        disposition = row.get("disposition")
        if disposition == "not_hazard":
            if not (row.get("reason") or "").strip() or not row.get("photos"):
                raise InspectionError(f"checklist item {code}: not a hazard needs a reason and a photo")
            continue
        if disposition != "hazard":
            raise InspectionError(f"checklist item {code}: 不合格 must open a hazard file or say why it is not one")
        if dictionary.current(ctx.session, row.get("item_code") or "") is None:
            raise InspectionError(f"checklist item {code}: {row.get('item_code')!r} is not an item of the dictionary")
        if not row.get("photos"):
            raise InspectionError(f"checklist item {code}: a hazard file needs a photo")
        description = row["text"] + (f"：{row['note']}" if row.get("note") else "")
        derived.append({"item_code": row["item_code"], "location": row.get("location") or row.get("section") or "现场",
                        "equipment": row.get("equipment"), "description": description[:2000],
                        "photos": list(row["photos"]), "checklist_item": code, **_raised(row)})
    return derived


def _stored_photos(ctx, result: dict) -> set[str]:
    """Which of the photos named anywhere in the result are stored photos: one query, not one per photo
    (a submission may name hundreds, and this runs inside its write transaction)."""
    named = {d for row in (result.get("checklist") or []) + (result.get("findings") or [])
             for d in row.get("photos") or [] if isinstance(d, str)}
    return attachments.stored_photos(ctx.session, named)


def _check_photos(stored: set[str], ids, what) -> None:
    for digest in ids or []:
        if digest not in stored:
            raise InspectionError(f"{what}: {digest} is not a stored photo")


def record_result(ctx: Context, inspection_id, result: dict) -> dict:
    """Keep what was found on site: checklist answers, findings, times, signatures (or the refusal). The
    findings are the failed items to be filed (from the item, not typed again) and the other findings."""
    ins = _inspection(ctx, inspection_id)
    checklist = result.get("checklist") or []
    stored = _stored_photos(ctx, result)
    for row in checklist:
        _check_photos(stored, row.get("photos"), f"checklist {row.get('code')}")
    derived = _failed_items(ctx, checklist)
    extra = [dict(f) for f in result.get("findings") or [] if not f.get("checklist_item")]
    known: dict[str, bool] = {}
    for index, finding in enumerate(extra, start=1):
        code = finding.get("item_code") or ""
        if code not in known:
            known[code] = dictionary.current(ctx.session, code) is not None
        if not known[code]:
            raise InspectionError(f"finding {index}: {finding.get('item_code')!r} is not an item of the dictionary")
        _check_photos(stored, finding.get("photos"), f"finding {index}")
    result = {**result, "findings": derived + extra, "presence": presence.record(ctx, ins, result)}
    ins.result = result
    ins.status = "in_progress"
    attachments.link_referenced(ctx.session, result, kind="inspection", object_id=ins.id,
                                branch_id=ins.customer.branch_id, team_id=ins.team_id)
    ctx.audit("inspection.recorded", after={"findings": len(result["findings"]),
                                            "failed": sum(1 for r in checklist if r.get("result") == "fail")})
    return summary(ctx, ins) | {"findings": result["findings"]}


def open_hazards(ctx: Context, inspection_id) -> dict:
    """One hazard file per finding (一患一档), queued: each finding is kept as a pending row with the
    submission, and each file is then opened in a transaction of its own (services.hazard_filing), so
    that a submission of many findings never holds the database for all of them. Queued once: a finding
    already queued (a retried step) is not queued again."""
    ins = _inspection(ctx, inspection_id)
    queued = {f.position for f in findings.of_inspection(ctx.session, ins.id)}
    team = ins.team.code if ins.team else None
    for position, finding in enumerate(ins.result.get("findings") or []):
        if position in queued:
            continue
        data = {"customer_id": ins.customer_id, "item_code": finding["item_code"], "location": finding["location"],
                "description": finding["description"], "photos": finding.get("photos") or [],
                "equipment": finding.get("equipment"), **_severity_now(ctx, ins, finding),
                "team": team, "inspection_id": ins.id, "interim_measures": finding.get("measures")}
        ctx.session.add(findings.PendingFinding(inspection_id=ins.id, position=position, data=data, actor=ctx.actor,
                                                status="pending", created_at=ctx.now()))
    ins.hazard_numbers = list(ins.hazard_numbers or [])
    ctx.session.flush()
    total = len(ins.result.get("findings") or [])
    ctx.audit("inspection.hazards_queued", after={"findings": total})
    return summary(ctx, ins) | {"queued": total}


def _severity_now(ctx, ins: Inspection, finding: dict) -> dict:
    """The raised severity and its reason for the hazard file, if it is still a raise over the dictionary's
    severity today (the dictionary or the customer's class may have changed since the visit)."""
    chosen, reason = finding.get("severity"), finding.get("severity_reason")
    item = dictionary.current(ctx.session, finding["item_code"])
    if not (chosen and reason) or item is None:
        return {"severity": None, "severity_reason": None}
    effective = item.severity_at(ins.customer, local_today(ctx))
    if dictionary.SEVERITIES.index(chosen) <= dictionary.SEVERITIES.index(effective):
        return {"severity": None, "severity_reason": None}
    return {"severity": chosen, "severity_reason": reason}


def months_for(session, customer, on: date) -> int | None:
    """The cycle in months for a customer on a day (records.inspections.cycle_months), None: no periodic cycle."""
    return inspections.cycle_months(customer, on, inspections.cycles(session))


def complete(ctx: Context, inspection_id) -> dict:
    """Record the inspection on the customer: last date and, for a periodic (or full) inspection, the next
    due date. A special inspection does not move the periodic due date (domain.md §3.3 rule 4): the date
    due before it is kept."""
    ins = _inspection(ctx, inspection_id)
    today = local_today(ctx)
    ins.status, ins.completed_at, ins.completed_on = "completed", ctx.now(), today
    customer = ins.customer
    resets = ins.kind == "periodic" or ins.full_inspection
    if not resets and customer.next_inspection_due is None:
        customer.next_inspection_due = inspections.next_due(ctx.session, ctx.settings, customer, today)
    customer.last_inspected_on = today
    if resets:
        months = months_for(ctx.session, customer, today)
        customer.next_inspection_due = today + relativedelta(months=months) if months else None
    ctx.audit("inspection.completed", after={"completed_on": today.isoformat(),
                                             "next_due": customer.next_inspection_due.isoformat()
                                             if customer.next_inspection_due else None})
    return summary(ctx, ins)


def warn_overdue(ctx: Context, inspection_id) -> dict:
    """The due date passed before the work was done: tell the specialists and the supervisors (监控缺失).
    Once per inspection: the approval's timer and the visit's both watch the same due date."""
    ins = _inspection(ctx, inspection_id)
    if ins.status in inspections.OPEN and ins.overdue_warned_at is None:
        ins.overdue_warned_at = ctx.now()
        users = notifications.users_with_role(ctx.session, "specialist") + \
            notifications.users_with_role(ctx.session, "supervisor", ins.customer.branch.code)
        notifications.notify(ctx.session, users, kind="inspection_overdue",
                             title=f"检查逾期：{ins.number}",
                             body=f"{ins.customer.name} 的{inspections.KIND_NAMES.get(ins.kind, ins.kind)}"
                                  f"应于 {ins.due_date.isoformat()} 前完成，尚未完成（监控缺失）。",
                             link=f"/inspections/{ins.number}", now=ctx.now())
        if ins.kind == "periodic":
            _sms_team_head(ctx, ins)
        ctx.audit("inspection.overdue", after={"due_date": ins.due_date.isoformat()})
    return summary(ctx, ins)


def _sms_team_head(ctx, ins: Inspection) -> None:
    """An overdue periodic inspection is escalated by SMS to the head of the team that holds it (§3.3
    rule 6); without a team head the message waits, visibly failed, for an administrator."""
    company = ctx.settings.get("COMPANY_NAME") or "供电公司"
    subject = f"周期检查逾期：{ins.customer.name}"
    body = sms.inspection_overdue(company, ins.customer.name, ins.number, ins.due_date, local_today(ctx))
    head = ins.team.head if ins.team is not None else None
    if head is not None and head.active:
        outbox.enqueue(ctx.session, channel="sms", kind="inspection_overdue", user=head, now=ctx.now(),
                       subject=subject, body=body, link=f"/inspections/{ins.number}")
    else:
        outbox.enqueue(ctx.session, channel="sms", kind="inspection_overdue", now=ctx.now(), subject=subject,
                       body=body, recipient=f"{ins.team.name if ins.team else '未派工'}的组长",
                       missing="该检查所属小组未设组长，或尚未派工" if ins.team is None or head is None
                       else "小组组长账号已停用")


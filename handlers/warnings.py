"""Risk warnings (domain.md §5.2 step 5, the case report's table): who is told what, and how.

- A (red): a report document to the superior unit and the local government through the reporting
  path (report log, 报告到位), the company leader (in-app, e-mail), SMS to the inspection head (the
  team head) and the supervision head (督导负责人).
- B (yellow): the company leader (in-app, e-mail) and SMS to the inspection and supervision heads.
- C (blue): SMS to the inspection head (用电检查负责人) and the supervision head (督导负责人), as the
  case report §2.2.11 says.

An upward change warns; a downward change informs (in-app and e-mail, no SMS) those the old grade
warned; reminders while a customer stays in A (weekly) or B (fortnightly). At most one warning per
customer, grade and local day. Everything goes to the outbox in the caller's transaction.

The grade-A report goes when the customer enters A or, while it stays in A, when the set of its open
hazards grows; never twice for a set already reported (a customer back in A with the same hazards is
warned, not reported again).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from records import notifications, outbox, risk
from records.hazards import OPEN, Hazard
from records.people import Team

from . import letters, sms, wording
from .context import Context, local_today, zone

WARNED = ("inapp", "email")
SMS = ("inapp", "sms")
PLAN = {
    "A": {"leader": WARNED, "inspection_head": SMS, "supervisor": SMS},
    "B": {"leader": WARNED, "inspection_head": SMS, "supervisor": SMS},
    "C": {"inspection_head": SMS, "supervisor": SMS},
}
AUDIENCE_WORDS = {"leader": "主管领导", "inspection_head": "用电检查组长", "supervisor": "督导负责人"}
COLOURS = {"A": "红色", "B": "黄色", "C": "蓝色"}
REMINDER_DAYS = {"A": 7, "B": 14}
MISSING = {"inspection_head": "nobody to send it to: neither the customer's default team nor the teams of its open "
                              "hazards have an active head (set one under People → Teams)",
           "supervisor": "nobody to send it to: no active supervisor (督导负责人) in the customer's branch or above",
           "leader": "nobody to send it to: no active leader in the customer's branch or above"}
CHANNEL_ORDER = ("inapp", "email", "sms")


def on_change(ctx: Context, customer, row, old: str | None) -> dict | None:
    """A changed grade: warn (up) or inform (down), once per customer, grade and day. Returns what was sent."""
    new = row.grade
    if old == new:
        return None
    kind = "raise" if risk.RANK[new] > risk.RANK[old] else "lower"
    warning = risk.claim_warning(ctx.session, customer_id=customer.id, grade=new, previous=old, kind=kind,
                                 day=local_today(ctx), grade_id=row.id, now=ctx.now())
    if warning is None:
        return {"kind": kind, "deduplicated": True}
    if kind == "raise":
        return _warn(ctx, customer, row, warning, old=old)
    return _send(ctx, customer, warning, {a: WARNED for a in PLAN.get(old, {})}, _texts(ctx, customer, row, "lower",
                                                                                          old=old))


def remind(ctx: Context, customer, row) -> dict | None:
    """A reminder while the customer stays in A (every 7 days) or B (every 14), counted from the last warning."""
    days = {**REMINDER_DAYS, **(ctx.settings.get("RISK_REMINDER_DAYS") or {})}.get(row.grade)
    if not days:
        return None
    today = local_today(ctx)
    last = risk.last_warning(ctx.session, customer.id, row.grade)
    if last is not None and today < last.day + timedelta(days=int(days)):
        return None
    warning = risk.claim_warning(ctx.session, customer_id=customer.id, grade=row.grade, previous=None,
                                 kind="reminder", day=today, grade_id=row.id, now=ctx.now())
    if warning is None:
        return None
    since = risk.grade_since(ctx.session, customer.id) or row.computed_at
    return _warn(ctx, customer, row, warning, since=since.astimezone(ZoneInfo(zone(ctx))))


def _warn(ctx, customer, row, warning, *, old=None, since=None) -> dict:
    kind = "reminder" if warning.kind == "reminder" else "raise"
    if row.grade == "A" and kind == "raise":
        _report(ctx, customer, row, warning, "升为 A 级风险")
    return _send(ctx, customer, warning, PLAN[row.grade], _texts(ctx, customer, row, kind, old=old, since=since))


def on_growth(ctx: Context, customer, row) -> dict | None:
    """Still in A with a set of open hazards the last grade-A report did not cover: report again (no SMS)."""
    if row.grade != "A" or _reported_already(ctx, customer):
        return None
    warning = risk.claim_warning(ctx.session, customer_id=customer.id, grade="A", previous="A", kind="grow",
                                 day=local_today(ctx), grade_id=row.id, now=ctx.now())
    warning = warning or risk.warning_of_day(ctx.session, customer.id, "A", local_today(ctx))
    report = _report(ctx, customer, row, warning, "仍为 A 级风险且新增隐患")
    return {"kind": "grow", "grade": "A", "report_document_id": report and report["document_id"]}


def _open_ids(ctx, customer) -> list[int]:
    return sorted(ctx.session.scalars(select(Hazard.id).where(Hazard.customer_id == customer.id,
                                                              Hazard.status.in_(OPEN))))


def _reported_already(ctx, customer) -> bool:
    """The open hazards are all in the newest grade-A report's set (nothing new to report)."""
    last = risk.last_report(ctx.session, customer.id)
    return last is not None and set(_open_ids(ctx, customer)) <= set(last.hazard_ids or [])


def _report(ctx, customer, row, warning, what: str) -> dict | None:
    """The grade-A report (superior unit and government, through the report log) unless its set of hazards
    was reported already; the leaders are told it waits to be submitted."""
    if _reported_already(ctx, customer):
        return None
    report = letters.grade_report(ctx, customer, row)
    warning.report_document_id = report["document_id"]
    warning.hazard_ids = _open_ids(ctx, customer)
    leaders = notifications.users_with_role(ctx.session, "leader", customer.branch.code)
    for user in leaders:
        outbox.enqueue(ctx.session, channel="inapp", kind="government_report", user=user, now=ctx.now(),
                       subject=f"待报送：{report['number']}", link="/reports", warning_id=warning.id,
                       body=f"{customer.name} {what}，请将风险报告报送上级单位和政府主管部门。")
    return report


def _send(ctx, customer, warning, plan: dict, texts: dict) -> dict:
    """One outbox message per person and channel; a missing inspection head is a visible failure."""
    people: dict = {}
    for audience, channels in plan.items():
        users = _audience(ctx, customer, audience)
        if not users and "sms" in channels:
            outbox.enqueue(ctx.session, channel="sms", kind="risk_warning", now=ctx.now(), warning_id=warning.id,
                           recipient=f"{customer.name} 的{AUDIENCE_WORDS[audience]}", subject=texts["subject"],
                           body=texts["sms"], missing=MISSING[audience])
        for user in users:
            entry = people.setdefault(user.id, (user, set()))
            entry[1].update(channels)
    for user, channels in people.values():
        for channel in (c for c in CHANNEL_ORDER if c in channels):
            body = {"inapp": texts["body"], "email": texts["email"], "sms": texts["sms"]}[channel]
            outbox.enqueue(ctx.session, channel=channel, kind="risk_warning", user=user, now=ctx.now(),
                           subject=texts["subject"], body=body, link=texts["link"], warning_id=warning.id)
    warning.recipients = sorted(f"{u.display_name}（{'、'.join(sorted(c))}）" for u, c in people.values())
    return {"kind": warning.kind, "grade": warning.grade, "recipients": len(people),
            "report_document_id": warning.report_document_id}


def _audience(ctx, customer, audience: str) -> list:
    branch = customer.branch.code
    if audience in ("leader", "supervisor"):
        return notifications.users_with_role(ctx.session, audience, branch)
    team_ids = {customer.default_team_id} | set(ctx.session.scalars(
        select(Hazard.team_id).where(Hazard.customer_id == customer.id, Hazard.status.in_(OPEN))))
    teams = ctx.session.scalars(select(Team).where(Team.id.in_([t for t in team_ids if t]))).all()
    heads = {t.head.id: t.head for t in teams if t.head is not None and t.head.active}
    return [heads[k] for k in sorted(heads)]


def _texts(ctx, customer, row, kind: str, *, old=None, since=None) -> dict:
    grade, number = row.grade, customer.number
    who = f"{customer.name}（户号 {number}，{customer.class_name}{'，高危' if customer.high_risk else ''}）"
    basis = wording.grade_reasons(ctx.session, customer, row.drivers)     # a sentence, never "A: IL01 … at 一级"
    if kind == "lower":
        now_words = f"{grade} 级" if grade else "无风险等级"
        subject = f"风险等级下降：{customer.name}（{old}→{grade or '无'}）"
        body = f"{who}风险等级由 {old} 级降为{now_words}（信息告知）。" + (f"依据：{basis}。" if basis else "")
    elif kind == "reminder":
        subject = f"{COLOURS[grade]}预警提醒：{customer.name}仍为{grade}级"
        body = f"{who}自 {since:%Y-%m-%d} 起仍为 {grade} 级（{COLOURS[grade]}预警），请继续督办。依据：{basis}。"
    else:
        subject = f"{COLOURS[grade]}预警：{customer.name}升为{grade}级"
        body = (f"{who}风险等级由{f' {old} 级' if old else '无'}升为 {grade} 级（{COLOURS[grade]}预警），"
                f"请及时督办。依据：{basis}。")
    link = f"/risk/{number}"
    base = (ctx.settings.get("PUBLIC_URL") or "").rstrip("/")
    email = "\n".join([body, "", f"风险分值：{row.score:g}　定级模型：{row.model_version}", "定级依据：",
                       *(f"  - {d}" for d in wording.calculation(row.drivers) or ["（无未销号隐患）"]), "", f"详情：{base}{link}"])
    company = ctx.settings.get("COMPANY_NAME") or "供电公司"
    return {"subject": subject, "body": body, "email": email, "link": link,
            "sms": _sms(ctx, customer, row, kind, company, old=old, since=since)}


def _sms(ctx, customer, row, kind: str, company: str, *, old=None, since=None) -> str:
    """One segment: the customer, its grade, the first open hazard file, what to do by its deadline."""
    if kind == "lower":
        return sms.risk_lowered(company, customer.name, customer.number, old, row.grade)
    open_files = ctx.session.execute(select(Hazard.file_number, Hazard.deadline).where(
        Hazard.customer_id == customer.id, Hazard.status.in_(OPEN)).order_by(Hazard.deadline, Hazard.id)).all()
    tz = ZoneInfo(zone(ctx))
    files = [number for number, _deadline in open_files]
    first_due = open_files[0][1].astimezone(tz).date() if open_files and open_files[0][1] else None
    today = local_today(ctx)
    if kind == "reminder":
        start = since.astimezone(tz).date() if isinstance(since, datetime) else since
        return sms.risk_reminder(company, customer.name, row.grade, start, files, first_due, today)
    return sms.risk_raised(company, customer.name, row.grade, files, first_due, today)

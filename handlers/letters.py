"""Letters of the company (domain.md §7.2): the report to the government about a hazard, and the reports of
a customer entering grade A, one to the government and one to the superior unit, as separate documents.

Each is an upward document after GB/T 9704: document number in the company's pattern
(LETTER_NUMBER_PATTERN, e.g. 吉供营销〔2026〕N号, numbered without gaps per year), 签发人, title,
主送, body, seal area and date, 附注 with the contact, and the 版记 with 抄送 and the issuing date. The
authorities are named as configured (AUTHORITIES: the power authority, 应急管理部门, the regulator).
"""
from __future__ import annotations

from sqlalchemy import select

from records import documents, hazards, notifications
from records.hazards import OPEN, STATUS_NAMES, Hazard, record_event, timeline

from . import docx_layout as layout
from . import wording
from .context import Context, local_today, zone
from .documents import _stamped_photos, archive_rendered, authorities, contact_of, customer_rows, unit_of

DEFAULT_PATTERN = "吉供营销〔{year}〕{n}号"
REPORT_REASONS = {"major": "存在重大隐患", "refused": "拒绝签收告知书或拒不整改", "refused_rectify": "拒不整改",
                  "third_overdue": "多次督导仍逾期未整改",
                  "close_out": "隐患已整改销号", "grade_a": "风险等级升为A级（红色预警）"}


def letter_number(ctx) -> str:
    """The next number of the company's letters this year, in the configured pattern."""
    year = local_today(ctx).year
    n = int(hazards.next_number(ctx.session, "FW", "LETTER", year).rsplit("-", 1)[1])
    return (ctx.settings.get("LETTER_NUMBER_PATTERN") or DEFAULT_PATTERN).format(year=year, n=n)


def _signer(ctx, branch_code) -> str:
    """签发人: configured (LETTER_SIGNER), else the company's leader by name."""
    if ctx.settings.get("LETTER_SIGNER"):
        return ctx.settings["LETTER_SIGNER"]
    users = notifications.users_with_role(ctx.session, "leader", branch_code)
    return users[0].display_name if users else layout.BLANK


def _begin(ctx, title: str, to: str, branch_code: str | None):
    unit = unit_of(ctx)
    number = letter_number(ctx)
    signer = _signer(ctx, branch_code)
    doc = layout.new_document(unit)
    layout.letter_number_line(doc, number, signer)
    layout.title(doc, title)
    layout.paragraph(doc, f"{to}：", indent=False)
    return doc, number, signer, unit


def _end(ctx, doc, unit: str, copies: list[str], contact: str) -> None:
    layout.seal(doc, unit, ctx.now(), zone(ctx), more=True)
    layout.paragraph(doc, f"（联系人：{contact}）", keep_with_next=True)
    layout.record_lines(doc, copies, f"{unit}营销部", layout.chinese_date(ctx.now(), zone(ctx)))


def _history(ctx, doc, events) -> None:
    layout.heading(doc, "二、告知及督导经过")
    rows = [[layout.chinese_datetime(e.at, zone(ctx)), wording.event_name(e.kind), wording.person(ctx.session, e.actor)]
            for e in events]
    layout.grid(doc, ["时间", "事项", "经办人"], rows, [4.6, 5.2, 5.8])


def government_report(ctx: Context, hazard_id, reason: str) -> dict:
    """The report to the power authority about a hazard (报告到位), logged, and the leaders told."""
    hazard = ctx.session.get(Hazard, int(hazard_id))
    events = timeline(ctx.session, hazard.id)
    named = authorities(ctx)
    to = named.get("power") or next(iter(named.values()))
    copies = [v for k, v in named.items() if v != to] + [ctx.settings.get("SUPERIOR_UNIT") or "上级单位"]
    why = REPORT_REASONS.get(reason, "存在安全隐患")
    title = (f"{unit_of(ctx)}关于{hazard.customer.name}安全隐患整改销号情况的报告" if reason == "close_out"
             else f"{unit_of(ctx)}关于{hazard.customer.name}{why}的报告")
    doc, number, _signer_name, unit = _begin(ctx, title, to, hazard.branch.code)
    c = hazard.customer
    layout.paragraph(doc, f"{c.name}（户号 {c.number}）为我公司供电的{c.class_name}重要电力用户"
                          f"{'（高危）' if c.high_risk else ''}。{layout.chinese_date(hazard.opened_at, zone(ctx))}，"
                          f"我公司在用电检查中发现该单位存在{wording.severity_name(hazard.severity)}安全隐患"
                          f"“{hazard.item['name_zh']}”，已书面告知并督促整改。现因该用户{why}，将有关情况报告如下。")
    layout.heading(doc, "一、隐患情况")
    layout.fields(doc, customer_rows(c) + [
        ("隐患档案编号", hazard.file_number), ("隐患项目", f"{hazard.item['code']} {hazard.item['name_zh']}"),
        ("隐患等级", wording.severity_name(hazard.severity)), ("隐患描述", hazard.description),
        ("整改期限", layout.chinese_date(hazard.deadline, zone(ctx))),
        ("当前状态", STATUS_NAMES.get(hazard.status, "—")), ("督导次数", f"{hazard.supervision_count}次"),
        ("告知书签收", "拒签" if hazard.refused_to_sign else ("已签收" if hazard.notified_at else "未送达")),
    ])
    _history(ctx, doc, events)
    layout.heading(doc, "三、有关请求")
    layout.paragraph(doc, "我公司已履行告知、服务、督导义务。请贵部门依法督促该用户落实整改。"
                     if reason != "close_out" else "该隐患已经验收合格并销号，特此报告。")
    layout.images(doc, "隐患照片", _stamped_photos(ctx, hazard, hazard.photos), title="附件：隐患照片")
    _end(ctx, doc, unit, copies, contact_of(ctx, hazard.team))
    result = archive_rendered(ctx, doc, kind="government_report", number=number, subject=hazard.file_number,
                              hazard_id=hazard.id, customer_id=hazard.customer_id)
    # one log entry per recipient; the hazard counts as reported when one is submitted (services/reports.py)
    for recipient in named.values():
        ctx.session.add(documents.ReportLog(document_id=result["document_id"], hazard_id=hazard.id,
                                            customer_id=hazard.customer_id, reason=reason,
                                            recipient=recipient[:200], created_at=ctx.now()))
    record_event(ctx.session, hazard, at=ctx.now(), actor=ctx.actor, kind="report_prepared",
                 detail={"reason": reason, "number": number}, document_id=result["document_id"])
    leaders = notifications.users_with_role(ctx.session, "leader", hazard.branch.code)
    notifications.notify(ctx.session, leaders, kind="government_report", title=f"待报送政府：{number}",
                         body=f"{hazard.customer.name} · {hazard.item['name_zh']}（{why}）",
                         link="/reports", now=ctx.now())
    return result


def _grade_body(ctx, doc, customer, grade_row) -> None:
    day = layout.chinese_date(ctx.now(), zone(ctx))
    reasons = wording.grade_reasons(ctx.session, customer, grade_row.drivers)
    layout.paragraph(doc, f"经风险定级，{customer.name}（户号 {customer.number}）于{day}升为A级风险（红色预警）。"
                          f"主要原因：{reasons or '在治隐患风险较高'}。现将有关情况报告如下。")
    layout.heading(doc, "一、客户情况")
    layout.fields(doc, customer_rows(customer) + [("风险等级", "A级（红色预警）"),
                                                  ("定级时间", layout.chinese_datetime(ctx.now(), zone(ctx)))])
    layout.heading(doc, "二、未销号隐患")
    open_hazards = ctx.session.scalars(select(Hazard).where(Hazard.customer_id == customer.id,
                                                            Hazard.status.in_(OPEN)).order_by(Hazard.id)).all()
    rows = [[h.file_number, f"{h.item['code']} {h.item['name_zh']}", wording.severity_name(h.severity),
             layout.chinese_date(h.deadline, zone(ctx)), f"{h.supervision_count}次",
             STATUS_NAMES.get(h.status, "—") + ("（客户拒签）" if h.refused_to_sign else "")] for h in open_hazards]
    layout.grid(doc, ["档案编号", "隐患项目", "等级", "整改期限", "督导", "状态"], rows or [["—"] * 6],
                [3.4, 4.6, 1.4, 2.8, 1.2, 2.2])
    layout.heading(doc, "三、已采取的措施及请求")


def grade_report(ctx: Context, customer, grade_row) -> dict:
    """A customer entering grade A (domain.md §7.2): a letter to the government and a separate report to
    the superior unit, each logged for submission. Returns the government letter (with 'superior')."""
    named = authorities(ctx)
    superior = ctx.settings.get("SUPERIOR_UNIT") or "上级单位"
    to = named.get("power") or next(iter(named.values()))
    branch = customer.branch.code if customer.branch else None
    team = customer.default_team
    results = {}
    for kind, recipient, copies, request in (
            ("government_report", to, [v for v in named.values() if v != to] + [superior],
             "我公司已履行告知、服务、督导义务，并将继续跟踪整改。请贵部门依法督促该用户落实整改。"),
            ("superior_report", superior, [v for v in named.values()],
             "我公司已履行告知、服务、督导义务，已同时报告当地政府主管部门，并将继续跟踪整改。请上级单位知悉并给予指导。")):
        doc, number, _signer_name, unit = _begin(ctx, f"{unit_of(ctx)}关于{customer.name}风险等级升为A级的报告",
                                                 recipient, branch)
        _grade_body(ctx, doc, customer, grade_row)
        layout.paragraph(doc, request)
        _end(ctx, doc, unit, copies, contact_of(ctx, team))
        result = archive_rendered(ctx, doc, kind=kind, number=number, subject=customer.number,
                                  audit_extra={"reason": "grade_a"}, customer_id=customer.id)
        for recipient in (named.values() if kind == "government_report" else [superior]):   # one entry each
            ctx.session.add(documents.ReportLog(document_id=result["document_id"], customer_id=customer.id,
                                                reason="grade_a", recipient=recipient[:200], created_at=ctx.now()))
        results[kind] = result
    return results["government_report"] | {"superior": results["superior_report"]}


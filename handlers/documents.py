"""The official documents of a hazard file, rendered with python-docx and archived (immutable, by hash).

隐患告知书 (domain.md §6.2), 隐患督导单 (§6.3), 隐患验收及销号记录 (§6.5), and the report to the
government (§7.2). Each render archives a new version; signatures and photos are embedded.
"""
from __future__ import annotations

from sqlalchemy import select

from records import dictionary, documents, notifications
from records.hazards import OPEN, STATUS_NAMES, Hazard, record_event, timeline

from . import docx_layout as layout
from .context import Context, local_today, zone

SEVERITY = dictionary.SEVERITY_NAMES


def _setting(ctx, name, default):
    return ctx.settings.get(name) or default


def blob(ctx, digest):
    """The stored bytes of a photo or signature, None when there is none."""
    if not (digest and ctx.files and ctx.files.exists(digest, ctx.session)):
        return None
    return ctx.files.get(digest, ctx.session)


def _last(events, *kinds):
    found = [e for e in events if e.kind in kinds]
    return found[-1] if found else None


def _customer_rows(hazard: Hazard) -> list:
    c = hazard.customer
    contacts = "；".join(f"{x.get('name', '')} {x.get('post', '')} {x.get('mobile', '')}".strip()
                        for x in c.contacts or []) or None
    return [("客户名称", c.name), ("户号", c.number), ("用电地址", c.address),
            ("重要等级", c.class_name + ("（高危）" if c.high_risk else "")),
            ("法定代表人", c.legal_representative), ("客户联系人", contacts)]


def archive_rendered(ctx, doc, *, kind: str, number: str, subject: str, audit_extra: dict | None = None,
                     **links) -> dict:
    """Archive a rendered .docx as the next version of (kind, subject) and audit it (document.rendered).
    links: hazard_id and/or customer_id of the stored row."""
    row = documents.archive(ctx.session, ctx.files, layout.to_bytes(doc), kind=kind, number=number, subject=subject,
                            filename=f"{number}.docx", actor=ctx.actor, now=ctx.now(), **links)
    ctx.audit("document.rendered", after={"kind": kind, "number": number, "version": row.version,
                                          "sha256": row.sha256, **(audit_extra or {})})
    return {"document_id": row.id, "number": number, "version": row.version, "sha256": row.sha256}


def _archive(ctx, hazard, kind, number, doc) -> dict:
    return archive_rendered(ctx, doc, kind=kind, number=number, subject=hazard.file_number,
                            hazard_id=hazard.id, customer_id=hazard.customer_id)


def _delivery_block(ctx, doc, event, what: str) -> None:
    layout.heading(doc, "客户签收")
    if event is None:
        layout.paragraph(doc, f"本{what}一式两份，一份送达客户签收，一份存档。（待签收）")
        layout.signature(doc, "客户代表签字", None, None, None)
        return
    detail = event.detail
    if detail.get("refused"):
        layout.paragraph(doc, f"客户拒绝签收本{what}。见证人：{detail.get('witness')}；"
                              f"时间：{layout.chinese_datetime(event.at, zone(ctx))}。拒签现场照片附后。")
        layout.images(doc, "拒签现场照片", [b for b in [blob(ctx, detail.get("refusal_photo"))] if b])
    else:
        signer = " ".join(x for x in (detail.get("signer_name"), detail.get("signer_post")) if x)
        layout.signature(doc, "客户代表签字", blob(ctx, detail.get("signature")), signer,
                         layout.chinese_datetime(event.at, zone(ctx)))


# what a notice prints for a hazard whose dictionary snapshot predates the items' own texts
GENERAL_BASIS = "《中华人民共和国电力法》第三十一条第二款、第三十二条；《电力供应与使用条例》第十五条"
GENERAL_CONSEQUENCES = "可能危及人身安全、损坏设备或影响电网安全运行。"


def _interim_when(days) -> str:
    return "立即落实" if not days else f"告知书送达之日起{days}日内落实"


def _rectification_rows(hazard: Hazard) -> list:
    """The item's own requirements, suggested measures and interim measures (when it has them), and the
    interim measures the inspector set on site."""
    item = hazard.item
    rows = [("整改要求", (item.get("requirements") or f"消除“{item['name_zh']}”隐患。") + "整改完成后，请书面回执并申请验收。")]
    if item.get("measures"):
        rows.append(("建议措施", item["measures"]))
    if item.get("interim_measures"):
        rows.append(("临时安全措施", f"{item['interim_measures']}（{_interim_when(item.get('interim_days'))}）"))
    elif item.get("interim_required") and not hazard.interim_measures:
        rows.append(("临时安全措施", "须在7日内落实临时安全措施。"))
    if hazard.interim_measures:
        rows.append(("现场确定的临时措施", hazard.interim_measures))
    return rows


def hazard_notice(ctx: Context, hazard_id) -> dict:
    """隐患告知书: the hazard, the deadline, the measures, and the customer's signature or refusal."""
    hazard = ctx.session.get(Hazard, int(hazard_id))
    events = timeline(ctx.session, hazard.id)
    item, unit = hazard.item, _setting(ctx, "COMPANY_NAME", "国网吉安供电公司")
    number = f"{hazard.file_number}-GZ"
    doc = layout.new_document(unit)
    layout.title(doc, "隐患告知书", f"编号：{number}")
    layout.paragraph(doc, f"{hazard.customer.name}：", indent=False)
    layout.paragraph(doc, f"我公司于{layout.chinese_date(hazard.opened_at, zone(ctx))}对贵单位受电设施进行用电检查时，"
                          "发现存在以下安全隐患。依据《中华人民共和国电力法》《电力供应与使用条例》《供电营业规则》有关规定，"
                          "现书面告知，请贵单位在规定期限内完成整改，并在整改期间落实临时安全措施。")
    layout.fields(doc, _customer_rows(hazard))
    layout.heading(doc, "一、隐患情况")
    layout.fields(doc, [
        ("隐患档案编号", hazard.file_number), ("隐患项目", f"{item['code']} {item['name_zh']}"),
        ("隐患类别", item.get("category")), ("隐患等级", SEVERITY.get(hazard.severity)),
        ("隐患部位及设备", " ".join(x for x in (hazard.location, hazard.equipment) if x)),
        ("隐患描述", hazard.description), ("依据", item.get("legal_basis") or GENERAL_BASIS),
        ("可能后果", item.get("consequences") or GENERAL_CONSEQUENCES),
    ])
    layout.heading(doc, "二、整改要求")
    layout.fields(doc, [("整改期限", layout.chinese_date(hazard.deadline, zone(ctx)) + "前"),
                        *_rectification_rows(hazard)])
    layout.paragraph(doc, f"我公司可提供技术指导和协助。联系人：{_setting(ctx, 'CONTACT_NAME', '用电检查班')}，"
                          f"电话：{_setting(ctx, 'CONTACT_PHONE', '0796-0000000')}。")
    layout.paragraph(doc, "属于重大隐患或拒不整改的，我公司将依法报告当地政府电力管理部门和安全生产监督管理部门。")
    layout.images(doc, "隐患照片", [b for b in (blob(ctx, d) for d in hazard.photos) if b])
    _delivery_block(ctx, doc, _last(events, "notice_signed", "notice_refused"), "告知书")
    if hazard.severity == "major":
        authorities = ctx.settings.get("AUTHORITIES") or {}
        layout.paragraph(doc, "抄送：" + "、".join(authorities.values() or ["电力管理部门", "安全生产监督管理部门"]),
                         indent=False)
    layout.closing(doc, unit, hazard.notified_at or ctx.now(), zone(ctx))
    return _archive(ctx, hazard, "hazard_notice", number, doc)


def supervision_order(ctx: Context, hazard_id) -> dict:
    """隐患督导单: overdue since when, progress found, the new short deadline, the consequence."""
    hazard = ctx.session.get(Hazard, int(hazard_id))
    events = timeline(ctx.session, hazard.id)
    delivered = hazard.status == "supervising"
    count = hazard.supervision_count if delivered else hazard.supervision_count + 1
    number = f"{hazard.file_number}-DD{count}"
    unit = _setting(ctx, "COMPANY_NAME", "国网吉安供电公司")
    overdue = _last(events, "overdue")
    supervised = _last(events, "supervised") if delivered else None
    doc = layout.new_document(unit)
    layout.title(doc, "隐患督导单", f"编号：{number}")
    layout.paragraph(doc, f"{hazard.customer.name}：", indent=False)
    layout.paragraph(doc, f"贵单位存在的安全隐患（告知书编号 {hazard.file_number}-GZ）已超过整改期限仍未整改完成，"
                          "现下达督导单，请贵单位高度重视，在新的期限内完成整改。")
    layout.fields(doc, _customer_rows(hazard) + [
        ("隐患项目", f"{hazard.item['code']} {hazard.item['name_zh']}"), ("隐患等级", SEVERITY.get(hazard.severity)),
        ("原整改期限", layout.chinese_date(hazard.original_deadline, zone(ctx))),
        ("逾期时间", layout.chinese_date(overdue.at, zone(ctx)) if overdue else None),
        ("督导次数", f"第{count}次"),
        ("现场整改进展", supervised.detail.get("progress") if supervised else None),
        ("新整改期限", layout.chinese_date(hazard.deadline, zone(ctx)) + "前" if delivered else "送达时确定（7日内）"),
        ("逾期后果", "仍未整改的，将报告当地政府电力管理部门，并依法履行中止供电程序。"),
    ])
    _delivery_block(ctx, doc, supervised, "督导单")
    layout.paragraph(doc, f"签发：督导负责人　　审核：{_setting(ctx, 'SECTION_LEADER', '营销部')}", indent=False)
    layout.closing(doc, unit, ctx.now(), zone(ctx))
    return _archive(ctx, hazard, "supervision_order", number, doc)


def acceptance_record(ctx: Context, hazard_id) -> dict:
    """隐患验收及销号记录: the acceptance, after-photos beside before-photos, and the close-out approval."""
    hazard = ctx.session.get(Hazard, int(hazard_id))
    events = timeline(ctx.session, hazard.id)
    accepted = _last(events, "accepted", "acceptance_failed")
    closed = _last(events, "closed")
    number = f"{hazard.file_number}-YS"
    unit = _setting(ctx, "COMPANY_NAME", "国网吉安供电公司")
    detail = accepted.detail if accepted else {}
    doc = layout.new_document(unit)
    layout.title(doc, "隐患验收及销号记录", f"编号：{number}")
    layout.fields(doc, _customer_rows(hazard) + [
        ("隐患档案编号", hazard.file_number), ("隐患项目", f"{hazard.item['code']} {hazard.item['name_zh']}"),
        ("验收日期", layout.chinese_date(accepted.at, zone(ctx)) if accepted else None),
        ("验收方式", {"on_site": "现场验收", "documents": "资料审查"}.get(detail.get("method"))),
        ("验收人员", "、".join(x for x in (accepted.actor if accepted else None, detail.get("second_inspector")) if x)),
        ("验收内容", detail.get("checks")), ("验收结论", {"pass": "合格", "fail": "不合格"}.get(detail.get("result"))),
        ("不合格原因", detail.get("reasons")),
        ("销号审批", f"已批准（{closed.actor}）" if closed else "待审批"),
        ("销号日期", layout.chinese_date(closed.at, zone(ctx)) if closed else None),
    ])
    before = hazard.photos or []
    after = detail.get("after_photos") or []
    pairs = [(blob(ctx, before[i]) if i < len(before) else None, blob(ctx, after[i]) if i < len(after) else None)
             for i in range(max(len(before), len(after)))]
    layout.photo_pairs(doc, pairs)
    layout.signature(doc, "客户代表签字", blob(ctx, detail.get("signature")), detail.get("signer_name"),
                     layout.chinese_datetime(accepted.at, zone(ctx)) if accepted else None)
    layout.closing(doc, unit, ctx.now(), zone(ctx))
    return _archive(ctx, hazard, "acceptance_record", number, doc)


REPORT_REASONS = {"major": "重大隐患", "refused": "客户拒绝签收或拒不整改", "third_overdue": "多次督导仍逾期未整改",
                  "close_out": "隐患已整改销号", "grade_a": "客户风险等级升为A级（红色预警）"}


def government_report(ctx: Context, hazard_id, reason: str) -> dict:
    """《重要（高危）电力用户安全隐患报告》 to the power authority, logged, and the leaders told (报告到位)."""
    hazard = ctx.session.get(Hazard, int(hazard_id))
    events = timeline(ctx.session, hazard.id)
    unit = _setting(ctx, "COMPANY_NAME", "国网吉安供电公司")
    authorities = ctx.settings.get("AUTHORITIES") or {"power": "电力管理部门", "safety": "安全生产监督管理部门"}
    number = f"{hazard.file_number}-BG{sum(1 for e in events if e.kind == 'reported') + 1}"
    doc = layout.new_document(unit)
    layout.title(doc, "重要（高危）电力用户安全隐患报告", f"编号：{number}")
    layout.paragraph(doc, "、".join(authorities.values()) + "：", indent=False)
    layout.paragraph(doc, f"现将{hazard.customer.name}（户号 {hazard.customer.number}）存在的安全隐患情况报告如下，"
                          f"报告事由：{REPORT_REASONS.get(reason, reason)}。")
    layout.fields(doc, _customer_rows(hazard) + [
        ("隐患项目", f"{hazard.item['code']} {hazard.item['name_zh']}"), ("隐患等级", SEVERITY.get(hazard.severity)),
        ("隐患描述", hazard.description), ("整改期限", layout.chinese_date(hazard.deadline, zone(ctx))),
        ("当前状态", hazard.status), ("督导次数", hazard.supervision_count),
        ("告知书签收", "拒签" if hazard.refused_to_sign else ("已签收" if hazard.notified_at else "未送达")),
    ])
    layout.heading(doc, "告知及督导经过")
    for event in events:
        layout.paragraph(doc, f"{layout.chinese_datetime(event.at, zone(ctx))}  {event.actor}  {event.kind}",
                         indent=False)
    layout.paragraph(doc, "我公司已履行告知、服务、督导义务。请贵部门依法督促客户落实整改。"
                     if reason != "close_out" else "该隐患已经验收合格并销号，特此报告。")
    layout.images(doc, "隐患照片", [b for b in (blob(ctx, d) for d in hazard.photos) if b])
    layout.closing(doc, unit, ctx.now(), zone(ctx))
    result = _archive(ctx, hazard, "government_report", number, doc)
    ctx.session.add(documents.ReportLog(document_id=result["document_id"], hazard_id=hazard.id,
                                        customer_id=hazard.customer_id, reason=reason,
                                        recipient="、".join(authorities.values()), created_at=ctx.now()))
    if reason != "close_out":
        hazard.reported_to_government, hazard.reported_at = True, ctx.now()
    record_event(ctx.session, hazard, at=ctx.now(), actor=ctx.actor, kind="reported",
                 detail={"reason": reason, "number": number}, document_id=result["document_id"])
    leaders = notifications.users_with_role(ctx.session, "leader", hazard.branch.code)
    notifications.notify(ctx.session, leaders, kind="government_report", title=f"待报送政府：{number}",
                         body=f"{hazard.customer.name} · {hazard.item['name_zh']}（{REPORT_REASONS.get(reason, reason)}）",
                         link="/reports", now=ctx.now())
    return result


def grade_report(ctx: Context, customer, grade_row) -> dict:
    """The report of a customer entering grade A (domain.md §7.2), to the superior unit and the local
    government through the report log (one entry each), with the grade's drivers and its open hazards."""
    unit = _setting(ctx, "COMPANY_NAME", "国网吉安供电公司")
    superior = _setting(ctx, "SUPERIOR_UNIT", "上级单位")
    authorities = "、".join((ctx.settings.get("AUTHORITIES") or {"power": "电力管理部门"}).values())
    day = layout.chinese_date(ctx.now(), zone(ctx))
    number = f"FX-{customer.number}-{local_today(ctx):%Y%m%d}"
    doc = layout.new_document(unit)
    layout.title(doc, "重要（高危）电力用户安全隐患报告", f"编号：{number}")
    layout.paragraph(doc, f"{superior}、{authorities}：", indent=False)
    layout.paragraph(doc, f"经风险定级，{customer.name}（户号 {customer.number}）于{day}升为 A 级风险（红色预警），"
                          f"报告事由：{REPORT_REASONS['grade_a']}。现将有关情况报告如下。")
    layout.fields(doc, [("客户名称", customer.name), ("户号", customer.number), ("用电地址", customer.address),
                        ("重要等级", customer.class_name + ("（高危）" if customer.high_risk else "")),
                        ("风险等级", "A 级（红色）"), ("风险分值", f"{grade_row.score:g}"),
                        ("定级模型", grade_row.model_version), ("定级时间", layout.chinese_datetime(ctx.now(), zone(ctx)))])
    layout.heading(doc, "定级依据")
    for driver in grade_row.drivers or []:
        layout.paragraph(doc, driver, indent=False)
    layout.heading(doc, "未销号隐患")
    open_hazards = ctx.session.scalars(select(Hazard).where(Hazard.customer_id == customer.id,
                                                            Hazard.status.in_(OPEN)).order_by(Hazard.id)).all()
    for h in open_hazards:
        layout.paragraph(doc, f"{h.file_number}  {h.item['code']} {h.item['name_zh']}（{SEVERITY.get(h.severity)}），"
                              f"整改期限 {layout.chinese_date(h.deadline, zone(ctx))}，督导 {h.supervision_count} 次，"
                              f"{'客户拒签，' if h.refused_to_sign else ''}状态：{STATUS_NAMES.get(h.status, h.status)}。",
                         indent=False)
    layout.paragraph(doc, "我公司已履行告知、服务、督导义务，并将继续跟踪整改。请上级单位知悉，请政府主管部门依法督促客户落实整改。")
    layout.closing(doc, unit, ctx.now(), zone(ctx))
    result = archive_rendered(ctx, doc, kind="government_report", number=number, subject=customer.number,
                              audit_extra={"reason": "grade_a"}, customer_id=customer.id)
    for recipient in (superior, authorities):
        ctx.session.add(documents.ReportLog(document_id=result["document_id"], customer_id=customer.id,
                                            reason="grade_a", recipient=recipient, created_at=ctx.now()))
    return result

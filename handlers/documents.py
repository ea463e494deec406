"""The official documents of a hazard file, rendered with python-docx and archived (immutable, by hash).

隐患告知书 (domain.md §6.2), 隐患督导单 (§6.3), 隐患验收及销号记录 (§6.5); the letters to the government
and the superior unit are in letters.py. Each render archives a new version; signatures and photos are
embedded. People are printed by name (and post, and 检查证号 for inspectors), never by login name.
A document is written as a snapshot of layout operations (docx_ops) in the step's transaction; `store`
renders it there (DOCUMENTS_RENDER=inline) or queues it for the render worker (services.rendering).
"""
from __future__ import annotations

from datetime import timedelta

from records import documents, inspections, notifications, people, render_jobs
from records.hazards import Hazard, timeline

from . import docx_layout as layout
from . import numbers, wording
from .docx_ops import FileRef, Recorder, StampRef
from .context import Context, zone

DEFAULT_AUTHORITIES = {"power": "电力管理部门", "safety": "应急管理部门"}


def _setting(ctx, name, default):
    return ctx.settings.get(name) or default


def unit_of(ctx) -> str:
    return _setting(ctx, "COMPANY_NAME", "国网吉安供电公司")


def authorities(ctx) -> dict:
    return ctx.settings.get("AUTHORITIES") or DEFAULT_AUTHORITIES


def blob(ctx, digest) -> FileRef | None:
    """A stored photo or signature as a document names it (read when rendered), None when there is none."""
    if not (digest and ctx.files and ctx.files.exists(digest, ctx.session)):
        return None
    return FileRef(digest)


def ask_stored(ctx, *digests) -> None:
    """Whether each of a document's photos and signatures is stored, asked at once (blob() then knows)."""
    if ctx.files:
        ctx.files.present(digests, ctx.session)


def blobs(ctx, digests) -> list[FileRef]:
    return [b for b in (blob(ctx, d) for d in digests or []) if b]


def _stamped_photos(ctx, hazard: Hazard, digests, keep_gaps: bool = False) -> list:
    """The hazard's photos as documents print them: stamped with time, place and file number (the
    stored photos are unchanged)."""
    place = " ".join(x for x in (hazard.customer.name, hazard.location) if x)
    stored = ctx.files.present(digests or [], ctx.session) if ctx.files else set()
    found = [StampRef(d, place, f"档案 {hazard.file_number}") if d in stored else None for d in digests or []]
    return found if keep_gaps else [b for b in found if b]


def _last(events, *kinds):
    found = [e for e in events if e.kind in kinds]
    return found[-1] if found else None


def customer_rows(customer) -> list:
    contacts = "；".join(f"{x.get('name', '')} {x.get('post', '')} {x.get('mobile', '')}".strip()
                        for x in customer.contacts or []) or None
    return [("客户名称", customer.name), ("户号", customer.number), ("用电地址", customer.address),
            ("重要等级", customer.class_name + ("（高危）" if customer.high_risk else "")),
            ("法定代表人", customer.legal_representative), ("客户联系人", contacts)]


def render_mode(ctx) -> str:
    """DOCUMENTS_RENDER: inline renders in the step; any other mode queues a render job (services.rendering)."""
    return ctx.settings.get("DOCUMENTS_RENDER") or "inline"


def store(ctx, doc: Recorder, *, kind: str, number: str, subject: str, **links) -> documents.Document:
    """The next version of (kind, subject), numbered now. Inline: rendered from its snapshot now; otherwise
    the snapshot goes to a render job in this transaction and the document is rendered after the commit."""
    meta = dict(kind=kind, number=number, subject=subject, filename=f"{number}.docx", actor=ctx.actor,
                now=ctx.now(), **links)
    if render_mode(ctx) == "inline":
        return documents.archive(ctx.session, ctx.files, layout.replay(doc.ops, ctx), **meta)
    row = documents.reserve(ctx.session, **meta)
    render_jobs.enqueue(ctx.session, row.id, doc.ops, actor=ctx.actor, now=ctx.now())
    if ctx.documents_queued is not None:
        ctx.documents_queued(ctx.session)
    return row


def archive_rendered(ctx, doc, *, kind: str, number: str, subject: str, audit_extra: dict | None = None,
                     **links) -> dict:
    """Archive a document as the next version of (kind, subject) and audit it: document.rendered, or
    document.queued when the render job makes it after the commit.
    links: hazard_id and/or customer_id of the stored row."""
    row = store(ctx, doc, kind=kind, number=number, subject=subject, **links)
    ctx.audit("document.rendered" if row.ready else "document.queued",
              after={"kind": kind, "number": number, "version": row.version, "document_id": row.id,
                     "sha256": row.sha256, **(audit_extra or {})})
    return {"document_id": row.id, "number": number, "version": row.version, "sha256": row.sha256}


def _archive(ctx, hazard, kind, number, doc) -> dict:
    return archive_rendered(ctx, doc, kind=kind, number=number, subject=hazard.file_number,
                            hazard_id=hazard.id, customer_id=hazard.customer_id)


def inspectors_text(ctx, *names) -> str | None:
    """Inspectors (logins or typed names) by name with their 检查证 numbers, once each."""
    printed = []
    people.look_up_staff(ctx.session, names)
    for name in names:
        if not name:
            continue
        user = wording.user_of(ctx.session, name) or wording.user_by_display_name(ctx.session, name)
        text = wording.inspector(ctx.session, user.username) if user else name
        if text not in printed:
            printed.append(text)
    return "、".join(printed) or None


def contact_of(ctx, team) -> str:
    """The company's contact for a customer: the inspection team's head by name and mobile, else the
    configured contact (CONTACT_NAME, CONTACT_PHONE)."""
    head = people.staff_by_id(ctx.session, team.head_id) if team is not None and team.head_id else None
    if head is not None and head.mobile:
        return f"{wording.person(ctx.session, head.username)}，电话：{head.mobile}"
    return f"{_setting(ctx, 'CONTACT_NAME', '用电检查班')}，电话：{_setting(ctx, 'CONTACT_PHONE', '—')}"


def role_holder(ctx, role: str, branch_code: str | None) -> str | None:
    """The name and post of the first active holder of a role in the branch or above it."""
    users = notifications.users_with_role(ctx.session, role, branch_code)
    return wording.person(ctx.session, users[0].username) if users else None


def _delivery_block(ctx, doc, event, what: str) -> None:
    layout.heading(doc, "客户签收")
    if event is None:
        layout.paragraph(doc, f"本{what}一式两份，一份送达客户签收，一份存档。", keep_with_next=True)
        layout.signature(doc, "客户代表签字", None, None, None)
        return
    detail = event.detail
    if detail.get("refused"):
        layout.paragraph(doc, f"客户拒绝签收本{what}。见证人：{detail.get('witness')}；"
                              f"时间：{layout.chinese_datetime(event.at, zone(ctx))}。拒签现场照片附后。")
        layout.images(doc, "拒签现场照片", blobs(ctx, [detail.get("refusal_photo")]))
    else:
        signer = " ".join(x for x in (detail.get("signer_name"), detail.get("signer_post")) if x)
        layout.signature(doc, "客户代表签字", blob(ctx, detail.get("signature")), signer,
                         layout.chinese_datetime(event.at, zone(ctx)))


def _inspection_rows(ctx, hazard: Hazard) -> list:
    """The inspection that found the hazard: worksheet number, date, inspectors with their 检查证 numbers."""
    ins = ctx.session.get(inspections.Inspection, hazard.inspection_id) if hazard.inspection_id else None
    second = (ins.result or {}).get("second_inspector") if ins else None
    return [("检查工作单编号", ins.number if ins else "现场检查（无工作单）"),
            ("检查日期", layout.chinese_date(hazard.opened_at, zone(ctx))),
            ("检查人员", inspectors_text(ctx, hazard.opened_by, second))]


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
    item, unit = hazard.item, unit_of(ctx)
    number = numbers.record_number(ctx, hazard, "hazard_notice")
    doc = layout.new_document(unit)
    layout.title(doc, "隐患告知书", f"编号：{number}")
    layout.paragraph(doc, f"{hazard.customer.name}：", indent=False)
    layout.paragraph(doc, f"我公司于{layout.chinese_date(hazard.opened_at, zone(ctx))}对贵单位受电设施进行用电检查时，"
                          "发现存在以下安全隐患。依据《中华人民共和国电力法》《电力供应与使用条例》《供电营业规则》有关规定，"
                          "现书面告知，请贵单位在规定期限内完成整改，并在整改期间落实临时安全措施。")
    layout.fields(doc, customer_rows(hazard.customer) + _inspection_rows(ctx, hazard))
    layout.heading(doc, "一、隐患情况")
    layout.fields(doc, [
        ("隐患档案编号", hazard.file_number), ("隐患项目", f"{item['code']} {item['name_zh']}"),
        ("隐患类别", item.get("category")), ("隐患等级", wording.severity_name(hazard.severity)),
        ("隐患部位及设备", " ".join(x for x in (hazard.location, hazard.equipment) if x)),
        ("隐患描述", hazard.description), ("依据", item.get("legal_basis") or GENERAL_BASIS),
        ("可能后果", item.get("consequences") or GENERAL_CONSEQUENCES),
        ("隐患照片", f"{len(hazard.photos or [])}张（附后）" if hazard.photos else "无"),
    ])
    layout.heading(doc, "二、整改要求")
    due = (layout.chinese_date(hazard.rectification_deadline, zone(ctx)) + "前" if hazard.rectification_deadline
           else f"自本告知书送达之日起{item['deadline_days']}日内")      # the deadline runs from delivery
    layout.fields(doc, [("整改期限", due),
                        *_rectification_rows(hazard)])
    layout.paragraph(doc, f"我公司可提供技术指导和协助。联系人：{contact_of(ctx, hazard.team)}。")
    layout.paragraph(doc, "属于重大隐患或拒不整改的，我公司将依法报告当地政府电力管理部门和应急管理部门。")
    delivery = _last(events, "notice_signed", "notice_refused")
    ask_stored(ctx, *(hazard.photos or []), *((delivery.detail or {}).get(k) for k in ("signature", "refusal_photo")
                                             if delivery))
    layout.images(doc, "隐患照片", _stamped_photos(ctx, hazard, hazard.photos))
    _delivery_block(ctx, doc, delivery, "告知书")
    if hazard.severity == "major":
        layout.paragraph(doc, "抄送：" + "、".join(authorities(ctx).values()), indent=False)
    layout.closing(doc, unit, hazard.notified_at or ctx.now(), zone(ctx))
    return _archive(ctx, hazard, "hazard_notice", number, doc)


def supervision_order(ctx: Context, hazard_id) -> dict:
    """隐患督导单: overdue since when, progress found, the new short deadline, the consequence."""
    hazard = ctx.session.get(Hazard, int(hazard_id))
    events = timeline(ctx.session, hazard.id)
    delivered = hazard.status == "supervising"
    count = hazard.supervision_count if delivered else hazard.supervision_count + 1
    number = numbers.record_number(ctx, hazard, "supervision_order", count)
    notice = numbers.notice_number(ctx, hazard)
    unit = unit_of(ctx)
    overdue = _last(events, "overdue")
    supervised = _last(events, "supervised") if delivered else None
    detail = supervised.detail if supervised else {}
    issued = _last(events, "order_issued")                 # the supervisor's issue of this round's order
    issued = issued.detail if issued is not None and issued.detail.get("count") == count else {}
    days = int(issued.get("days") or ctx.settings.get("SUPERVISION_DAYS") or 7)
    doc = layout.new_document(unit)
    layout.title(doc, "隐患督导单", f"编号：{number}")
    layout.paragraph(doc, f"{hazard.customer.name}：", indent=False)
    layout.paragraph(doc, f"贵单位存在的安全隐患（告知书编号 {notice}）已超过整改期限仍未整改完成，"
                          "现下达督导单，请贵单位高度重视，在新的期限内完成整改。")
    tz = layout.ZoneInfo(zone(ctx))
    as_of = (supervised.at if supervised else ctx.now()).astimezone(tz)
    missed = layout.parse_instant(overdue.detail["deadline"]) if overdue and overdue.detail.get("deadline") \
        else hazard.original_deadline                     # the deadline that was missed (an extension moves it)
    overdue_days = (as_of.date() - missed.astimezone(tz).date()).days
    layout.fields(doc, customer_rows(hazard.customer) + [
        ("关联告知书编号", notice), ("隐患档案编号", hazard.file_number),
        ("隐患项目", f"{hazard.item['code']} {hazard.item['name_zh']}"),
        ("隐患等级", wording.severity_name(hazard.severity)),
        ("原整改期限", layout.chinese_date(missed, zone(ctx))),
        ("逾期起始日期", layout.chinese_date(missed + timedelta(days=1), zone(ctx))),
        ("逾期天数", f"截至{layout.chinese_date(as_of, zone(ctx))}逾期{max(overdue_days, 0)}天"),
        ("督导次数", f"第{count}次"),
        ("复查整改进展", detail.get("progress") or ("送达时现场复查填写" if not delivered else None)),
        ("客户说明的原因", detail.get("customer_reason") or ("送达时现场填写" if not delivered else "客户未说明")),
        ("督导要求", issued.get("requirements") or "请贵单位立即组织整改，整改期间落实临时安全措施，整改完成后书面回执并申请验收。"),
        ("新整改期限", layout.chinese_date(hazard.deadline, zone(ctx)) + "前" if delivered
         else f"送达之日起{days}日内"),
        ("逾期后果", "仍未整改的，将报告当地政府电力管理部门和应急管理部门，并依法履行中止供电程序。"),
    ])
    layout.images(doc, "复查照片", blobs(ctx, detail.get("photos") or detail.get("review_photos")))
    _delivery_block(ctx, doc, supervised, "督导单")
    branch = hazard.branch.code if hazard.branch else None
    layout.paragraph(doc, f"签发：{issued.get('issuer_name') or role_holder(ctx, 'supervisor', branch) or layout.BLANK}",
                     indent=False,
                     keep_with_next=True)
    layout.paragraph(doc, f"审核：{role_holder(ctx, 'leader', branch) or _setting(ctx, 'SECTION_LEADER', '营销部主任')}",
                     indent=False, keep_with_next=True)
    escalation = [e for e in events if e.kind in ("escalated_to_leader", "reported")]
    layout.paragraph(doc, "报告记录：" + ("；".join(f"{layout.chinese_date(e.at, zone(ctx))}{wording.event_name(e.kind)}"
                                               for e in escalation) or "尚未报告"), indent=False)
    layout.closing(doc, unit, supervised.at if supervised else ctx.now(), zone(ctx))
    return _archive(ctx, hazard, "supervision_order", number, doc)


def acceptance_record(ctx: Context, hazard_id) -> dict:
    """隐患验收及销号记录: the acceptance, after-photos beside before-photos, and the close-out approval."""
    hazard = ctx.session.get(Hazard, int(hazard_id))
    events = timeline(ctx.session, hazard.id)
    accepted = _last(events, "accepted", "acceptance_failed")
    closed = _last(events, "closed")
    number = numbers.record_number(ctx, hazard, "acceptance_record")
    unit = unit_of(ctx)
    detail = accepted.detail if accepted else {}
    failed = detail.get("result") == "fail"
    doc = layout.new_document(unit)
    layout.title(doc, "隐患验收及销号记录", f"编号：{number}")
    rows = customer_rows(hazard.customer) + [
        ("隐患档案编号", hazard.file_number), ("隐患项目", f"{hazard.item['code']} {hazard.item['name_zh']}"),
        ("验收日期", layout.chinese_date(accepted.at, zone(ctx)) if accepted else None),
        ("验收方式", {"on_site": "现场验收", "documents": "资料审查"}.get(detail.get("method"))),
        ("验收人员", inspectors_text(ctx, accepted.actor if accepted else None, detail.get("second_inspector"))),
        ("验收内容", detail.get("checks")), ("验收结论", {"pass": "合格", "fail": "不合格"}.get(detail.get("result"))),
    ]
    if failed:
        deadline = detail.get("deadline")
        rows += [("不合格原因", detail.get("reasons")),
                 ("重新整改期限", layout.chinese_date(layout.parse_instant(deadline), zone(ctx)) + "前"
                  if deadline else None)]
    else:
        rows += [("销号审批", f"已批准（{wording.person(ctx.session, closed.actor)}）" if closed else "待审批"),
                 ("销号日期", layout.chinese_date(closed.at, zone(ctx)) if closed else "待审批后填写")]
    if hazard.reported_to_government:
        rows.append(("政府报告", "该隐患已报告政府主管部门，销号后书面告知"))
    layout.fields(doc, rows)
    before = hazard.photos or []
    after = detail.get("after_photos") or []
    ask_stored(ctx, *before, *after, detail.get("signature"))
    before, after = _stamped_photos(ctx, hazard, before, keep_gaps=True), _stamped_photos(ctx, hazard, after,
                                                                                           keep_gaps=True)
    pairs = [(before[i] if i < len(before) else None, after[i] if i < len(after) else None)
             for i in range(max(len(before), len(after)))]
    layout.photo_pairs(doc, pairs)
    layout.signature(doc, "验收人员签字", None, inspectors_text(ctx, accepted.actor) if accepted else None,
                     layout.chinese_datetime(accepted.at, zone(ctx)) if accepted else None)
    layout.signature(doc, "客户代表签字", blob(ctx, detail.get("signature")), detail.get("signer_name"),
                     layout.chinese_datetime(accepted.at, zone(ctx)) if accepted else None)
    layout.closing(doc, unit, (closed or accepted).at if (closed or accepted) else ctx.now(), zone(ctx))
    return _archive(ctx, hazard, "acceptance_record", number, doc)

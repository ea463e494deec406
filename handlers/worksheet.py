"""用电检查工作单 (the inspection worksheet, domain.md §6.1): rendered after the visit and archived."""
from __future__ import annotations

from records import inspections, people
from records.inspections import Inspection

from . import docx_layout as layout
from .context import Context, zone
from .documents import archive_rendered, blob
from .photo_stamp import for_document
from .presence import presence_lines

RESULTS = {"pass": "合格", "fail": "不合格", "na": "不适用", None: "未检查"}


def inspection_worksheet(ctx: Context, inspection_id) -> dict:
    """The worksheet with the checklist results, findings (hazard files), times and signatures."""
    ins = ctx.session.get(Inspection, int(inspection_id))
    c, r = ins.customer, ins.result or {}
    unit = ctx.settings.get("COMPANY_NAME") or "国网吉安供电公司"
    doc = layout.new_document(unit)
    layout.title(doc, "用电检查工作单", f"编号：{ins.number}")
    inspector = people.user_by_name(ctx.session, ctx.actor)
    layout.heading(doc, "一、任务")
    layout.fields(doc, [
        ("任务来源", inspections.KIND_NAMES.get(ins.kind, ins.kind)), ("检查单模板", ins.checklist_template),
        ("计划检查日期", f"{ins.planned_from.isoformat()} 至 {ins.due_date.isoformat()}"),
        ("派工", f"{ins.team.name}（{ins.team.code}）" if ins.team else None),
        ("组长", ins.team.head.display_name if ins.team and ins.team.head else None)])
    layout.heading(doc, "二、客户")
    layout.fields(doc, [
        ("户号", c.number), ("客户名称", c.name), ("用电地址", c.address), ("行业", c.industry),
        ("重要等级", c.class_name + ("（高危）" if c.high_risk else "")),
        ("供电电压", f"{c.supply_voltage_kv:g} kV" if c.supply_voltage_kv else None),
        ("电源数目 / 供电方式", " / ".join(str(x) for x in (c.power_sources, c.supply_mode) if x) or None),
        ("保安负荷 / 自备电源", " / ".join(f"{x:g} kW" for x in (c.security_load_kw, c.emergency_power_kw) if x) or None),
        ("GPS", f"{c.gps_lat}, {c.gps_lon}" if c.gps_lat is not None and c.gps_lon is not None else None)])
    layout.heading(doc, "三、现场检查")
    layout.fields(doc, [
        ("检查人员", "、".join(x for x in ((inspector.display_name if inspector else ctx.actor),
                                          r.get("second_inspector")) if x)),
        ("到达 / 离开时间", " / ".join(x for x in (r.get("arrived_at"), r.get("left_at")) if x) or None),
        *presence_lines(ctx, r.get("presence") or {}),
        ("陪同人员", " ".join(x for x in (r.get("companion_name"), r.get("companion_post"),
                                          r.get("companion_phone")) if x) or None)])
    table = [(f"{row.get('code')} {row.get('text')}", RESULTS.get(row.get("result"), row.get("result"))
              + (f"（{row['note']}）" if row.get("note") else "")) for row in r.get("checklist") or []]
    layout.heading(doc, "四、检查项目及结果")
    layout.fields(doc, table or [("—", "无")])
    layout.heading(doc, "五、发现的隐患")
    findings = r.get("findings") or []
    numbers = list(ins.hazard_numbers or [])
    layout.fields(doc, [(f"{i}. {f.get('item_code')}", f"{f.get('location')}：{f.get('description')}"
                         + (f"（档案 {numbers[i - 1]}）" if i <= len(numbers) else ""))
                        for i, f in enumerate(findings, start=1)] or [("—", "未发现隐患")])
    layout.images(doc, "隐患照片", [b for i, f in enumerate(findings) for b in
                                  (_stamped(ctx, ins, f, numbers[i] if i < len(numbers) else None, d)
                                   for d in f.get("photos") or []) if b])
    layout.heading(doc, "六、检查结论")
    layout.paragraph(doc, r.get("conclusion") or "—")
    layout.heading(doc, "七、签字")
    layout.signature(doc, "检查人员", blob(ctx, r.get("inspector_signature")),
                     inspector.display_name if inspector else ctx.actor, None)
    layout.signature(doc, "检查人员", blob(ctx, r.get("second_inspector_signature")), r.get("second_inspector"), None)
    if r.get("customer_refused"):
        layout.paragraph(doc, f"客户代表拒绝签字。见证人：{r.get('witness')}。拒签照片附后。")
        layout.images(doc, "拒签现场照片", [b for b in [blob(ctx, r.get("refusal_photo"))] if b])
    else:
        layout.signature(doc, "客户代表", blob(ctx, r.get("customer_signature")), r.get("customer_name"), None)
    layout.closing(doc, unit, ctx.now(), zone(ctx))
    result = archive_rendered(ctx, doc, kind="inspection_worksheet", number=ins.number, subject=ins.number,
                              customer_id=c.id)
    ins.worksheet_id = result["document_id"]
    return result



def _stamped(ctx: Context, ins: Inspection, finding: dict, number: str | None, digest: str) -> bytes | None:
    """A finding's photo as the worksheet prints it; the stored photo stays as it was."""
    place = " ".join(x for x in (ins.customer.name, finding.get("location")) if x)
    return for_document(ctx, digest, blob(ctx, digest), place,
                        f"工作单 {ins.number}" + (f" · 档案 {number}" if number else ""))

"""用电检查工作单 (the inspection worksheet, domain.md §6.1): prepared and approved before the visit,
rendered after it with who approved it and when, and archived."""
from __future__ import annotations

from records import inspections
from records.findings import any_pending
from records.inspections import Inspection

from . import docx_layout as layout
from . import wording
from .context import Context, zone
from .documents import archive_rendered, blob, blobs, inspectors_text, unit_of
from .docx_ops import StampRef
from .presence import presence_lines

RESULTS = {"pass": "合格", "fail": "不合格", "na": "不适用", None: "未检查"}


def _number(value, unit: str) -> str | None:
    return f"{value:g}{unit}" if value else None


def _template_name(key: str | None) -> str:
    template = inspections.checklist_templates().get(key or "") or {}
    return template.get("name") or "通用检查单"


def _customer_rows(c) -> list:
    return [
        ("户号", c.number), ("客户名称", c.name), ("用电地址", c.address), ("行业", c.industry),
        ("重要等级", c.class_name + ("（高危）" if c.high_risk else "")),
        ("供电电压", _number(c.supply_voltage_kv, "千伏")), ("受电容量", _number(c.capacity_kva, "千伏安")),
        ("电源数目 / 供电方式", " / ".join(str(x) for x in (c.power_sources, c.supply_mode) if x) or None),
        ("保安负荷 / 自备电源", " / ".join(x for x in (_number(c.security_load_kw, "千瓦"),
                                                   _number(c.emergency_power_kw, "千瓦")) if x) or None),
        ("经纬度", f"北纬{c.gps_lat:.5f}°，东经{c.gps_lon:.5f}°" if c.gps_lat is not None and c.gps_lon is not None
         else None)]


def _item_note(row: dict, filed: dict) -> str:
    """The item's note and, for 不合格, the hazard file it became or why it is none."""
    what = None
    if row.get("result") == "fail":
        number = filed.get(row.get("code"))
        what = (f"不作为隐患：{row.get('reason')}" if row.get("disposition") == "not_hazard"
                else f"隐患档案 {number}" if number else None)
    return "；".join(x for x in (row.get("note"), what) if x) or ""


def _checklist(ctx, doc, rows: list, filed: dict) -> None:
    layout.heading(doc, "四、检查项目及结果")
    table = [[row.get("code"), row.get("text"), RESULTS.get(row.get("result"), "—"), _item_note(row, filed) or "—",
              f"{len(row.get('photos') or [])}张" if row.get("photos") else "—"] for row in rows]
    layout.grid(doc, ["序号", "检查项目", "结果", "说明", "照片"], table or [["—", "无", "—", "", "—"]],
                [1.4, 6.4, 1.6, 4.4, 1.4])
    layout.images(doc, "检查项目照片", [b for row in rows for b in blobs(ctx, row.get("photos"))])


def inspection_worksheet(ctx: Context, inspection_id) -> dict:
    """The worksheet with the checklist results, findings (hazard files), times and signatures. While
    findings still wait for their files it is deferred: the transaction that files the last one renders
    it (services.hazard_filing), so that it carries every file number."""
    ins = ctx.session.get(Inspection, int(inspection_id))
    if any_pending(ctx.session, ins.id):
        return {"deferred": True}
    c, r = ins.customer, ins.result or {}
    unit, tz = unit_of(ctx), zone(ctx)
    done = ins.completed_at or ctx.now()
    doc = layout.new_document(unit)
    layout.title(doc, "用电检查工作单", f"编号：{ins.number}")
    head = ins.team.head if ins.team and ins.team.head_id else None
    layout.heading(doc, "一、任务")
    layout.fields(doc, [
        ("任务来源", inspections.KIND_NAMES.get(ins.kind, "检查")), ("检查单", _template_name(ins.checklist_template)),
        ("计划检查日期", f"{layout.chinese_date_of(ins.planned_from)}至{layout.chinese_date_of(ins.due_date)}"),
        ("派工", ins.team.name if ins.team else None), ("组长", wording.person(ctx.session, head.username) if head else None),
        ("编制", wording.person(ctx.session, ins.created_by)),
        ("派工时间", layout.chinese_datetime(ins.assigned_at, tz) if ins.assigned_at else None),
        ("审批", wording.person(ctx.session, ins.approved_by) if ins.approved_by else "未审批"),
        ("审批时间", layout.chinese_datetime(ins.approved_at, tz) if ins.approved_at else None)])
    layout.heading(doc, "二、客户")
    layout.fields(doc, _customer_rows(c))
    layout.heading(doc, "三、现场检查")
    layout.fields(doc, [
        ("检查人员", inspectors_text(ctx, ctx.actor, r.get("second_inspector"))),
        ("检查日期", layout.chinese_date(done, tz)),
        ("到达 / 离开时间", " / ".join(x for x in (r.get("arrived_at"), r.get("left_at")) if x) or None),
        *presence_lines(ctx, r.get("presence") or {}),
        ("陪同人员", " ".join(x for x in (r.get("companion_name"), r.get("companion_post"),
                                          r.get("companion_phone")) if x) or r.get("customer_name"))])
    findings = r.get("findings") or []
    numbers = list(ins.hazard_numbers or [])
    filed = {f["checklist_item"]: (numbers[i] if i < len(numbers) else None)
             for i, f in enumerate(findings) if f.get("checklist_item")}
    _checklist(ctx, doc, r.get("checklist") or [], filed)
    layout.heading(doc, "五、发现的隐患")
    not_filed = [row for row in r.get("checklist") or [] if row.get("result") == "fail"
                 and row.get("disposition") == "not_hazard"]
    layout.fields(doc, [(f"{i}. {f.get('item_code')}", f"{f.get('location')}：{f.get('description')}"
                         + (f"（隐患档案 {numbers[i - 1]}）" if i <= len(numbers) else ""))
                        for i, f in enumerate(findings, start=1)]
                  # a failed item is never followed by "no hazard found": say what became of it
                  or [("—", "不合格项目均已现场处理，未建立隐患档案（理由见上表）" if not_filed else "未发现隐患")])
    layout.images(doc, "隐患照片", [b for i, f in enumerate(findings) for b in
                                  (_stamped(ctx, ins, f, numbers[i] if i < len(numbers) else None, d)
                                   for d in f.get("photos") or []) if b])
    layout.heading(doc, "六、检查结论")
    layout.paragraph(doc, r.get("conclusion") or "—")
    layout.heading(doc, "七、签字")
    when = layout.chinese_datetime(done, tz)
    layout.signature(doc, "检查人员", blob(ctx, r.get("inspector_signature")), inspectors_text(ctx, ctx.actor), when)
    layout.signature(doc, "检查人员", blob(ctx, r.get("second_inspector_signature")),
                     inspectors_text(ctx, r.get("second_inspector")), when if r.get("second_inspector") else None)
    if r.get("customer_refused"):
        layout.paragraph(doc, f"客户代表拒绝签字。见证人：{r.get('witness')}；时间：{when}。拒签照片附后。")
        layout.images(doc, "拒签现场照片", blobs(ctx, [r.get("refusal_photo")]))
    else:
        layout.signature(doc, "客户代表", blob(ctx, r.get("customer_signature")), r.get("customer_name"),
                         when if r.get("customer_name") else None)
    layout.closing(doc, unit, done, tz)
    result = archive_rendered(ctx, doc, kind="inspection_worksheet", number=ins.number, subject=ins.number,
                              customer_id=c.id)
    ins.worksheet_id = result["document_id"]
    return result



def _stamped(ctx: Context, ins: Inspection, finding: dict, number: str | None, digest: str) -> StampRef | None:
    """A finding's photo as the worksheet prints it; the stored photo stays as it was."""
    place = " ".join(x for x in (ins.customer.name, finding.get("location")) if x)
    if blob(ctx, digest) is None:
        return None
    return StampRef(digest, place, f"工作单 {ins.number}" + (f" · 档案 {number}" if number else ""))

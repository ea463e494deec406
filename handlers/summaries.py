"""Reports to the government: the periodic summary (domain.md §7.2 item 2, monthly or quarterly) and
the annual hazard-governance report, as .docx in the official layout with tables and a chart image;
each archived (a regenerated one is a new version) and logged for submission (报告到位).

Plain functions over a Context (the web page builds one; a process could call them as handlers).
The numbers are records.indicators', the same as the dashboard's for the same period.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import case, func, select

from records import Branch, Customer, documents, indicators, kpi, people, workdays
from records.customers import CLASS_NAMES
from records.dictionary import SEVERITIES, SEVERITY_NAMES

from . import charts
from . import docx_layout as layout
from . import wording
from .context import Context, zone
from .documents import store as store_document

TITLES = {"month": "月报", "quarter": "季报", "range": "情况报告", "year": "年度报告"}
SEVERITY_EN = {"一般": "general", "较大": "significant", "重大": "major", "发现": "found", "销号": "closed"}


def period_text(first: date, last: date, kind: str) -> str:
    if kind == "month":
        return f"{first.year}年{first.month}月"
    if kind == "quarter":
        return f"{first.year}年第{(first.month - 1) // 3 + 1}季度"
    if kind == "year":
        return f"{first.year}年"
    return f"{first.year}年{first.month}月{first.day}日至{last.year}年{last.month}月{last.day}日"


def scope_of(ctx: Context, first: date, last: date, branch_code: str | None = None) -> kpi.Scope:
    settings = ctx.settings
    branch_ids = None
    if branch_code:
        branch = ctx.session.scalars(select(Branch).where(Branch.code == branch_code)).first()
        if branch is None:
            raise ValueError(f"there is no branch {branch_code}")
        codes = people.branch_codes_under(ctx.session, branch)
        branch_ids = tuple(ctx.session.scalars(select(Branch.id).where(Branch.code.in_(codes))))
    return kpi.make_scope(first, last, ctx.now(), zone(ctx), branch_ids=branch_ids,
                          supervise_days=int(settings.get("KPI_SUPERVISION_DAYS", 3)),
                          accept_days=int(settings.get("KPI_ACCEPTANCE_DAYS", 5)),
                          calendar=workdays.from_settings(settings))


def facts(session, scope: kpi.Scope) -> dict:
    """Everything a report prints, computed once."""
    sets = ["discovered", "closed", "open_at_end", "overdue_at_end", "reported"]
    by_severity = kpi.hazard_counts(session, scope, sets, group="severity")
    totals = kpi.hazard_counts(session, scope, sets)[None]
    grades = indicators.grade_distribution(session, scope, scope.as_of, months=1)
    return {"rates": indicators.compute(session, scope)[None], "by_severity": by_severity, "totals": totals,
            "category": indicators.category_severity(session, scope), "grades": grades[-1] if grades else None,
            "ab": indicators.grade_list(session, scope, at=scope.as_of), "close_days": indicators.close_days(session, scope)}


def _overview(doc, f: dict, text: str) -> None:
    t = f["totals"]
    layout.heading(doc, "一、总体情况")
    layout.paragraph(doc, f"{text}，新发现隐患{t['discovered']}项，销号{t['closed']}项；期末在治隐患{t['open_at_end']}项，"
                          f"其中逾期{t['overdue_at_end']}项；本期向政府报告隐患{t['reported']}项次。")


def _indicator_rows(rates: dict) -> list:
    return [[i.name_zh, rates[i.key].percent(), rates[i.key].num, rates[i.key].den] for i in indicators.INDICATORS]


def _severity_rows(f: dict) -> list:
    sets = ["discovered", "closed", "open_at_end", "overdue_at_end", "reported"]
    rows = [[SEVERITY_NAMES[s]] + [f["by_severity"].get(s, {}).get(n, 0) for n in sets] for s in SEVERITIES]
    return rows + [["合计"] + [f["totals"][n] for n in sets]]


def _category_rows(f: dict) -> list:
    return [[name] + [by.get(s, 0) for s in SEVERITIES] + [sum(by.values())] for name, by in f["category"].items()]


def _customer_sections(doc, session, f: dict, number: int) -> None:
    numerals = "一二三四五六七八九十"
    layout.heading(doc, f"{numerals[number]}、客户风险等级")
    g = f["grades"] or {"A": 0, "B": 0, "C": 0}
    layout.grid(doc, ["等级", "A级（红）", "B级（黄）", "C级（蓝）"], [["客户数", g["A"], g["B"], g["C"]]])
    layout.heading(doc, f"{numerals[number + 1]}、A级、B级客户名单")
    rows = [[c.name, c.number, c.class_name + ("（高危）" if c.high_risk else ""),
             f"{grade.grade}级", grade.open_hazards, wording.grade_reasons(session, c, grade.drivers)]
            for c, grade in f["ab"]]
    if rows:
        layout.grid(doc, ["客户名称", "户号", "重要等级", "风险等级", "在治隐患", "主要原因"], rows,
                    [3.6, 2.4, 2.2, 1.6, 1.6, 4.2])
    else:
        layout.paragraph(doc, "本期无A级、B级客户。")


def _trend_chart(doc, session, scope: kpi.Scope, months: int) -> None:
    trend = indicators.monthly_trend(session, scope, scope.as_of, months)
    png = charts.bar_chart([m["month"] for m in trend], {"发现": [m["discovered"] for m in trend],
                                                          "销号": [m["closed"] for m in trend]},
                           title=("隐患发现与销号趋势", "Hazards found and closed"), fallback=SEVERITY_EN)
    if png is None:
        layout.paragraph(doc, "（趋势图未生成：服务器未安装绘图组件。）")
    else:
        layout.images(doc, "隐患发现与销号趋势", [png], width_cm=15.5)


def _render_common(ctx, doc, f, scope, text) -> None:
    _overview(doc, f, text)
    layout.heading(doc, "二、主要指标")
    layout.grid(doc, ["指标", "本期", "分子", "分母"], _indicator_rows(f["rates"]), [7.0, 2.6, 2.6, 2.6])
    layout.paragraph(doc, "注：分母为零时指标不适用，以“—”表示。监控率、逾期数以期末（或截至报告日）状态计。", indent=False)
    layout.heading(doc, "三、隐患分级统计")
    layout.grid(doc, ["等级", "新发现", "销号", "期末在治", "期末逾期", "报告政府"], _severity_rows(f))
    layout.heading(doc, "四、隐患分类统计（本期新发现）")
    rows = _category_rows(f)
    if rows:
        layout.grid(doc, ["类别"] + [SEVERITY_NAMES[s] for s in SEVERITIES] + ["合计"], rows)
    else:
        layout.paragraph(doc, "本期未发现新的隐患。")
    _customer_sections(doc, ctx.session, f, 4)


def subject_of(label: str, branch_code: str | None) -> str:
    """What a report is about: the period, and the branch after a slash ("2026-03/JA-JZ"); the period alone
    for the whole organisation. Its versions are counted per subject, and access places it by the branch."""
    return f"{label}/{branch_code}" if branch_code else label


class AlreadySubmitted(ValueError):
    """The report of this period and scope was submitted: it is the record and is not made again."""


def _period_log(ctx: Context, kind: str, subject: str):
    """The report log entry of a period and scope (one per period and scope), with its document."""
    return ctx.session.execute(select(documents.ReportLog).join(documents.Document,
                                                                documents.Document.id == documents.ReportLog.document_id)
                               .where(documents.Document.kind == kind, documents.Document.subject == subject)
                               .order_by(documents.ReportLog.id.desc())).scalars().first()


def _archive(ctx: Context, doc, kind: str, number: str, subject: str, reason: str) -> dict:
    """Archive the next version of the period's report. The period and scope keep one report log entry:
    a pending one is moved to the new version; a submitted one refuses the new version (AlreadySubmitted)."""
    log = _period_log(ctx, kind, subject)
    if log is not None and log.status == "submitted":
        raise AlreadySubmitted(f"{number} was submitted on {log.submitted_at:%Y-%m-%d}")
    row = store_document(ctx, doc, kind=kind, number=number, subject=subject)     # rendered now or queued
    authorities = ctx.settings.get("AUTHORITIES") or {"power": "电力管理部门"}
    if log is None:
        log = documents.ReportLog(document_id=row.id, reason=reason, recipient="、".join(authorities.values())[:200],
                                  created_at=ctx.now())
        ctx.session.add(log)
    else:
        log.document_id = row.id
    ctx.session.flush()
    ctx.audit("report.rendered", after={"kind": kind, "number": number, "version": row.version, "sha256": row.sha256,
                                        "log_id": log.id})
    return {"document_id": row.id, "number": number, "version": row.version, "sha256": row.sha256, "log_id": log.id}


def _number(prefix: str, label: str, branch_code: str | None) -> str:
    return "-".join(x for x in (prefix, branch_code, label) if x)


def periodic_summary(ctx: Context, first_day: date, last_day: date, kind: str, label: str,
                     branch_code: str | None = None) -> dict:
    """隐患排查治理情况月报/季报: counts by grade, category and severity; new, closed, overdue and reported
    hazards; the three indicators; the A and B customers."""
    scope = scope_of(ctx, first_day, last_day, branch_code)
    f = facts(ctx.session, scope)
    unit = ctx.settings.get("COMPANY_NAME") or "国网吉安供电公司"
    number = _number("YHTJ", label, branch_code)
    text = period_text(first_day, last_day, kind)
    doc = layout.new_document(unit)
    layout.title(doc, f"重要（高危）电力用户安全隐患排查治理情况{TITLES.get(kind, '报告')}", f"编号：{number}")
    authorities = ctx.settings.get("AUTHORITIES") or {"power": "电力管理部门", "safety": "应急管理部门"}
    to = authorities.get("power") or next(iter(authorities.values()))
    layout.paragraph(doc, f"{to}：", indent=False)
    until = layout.chinese_date(scope.as_of - timedelta(seconds=1), scope.zone)
    moment = (f"{layout.chinese_datetime(scope.as_of, scope.zone)}（本期尚未结束）" if scope.running
              else f"{until}24时")
    layout.paragraph(doc, f"现将我公司{text}重要（高危）电力用户安全隐患排查治理情况报告如下。本报告各项数量、等级和名单"
                          f"均以{moment}的状态统计。")
    _render_common(ctx, doc, f, scope, f"{text}（统计至{until}）")
    _trend_chart(doc, ctx.session, scope, 6)
    layout.seal(doc, unit, ctx.now(), scope.zone, more=True)
    layout.record_lines(doc, [v for v in authorities.values() if v != to] + [ctx.settings.get("SUPERIOR_UNIT") or "上级单位"],
                        f"{unit}营销部", layout.chinese_date(ctx.now(), scope.zone))
    return _archive(ctx, doc, "periodic_summary", number, subject_of(label, branch_code),
                    "periodic_summary") | {"facts": _summary_numbers(f)}


def annual_report(ctx: Context, year: int, branch_code: str | None = None) -> dict:
    """年度隐患治理报告: the year's numbers, month by month, by branch and team, days to close, and the
    important-user list by class (for the yearly list update)."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    scope = scope_of(ctx, first, last, branch_code)
    f = facts(ctx.session, scope)
    unit = ctx.settings.get("COMPANY_NAME") or "国网吉安供电公司"
    number = _number("YHNB", str(year), branch_code)
    doc = layout.new_document(unit)
    layout.title(doc, f"{year}年度重要（高危）电力用户安全隐患治理报告", f"编号：{number}")
    _render_common(ctx, doc, f, scope, f"{year}年（统计至{layout.chinese_date(scope.as_of, scope.zone)}）")
    layout.heading(doc, "七、分月情况")
    trend = indicators.monthly_trend(ctx.session, scope, scope.as_of, 12)
    layout.grid(doc, ["月份", "新发现", "销号", "月末在治", "建档率", "消除率", "监控率"],
                [[m["month"], m["discovered"], m["closed"], m["open"], m["filing"].percent(),
                  m["elimination"].percent(), m["monitoring"].percent()] for m in trend])
    _trend_chart(doc, ctx.session, scope, 12)
    layout.heading(doc, "八、各单位指标")
    layout.grid(doc, ["单位", "建档率", "消除率", "监控率"], _by_branch(ctx.session, scope))
    layout.heading(doc, "九、平均销号天数")
    layout.grid(doc, ["隐患等级", "销号数", "平均天数"],
                [[SEVERITY_NAMES[s], f["close_days"].get(s, (None, 0))[1], f["close_days"].get(s, (None, 0))[0]]
                 for s in SEVERITIES])
    layout.heading(doc, "十、重要电力用户名单（按等级）")
    layout.grid(doc, ["重要等级", "客户数", "其中高危"], _customer_classes(ctx.session, scope))
    layout.closing(doc, unit, ctx.now(), scope.zone)
    return _archive(ctx, doc, "annual_report", number, subject_of(str(year), branch_code),
                    "annual_report") | {"facts": _summary_numbers(f)}


def _by_branch(session, scope) -> list:
    names = dict(session.execute(select(Branch.id, Branch.name)).all())
    rows = indicators.compute(session, scope, indicators.MAIN, group="branch")
    return [[names.get(key, "—")] + [rates[k].percent() for k in indicators.MAIN]
            for key, rates in sorted(rows.items(), key=lambda kv: str(names.get(kv[0], "")))]


def _customer_classes(session, scope) -> list:
    query = select(Customer.importance, func.count(), func.sum(case((Customer.high_risk.is_(True), 1), else_=0)))
    if scope.branch_ids is not None:
        query = query.where(Customer.branch_id.in_(scope.branch_ids))
    counts = {k: (n, int(h or 0)) for k, n, h in session.execute(query.group_by(Customer.importance)).all()}
    order = ["special", "first", "second", "temporary", None]
    return [[CLASS_NAMES.get(k or "", "未定级"), counts.get(k, (0, 0))[0], counts.get(k, (0, 0))[1]] for k in order]


def _summary_numbers(f: dict) -> dict:
    """The counts a caller (or a test) may check against the document."""
    return {"totals": f["totals"], "rates": {k: [r.num, r.den] for k, r in f["rates"].items()}}

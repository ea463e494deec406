"""The published team assessment as a .docx in the official layout: weights, each team's components,
computed and leader's scores, ranking, comments, and a chart of the scores; archived by hash."""
from __future__ import annotations

from records.assessments import AssessmentRun

from . import charts
from . import docx_layout as layout
from . import wording
from .context import Context, zone
from .documents import archive_rendered
from .summaries import period_text

NAMES_ZH = {"inspections_on_time": "检查按期完成", "monitoring": "隐患监控", "hazards_found": "发现隐患",
            "dossier": "一患一档", "notice": "告知及时", "supervision": "督导及时", "acceptance": "验收及时"}
ORDER = tuple(NAMES_ZH)


def _percent(component: dict | None) -> str:
    rate = (component or {}).get("rate")
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _score(value) -> str:
    return "—" if value is None else f"{value:.1f}"


def render(ctx: Context, run: AssessmentRun) -> dict:
    unit = ctx.settings.get("COMPANY_NAME") or "国网吉安供电公司"
    number = f"KH-{run.period}"
    doc = layout.new_document(unit)
    layout.title(doc, f"用电检查小组绩效考核结果（{period_text(run.first_day, run.last_day, run.kind)}）", f"编号：{number}")
    layout.paragraph(doc, f"考核期间：{layout.chinese_date_of(run.first_day)}至{layout.chinese_date_of(run.last_day)}。按照隐患排查治理“四到位”要求，"
                          "对各用电检查小组的检查按期完成、隐患监控、隐患发现、一患一档建档、告知、督导及验收时效进行考核，"
                          "系统计算得分后经主管领导审定如下。")
    layout.heading(doc, "一、考核指标及权重")
    layout.grid(doc, ["指标"] + [NAMES_ZH[k] for k in ORDER], [["权重"] + [run.weights.get(k, 0) for k in ORDER]])
    layout.heading(doc, "二、各小组指标完成情况")
    scores = sorted(run.scores, key=lambda s: (s.rank is None, s.rank or 0, s.team_code))
    layout.grid(doc, ["小组", "人数"] + [NAMES_ZH[k] for k in ORDER],
                [[s.team_name, s.members] + [_percent(s.components.get(k)) for k in ORDER] for s in scores])
    layout.heading(doc, "三、考核得分及排名")
    layout.grid(doc, ["排名", "小组", "计算得分", "审定得分", "主管领导评语"],
                [[s.rank or "—", s.team_name, _score(s.computed_score), _score(s.leader_score), s.comment or ""]
                 for s in scores], [1.4, 3.4, 2.2, 2.2, 6.4])
    empty = [s for s in scores if not s.members]
    if empty:
        layout.paragraph(doc, "注：" + "、".join(s.team_name for s in empty) + "本期无成员，得分仅供参考。", indent=False)
    png = charts.bar_chart([s.team_name for s in scores], {
        "计算得分": [s.computed_score or 0 for s in scores], "审定得分": [s.leader_score or 0 for s in scores]},
        title=("各小组考核得分", "Scores by team"), fallback={"计算得分": "computed", "审定得分": "final"})
    if png:
        layout.images(doc, "各小组考核得分", [png], width_cm=15.5)
    if run.comment:
        layout.heading(doc, "四、总体评价")
        layout.paragraph(doc, run.comment)
    layout.signature(doc, "审定", None, wording.person(ctx.session, ctx.actor),
                     layout.chinese_datetime(ctx.now(), zone(ctx)))
    layout.closing(doc, unit, ctx.now(), zone(ctx))
    return archive_rendered(ctx, doc, kind="team_assessment", number=number, subject=number)

"""Team performance assessment (domain.md §8), the steps of team_assessment.bpmn: compute each team's
scorecard, then publish the leader's scores with the assessment document.

Components (each a rate 0..1 over the period, None when there is nothing to rate):
  inspections_on_time  inspection tasks due in the period done by their due date
  monitoring           the team's open hazards under monitoring at the end (1 − monitoring gaps caused)
  hazards_found        hazards found per completed inspection, relative to the best team (best = 1)
  dossier              hazards discovered whose dossier is filed (一患一档)
  notice               hazards notified in writing within 1 working day of discovery
  supervision          overdue hazards whose 督导单 was delivered within KPI_SUPERVISION_DAYS
  acceptance           reported rectifications checked on site within KPI_ACCEPTANCE_DAYS
The computed score is the weighted mean (ASSESSMENT_WEIGHTS, adding up to 100) over the components
that have a value, × 100. Quality-audit defects and incidents have no records yet and are not scored.
"""
from __future__ import annotations

from sqlalchemy import func, select

from records import Branch, Team, kpi, notifications, team_member
from records.assessments import AssessmentRun, TeamScore

from . import assessment_doc, summaries
from .context import Context

RATES = {"inspections_on_time": ("inspection", "tasks_on_time", "tasks_due"),
         "monitoring": ("hazard", "monitored", "open_at_end"),
         "dossier": ("hazard", "filed", "discovered"),
         "notice": ("hazard", "notified_in_time", "discovered"),
         "supervision": ("hazard", "supervised_in_time", "went_overdue"),
         "acceptance": ("hazard", "accepted_in_time", "acceptance_due")}
COMPONENTS = ("inspections_on_time", "monitoring", "hazards_found", "dossier", "notice", "supervision", "acceptance")
DEFAULT_WEIGHTS = {"inspections_on_time": 25, "monitoring": 20, "hazards_found": 10, "dossier": 15, "notice": 10,
                   "supervision": 10, "acceptance": 10}


class AssessmentError(ValueError):
    """The assessment cannot be computed or published with these inputs (the message says why)."""


def weights_problem(weights) -> str | None:
    """Why these weights cannot be used (unknown or missing components, negative, not adding up to 100)."""
    if not isinstance(weights, dict):
        return "ASSESSMENT_WEIGHTS must be a JSON object of component: weight"
    unknown, missing = sorted(set(weights) - set(COMPONENTS)), sorted(set(COMPONENTS) - set(weights))
    if unknown:
        return f"ASSESSMENT_WEIGHTS names unknown components: {', '.join(unknown)} (known: {', '.join(COMPONENTS)})"
    if missing:
        return f"ASSESSMENT_WEIGHTS lacks the components {', '.join(missing)} (give 0 to leave one out)"
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 for v in weights.values()):
        return "ASSESSMENT_WEIGHTS must be numbers of at least 0"
    total = sum(weights.values())
    if abs(total - 100) > 1e-6:
        shown = ", ".join(f"{k} {weights[k]:g}" for k in COMPONENTS)
        return f"ASSESSMENT_WEIGHTS must add up to 100; they add up to {total:g} ({shown})"
    return None


def _weights(ctx: Context) -> dict:
    weights = ctx.settings.get("ASSESSMENT_WEIGHTS", DEFAULT_WEIGHTS)
    problem = weights_problem(weights)
    if problem:
        raise AssessmentError(problem)
    return dict(weights)


def _run(ctx: Context, run_id) -> AssessmentRun:
    run = ctx.session.get(AssessmentRun, int(run_id))
    if run is None:
        raise AssessmentError(f"there is no assessment run {run_id}")
    return run


def _own_run(ctx: Context, run_id, step: str, status: str) -> AssessmentRun:
    """The run this instance may work on at this step: in `status`, and not another instance's. A second
    instance naming a run that is in review or published (a start with a forged run_id) stops here, in
    error, before a score is touched."""
    run = _run(ctx, run_id)
    if run.status != status:
        raise AssessmentError(f"the assessment {run.period} is {run.status}: only a run that is {status} can be "
                              f"{step}, and its scores stay as they are")
    if run.instance_id is not None and ctx.instance_id and run.instance_id != ctx.instance_id:
        raise AssessmentError(f"the assessment {run.period} belongs to process instance {run.instance_id}, "
                              f"not to this one ({ctx.instance_id})")
    return run


def scorecards(session, scope: kpi.Scope, teams: list[Team], weights: dict) -> dict:
    """{team id: (components, computed score or None)} for the period of the scope."""
    hazard_sets = sorted({s for kind, *sets in RATES.values() if kind == "hazard" for s in sets})
    hazards = kpi.hazard_counts(session, scope, hazard_sets, group="team")
    tasks = kpi.inspection_counts(session, scope, ["tasks_on_time", "tasks_due", "completed"], group="team")
    found = {t.id: _ratio(hazards.get(t.id, {}).get("discovered", 0), tasks.get(t.id, {}).get("completed", 0))
             for t in teams}
    best = max((v for v in found.values() if v is not None), default=None)
    out = {}
    for team in teams:
        counts = {**hazards.get(team.id, {}), **tasks.get(team.id, {})}
        components = {name: _component(counts.get(num, 0), counts.get(den, 0))
                      for name, (_kind, num, den) in RATES.items()}
        components["hazards_found"] = {"num": counts.get("discovered", 0), "den": counts.get("completed", 0),
                                       "rate": None if found[team.id] is None or not best
                                       else round(found[team.id] / best, 4)}
        out[team.id] = (components, _score(components, weights))
    return out


def _ratio(num, den):
    return num / den if den else None


def _component(num: int, den: int) -> dict:
    return {"num": num, "den": den, "rate": round(num / den, 4) if den else None}


def _score(components: dict, weights: dict) -> float | None:
    used = [(weights[name], c["rate"]) for name, c in components.items() if c["rate"] is not None and weights[name]]
    total = sum(w for w, _ in used)
    return round(sum(w * r for w, r in used) / total * 100, 1) if total else None


def compute(ctx: Context, run_id) -> dict:
    """Compute every active team's scorecard for the run's period; the leader's form is prefilled. Only a
    run still being computed: one in review or published keeps its scores."""
    run = _own_run(ctx, run_id, "computed", "computing")
    weights = _weights(ctx)
    scope = summaries.scope_of(ctx, run.first_day, run.last_day)
    teams = list(ctx.session.scalars(select(Team).where(Team.active.is_(True)).order_by(Team.code)))
    if not teams:
        raise AssessmentError("there is no active team to assess")
    members = dict(ctx.session.execute(select(team_member.c.team_id, func.count()).group_by(team_member.c.team_id)).all())
    cards = scorecards(ctx.session, scope, teams, weights)
    for old in list(run.scores):
        run.scores.remove(old)
    ctx.session.flush()
    for team in teams:
        components, score = cards[team.id]
        run.scores.append(TeamScore(team_id=team.id, team_code=team.code, team_name=team.name,
                                    members=members.get(team.id, 0), components=components, computed_score=score))
    _rank(run.scores, lambda s: s.computed_score)
    run.status, run.computed_at, run.weights, run.instance_id = "reviewing", ctx.now(), weights, ctx.instance_id
    ctx.describe(business_key=f"KH-{run.period}", title=f"用电检查小组绩效考核 {run.period}")
    ctx.audit("assessment.computed", after={"period": run.period, "teams": len(teams),
                                            "scores": {s.team_code: s.computed_score for s in run.scores}})
    company = ctx.session.scalar(select(Branch.code).where(Branch.parent_id.is_(None)).order_by(Branch.id))
    return {"run_id": run.id, "period": run.period, "company": company, "teams": len(teams), "form": _form(run)}


def _form(run: AssessmentRun) -> dict:
    rows = []
    for s in run.scores:
        note = "（无成员）" if not s.members else f"（{s.members}人）"
        rows.append({"team": s.team_code, "team_name": f"{s.team_name}{note}",
                     "computed": "—" if s.computed_score is None else f"{s.computed_score:.1f}",
                     "score": None if s.computed_score is None else int(round(s.computed_score)), "comment": ""})
    return {"teams": rows, "comment": ""}


def _rank(scores, key) -> None:
    ordered = sorted((s for s in scores if key(s) is not None), key=key, reverse=True)
    for s in scores:
        s.rank = None
    for position, s in enumerate(ordered, start=1):
        s.rank = position


def publish(ctx: Context, run_id, review: dict) -> dict:
    """Store the leader's scores and comments, rank the teams, render and archive the assessment, tell
    the team heads."""
    run = _own_run(ctx, run_id, "published", "reviewing")
    by_code = {s.team_code: s for s in run.scores}
    rows = (review or {}).get("teams") or []
    unknown = sorted({r.get("team") for r in rows} - set(by_code), key=str)
    if unknown:
        raise AssessmentError(f"the review names teams that are not in this assessment: {unknown}")
    for row in rows:
        score = by_code[row["team"]]
        value = row.get("score")
        if value is not None and not 0 <= float(value) <= 100:
            raise AssessmentError(f"{score.team_code}: a score is between 0 and 100, not {value}")
        score.leader_score = None if value is None else float(value)
        score.comment = (row.get("comment") or "").strip() or None
    _rank(run.scores, lambda s: s.leader_score if s.leader_score is not None else s.computed_score)
    run.comment = ((review or {}).get("comment") or "").strip() or None
    run.status, run.published_at, run.published_by = "published", ctx.now(), ctx.actor
    document = assessment_doc.render(ctx, run)
    run.document_id = document["document_id"]
    heads = [s.team.head for s in run.scores if s.team is not None and s.team.head is not None]
    notifications.notify(ctx.session, heads, kind="assessment", title=f"绩效考核结果已发布：{run.period}",
                         body="请查看本组得分与主管领导评语。", link=f"/assessments/{run.id}", now=ctx.now())
    ctx.audit("assessment.published", after={"period": run.period, "document": document["number"],
                                             "scores": {s.team_code: s.leader_score for s in run.scores}})
    return {"run_id": run.id, "status": run.status, **document}


"""Team performance assessment: the runs, one run's scorecards, starting one by hand, the scores of each
team over time, and the scheduler's job that starts team_assessment after each period (`start_due`).

A run is of the whole organisation (every active team), one per period: starting the same period twice
(two schedulers, a double click, the scheduler after a leader) finds the first one instead. What an
actor sees of it are the scorecards of the teams in reach (services.access.team_scores): a county
leader sees the runs holding a team of the county, and only those teams' rows. The leader's scores are
given in the run's review task (offered to the leaders of the company), not here.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine import Definition, EngineError, HumanTask
from records import Document, Team, assessments
from records.assessments import AssessmentRun, TeamScore

from . import access
from .errors import Conflict, Forbidden
from .i18n import _, _l
from .indicator_tables import Cell, Table
from .periods import PeriodError, last_period, month_or_quarter

log = logging.getLogger(__name__)
STARTERS = ("leader", "admin")
COMPONENT_LABELS = {"inspections_on_time": _l("Inspections on time"), "monitoring": _l("Monitoring"),
                    "hazards_found": _l("Hazards found"), "dossier": _l("Dossier complete"),
                    "notice": _l("Notice in time"), "supervision": _l("Supervision in time"),
                    "acceptance": _l("Acceptance in time")}


def overview(rt, session, actor) -> dict:
    """The runs in reach, newest first, and each team's final score over the published ones."""
    runs = session.scalars(select(AssessmentRun).where(access.assessment_runs(session, actor))
                           .order_by(AssessmentRun.first_day.desc()).limit(60)).all()
    table = history_table(session, actor)
    chart = {"labels": table.headers[1:], "series": {row[0].text: [c.value for c in row[1:]] for row in table.rows}}
    return {"runs": runs, "history": table, "history_chart": chart,
            "default_period": last_period(rt.config["ASSESSMENT_PERIOD"], rt.today())}


def run(rt, session, actor, run_id: int) -> dict:
    """One run: the weights, the components and the computed and leader's scores of the teams in reach;
    its review task and document when the actor may see them."""
    found = access.assessment_run_or_404(session, actor, run_id)
    task = None
    if found.instance_id:
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == found.instance_id,
                                                       HumanTask.status == "ready")).first()
        if task is not None and not access.task_visible(session, actor, task):
            task = None
    document = session.get(Document, found.document_id) if found.document_id else None
    if document is not None and not access.reaches_document(session, actor, document):
        document = None
    return {"run": found, "table": run_table(_scores(session, actor, found.id)), "task": task,
            "document": document, "labels": COMPONENT_LABELS}


def export(rt, session, actor, run_id: int) -> tuple[str, Table]:
    """(period, the run's scorecards in reach) for the workbook."""
    found = access.assessment_run_or_404(session, actor, run_id)
    return found.period, run_table(_scores(session, actor, found.id))


def start(rt, session, actor, period: str) -> tuple[AssessmentRun, bool]:
    """Start the assessment of a finished month or quarter (True) or find the one that exists (False): one
    transaction. Leaders and administrators (and the system); PeriodError for another period, Conflict
    when the process cannot be started (e.g. its diagram is not deployed)."""
    if not (getattr(actor, "is_system", False) or actor.has_role(*STARTERS)):
        raise Forbidden()
    try:
        found, created = _start(rt, session, period, actor.username)
    except EngineError as err:
        session.rollback()
        raise Conflict(_("The assessment could not be started: %(reason)s", reason=str(err))) from err
    except Exception:
        session.rollback()
        raise
    session.commit()
    return found, created


def _start(rt, session, period: str, actor: str) -> tuple[AssessmentRun, bool]:
    first, last, kind, label = month_or_quarter(period, _("An assessment covers a month (2026-03) or a quarter "
                                                          "(2026-Q1)."))
    if last >= rt.today():
        raise PeriodError(_("The period %(period)s has not ended yet.", period=period))
    found = assessments.by_period(session, label)
    if found is not None:
        return found, False
    new = AssessmentRun(period=label, kind=kind, first_day=first, last_day=last, status="computing", weights={},
                        started_by=actor, started_at=rt.now())
    try:
        with session.begin_nested():
            session.add(new)
    except IntegrityError:                 # another scheduler (or leader) started it meanwhile
        session.rollback()
        return assessments.by_period(session, label), False
    rt.engine.start_instance(session, "team_assessment", actor=actor, business_key=f"KH-{label}",
                             data={"run_id": new.id, "period": label}, title=f"用电检查小组绩效考核 {label}")
    return new, True


def start_due(rt) -> str | None:
    """The scheduler's job: after each month (or quarter), start the assessment of the one that ended
    (the period started, or None). Nothing when it exists, when the diagram is not deployed or when there
    is no active team; with several schedulers the period's unique run makes it happen once."""
    with rt.sessions() as session:
        if session.scalar(select(Definition.id).where(Definition.definition_id == "team_assessment").limit(1)) is None:
            return None
        if session.scalar(select(Team.id).where(Team.active.is_(True)).limit(1)) is None:
            return None
        period = last_period(rt.config["ASSESSMENT_PERIOD"], rt.today())
        if assessments.by_period(session, period) is not None:
            return None
        try:
            _run, created = _start(rt, session, period, "scheduler")
        except EngineError as err:
            session.rollback()
            log.error("the assessment of %s could not be started: %s", period, err)
            return None
        session.commit()
        return period if created else None


def runs_for_api(rt, session, actor) -> list[dict]:
    """The runs in reach, newest first, each with the scorecards of the teams in reach."""
    runs = session.scalars(select(AssessmentRun).where(access.assessment_runs(session, actor))
                           .order_by(AssessmentRun.first_day.desc()).limit(60)).all()
    scores: dict = {}
    for s in _scores(session, actor, [r.id for r in runs]):
        scores.setdefault(s.run_id, []).append(s)
    fields = ("id", "period", "status", "first_day", "last_day", "weights", "published_at")
    return [{**{f: getattr(r, f) for f in fields}, "scores": scores.get(r.id, [])} for r in runs]


def _scores(session, actor, run_ids) -> list[TeamScore]:
    ids = [run_ids] if isinstance(run_ids, int) else list(run_ids)
    return list(session.scalars(select(TeamScore).where(TeamScore.run_id.in_(ids), access.team_scores(session, actor))
                                .order_by(TeamScore.run_id, TeamScore.team_code)))


def _score(value) -> Cell:
    return Cell("—" if value is None else f"{value:.1f}", None, value)


def run_table(scores: list[TeamScore]) -> Table:
    names = list(COMPONENT_LABELS)
    table = Table("scores", str(_l("Scorecards")), [str(_l("Rank")), str(_l("Team")), str(_l("Members"))]
                  + [str(COMPONENT_LABELS[n]) for n in names]
                  + [str(_l("Computed score")), str(_l("Leader's score")), str(_l("Comment"))])
    for s in sorted(scores, key=lambda s: (s.rank is None, s.rank or 0, s.team_code)):
        cells = [Cell(str(s.rank) if s.rank else "—", None, s.rank), Cell(s.team_name), Cell(str(s.members), None,
                                                                                          s.members)]
        for name in names:
            c = s.components.get(name) or {}
            rate = c.get("rate")
            text = "—" if rate is None else f"{rate * 100:.1f}%"
            cells.append(Cell(f"{text} ({c.get('num', 0)}/{c.get('den', 0)})", None, rate, percent=rate is not None))
        cells += [_score(s.computed_score), _score(s.leader_score), Cell(s.comment or "")]
        table.rows.append(cells)
    return table


def history_table(session, actor, limit: int = 24) -> Table:
    """Each team in reach (a row) over the newest published runs (columns, oldest first)."""
    runs = list(reversed(session.scalars(
        select(AssessmentRun).where(AssessmentRun.status == "published", access.assessment_runs(session, actor))
        .order_by(AssessmentRun.first_day.desc()).limit(limit)).all()))
    position = {r.id: i for i, r in enumerate(runs)}
    table = Table("history", str(_l("Scores over time")), [str(_l("Team"))] + [r.period for r in runs])
    teams: dict = {}
    for s in sorted(_scores(session, actor, list(position)), key=lambda s: position[s.run_id]):
        row = teams.setdefault(s.team_id, [s.team_name] + [None] * len(runs))
        row[position[s.run_id] + 1] = s.leader_score if s.leader_score is not None else s.computed_score
    for values in sorted(teams.values(), key=lambda v: v[0]):
        table.rows.append([Cell(values[0])] + [_score(v) for v in values[1:]])
    return table

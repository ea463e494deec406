"""team_assessment.bpmn from start to publication: scorecards computed on the March world of
tests/kpi_support.py, the leader's review form prefilled one row per team, the scores stored, the
document archived; started once per period by the scheduler or by hand; bad weights refused."""
from __future__ import annotations

import io
from datetime import date, datetime, timezone

import pytest
from docx import Document as Docx
from sqlalchemy import func, select

from engine import FixedClock, HumanTask, ProcessInstance
from handlers.assessment import AssessmentError, DEFAULT_WEIGHTS, compute, weights_problem
from handlers.context import Context
from kpi_support import make_app
from records import Document, Notification, Team, User
from records.assessments import AssessmentRun, TeamScore
from web_support import csrf_of, login
from services import assessment, config
from webui import db, engine_of


@pytest.fixture
def app(sqlite_url, tmp_path):
    return make_app(sqlite_url, tmp_path / "data")


def _start(app, period="2026-03", actor="lead"):
    with app.app_context():
        session = db.session()
        user = session.scalars(select(User).where(User.username == actor)).one()
        assert runtime(app).today() == date(2026, 4, 10)
        run, created = assessment.start(runtime(app), session, user, period)
        return run.id, created


def runtime(app, now=None):
    rt = app.extensions["gridsafe.runtime"]
    return rt.with_clock(FixedClock(now)) if now else rt


def _task(app, run_id) -> HumanTask:
    with app.app_context():
        session = db.session()
        run = session.get(AssessmentRun, run_id)
        return session.scalars(select(HumanTask).where(HumanTask.instance_id == run.instance_id,
                                                       HumanTask.status == "ready")).one()


def test_the_scorecards_are_computed_from_the_period_and_the_weights(app):
    run_id, created = _start(app)
    assert created
    with app.app_context():
        run = db.session().get(AssessmentRun, run_id)
        assert run.status == "reviewing" and run.weights == DEFAULT_WEIGHTS
        cards = {s.team_code: s for s in run.scores}
        t1, t2, t3 = cards["T1"], cards["T2"], cards["T3"]
        # T1: inspections 1/2, monitoring 1/4 (H2's second 督导单 not delivered), found 3 per 2 inspections
        # (the best: 1.0), dossier 1/3, notice 1/3, supervision 0/1, acceptance 1/2
        # → (12.5 + 5 + 10 + 5 + 3.33 + 0 + 5) = 40.8
        assert {k: (v["num"], v["den"]) for k, v in t1.components.items()} == {
            "inspections_on_time": (1, 2), "monitoring": (1, 4), "hazards_found": (3, 2), "dossier": (1, 3),
            "notice": (1, 3), "supervision": (0, 1), "acceptance": (1, 2)}
        assert t1.components["hazards_found"]["rate"] == 1.0 and t1.computed_score == 40.8
        # T2: inspections 0/1, monitoring 0/2, dossier 2/2, notice 2/2; the rest has nothing to rate:
        # (0·25 + 0·20 + 1·15 + 1·10) / 70 = 35.7
        assert t2.components["supervision"]["rate"] is None and t2.computed_score == 35.7
        # T3 has no members and nothing to rate: no score rather than 0
        assert t3.members == 0 and t3.computed_score is None and t3.rank is None
        assert (t1.rank, t2.rank) == (1, 2)


def test_a_run_goes_from_start_to_publication_with_the_leaders_scores(app):
    run_id, _ = _start(app)
    task = _task(app, run_id)
    assert (task.lane, task.candidate_team, task.element_id) == ("leader", "JA", "review_scores")
    assert [r["team"] for r in task.prefill["teams"]] == ["T1", "T2", "T3"]
    assert task.prefill["teams"][2]["computed"] == "—" and "无成员" in task.prefill["teams"][2]["team_name"]
    leader = app.test_client()
    login(leader, "lead")
    page = leader.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'name="teams.0.team" value="T1"' in page and 'name="teams.0.score" value="41"' in page
    assert 'data-add-row' not in page                # one row per team, no adding or removing
    form = {"csrf_token": csrf_of(leader, f"/tasks/{task.id}"), "action": "complete", "comment": "总体良好，督导需加强。"}
    for i, (code, score, comment) in enumerate([("T1", "88", "检查按期，督导不及时"), ("T2", "72", "巡检逾期"),
                                                ("T3", "", "")]):
        form.update({f"teams.{i}.team": code, f"teams.{i}.team_name": code, f"teams.{i}.computed": "x",
                     f"teams.{i}.score": score, f"teams.{i}.comment": comment})
    response = leader.post(f"/tasks/{task.id}", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        session = db.session()
        run = session.get(AssessmentRun, run_id)
        assert run.status == "published" and run.published_by == "lead" and run.comment == "总体良好，督导需加强。"
        scores = {s.team_code: (s.leader_score, s.comment, s.rank) for s in run.scores}
        assert scores == {"T1": (88.0, "检查按期，督导不及时", 1), "T2": (72.0, "巡检逾期", 2), "T3": (None, None, None)}
        assert session.get(ProcessInstance, run.instance_id).status == "completed"
        doc = session.get(Document, run.document_id)
        assert doc.kind == "team_assessment" and doc.number == "KH-2026-03"
        text = "\n".join(c.text for t in Docx(io.BytesIO(app.extensions["gridsafe.files"].get(doc.sha256))).tables
                         for r in t.rows for c in r.cells)
        assert "88.0" in text and "检查按期，督导不及时" in text and "40.8" in text
    shown = leader.get(f"/assessments/{run_id}").get_data(as_text=True)
    assert "88.0" in shown and "KH-2026-03" in shown
    history = leader.get("/assessments").get_data(as_text=True)
    assert "2026-03" in history and "88.0" in history


def test_a_tampered_review_naming_another_team_is_refused(app):
    run_id, _ = _start(app)
    with app.app_context():
        session = db.session()
        task = _task(app, run_id)
        instance = engine_of(app).complete_task(session, task.id, {"teams": [{"team": "NOPE", "score": 90}]}, "lead")
        assert instance.status == "error" and "NOPE" in instance.error_message
        assert session.get(AssessmentRun, run_id).status == "reviewing"


def test_a_period_is_assessed_once_by_hand_or_by_the_scheduler(app):
    first, created = _start(app)
    again, created_again = _start(app, "2026-03", "admin")
    assert created and not created_again and again == first
    with app.app_context():
        assert assessment.start_due(runtime(app)) is None                 # March exists
        later = runtime(app, "2026-05-02T01:00:00+00:00")
        assert assessment.start_due(later) == "2026-04"
        assert assessment.start_due(later) is None                        # a second tick: nothing
        session = db.session()
        assert session.scalar(select(func.count()).select_from(AssessmentRun)) == 2
        assert session.scalar(select(func.count()).select_from(ProcessInstance)
                              .where(ProcessInstance.process_id == "team_assessment")) == 2


def test_starting_a_period_that_has_not_ended_is_refused_with_a_message(app):
    client = app.test_client()
    login(client, "lead")
    for period, words in (("2026-04", "has not ended"), ("2026", "a month"), ("March", "Give the period")):
        response = client.post("/assessments", data={"csrf_token": csrf_of(client, "/assessments"), "period": period},
                               follow_redirects=True)
        assert words in response.get_data(as_text=True)
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(AssessmentRun)) == 0


def test_weights_that_do_not_add_up_are_refused_with_a_clear_message(app):
    bad = {**DEFAULT_WEIGHTS, "acceptance": 5}
    assert "add up to 100; they add up to 95" in weights_problem(bad)
    assert "unknown components: speed" in weights_problem({**DEFAULT_WEIGHTS, "speed": 0})
    with pytest.raises(ValueError, match="ASSESSMENT_WEIGHTS must add up to 100"):
        config.load({"ASSESSMENT_WEIGHTS": bad}, environ={})
    with pytest.raises(ValueError, match="JSON object"):
        config.load({}, environ={"GRIDSAFE_ASSESSMENT_WEIGHTS": "[1, 2]"})
    with app.app_context():
        session = db.session()
        run = AssessmentRun(period="2026-02", kind="month", first_day=date(2026, 2, 1), last_day=date(2026, 2, 28),
                            weights={}, started_by="t", started_at=datetime(2026, 4, 1, tzinfo=timezone.utc))
        session.add(run)
        session.flush()
        ctx = Context(session=session, clock=FixedClock("2026-04-10T02:00:00+00:00"), actor="t", instance_id=0,
                      business_key=None, element_id=None, audit=lambda *a, **k: None,
                      settings={"ASSESSMENT_WEIGHTS": bad})
        with pytest.raises(AssessmentError, match="add up to 100"):
            compute(ctx, run.id)
        session.rollback()


def test_without_any_active_team_the_scheduler_starts_nothing(app):
    with app.app_context():
        session = db.session()
        for team in session.scalars(select(Team)):
            team.active = False
        session.commit()
        assert assessment.start_due(runtime(app, "2026-05-02T01:00:00+00:00")) is None


def test_the_team_heads_are_told_when_it_is_published(app):
    with app.app_context():
        session = db.session()
        head = session.scalars(select(User).where(User.username == "m1")).one()
        session.scalars(select(Team).where(Team.code == "T1")).one().head_id = head.id
        session.commit()
    run_id, _ = _start(app)
    task = _task(app, run_id)
    with app.app_context():
        session = db.session()
        engine_of(app).complete_task(session, task.id, {"teams": [{"team": "T1", "score": 90}]}, "lead")
        assert session.scalar(select(TeamScore.leader_score).where(TeamScore.team_id == app.ids["T1"])) == 90.0
        note = session.scalars(select(Notification).where(Notification.kind == "assessment")).one()
        assert note.user_id == head.id and note.link == f"/assessments/{run_id}"

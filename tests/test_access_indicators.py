"""Who sees which numbers, reports and assessments, on the March world of tests/kpi_support.py: the
company JA with the counties JA-JZ (teams T1, T3) and JA-QY (team T2); `lead` leads the company,
`cnty` the county JA-QY, `xlead` a county without teams. An object or filter of another county is
answered like one that does not exist, and a refused write changes no row and no audit event."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from engine import AuditEvent, HumanTask, ProcessInstance
from kpi_support import NOW, make_app
from records import Branch, Document, ReportLog, User
from records.assessments import AssessmentRun, TeamScore
from services import NotFound, access, assessment, errors
from web_support import _password_hash, api_token, csrf_of, signed_in
from webui import db, engine_of


@pytest.fixture
def app(sqlite_url, tmp_path):
    app = make_app(sqlite_url, tmp_path / "data")
    with app.app_context():
        session = db.session()
        county = Branch(code="JA-XJ", name="新干县供电公司", kind="county", parent_id=app.ids["JA"])
        session.add(county)
        session.flush()
        user = User(username="xlead", display_name="XLEAD", password_hash=_password_hash(), created_at=NOW,
                    branch_id=county.id, active=True, locale="en")
        user.set_roles(["leader"])
        session.add(user)
        session.commit()
    return app


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(model).where(*where))


def _user(session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


# --- the dashboard, its exports, the trend, the lists behind the numbers, the API ----------------------

OWN = ("branch=JA-QY", "team=T2")
OTHER = ("branch=JA-JZ", "team=T1")
PAGES = ("/dashboard", "/dashboard/trend", "/dashboard/export", "/dashboard/inspections", "/api/v1/kpi",
         "/api/v1/kpi/breakdown")


@pytest.mark.parametrize("path", PAGES)
def test_a_filter_of_another_county_is_answered_404_and_ones_own_is_answered(app, path):
    def client_of(username):
        if path.startswith("/api/"):
            client, headers = app.test_client(), {"Authorization": f"Bearer {api_token(app, username)}"}
            return lambda url: client.get(url, headers=headers)
        return signed_in(app, username).get
    county, company = client_of("cnty"), client_of("lead")
    for own in OWN:
        assert county(f"{path}?period=2026-03&{own}").status_code == 200, own
    for other in OTHER:
        assert county(f"{path}?period=2026-03&{other}").status_code == 404, other
        assert company(f"{path}?period=2026-03&{other}").status_code == 200, other   # the company reaches both


def test_a_county_leader_counts_only_the_county(app):
    client = app.test_client()
    county = {"Authorization": f"Bearer {api_token(app, 'cnty')}"}
    body = client.get("/api/v1/kpi?period=2026-03", headers=county).get_json()
    filing = next(i for i in body["indicators"] if i["key"] == "filing")
    assert (filing["num"], filing["den"]) == (2, 2)              # H3 and H9, of JA-QY
    teams = client.get("/api/v1/kpi/breakdown?period=2026-03&by=team", headers=county).get_json()
    assert [g["label"] for g in teams["groups"]] == ["青原一组"]
    branches = client.get("/api/v1/kpi/breakdown?period=2026-03&by=branch", headers=county).get_json()
    assert [g["label"] for g in branches["groups"]] == ["青原区供电公司"]
    nowhere = {"Authorization": f"Bearer {api_token(app, 'xlead')}"}
    empty = client.get("/api/v1/kpi?period=2026-03", headers=nowhere).get_json()
    assert all(i["den"] == 0 for i in empty["indicators"])
    leader = signed_in(app, "cnty")
    page = leader.get("/dashboard?period=2026-03").get_data(as_text=True)
    assert 'value="JA-JZ"' not in page and 'value="T1"' not in page and 'value="JA-QY"' in page
    behind = leader.get("/hazards?kpi=discovered&period=2026-03").get_data(as_text=True)
    assert not _listed(behind, "H4") and _listed(behind, "H3")
    assert not _listed(leader.get("/hazards?kpi=discovered&period=2026-03&branch=JA-JZ").get_data(as_text=True), "H4")


def _listed(page: str, file_number: str) -> bool:
    """The hazard list links the file (the page's random tokens may hold the same two characters)."""
    return f"/hazards/{file_number}\">{file_number}</a>" in page


# --- government reports ---------------------------------------------------------------------------

def _generate(client, **form):
    return client.post("/summaries", data={"csrf_token": csrf_of(client, "/summaries"), "kind": "periodic",
                                           "period": "2026-03", **form})


def test_a_county_leader_lists_and_downloads_only_the_countys_reports(app):
    lead, admin = signed_in(app, "lead"), signed_in(app, "admin")
    for code in ("JA-JZ", "JA-QY"):
        assert _generate(lead, branch=code).status_code == 302
    assert _generate(admin).status_code == 302                       # of the whole organisation
    listed = signed_in(app, "cnty").get("/summaries").get_data(as_text=True)
    assert "YHTJ-JA-QY-2026-03" in listed and "YHTJ-JA-JZ-2026-03" not in listed and "YHTJ-2026-03" not in listed
    with app.app_context():
        session = db.session()
        docs = {d.number: d for d in session.scalars(select(Document).where(Document.kind == "periodic_summary"))}
        assert {n: d.subject for n, d in docs.items()} == {"YHTJ-JA-JZ-2026-03": "2026-03/JA-JZ",
                                                           "YHTJ-JA-QY-2026-03": "2026-03/JA-QY",
                                                           "YHTJ-2026-03": "2026-03"}
        county, company = _user(session, "cnty"), _user(session, "lead")
        assert access.document_or_404(session, county, docs["YHTJ-JA-QY-2026-03"].id)
        for number in ("YHTJ-JA-JZ-2026-03", "YHTJ-2026-03"):
            with pytest.raises(NotFound):
                access.document_or_404(session, county, docs[number].id)
        for doc in docs.values():
            assert access.document_or_404(session, company, doc.id)
    everything = lead.get("/summaries").get_data(as_text=True)
    assert all(number in everything for number in docs)


def test_generating_a_report_for_another_county_is_404_and_writes_nothing(app):
    county = signed_in(app, "cnty")
    before = (_count(app, Document), _count(app, ReportLog), _count(app, AuditEvent))
    assert _generate(county, branch="JA-JZ").status_code == 404
    assert _generate(county, kind="annual", year="2026", branch="JA").status_code == 404
    assert (_count(app, Document), _count(app, ReportLog), _count(app, AuditEvent)) == before
    assert _generate(county).status_code == 302                      # by default: the county's own
    assert _generate(county, branch="JA-QY").status_code == 302
    with app.app_context():
        numbers = db.session().scalars(select(Document.number).order_by(Document.id)).all()
    assert numbers[-2:] == ["YHTJ-JA-QY-2026-03", "YHTJ-JA-QY-2026-03"]


def test_the_report_subjects_of_earlier_versions_are_rewritten_by_the_migration():
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parent.parent / "migrations" / "versions" / "0010_l12_kpi_report_subjects.py"
    spec = importlib.util.spec_from_file_location("report_subjects", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert [migration._new_subject(n) for n in ("YHTJ-JA-2026-03", "YHTJ-2026-Q1", "YHNB-JA-JZ-2026", "YHNB-2026",
                                                "YHTJ-JA-JZ-2026-Q4", "other")] == [
        "2026-03/JA", "2026-Q1", "2026/JA-JZ", "2026", "2026-Q4/JA-JZ", None]


# --- team assessment --------------------------------------------------------------------------------

def _start(app, period="2026-03") -> int:
    with app.app_context():
        session = db.session()
        run, _created = assessment.start(app.extensions["gridsafe.runtime"], session, _user(session, "lead"), period)
        return run.id


def _publish(app, run_id, scores: dict) -> None:
    with app.app_context():
        session = db.session()
        run = session.get(AssessmentRun, run_id)
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == run.instance_id,
                                                       HumanTask.status == "ready")).one()
        rows = [{"team": code, "score": score} for code, score in scores.items()]
        assert engine_of(app).complete_task(session, task.id, {"teams": rows}, "lead").status == "completed"


def test_a_county_leader_sees_only_the_scorecards_of_the_countys_teams(app):
    run_id = _start(app)
    _publish(app, run_id, {"T1": 88, "T2": 72})
    county, company, nowhere = signed_in(app, "cnty"), signed_in(app, "lead"), signed_in(app, "xlead")
    page = county.get(f"/assessments/{run_id}").get_data(as_text=True)
    assert "青原一组" in page and "吉州一组" not in page and "72.0" in page and "88.0" not in page
    assert 'id="document"' not in page                     # the document holds every team's scores
    both = company.get(f"/assessments/{run_id}").get_data(as_text=True)
    assert "青原一组" in both and "吉州一组" in both and 'id="document"' in both
    sheet = load_workbook(io.BytesIO(county.get(f"/assessments/{run_id}/export").data)).worksheets[0]
    assert [row[1] for row in sheet.iter_rows(min_row=3, values_only=True)] == ["青原一组"]
    history = county.get("/assessments").get_data(as_text=True)
    assert f"/assessments/{run_id}" in history and "吉州一组" not in history and "青原一组" in history
    runs = app.test_client().get("/api/v1/assessments",
                                 headers={"Authorization": f"Bearer {api_token(app, 'cnty')}"}).get_json()
    assert [[s["team"] for s in r["scores"]] for r in runs] == [["T2"]]
    # a county without a team in the run: the run does not exist for them
    assert nowhere.get(f"/assessments/{run_id}").status_code == 404
    assert nowhere.get(f"/assessments/{run_id}/export").status_code == 404
    assert f"/assessments/{run_id}" not in nowhere.get("/assessments").get_data(as_text=True)
    assert app.test_client().get("/api/v1/assessments", headers={
        "Authorization": f"Bearer {api_token(app, 'xlead')}"}).get_json() == []


def test_starting_by_hand_stays_with_leaders_and_administrators(app):
    spec = signed_in(app, "spec")
    audit_before = _count(app, AuditEvent)
    assert spec.post("/assessments", data={"csrf_token": csrf_of(spec, "/assessments"),
                                           "period": "2026-03"}).status_code == 403
    with app.app_context():
        session = db.session()
        with pytest.raises(errors.Forbidden):
            assessment.start(app.extensions["gridsafe.runtime"], session, _user(session, "spec"), "2026-03")
    assert _count(app, AssessmentRun) == 0 and _count(app, ProcessInstance) == 0
    assert _count(app, AuditEvent) == audit_before


def _scores(app, run_id) -> dict:
    with app.app_context():
        return {s.team_code: (s.computed_score, s.leader_score, s.rank)
                for s in db.session().scalars(select(TeamScore).where(TeamScore.run_id == run_id))}


@pytest.mark.parametrize("published", [True, False])
def test_a_second_instance_naming_a_run_in_review_or_published_fails_and_the_scores_stay(app, published):
    run_id = _start(app)
    if published:
        _publish(app, run_id, {"T1": 88, "T2": 72})
    before = _scores(app, run_id)
    with app.app_context():
        session = db.session()
        first = session.get(AssessmentRun, run_id).instance_id
        rogue = engine_of(app).start_instance(session, "team_assessment", actor="lead",
                                              data={"run_id": run_id, "period": "2026-03"})
        assert rogue.status == "error"
        assert ("published" if published else "reviewing") in rogue.error_message
        assert "only a run that is computing can be computed" in rogue.error_message
        run = db.session().get(AssessmentRun, run_id)
        assert run.instance_id == first and run.status == ("published" if published else "reviewing")
    assert _scores(app, run_id) == before
    if published:
        assert before["T1"][1:] == (88.0, 1)

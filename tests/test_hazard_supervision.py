"""The 督导单 is the supervisor's: issued from the supervisor's inbox, signed by name, with any further
requirements; the inspection team delivers it, and what it collects there (the customer's reason, the
review photos) stays on the hazard's timeline, the dossier and the signed order."""
from __future__ import annotations

import pytest
from sqlalchemy import select

import forms
from hazard_support import FORMS_DIR, HazardWorld
from records import hazards
from test_hazard_documents import _docx


@pytest.fixture
def world(sessions, clock, tmp_path):
    return HazardWorld(sessions, clock, tmp_path)


def overdue(world, code="EN03") -> int:
    iid = world.open(item_code=code)
    world.sign(iid)
    world.pass_deadline(iid)
    return iid


def test_the_supervisor_issues_the_order_and_the_team_delivers_it_with_reason_and_photos(world):
    iid = overdue(world)
    task = world.task(iid, "issue_order")
    assert task.lane == "supervisor" and task.candidate_team == "JA-JZ" and "督导负责人" in task.instructions
    assert world.ready(iid) == ["follow_up", "issue_order"]          # no order to deliver before it is issued
    world.issue(iid, requirements="三日内租用应急发电机并报送整改计划", days=10)
    order, text, _ = _docx(world, "supervision_order")
    assert "三日内租用应急发电机并报送整改计划" in text and "赵督导" in text and "10日内" in text
    photo = world.photo(31)
    world.complete(iid, "deliver_order", {"progress": "杂物已清理一半", "customer_reason": "仓库改造未完成",
                                          "photos": [photo], "signer_name": "王电工", "signature": world.signature()})
    hazard = world.hazard(iid)
    assert hazard.status == "supervising"
    assert (hazard.deadline - world.clock.now()).days in (9, 10)      # the days the supervisor set
    with world.sessions() as s:
        events = {e.kind: e for e in hazards.timeline(s, hazard.id)}
    assert events["order_issued"].actor == "sup1" and events["order_issued"].detail["issuer_name"] == "督导负责人 赵督导"
    supervised = events["supervised"].detail
    assert supervised["customer_reason"] == "仓库改造未完成" and supervised["review_photos"] == [photo]
    signed, text, images = _docx(world, "supervision_order")
    assert signed.version == order.version + 1
    assert "仓库改造未完成" in text and "杂物已清理一半" in text and "赵督导" in text
    assert photo in images                                            # the review photo is on the signed order


def test_an_order_needs_the_issuers_name(world):
    schema = forms.load("issue_order.schema.json", FORMS_DIR)
    assert forms.validate(schema, {"requirements": "加强值守"}, today=world.clock.now().date())
    assert forms.validate(schema, {"issuer_name": "赵督导", "days": 45}, today=world.clock.now().date())
    assert not forms.validate(schema, {"issuer_name": "赵督导"}, today=world.clock.now().date())


def test_the_dossier_shows_the_customers_reason_and_the_review_photos(hazard_app, clock, sqlite_url):
    from engine import HumanTask
    from engine.database import make_engine, make_session_factory
    from web_support import signed_in
    from webui import db, engine_of
    from test_web_hazards import _opened
    inspector = signed_in(hazard_app, "insp1")
    number = _opened(hazard_app, inspector)
    sessions = make_session_factory(make_engine(sqlite_url))
    eng = engine_of(hazard_app)
    world = HazardWorld.__new__(HazardWorld)                           # only its input helpers, on the app's parts
    world.sessions, world.clock, world.files, world.engine = sessions, clock, hazard_app.extensions["gridsafe.files"], eng
    with hazard_app.app_context():
        iid = db.session().scalars(select(HumanTask.instance_id).where(HumanTask.element_id == "deliver_notice")).one()
    assert "告知书送达期限" in inspector.get(f"/hazards/{number}").get_data(as_text=True)
    world.sign(iid)
    world.pass_deadline(iid)
    supervisor = signed_in(hazard_app, "sup")
    assert "签发隐患督导单" in supervisor.get("/").get_data(as_text=True)
    assert "签发隐患督导单" not in inspector.get("/").get_data(as_text=True)
    world.complete(iid, "issue_order", {"issuer_name": "督导负责人 赵督导", "requirements": "限期租用发电机"}, actor="sup")
    photo = world.photo(41)
    world.complete(iid, "deliver_order", {"progress": "未整改", "customer_reason": "设备到货延迟", "photos": [photo],
                                          "signer_name": "王电工", "signature": world.signature()})
    page = inspector.get(f"/hazards/{number}").get_data(as_text=True)
    assert "客户说明的原因：设备到货延迟" in page.replace(": ", "：") and photo in page
    assert "督导负责人 赵督导" in page and "限期租用发电机" in page
    assert "督导单期限" in page and "整改期限" in page and "告知书送达期限" not in page


def refuse_to_rectify(world, iid, statement="公司决定不投入资金改造"):
    return world.complete(iid, "follow_up", {"action": "refuse", "refusal_statement": statement,
                                             "refusal_witness": "社区主任 李明", "refusal_photos": [world.photo(51)]})


def test_a_refusal_to_rectify_raises_the_severity_and_is_reported_to_the_government(world):
    from records import ReportLog
    iid = world.open()                                        # EP02 at the 一级 hospital: 较大, B
    world.sign(iid)
    assert world.grade() == ("B", 4.8)
    refuse_to_rectify(world, iid)
    hazard = world.hazard(iid)
    assert hazard.refused_to_rectify and hazard.status == "rectifying"
    assert "report_prepared" in world.events(iid) and not hazard.reported_to_government   # counts once submitted
    assert world.ready(iid) == ["follow_up"]                  # the chase goes on
    assert world.grade() == ("A", 12.0)                       # one level up: 重大 at 一级
    with world.sessions() as s:
        events = [e for e in hazards.timeline(s, hazard.id) if e.kind == "rectification_refused"]
        reasons = sorted(r.reason for r in s.scalars(select(ReportLog).where(ReportLog.hazard_id == hazard.id)))
    assert events[0].detail["statement"] == "公司决定不投入资金改造" and len(events[0].detail["evidence"]) == 1
    assert reasons == ["refused_rectify"] * len(world.settings["AUTHORITIES"])       # one row per recipient
    _row, text, _ = _docx(world, "government_report")
    assert "客户拒不整改" in text
    refuse_to_rectify(world, iid, "仍不同意整改")              # again: recorded, not reported twice
    with world.sessions() as s:
        assert len({r.document_id for r in s.scalars(select(ReportLog).where(ReportLog.hazard_id == hazard.id))}) == 1
    assert world.events(iid).count("rectification_refused") == 2
    world.rectified(iid)                                      # the customer gives in: the refusal is over
    assert not world.hazard(iid).refused_to_rectify


def test_a_refusal_to_rectify_needs_evidence(world):
    schema = forms.load("follow_up.schema.json", FORMS_DIR)
    today = world.clock.now().date()
    assert forms.validate(schema, {"action": "refuse", "refusal_statement": "不整改"}, today=today)
    assert forms.validate(schema, {"action": "refuse", "refusal_statement": "不整改", "refusal_photos": []}, today=today)
    assert not forms.validate(schema, {"action": "refuse", "refusal_statement": "不整改",
                                       "refusal_photos": [world.photo(1)]}, today=today)

"""Hazard pages and API: open by hand, the dossier, the list, the dictionary, customers, reports."""
from __future__ import annotations

import base64
import io
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import HumanTask, ProcessInstance
from records import Customer, Document, Hazard, HazardItem, ReportLog
from web_support import api_hazard_body, api_token, count_rows, csrf_of, jpeg, png, signed_in
from webui import db


def _open_form(client, **overrides):
    data = {"csrf_token": csrf_of(client, "/hazards/new"), "customer": "3600100001", "item_code": "EP02",
            "location": "地下一层配电室", "equipment": "1号柴油发电机", "description": "发电机容量 200kW，不足保安负荷 220kW 的 120%",
            "photos": (io.BytesIO(jpeg()), "hazard.jpg")}
    data.update(overrides)
    return data


@pytest.fixture
def inspector(hazard_app):
    return signed_in(hazard_app, "insp1")


def _opened(hazard_app, inspector):
    response = inspector.post("/hazards/new", data=_open_form(inspector), content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[-1]


def test_an_inspector_opens_a_hazard_by_hand_and_sees_its_dossier(hazard_app, inspector):
    number = _opened(hazard_app, inspector)
    assert number == "YH-JA-JZ-2026-00001"
    page = inspector.get(f"/hazards/{number}").get_data(as_text=True)
    assert "吉安市中心人民医院" in page and "EP02" in page and "建档" in page and "隐患告知书" in page
    assert "送达隐患告知书" in page                          # where the process stands
    assert "送达隐患告知书" in inspector.get("/").get_data(as_text=True)


@pytest.mark.parametrize("field,value,words", [
    ("customer", "999", "没有该户号的客户"),
    ("item_code", "ZZ99", "请选择隐患字典中的项目"),
    ("photos", (io.BytesIO(b"GIF89a not really"), "x.gif"), "不是可读取的图片"),
    ("severity", "general", "不能降低"),
    ("location", "", "此项必填"),
])
def test_opening_a_hazard_with_bad_input_is_refused_and_creates_nothing(hazard_app, inspector, field, value, words):
    response = inspector.post("/hazards/new", data=_open_form(inspector, **{field: value}),
                              content_type="multipart/form-data")
    assert response.status_code == 422 and words in response.get_data(as_text=True)
    assert count_rows(hazard_app, Hazard) == 0 and count_rows(hazard_app, ProcessInstance) == 0


def test_a_customer_without_a_team_is_opened_by_the_inspectors_own_team_or_refused(hazard_app, inspector):
    assert inspector.post("/hazards/new", data=_open_form(inspector, customer="3600100003"),
                          content_type="multipart/form-data").status_code == 302
    with hazard_app.app_context():
        assert db.session().scalars(select(Hazard)).one().team.code == "JA-T1"
    specialist = signed_in(hazard_app, "spec")                              # no team of their own
    response = specialist.post("/hazards/new", data=_open_form(specialist, customer="3600100003"),
                               content_type="multipart/form-data")
    assert response.status_code == 422 and "没有默认检查小组" in response.get_data(as_text=True)
    assert count_rows(hazard_app, Hazard) == 1


def test_the_notice_is_signed_on_the_page_and_the_signed_document_can_be_downloaded(hazard_app, inspector):
    number = _opened(hazard_app, inspector)
    with hazard_app.app_context():
        task = db.session().scalars(select(HumanTask).where(HumanTask.element_id == "deliver_notice")).one()
    signature = "data:image/png;base64," + base64.b64encode(png()).decode()
    response = inspector.post(f"/tasks/{task.id}", data={"csrf_token": csrf_of(inspector, f"/tasks/{task.id}"),
                                                         "action": "complete", "signer_name": "王电工",
                                                         "signature": signature})
    assert response.status_code == 302, response.get_data(as_text=True)
    page = inspector.get(f"/hazards/{number}").get_data(as_text=True)
    assert "告知书已签收" in page and "整改中" in page and "跟踪隐患整改" in page
    with hazard_app.app_context():
        doc_id = db.session().scalar(select(func.max(Document.id)).where(Document.kind == "hazard_notice"))
    download = inspector.get(f"/documents/{doc_id}")
    assert download.status_code == 200 and download.data[:2] == b"PK"
    assert "officedocument" in download.mimetype


def test_a_refusal_needs_a_witness_and_a_photo(hazard_app, inspector):
    _opened(hazard_app, inspector)
    with hazard_app.app_context():
        task = db.session().scalars(select(HumanTask).where(HumanTask.element_id == "deliver_notice")).one()
    response = inspector.post(f"/tasks/{task.id}", data={"csrf_token": csrf_of(inspector, f"/tasks/{task.id}"),
                                                         "action": "complete", "refused": "true"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and page.count("此项必填") >= 2


def test_the_list_is_scoped_filtered_and_searchable(hazard_app, inspector):
    number = _opened(hazard_app, inspector)
    assert number in inspector.get("/hazards?status=found").get_data(as_text=True)
    assert "共 0 项隐患" in inspector.get("/hazards?status=closed").get_data(as_text=True)
    assert number in inspector.get("/hazards?q=00001").get_data(as_text=True)
    assert "共 0 项隐患" in inspector.get("/hazards?customer=3600100003").get_data(as_text=True)
    other = signed_in(hazard_app, "insp3")                                         # another team
    assert "共 0 项隐患" in other.get("/hazards").get_data(as_text=True)
    assert other.get(f"/hazards/{number}").status_code == 404
    leader = signed_in(hazard_app, "lead")                                         # the branch's leader
    assert number in leader.get("/hazards").get_data(as_text=True)


def test_a_dictionary_edit_is_a_new_version_and_filed_hazards_keep_theirs(hazard_app, inspector):
    number = _opened(hazard_app, inspector)
    specialist = signed_in(hazard_app, "spec")
    form = {"csrf_token": csrf_of(specialist, "/dictionary/EP02"), "name_zh": "自备应急电源容量不足保安负荷的120%",
            "name_en": "Emergency supply below 120%", "category": "自备应急电源", "default_severity": "significant",
            "top_severity": "major", "deadline_days": "45", "active": "y", "version": "1"}
    assert specialist.post("/dictionary/EP02", data=form).status_code == 302
    assert specialist.post("/dictionary/EP02", data=form).status_code == 422   # stale version: refused
    with hazard_app.app_context():
        versions = db.session().scalars(select(HazardItem.version).where(HazardItem.code == "EP02")).all()
        hazard = db.session().scalars(select(Hazard).where(Hazard.file_number == number)).one()
    assert sorted(versions) == [1, 2]
    assert hazard.item["version"] == 1 and hazard.item["deadline_days"] == 90 and hazard.severity == "significant"
    second = _opened(hazard_app, inspector)
    with hazard_app.app_context():
        new = db.session().scalars(select(Hazard).where(Hazard.file_number == second)).one()
    assert new.item["version"] == 2 and new.severity == "major"      # 一级 customer: the new top severity


def test_a_customer_with_a_temporary_class_needs_its_window(hazard_app):
    specialist = signed_in(hazard_app, "spec")
    form = {"csrf_token": csrf_of(specialist, "/customers/new"), "number": "3600100099", "name": "高考考点 吉安一中",
            "branch_id": "2", "importance": "temporary", "default_team_id": "1", "contact_mobile": "13900000000"}
    response = specialist.post("/customers/new", data=form)
    assert response.status_code == 422 and "起止日期" in response.get_data(as_text=True)
    form.update(temporary_from="2026-06-01", temporary_to="2026-06-10")
    assert specialist.post("/customers/new", data=form).status_code == 302
    form["number"] = "3600100001"
    response = specialist.post("/customers/new", data=form)
    assert response.status_code == 422 and "该户号已存在" in response.get_data(as_text=True)
    assert count_rows(hazard_app, Customer) == 3


def test_a_specialist_asks_to_cancel_a_hazard_and_a_leader_approves(hazard_app, inspector):
    from records import Cancellation
    number = _opened(hazard_app, inspector)
    specialist = signed_in(hazard_app, "spec")
    token = csrf_of(specialist, f"/hazards/{number}")
    specialist.post(f"/hazards/{number}/cancel", data={"csrf_token": token, "reason": "误报：设备已拆除"})

    def state():
        with hazard_app.app_context():
            hazard = db.session().scalars(select(Hazard).where(Hazard.file_number == number)).one()
            instance = db.session().get(ProcessInstance, hazard.instance_id)
            row = db.session().scalars(select(Cancellation).where(Cancellation.hazard_id == hazard.id)).one()
            return hazard.status, instance.status, row
    status, process, row = state()
    assert status == "found" and process == "running" and row.status == "pending"      # only asked
    page = specialist.get(f"/hazards/{number}").get_data(as_text=True)
    assert "误报：设备已拆除" in page and "approve" not in page               # not the asker's to decide
    refused = specialist.post(f"/cancellations/{row.id}", data={"csrf_token": csrf_of(specialist, f"/hazards/{number}"),
                                                               "approve": "yes", "lock_version": row.lock_version})
    assert refused.status_code == 403 and state()[0] == "found"
    leader = signed_in(hazard_app, "lead")
    assert number in leader.get("/cancellations").get_data(as_text=True)
    response = leader.post(f"/cancellations/{row.id}", data={"csrf_token": csrf_of(leader, f"/hazards/{number}"),
                                                            "approve": "yes", "lock_version": row.lock_version,
                                                            "comment": "核实无误"})
    assert response.status_code == 302
    status, process, row = state()
    assert status == "cancelled" and process == "terminated"
    assert (row.status, row.decided_by, row.comment) == ("approved", "lead", "核实无误")
    with hazard_app.app_context():
        from engine.models import AuditEvent
        actions = db.session().scalars(select(AuditEvent.action).where(AuditEvent.action.like("hazard.cancel%"))).all()
    assert sorted(actions) == ["hazard.cancel_approved", "hazard.cancel_requested"]
    own = csrf_of(inspector, f"/hazards/{number}")
    assert inspector.post(f"/hazards/{number}/cancel", data={"csrf_token": own, "reason": "x"}).status_code == 403


def test_the_api_lists_opens_and_returns_dossiers(client, hazard_app):
    api = hazard_app.test_client()
    token = {"Authorization": f"Bearer {api_token(hazard_app, 'insp1')}"}
    body = api_hazard_body(api, token)
    response = api.post("/api/v1/hazards", headers=token, json=body)
    assert response.status_code == 201, response.get_json()
    dossier = response.get_json()
    assert dossier["severity"] == "major" and dossier["timeline"][0]["kind"] == "registered"
    listed = api.get("/api/v1/hazards?severity=major", headers=token).get_json()
    assert listed["total"] == 1 and listed["items"][0]["file_number"] == dossier["file_number"]
    response = api.post("/api/v1/hazards", headers=token, json={**body, "item_code": "ZZ99"})
    assert response.status_code == 422 and "item_code" in response.get_json()["errors"]
    assert api.get("/api/v1/hazards/YH-NOPE", headers=token).status_code == 404


def test_a_major_hazard_is_reported_and_the_report_marked_submitted(hazard_app, inspector):
    inspector.post("/hazards/new", data=_open_form(inspector, item_code="IL01"), content_type="multipart/form-data")
    with hazard_app.app_context():
        task = db.session().scalars(select(HumanTask).where(HumanTask.element_id == "deliver_notice")).one()
    signature = "data:image/png;base64," + base64.b64encode(png()).decode()
    inspector.post(f"/tasks/{task.id}", data={"csrf_token": csrf_of(inspector, f"/tasks/{task.id}"),
                                              "action": "complete", "signer_name": "王电工", "signature": signature})
    leader = signed_in(hazard_app, "lead")
    page = leader.get("/reports").get_data(as_text=True)
    assert "重大隐患" in page and "登记已报送" in page
    with hazard_app.app_context():      # the customer also entered grade A: two grade_a reports (superior, government)
        reasons = sorted(r.reason for r in db.session().scalars(select(ReportLog)))
        # one row per recipient: the grade-A letter to the 3 authorities and the report to the superior unit
        assert reasons == ["grade_a"] * 4 + ["major"] * 3
        log = db.session().scalars(select(ReportLog).where(ReportLog.reason == "major")).first()
    response = leader.post(f"/reports/{log.id}", data={"csrf_token": csrf_of(leader, "/reports"), "delivery": "post",
                                                       "lock_version": str(log.lock_version), "reply": "已收悉"})
    assert response.status_code == 302
    with hazard_app.app_context():
        log = db.session().get(ReportLog, log.id)
    assert log.status == "submitted" and log.submitted_by == "lead" and log.reply == "已收悉"
    with hazard_app.app_context():
        hazard = db.session().get(Hazard, log.hazard_id)
        assert hazard.reported_to_government and hazard.reported_at == log.submitted_at
    dossier = leader.get(f"/hazards/{hazard.file_number}").get_data(as_text=True)
    assert "已收悉" in dossier and log.recipient in dossier            # the reply is on the timeline
    bell = leader.get("/").get_data(as_text=True)
    # the red warning, the grade-A report to submit, and the major-hazard report to submit
    count = re.search(r'id="bell".*?<span class="count" data-count="(\d+)"', bell, re.S)
    assert count and count.group(1) == "3"
    assert "待报送政府" in leader.get("/notifications").get_data(as_text=True)


def test_long_lists_page_with_their_filters_kept(hazard_app, inspector):
    """More rows than a page: the pager links keep the filters and the next page shows the rest."""
    number = _opened(hazard_app, inspector)
    with hazard_app.app_context():
        session = db.session()
        hazard = session.scalars(select(Hazard).where(Hazard.file_number == number)).one()
        instance = session.get(ProcessInstance, hazard.instance_id)
        columns = [c.key for c in Hazard.__table__.columns if c.key != "id"]
        row = {c: getattr(hazard, c) for c in columns}
        session.execute(Hazard.__table__.insert(), [
            {**row, "file_number": f"YH-JA-JZ-2026-{n:05d}", "instance_id": None} for n in range(2, 56)])
        columns = [c.key for c in ProcessInstance.__table__.columns if c.key != "id"]
        session.execute(ProcessInstance.__table__.insert(),
                        [{c: getattr(instance, c) for c in columns} for _ in range(120)])
        session.commit()
    first = inspector.get("/hazards?status=found").get_data(as_text=True)
    assert "第 1 页，共 2 页" in first and 'href="?status=found&amp;page=2"' in first
    second = inspector.get("/hazards?status=found&page=2").get_data(as_text=True)
    assert "第 2 页，共 2 页" in second and set(re.findall(r"YH-JA-JZ-2026-\d{5}", second)) == \
        {f"YH-JA-JZ-2026-{n:05d}" for n in range(1, 6)}          # 55 hazards, newest first: 5 on page 2
    found = inspector.get("/hazards?q=yh-ja-jz-2026-0005").get_data(as_text=True)   # any case, part of it
    assert set(re.findall(r"YH-JA-JZ-2026-\d{5}", found)) == {f"YH-JA-JZ-2026-{n:05d}" for n in range(50, 56)}
    admin = signed_in(hazard_app, "admin")
    page = admin.get("/admin/instances?status=" + instance.status)
    assert page.status_code == 200 and "rel=\"next\"" in page.get_data(as_text=True)


def test_the_opening_form_knows_the_items_rules_ne01_at_a_mine_cannot_be_lowered(hazard_app, inspector):
    """NE01 is 重大 at a mine whatever its class (a rule of the dictionary item): the form refuses a lower
    severity instead of letting the filing step fail afterwards."""
    from records import Branch, Team
    with hazard_app.app_context():
        session = db.session()
        county = session.scalars(select(Branch).where(Branch.code == "JA-JZ")).one()
        team = session.scalars(select(Team).where(Team.code == "JA-T1")).one()
        now = hazard_app.extensions["gridsafe.engine"].clock.now()
        session.add(Customer(number="3600100009", name="永丰煤矿吉州井", branch_id=county.id, importance="second",
                             industry="煤矿", high_risk=True, contacts=[], default_team_id=team.id, created_at=now,
                             updated_at=now))
        session.commit()
    before = count_rows(hazard_app, Hazard)
    response = inspector.post("/hazards/new", content_type="multipart/form-data", data=_open_form(
        inspector, customer="3600100009", item_code="NE01", severity="significant", severity_reason="现场判断"))
    assert response.status_code == 422
    assert "不能降低" in response.get_data(as_text=True)
    assert count_rows(hazard_app, Hazard) == before
    response = inspector.post("/hazards/new", content_type="multipart/form-data", data=_open_form(
        inspector, customer="3600100009", item_code="NE01"))
    assert response.status_code == 302
    with hazard_app.app_context():
        assert db.session().scalars(select(Hazard).order_by(Hazard.id.desc())).first().severity == "major"


def test_after_a_failed_step_the_inspector_is_told_the_number_kept_and_that_an_admin_retries(hazard_app, inspector):
    from records import User
    from services import hazard_opening
    with hazard_app.app_context():                                  # a photo uploaded earlier (e.g. a refused form)
        session = db.session()
        actor = session.scalars(select(User).where(User.username == "insp1")).one()
        [digest] = hazard_opening.store(hazard_app.extensions["gridsafe.runtime"], session, actor,
                                        [(jpeg(), "before.jpg")])
        session.commit()
    data_dir = Path(hazard_app.extensions["gridsafe.runtime"].config["DATA_DIR"])
    stored = [p for p in data_dir.rglob(f"*{digest}*") if p.is_file()]
    assert stored
    root = data_dir / "files"
    assert root in stored[0].parents
    # the old way (DOCUMENTS_RENDER=inline): the step itself writes its notice to the file store
    hazard_app.extensions["gridsafe.runtime"].engine.context_factory.keywords["settings"]["DOCUMENTS_RENDER"] = "inline"
    shutil.rmtree(root)                                             # the file store cannot be written any more
    root.write_bytes(b"")
    response = inspector.post("/hazards/new", data={**_open_form(inspector), "photos": digest},
                              content_type="multipart/form-data")
    assert response.status_code == 302
    with hazard_app.app_context():
        hazard = db.session().scalars(select(Hazard)).one()
        instance = db.session().get(ProcessInstance, hazard.instance_id)
    assert instance.status == "error"                              # the notice could not be stored
    page = inspector.get(response.headers["Location"]).get_data(as_text=True)
    assert f"您填写的内容已保存（{hazard.file_number}）" in page and "管理员" in page and "无需重新建档" in page

"""Inspection pages: the register import, campaigns with progress, the plan, the customer page (一户一档)."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from records import Campaign, Customer, Inspection, InspectionCycle, Job
from web_support import count_rows, csrf_of, signed_in
from webui import db

HEADER = ["户号", "客户名称", "用电地址", "供电单位编码", "重要等级", "高危", "行业", "电压等级kV", "联系人", "联系电话",
          "默认小组编码", "临时起", "临时止"]


def _xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def specialist(hazard_app):
    return signed_in(hazard_app, "spec")


def _run_job(client, location):
    job_id = int(location.rsplit("/", 1)[-1])
    page = ""
    for _ in range(200):
        page = client.post(f"/jobs/{job_id}/step", data={"csrf_token": csrf_of(client, f"/jobs/{job_id}")}
                           ).get_data(as_text=True)
        if "hx-trigger" not in page:
            return page
    raise AssertionError("the job did not finish")



def test_an_import_rejects_bad_rows_with_reasons_and_keeps_the_rest(hazard_app, specialist):
    rows = [["3608990001", "吉安市妇幼保健院", "吉州区", "JA-JZ", "一级", "否", "医疗卫生", 10, "刘工", "13907960101", "JA-T1",
             None, None],
            ["3608990002", "", "吉州区", "JA-JZ", "二级", "否", "", 10, None, None, None, None, None],
            ["36", "短户号", "x", "JA-JZ", "二级", "否", "", 10, None, None, None, None, None],
            ["3608990003", "吉安火车站", "x", "NOPE", "一级", "否", "", 10, None, None, None, None, None],
            ["3608990004", "保电场馆", "x", "JA-JZ", "临时性", "否", "", 10, None, None, None, None, None],
            ["3608990005", "吉安化肥厂", "青原区", "JA-JZ", "", "是", "危险化学品", 35, "赵工", "12345", None, None, None],
            ["3608990006", "吉安市图书馆", "吉州区", "JA-JZ", "二级", "否", "文化", 10, None, None, "JA-T1", None, None]]
    response = specialist.post("/customers/import", content_type="multipart/form-data",
                               data={"csrf_token": csrf_of(specialist, "/customers/import"),
                                     "file": (io.BytesIO(_xlsx(rows)), "register.xlsx")})
    assert response.status_code == 302
    page = _run_job(specialist, response.headers["Location"])
    with hazard_app.app_context():
        job = db.session().get(Job, int(response.headers["Location"].rsplit("/", 1)[-1]))
    assert job.status == "done" and job.report["created"] == 2 and len(job.report["rejected"]) == 5
    rejected = re.findall(r'<tr class="rejected"><td>(\d+)</td>', page)
    assert rejected == ["3", "4", "5", "6", "7"]
    assert "NOPE" in page and "12345" in page
    assert count_rows(hazard_app, Customer, Customer.number.like("36089900%")) == 2
    rows[0][1] = "吉安市妇幼保健院（新院区）"                               # re-import updates, never duplicates
    response = specialist.post("/customers/import", content_type="multipart/form-data",
                               data={"csrf_token": csrf_of(specialist, "/customers/import"),
                                     "file": (io.BytesIO(_xlsx(rows[:1])), "again.xlsx")})
    _run_job(specialist, response.headers["Location"])
    with hazard_app.app_context():
        found = db.session().scalars(select(Customer).where(Customer.number == "3608990001")).all()
    assert len(found) == 1 and found[0].name.endswith("（新院区）") and found[0].default_team.code == "JA-T1"


def test_a_corrupt_spreadsheet_is_refused_and_nothing_is_imported(hazard_app, specialist):
    before = count_rows(hazard_app, Customer)
    response = specialist.post("/customers/import", content_type="multipart/form-data",
                               data={"csrf_token": csrf_of(specialist, "/customers/import"),
                                     "file": (io.BytesIO(b"PK\x03\x04 this is not a workbook"), "broken.xlsx")})
    assert response.status_code == 422 and "xlsx" in response.get_data(as_text=True)
    response = specialist.post("/customers/import", content_type="multipart/form-data",
                               data={"csrf_token": csrf_of(specialist, "/customers/import"),
                                     "file": (io.BytesIO("名称,地址\n甲,乙\n".encode()), "x.csv")})
    assert response.status_code == 422 and "户号" in response.get_data(as_text=True)
    assert count_rows(hazard_app, Customer) == before


def test_a_campaign_over_two_hundred_customers_shows_progress_and_creates_them_all(hazard_app, specialist):
    with hazard_app.app_context():
        session = db.session()
        template = session.scalars(select(Customer).where(Customer.number == "3600100001")).one()
        for n in range(200):
            session.add(Customer(number=f"36077{n:05d}", name=f"考点{n}", branch_id=template.branch_id, importance="second",
                                 industry="学校", default_team_id=template.default_team_id, contacts=[],
                                 created_at=template.created_at, updated_at=template.updated_at))
        session.commit()
    form = {"csrf_token": csrf_of(specialist, "/inspections/new"), "kind": "special", "due_date": "2026-06-01",
            "name": "2026年高考保电专项检查", "industry": "学校"}
    response = specialist.post("/inspections/new", data=form)
    assert response.status_code == 302
    job_page = specialist.get(response.headers["Location"]).get_data(as_text=True)
    assert "<progress" in job_page and "0 / 200" in job_page
    page = _run_job(specialist, response.headers["Location"])
    assert "200 / 200" in page
    assert count_rows(hazard_app, Inspection, Inspection.kind == "special") == 200
    with hazard_app.app_context():
        campaign = db.session().scalars(select(Campaign)).one()
    assert campaign.created_count == 200 and campaign.status == "done"


@pytest.mark.parametrize("fields,words", [
    ({"numbers": "999999"}, "以下户号不存在"),
    ({"industry": "不存在的行业"}, "没有符合筛选条件的客户"),
    ({"numbers": "3600100001", "due_date": "2020-01-01"}, "完成期限不能早于今天"),
    ({}, "至少设置一个筛选条件"),
])
def test_bad_campaign_input_is_refused_and_creates_nothing(hazard_app, specialist, fields, words):
    form = {"csrf_token": csrf_of(specialist, "/inspections/new"), "kind": "special", "due_date": "2026-06-01",
            "name": "专项", **fields}
    response = specialist.post("/inspections/new", data=form)
    assert response.status_code == 422 and words in response.get_data(as_text=True)
    assert count_rows(hazard_app, Inspection) == 0 and count_rows(hazard_app, Campaign) == 0


def test_cycles_are_edited_by_specialists_and_an_impossible_cycle_is_refused(hazard_app, specialist):
    form = {"csrf_token": csrf_of(specialist, "/plan"), "special": "3", "first": "2", "second": "6", "temporary": "0",
            "high_risk_hv": "6", "hv": "12", "lv": "0"}
    response = specialist.post("/plan/cycles", data=form)
    assert response.status_code == 422 and count_rows(hazard_app, InspectionCycle) == 0
    form["lv"] = "24"
    assert specialist.post("/plan/cycles", data=form).status_code == 302
    with hazard_app.app_context():
        assert db.session().get(InspectionCycle, "first").months == 2
    inspector = signed_in(hazard_app, "insp1")
    assert inspector.post("/plan/cycles", data={**form, "csrf_token": csrf_of(inspector, "/plan")}).status_code == 403


def test_the_customer_page_shows_its_inspections_hazards_and_documents(hazard_app, specialist):
    form = {"csrf_token": csrf_of(specialist, "/inspections/new"), "kind": "periodic", "due_date": "2026-03-20",
            "numbers": "3600100001"}
    response = specialist.post("/inspections/new", data=form)
    _run_job(specialist, response.headers["Location"])
    page = specialist.get("/customers/3600100001").get_data(as_text=True)
    assert "吉安市中心人民医院" in page and "JC-JA-JZ-2026-00001" in page
    assert specialist.get("/customers/0000").status_code == 404


def test_the_import_page_offers_a_template_that_imports_as_it_is(hazard_app, specialist):
    page = specialist.get("/customers/import").get_data(as_text=True)
    link = re.search(r'href="([^"]+template[^"]*)"', page).group(1)
    response = specialist.get(link)
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    response = specialist.post("/customers/import", content_type="multipart/form-data",
                               data={"csrf_token": csrf_of(specialist, "/customers/import"),
                                     "file": (io.BytesIO(response.data), "模板.xlsx")})
    assert response.status_code == 302
    _run_job(specialist, response.headers["Location"])
    with hazard_app.app_context():
        example = db.session().scalars(select(Customer).where(Customer.number == "3608000001")).one()
    assert example.name == "吉安市中心人民医院" and example.supply_mode == "双电源" and example.cycle_months is None


def test_a_malformed_workbook_or_a_gbk_csv_is_answered_in_chinese_without_a_server_error(hazard_app, specialist):
    broken = io.BytesIO(_xlsx([])[:3000])
    response = specialist.post("/customers/import", content_type="multipart/form-data",
                               data={"csrf_token": csrf_of(specialist, "/customers/import"),
                                     "file": (broken, "broken.xlsx")})
    assert response.status_code == 422 and "不是可读的文件" in response.get_data(as_text=True)
    gbk = "户号,客户名称,供电单位编码\r\n3608990301,吉安市第三中学,JA-JZ\r\n".encode("gbk")
    response = specialist.post("/customers/import", content_type="multipart/form-data",
                               data={"csrf_token": csrf_of(specialist, "/customers/import"),
                                     "file": (io.BytesIO(gbk), "导出.csv")})
    assert response.status_code == 302
    _run_job(specialist, response.headers["Location"])
    assert count_rows(hazard_app, Customer, Customer.name == "吉安市第三中学") == 1


def test_the_specialist_approves_the_worksheet_from_the_inbox_and_the_inspection_page_says_so(hazard_app, specialist,
                                                                                              clock):
    """domain.md §6.1 through the pages: the approval waits in the specialists' inbox (the team has no head),
    a refusal without a reason is refused by the form, and the page shows who approved and when."""
    from engine import HumanTask
    from inspection_walk import plan
    number = plan(hazard_app, clock, approve=False)
    with hazard_app.app_context():
        ins = db.session().scalars(select(Inspection).where(Inspection.number == number)).one()
        task = db.session().scalars(select(HumanTask).where(HumanTask.instance_id == ins.instance_id,
                                                            HumanTask.status == "ready")).one()
    assert task.element_id == "approve_worksheet"
    assert "工作单审批（出发前）" in specialist.get("/").get_data(as_text=True)
    assert "待出发前审批" in specialist.get(f"/inspections/{number}").get_data(as_text=True)
    token = csrf_of(specialist, f"/tasks/{task.id}")
    refused = specialist.post(f"/tasks/{task.id}", data={"csrf_token": token, "action": "complete", "approved": "no"})
    assert refused.status_code == 422
    done = specialist.post(f"/tasks/{task.id}", data={"csrf_token": token, "action": "complete", "approved": "yes",
                                                      "comment": "两名检查人员已落实"})
    assert done.status_code == 302, done.get_data(as_text=True)
    page = specialist.get(f"/inspections/{number}").get_data(as_text=True)
    assert "SPEC 于" in page and "审批同意" in page
    with hazard_app.app_context():
        assert db.session().get(Inspection, ins.id).approved_by == "spec"

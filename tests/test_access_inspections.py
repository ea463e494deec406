"""Who reaches which inspection, worksheet, campaign, plan and import: an inspection or a worksheet of
another county is answered like one that does not exist; a campaign, a plan run and an import act
only on customers and branches in reach; a job is seen only by who started it (and admins); a refused
write changes no row and no audit event."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from engine import AuditEvent
from records import Branch, Campaign, Customer, Document, Inspection, InspectionCycle, Job, Team, User, documents
from services import planning
from web_support import USERS, _password_hash, count_rows, csrf_of, signed_in
from webui import db

COUNTY_SPECIALISTS = {"spec_jz": "JA-JZ", "spec_ja": "JA-JA"}
TEAM_COUNTY = {"JA-T1": "JA-JZ", "JA-T2": "JA-JA"}
COUNTIES = ("JA-JZ", "JA-JA")
CUSTOMER_OF = {"JA-JZ": "3600100001", "JA-JA": "3600200001"}       # a hospital in each county


def _counties_reached(username: str) -> set[str]:
    """The counties whose inspections a test user reaches, from the organisation (not hand-listed)."""
    if username in COUNTY_SPECIALISTS:
        return {COUNTY_SPECIALISTS[username]}
    roles, teams, branch = USERS[username]
    if "inspector" in roles:
        return {TEAM_COUNTY[t] for t in teams}
    return set(COUNTIES) if branch == "JA" else {branch}


ACTORS = sorted(USERS) + sorted(COUNTY_SPECIALISTS)
MATRIX = [(who, county) for who in ACTORS for county in COUNTIES]


@pytest.fixture
def world(hazard_app, clock):
    """Two counties, a hospital in each with an inspection of its county's team and a worksheet, and a
    specialist of each county."""
    app = hazard_app
    rt = app.extensions["gridsafe.runtime"]
    with app.app_context():
        session = db.session()
        branches = {b.code: b for b in session.scalars(select(Branch))}
        team2 = session.scalars(select(Team).where(Team.code == "JA-T2")).one()
        for username, county in COUNTY_SPECIALISTS.items():
            user = User(username=username, display_name=username.upper(), created_at=clock.now(), locale="zh_CN",
                        branch=branches[county], teams=[], active=True)
            user.password_hash = _password_hash()
            user.set_roles(["specialist"])
            session.add(user)
        session.add(Customer(number=CUSTOMER_OF["JA-JA"], name="吉安县人民医院", branch_id=branches["JA-JA"].id,
                             importance="first", industry="医疗卫生", contacts=[], default_team_id=team2.id,
                             created_at=clock.now(), updated_at=clock.now()))
        session.commit()
        made = {}
        for county, number in CUSTOMER_OF.items():
            customer = session.scalars(select(Customer).where(Customer.number == number)).one()
            ins = planning.create(rt, session, customer, kind="special", due=date(2026, 3, 20),
                                  planned_from=date(2026, 3, 2), actor="spec", full=False)
            doc = documents.archive(session, rt.files, f"worksheet {ins.number}".encode(), kind="inspection_worksheet",
                                    number=ins.number, subject=ins.number, filename=f"{ins.number}.docx",
                                    actor="insp1", now=clock.now(), customer_id=customer.id)   # as the handler does
            ins = session.get(Inspection, ins.id)
            ins.worksheet_id = doc.id
            session.commit()
            made[county] = {"number": ins.number, "worksheet": doc.id}
    return app, made


def _writes(app) -> dict:
    with app.app_context():
        s = db.session()
        return {m.__name__: s.scalar(select(func.count()).select_from(m))
                for m in (Inspection, Campaign, Job, InspectionCycle, Customer, Document, AuditEvent)}


def _client(app, username):
    return signed_in(app, username)


def _roles(username: str) -> list[str]:
    return ["specialist"] if username in COUNTY_SPECIALISTS else USERS[username][0]


# --- reading: the list, one inspection, its worksheet ------------------------------------------------

@pytest.mark.parametrize("who,county", MATRIX)
def test_an_inspection_is_read_only_within_reach(world, who, county):
    app, made = world
    reached = county in _counties_reached(who)
    assert _client(app, who).get(f"/inspections/{made[county]['number']}").status_code == (200 if reached else 404)


@pytest.mark.parametrize("who,county", MATRIX)
def test_a_worksheet_is_downloaded_only_within_reach(world, who, county):
    app, made = world
    reached = county in _counties_reached(who)
    assert _client(app, who).get(f"/documents/{made[county]['worksheet']}").status_code == (200 if reached else 404)


@pytest.mark.parametrize("who,county", MATRIX)
def test_the_inspection_list_shows_only_inspections_in_reach(world, who, county):
    app, made = world
    client = _client(app, who)
    reached, number = county in _counties_reached(who), made[county]["number"]
    assert (number in client.get(f"/inspections?customer={CUSTOMER_OF[county]}").get_data(as_text=True)) is reached
    assert (number in client.get("/inspections").get_data(as_text=True)) is reached


def test_the_list_offers_only_the_teams_in_reach(world):
    app, _made = world
    page = _client(app, "spec_jz").get("/inspections").get_data(as_text=True)
    assert 'value="JA-T1"' in page and 'value="JA-T2"' not in page
    page = _client(app, "spec").get("/inspections").get_data(as_text=True)
    assert 'value="JA-T1"' in page and 'value="JA-T2"' in page


def test_a_team_sent_outside_its_county_reads_that_inspection_and_its_worksheet(world):
    app, made = world
    with app.app_context():
        session = db.session()
        ins = session.scalars(select(Inspection).where(Inspection.number == made["JA-JZ"]["number"])).one()
        ins.team_id = session.scalars(select(Team.id).where(Team.code == "JA-T2")).one()
        session.commit()
    client = _client(app, "insp3")
    assert client.get(f"/inspections/{made['JA-JZ']['number']}").status_code == 200
    assert client.get(f"/documents/{made['JA-JZ']['worksheet']}").status_code == 200
    assert _client(app, "insp1").get(f"/inspections/{made['JA-JZ']['number']}").status_code == 404


# --- manual tasks and campaigns ----------------------------------------------------------------------

def _campaign_form(client, **fields):
    return {"csrf_token": csrf_of(client, "/inspections/new"), "kind": "special", "due_date": "2026-06-01",
            "name": "专项", **fields}


@pytest.mark.parametrize("who,county", [(w, c) for w, c in MATRIX if {"specialist", "admin"} & set(_roles(w))])
def test_a_manual_task_is_made_only_for_a_customer_in_reach(world, who, county):
    app, _made = world
    client = _client(app, who)
    before = _writes(app)
    response = client.post("/inspections/new", data=_campaign_form(client, numbers=CUSTOMER_OF[county]))
    if county in _counties_reached(who):
        assert response.status_code == 302
        assert _writes(app)["Campaign"] == before["Campaign"] + 1
    else:
        assert response.status_code == 422 and "以下户号不存在" in response.get_data(as_text=True)
        assert _writes(app) == before


def test_a_campaign_filter_never_reaches_outside_the_county(world):
    app, _made = world
    client = _client(app, "spec_jz")
    before = _writes(app)
    response = client.post("/inspections/new", data=_campaign_form(client, branch="JA-JA"))
    assert response.status_code == 422 and "没有符合筛选条件的客户" in response.get_data(as_text=True)
    assert _writes(app) == before
    response = client.post("/inspections/new", data=_campaign_form(client, industry="医疗卫生"))
    assert response.status_code == 302
    with app.app_context():
        campaign = db.session().scalars(select(Campaign)).one()
        chosen = set(db.session().scalars(select(Customer.number).where(Customer.id.in_(campaign.customer_ids))))
    assert chosen == {CUSTOMER_OF["JA-JZ"]}


def test_a_job_is_seen_and_driven_only_by_who_started_it_and_admins(world):
    app, _made = world
    starter = _client(app, "spec_jz")
    response = starter.post("/inspections/new", data=_campaign_form(starter, numbers=CUSTOMER_OF["JA-JZ"]))
    url = response.headers["Location"]
    job_id = int(url.rsplit("/", 1)[-1])
    for other in ("spec", "spec_ja"):
        client = _client(app, other)
        assert client.get(url).status_code == 404
        before = _writes(app)
        token = csrf_of(client, "/inspections/new")
        assert client.post(f"/jobs/{job_id}/step", data={"csrf_token": token}).status_code == 404
        assert _writes(app) == before
        with app.app_context():
            assert db.session().get(Job, job_id).done == 0
    admin = _client(app, "admin")
    assert admin.get(url).status_code == 200
    assert starter.get(url).status_code == 200
    assert starter.post(f"/jobs/{job_id}/step", data={"csrf_token": csrf_of(starter, url)}).status_code == 200
    with app.app_context():
        assert db.session().get(Job, job_id).status == "done"


# --- the plan and its cycles -------------------------------------------------------------------------

def _all_due(app):
    with app.app_context():
        session = db.session()
        for customer in session.scalars(select(Customer)):
            customer.last_inspected_on = date(2025, 1, 1)
        session.commit()


def _due_shown(client) -> int:
    page = client.get("/plan").get_data(as_text=True)
    return int(re.search(r"当前应生成的周期检查 \((\d+)\)", page).group(1))


def _periodic_by_county(app) -> dict:
    with app.app_context():
        rows = db.session().execute(select(Branch.code, func.count()).select_from(Inspection)
                                    .join(Customer, Customer.id == Inspection.customer_id)
                                    .join(Branch, Branch.id == Customer.branch_id)
                                    .where(Inspection.kind == "periodic").group_by(Branch.code)).all()
    return dict(rows)


def test_the_plan_shows_and_runs_only_the_customers_in_reach(world):
    app, _made = world
    _all_due(app)
    county, company = _client(app, "spec_jz"), _client(app, "spec")
    assert _due_shown(county) == 2 and _due_shown(_client(app, "spec_ja")) == 1 and _due_shown(company) == 3
    assert county.post("/plan/run", data={"csrf_token": csrf_of(county, "/plan")}).status_code == 302
    assert _periodic_by_county(app) == {"JA-JZ": 2}          # the county's run: its own customers only
    assert company.post("/plan/run", data={"csrf_token": csrf_of(company, "/plan")}).status_code == 302
    assert _periodic_by_county(app) == {"JA-JZ": 2, "JA-JA": 1}


def test_the_plan_lists_only_overdue_inspections_in_reach(world, clock):
    app, made = world
    clock.set("2026-04-01T01:00:00+00:00")
    page = _client(app, "spec_jz").get("/plan").get_data(as_text=True)
    assert made["JA-JZ"]["number"] in page and made["JA-JA"]["number"] not in page


def test_only_a_company_wide_planner_changes_the_cycles(world):
    app, _made = world
    form = {"special": "3", "first": "2", "second": "6", "temporary": "0", "high_risk_hv": "6", "hv": "12",
            "lv": "24"}
    county = _client(app, "spec_jz")
    assert "保存检查周期" not in county.get("/plan").get_data(as_text=True)
    assert "保存检查周期" in _client(app, "spec").get("/plan").get_data(as_text=True)
    before = _writes(app)
    response = county.post("/plan/cycles", data={**form, "csrf_token": csrf_of(county, "/plan")})
    assert response.status_code == 403 and _writes(app) == before
    company = _client(app, "spec")
    assert company.post("/plan/cycles", data={**form, "csrf_token": csrf_of(company, "/plan")}).status_code == 302
    assert count_rows(app, InspectionCycle) == 1


# --- the customer import -----------------------------------------------------------------------------

HEADER = ["户号", "客户名称", "供电单位编码", "重要等级", "默认小组编码"]


def _xlsx(rows) -> bytes:
    book = Workbook()
    book.active.append(HEADER)
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _run_job(client, url) -> str:
    job_id = int(url.rsplit("/", 1)[-1])
    for _ in range(20):
        page = client.post(f"/jobs/{job_id}/step", data={"csrf_token": csrf_of(client, url)}).get_data(as_text=True)
        if "hx-trigger" not in page:
            return page
    raise AssertionError("the import did not finish")


def test_a_county_specialist_imports_only_into_branches_in_reach(world):
    app, _made = world
    client = _client(app, "spec_jz")
    rows = [["3608880001", "吉州区新客户", "JA-JZ", "二级", "JA-T1"],
            ["3608880002", "吉安县新客户", "JA-JA", "二级", None],
            [CUSTOMER_OF["JA-JA"], "改名并迁到吉州", "JA-JZ", "一级", None],
            ["3608880003", "吉州区另一客户", "JA-JZ", "二级", "JA-T2"]]
    response = client.post("/customers/import", content_type="multipart/form-data",
                           data={"csrf_token": csrf_of(client, "/customers/import"),
                                 "file": (io.BytesIO(_xlsx(rows)), "register.xlsx")})
    assert response.status_code == 302
    url = response.headers["Location"]
    assert _client(app, "spec_ja").get(url).status_code == 404
    assert _client(app, "spec").get(url).status_code == 404
    assert _client(app, "admin").get(url).status_code == 200
    page = _run_job(client, url)
    assert re.findall(r'<tr class="rejected"><td>(\d+)</td>', page) == ["3", "4", "5"]
    assert "JA-JA" in page and "JA-T2" in page
    with app.app_context():
        session = db.session()
        job = session.get(Job, int(url.rsplit("/", 1)[-1]))
        numbers = set(session.scalars(select(Customer.number).where(Customer.number.like("360888%"))))
        other = session.scalars(select(Customer).where(Customer.number == CUSTOMER_OF["JA-JA"])).one()
    assert job.report["created"] == 1 and len(job.report["rejected"]) == 3
    assert numbers == {"3608880001"}
    assert other.name == "吉安县人民医院" and other.branch.code == "JA-JA"


def test_a_company_specialist_imports_into_any_county(world):
    app, _made = world
    client = _client(app, "spec")
    rows = [["3608880011", "吉州区新客户", "JA-JZ", "二级", "JA-T1"], ["3608880012", "吉安县新客户", "JA-JA", "二级", "JA-T2"]]
    response = client.post("/customers/import", content_type="multipart/form-data",
                           data={"csrf_token": csrf_of(client, "/customers/import"),
                                 "file": (io.BytesIO(_xlsx(rows)), "register.xlsx")})
    _run_job(client, response.headers["Location"])
    assert count_rows(app, Customer, Customer.number.in_(["3608880011", "3608880012"])) == 2


# --- taking a customer off the plan ------------------------------------------------------------------

@pytest.mark.parametrize("who,county", MATRIX)
def test_a_customer_is_taken_off_the_plan_only_within_reach(world, who, county):
    """inspections.plan_listing: a planner of the customer's county delists it; anyone else is refused
    (404 out of reach, 403 without the role) and nothing is written."""
    app, _made = world
    client = _client(app, who)
    before = _writes(app)
    response = client.post(f"/customers/{CUSTOMER_OF[county]}/plan", data={
        "csrf_token": csrf_of(client, "/"), "action": "delist", "reason": "已销户"})
    planner = bool({"specialist", "admin"} & set(_roles(who)))
    with app.app_context():
        delisted = db.session().scalars(select(Customer.delisted_at).where(
            Customer.number == CUSTOMER_OF[county])).one() is not None
    if planner and county in _counties_reached(who):
        assert response.status_code == 302 and delisted
    else:
        assert response.status_code == (404 if planner else 403) and not delisted
        assert _writes(app) == before

"""Who reaches which hazard file, customer, document and report: the object-level access matrix of the
hazards area, generated from the role matrix and two counties (JA-JZ and JA-JA).

For every page and API operation that takes a file number, customer number or id, and for every role
that the role matrix lets in: an actor of the object's own county gets it, an actor of the other county
gets 404 (roles the matrix keeps out get 403 either way); a refused write changes no row and no audit
event.
"""
from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import AuditEvent, FixedClock, ProcessInstance
from records import (Attachment, Branch, Cancellation, Customer, Document, Hazard, HazardEvent, ReportLog, Team,
                     User, attachments, dictionary, documents)
from web_support import _password_hash, api_token, jpeg, login, seed_people
from webui.permissions import ACCESS

ROOT = Path(__file__).resolve().parent.parent
COUNTIES = ("JA-JZ", "JA-JA")
ACTORS = {  # county → role → user (web_support.USERS plus the county staff added below)
    "JA-JZ": {"inspector": "insp1", "specialist": "spec_jz", "leader": "lead", "supervisor": "sup"},
    "JA-JA": {"inspector": "insp3", "specialist": "spec_ja", "leader": "lead_ja", "supervisor": "sup_ja"},
}
EXTRA_USERS = {"spec_jz": ("specialist", "JA-JZ"), "spec_ja": ("specialist", "JA-JA"), "lead_ja": ("leader", "JA-JA"),
               "sup_ja": ("supervisor", "JA-JA")}
CUSTOMERS = {"JA-JZ": "3600100001", "JA-JA": "3600200001"}
OTHER_TEAM_CUSTOMER = "3600100005"      # in JA-JZ, followed by team JA-T3 (not insp1's team JA-T1)


def _build(url: str, data_dir: Path, clock):
    from webui import create_app, db, engine_of
    app = create_app({"ENV": "testing", "SECRET_KEY": "test-secret", "DATABASE_URL": url, "DATA_DIR": str(data_dir),
                      "CLOCK": clock, "WTF_CSRF_ENABLED": False})
    ids: dict = {}
    with app.app_context():
        session = db.session()
        now = clock.now()
        seed_people(session, now)
        branches = {b.code: b for b in session.scalars(select(Branch))}
        teams = {t.code: t for t in session.scalars(select(Team))}
        teams["JA-T3"] = Team(code="JA-T3", name="吉州二组", branch_id=branches["JA-JZ"].id)
        session.add(teams["JA-T3"])
        session.flush()
        for username, (role, branch) in EXTRA_USERS.items():
            user = User(username=username, display_name=username.upper(), created_at=now, locale="zh_CN",
                        branch=branches[branch], teams=[], active=True, password_hash=_password_hash())
            user.set_roles([role])
            session.add(user)
        for number, branch, team in ((CUSTOMERS["JA-JZ"], "JA-JZ", "JA-T1"), (CUSTOMERS["JA-JA"], "JA-JA", "JA-T2"),
                                     (OTHER_TEAM_CUSTOMER, "JA-JZ", "JA-T3")):
            session.add(Customer(number=number, name=f"客户{number}", branch_id=branches[branch].id, importance="first",
                                 contacts=[], default_team_id=teams[team].id, created_at=now, updated_at=now))
        dictionary.seed(session, now)
        session.commit()
        for name in ("risk_grade.dmn", "hazard_lifecycle.bpmn"):
            result = engine_of(app).deploy_source(session, name, (ROOT / "bpmn" / name).read_bytes(), "owner")
            assert result.status == "deployed", str(result)
        files = app.extensions["gridsafe.files"]
        for county in COUNTIES:
            customer = session.scalars(select(Customer).where(Customer.number == CUSTOMERS[county])).one()
            photo = attachments.store_image(session, files, jpeg(80 + len(ids), 60), kind="photo", actor="test",
                                            now=now, max_bytes=10_000_000).id
            session.commit()
            instance = engine_of(app).start_instance(session, "hazard_lifecycle", actor=ACTORS[county]["inspector"],
                                                     subject=customer.number, data={
                "customer_id": customer.id, "item_code": "IL01", "location": "配电室", "description": "无闭锁",
                "photos": [photo], "equipment": None, "severity": None, "severity_reason": None, "team": None,
                "inspection_id": None, "interim_measures": None})
            hazard = session.scalars(select(Hazard).where(Hazard.instance_id == instance.id)).one()
            notice = session.scalars(select(Document).where(Document.hazard_id == hazard.id)).first()
            report = documents.archive(session, files, f"report {county}".encode(), kind="government_report",
                                       number=f"BG-{county}", subject=customer.number, filename="r.docx",
                                       actor="test", now=now, customer_id=customer.id)
            summary = documents.archive(session, files, f"summary {county}".encode(), kind="periodic_summary",
                                        number=f"YHTJ-{county}-2026-Q1", subject=f"YHTJ-{county}-2026-Q1",
                                        filename="s.docx", actor="test", now=now)
            logs = [ReportLog(document_id=notice.id, hazard_id=hazard.id, reason="major", recipient="应急管理局",
                              created_at=now),
                    ReportLog(document_id=report.id, customer_id=customer.id, reason="grade_a", recipient="上级",
                              created_at=now),
                    ReportLog(document_id=summary.id, reason="periodic_summary", recipient="发改委", created_at=now)]
            session.add_all(logs)
            asked = Cancellation(hazard_id=hazard.id, reason="误报", requested_by=ACTORS[county]["specialist"],
                                 requested_at=now)
            session.add(asked)
            session.commit()
            ids[county] = {"cancellation": asked.id, "hazard": hazard.file_number, "document": notice.id, "customer_document": report.id,
                           "customer": customer.number, "hazard_log": logs[0].id, "customer_log": logs[1].id,
                           "summary_log": logs[2].id, "summary": summary.number}
    return app, ids


class World:
    """The app, the objects of each county, and a signed-in client (and a bearer token) per user."""

    def __init__(self, app, ids):
        self.app, self.ids, self._clients, self._tokens = app, ids, {}, {}

    def client(self, username: str):
        if username not in self._clients:
            client = self.app.test_client()
            assert login(client, username).status_code == 302
            self._clients[username] = client
        return self._clients[username]

    def bearer(self, username: str) -> dict:
        if username not in self._tokens:
            self._tokens[username] = api_token(self.app, username)
        return {"Authorization": f"Bearer {self._tokens[username]}"}

    def counts(self) -> dict:
        from webui import db
        with self.app.app_context():
            session = db.session()
            counted = {model.__name__: session.scalar(select(func.count()).select_from(model))
                       for model in (Hazard, HazardEvent, ProcessInstance, AuditEvent, Customer, Attachment, Document)}
            counted["open"] = session.scalar(select(func.count()).select_from(Hazard).where(Hazard.status != "cancelled"))
            counted["cancellations"] = sorted((c.id, c.status, c.lock_version)
                                              for c in session.scalars(select(Cancellation)))
            counted["submitted"] = session.scalar(select(func.count()).select_from(ReportLog)
                                                  .where(ReportLog.status == "submitted"))
            counted["customers"] = sorted((c.number, c.name, c.branch_id, c.lock_version)
                                          for c in session.scalars(select(Customer)))
            return counted

    def photo(self, username: str) -> str:
        response = self.client(username).post("/api/v1/attachments", headers=self.bearer(username),
                                               content_type="multipart/form-data",
                                               data={"kind": "photo", "file": (io.BytesIO(jpeg(90, 70)), "p.jpg")})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]


def _fresh_db(template: Path, folder: Path) -> str:
    path = folder / "gridsafe.db"
    shutil.copy(template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def world(sqlite_template, tmp_path_factory):
    """One world for the read matrix and the refused writes (a refusal changes nothing)."""
    folder = tmp_path_factory.mktemp("access_hazards")
    return World(*_build(_fresh_db(sqlite_template, folder), folder / "data", FixedClock("2026-03-02T01:00:00+00:00")))


@pytest.fixture
def fresh(sqlite_template, tmp_path, clock):
    """A world of its own, for writes that succeed."""
    return World(*_build(_fresh_db(sqlite_template, tmp_path), tmp_path / "data", clock))


# --- reading one object by number or id ------------------------------------------------------------

READS = [  # endpoint, url with {object}, object kind, API?
    ("hazards.dossier_page", "/hazards/{}", "hazard", False),
    ("hazards_api.get_hazard", "/api/v1/hazards/{}", "hazard", True),
    ("hazards.document", "/documents/{}", "document", False),
    ("hazards.document", "/documents/{}", "customer_document", False),
    ("hazards.document_state", "/documents/{}/state", "document", False),
    ("hazards.document_state", "/documents/{}/state", "customer_document", False),
    ("hazards_api.download_document", "/api/v1/documents/{}", "document", True),
    ("hazards_api.download_document", "/api/v1/documents/{}", "customer_document", True),
    ("catalog.customer_page", "/customers/{}", "customer", False),
    ("catalog.customer_edit", "/customers/{}/edit", "customer", False),
]
CELLS = [(endpoint, url, kind, api, role, county, target)
         for endpoint, url, kind, api in READS for role in ACTORS["JA-JZ"] for county in COUNTIES
         for target in COUNTIES]


def _expected(endpoint: str, role: str, own: bool) -> int:
    if role not in ACCESS[endpoint]:
        return 403
    return 200 if own else 404


@pytest.mark.parametrize("endpoint,url,kind,api,role,county,target", CELLS,
                         ids=[f"{c[0]}-{c[2]}-{c[4]}-{c[5]}-of-{c[6]}" for c in CELLS])
def test_one_object_is_read_by_its_own_county_and_not_found_by_the_other(world, endpoint, url, kind, api, role,
                                                                         county, target):
    username = ACTORS[county][role]
    client = world.client(username)
    headers = world.bearer(username) if api else {}
    response = client.get(url.format(world.ids[target][kind]), headers=headers)
    assert response.status_code == _expected(endpoint, role, county == target), response.get_data(as_text=True)[:300]


@pytest.mark.parametrize("role", list(ACTORS["JA-JZ"]))
def test_lists_hold_only_the_actors_county(world, role):
    own, other = world.ids["JA-JZ"], world.ids["JA-JA"]
    client = world.client(ACTORS["JA-JZ"][role])
    hazards = client.get("/hazards").get_data(as_text=True)
    assert own["hazard"] in hazards and other["hazard"] not in hazards
    assert "共 0 项隐患" in client.get(f"/hazards?customer={other['customer']}").get_data(as_text=True)
    api = client.get("/api/v1/hazards", headers=world.bearer(ACTORS["JA-JZ"][role])).get_json()
    assert [row["file_number"] for row in api["items"]] == [own["hazard"]]
    customers = client.get("/customers").get_data(as_text=True)
    assert own["customer"] in customers and other["customer"] not in customers
    assert "共 2 个客户" in customers                  # the county's two customers, not all three
    assert "没有符合条件的客户" in client.get(f"/customers?q={other['customer']}").get_data(as_text=True)
    reports = client.get("/reports")
    if role not in ACCESS["reports.index"]:
        assert reports.status_code == 403
        return
    page = reports.get_data(as_text=True)
    assert "BG-JA-JZ" in page and own["summary"] in page
    assert "BG-JA-JA" not in page and other["summary"] not in page
    assert f"/documents/{world.ids['JA-JA']['document']}\"" not in page


def test_the_company_reaches_both_counties(world):
    for username in ("spec", "admin"):
        page = world.client(username).get("/hazards").get_data(as_text=True)
        assert all(world.ids[c]["hazard"] in page for c in COUNTIES)
        page = world.client(username).get("/reports").get_data(as_text=True)
        assert all(world.ids[c]["summary"] in page for c in COUNTIES)
    assert world.client("spec").get(f"/customers/{CUSTOMERS['JA-JA']}").status_code == 200


def test_the_dictionary_is_read_by_everyone_and_edited_by_specialists_and_admins(world):
    for county in COUNTIES:
        for role, username in ACTORS[county].items():
            assert world.client(username).get("/dictionary").status_code == 200
            allowed = role in ACCESS["catalog.dictionary_item"]
            assert world.client(username).get("/dictionary/EP02").status_code == (200 if allowed else 403)
    before = world.counts()
    assert world.client("insp1").post("/dictionary/EP02", data={"name_zh": "x", "version": "1"}).status_code == 403
    assert world.counts() == before


# --- refused writes: 404 (or a field error) and nothing written ---------------------------------------

def _cancel(world, username, target):
    return world.client(username).post(f"/hazards/{world.ids[target]['hazard']}/cancel", data={"reason": "误报"})


def _edit(world, username, target):
    return world.client(username).post(f"/customers/{world.ids[target]['customer']}/edit", data={
        "number": world.ids[target]["customer"], "name": "改名", "branch_id": "2", "importance": "first",
        "default_team_id": "0", "lock_version": "1"})


def _submit(world, username, target, log="hazard_log"):
    return world.client(username).post(f"/reports/{world.ids[target][log]}", data={
        "delivery": "post", "lock_version": "1", "reply": "已收悉"})


def _submit_customer_log(world, username, target):
    return _submit(world, username, target, "customer_log")


def _submit_summary(world, username, target):
    return _submit(world, username, target, "summary_log")


def _reply(world, username, target):
    return world.client(username).post(f"/reports/{world.ids[target]['hazard_log']}/reply", data={
        "lock_version": "1", "reply": "已收悉"})


def _api(world, username, path, body):
    return world.client(username).post(f"/api/v1{path}", headers=world.bearer(username), json=body)


def _submit_api(world, username, target):
    return _api(world, username, f"/reports/{world.ids[target]['hazard_log']}/submission",
                {"delivery": "post", "lock_version": 1})


def _reply_api(world, username, target):
    return _api(world, username, f"/reports/{world.ids[target]['hazard_log']}/reply", {"reply": "已收悉",
                                                                                       "lock_version": 1})


def _cancel_api(world, username, target):
    return _api(world, username, f"/hazards/{world.ids[target]['hazard']}/cancellation", {"reason": "误报"})


def _decide(world, username, target):
    return world.client(username).post(f"/cancellations/{world.ids[target]['cancellation']}", data={
        "approve": "yes", "lock_version": "1"})


def _decide_api(world, username, target):
    return _api(world, username, f"/cancellations/{world.ids[target]['cancellation']}", {"approve": True,
                                                                                        "lock_version": 1})


WRITES = [("hazards.cancel", _cancel), ("catalog.customer_edit", _edit), ("reports.submit", _submit),
          ("reports.submit", _submit_customer_log), ("reports.submit", _submit_summary), ("reports.reply", _reply),
          ("hazards_api.submit_report", _submit_api), ("hazards_api.reply_report", _reply_api),
          ("hazards_api.request_cancellation", _cancel_api), ("hazards.decide_cancellation", _decide),
          ("hazards_api.decide_cancellation", _decide_api)]
WRITE_CELLS = [(endpoint, act, role) for endpoint, act in WRITES for role in ACTORS["JA-JZ"]]


@pytest.mark.parametrize("endpoint,act,role", WRITE_CELLS,
                         ids=[f"{e}-{a.__name__.strip('_')}-{r}" for e, a, r in WRITE_CELLS])
def test_a_write_on_the_other_countys_object_is_not_found_and_changes_nothing(world, endpoint, act, role):
    before = world.counts()
    for county, target in (("JA-JA", "JA-JZ"), ("JA-JZ", "JA-JA")):
        response = act(world, ACTORS[county][role], target)
        assert response.status_code == (404 if role in ACCESS[endpoint] else 403), response.get_data(as_text=True)
    assert world.counts() == before


def _open_page(world, username, customer, **extra):
    data = {"customer": customer, "item_code": "EP02", "location": "配电室", "description": "容量不足",
            "photos": (io.BytesIO(jpeg(70, 50)), "h.jpg"), **extra}
    return world.client(username).post("/hazards/new", data=data, content_type="multipart/form-data")


def _open_api(world, username, customer, photos=None):
    body = {"customer": customer, "item_code": "EP02", "location": "配电室", "description": "容量不足",
            "photos": photos or [world.photo(username)]}
    return world.client(username).post("/api/v1/hazards", headers=world.bearer(username), json=body)


@pytest.mark.parametrize("role", ["inspector", "specialist"])
def test_a_hazard_on_the_other_countys_customer_is_refused_before_anything_is_written(world, role):
    for county, target in (("JA-JA", "JA-JZ"), ("JA-JZ", "JA-JA")):
        username = ACTORS[county][role]
        photo = world.photo(username)                       # uploaded beforehand, as a client does
        before = world.counts()
        response = _open_api(world, username, CUSTOMERS[target], [photo])
        assert response.status_code == 422 and "customer" in response.get_json()["errors"], response.get_json()
        assert world.counts() == before
        response = _open_page(world, username, CUSTOMERS[target])
        assert response.status_code == 422 and "没有该户号的客户" in response.get_data(as_text=True)
        assert world.counts() == before                     # not even the upload is kept


def test_photos_must_be_uploaded_photos(world):
    before = world.counts()
    response = _open_page(world, "insp1", CUSTOMERS["JA-JZ"], photos="ab" * 32)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    response = world.client("insp1").post("/hazards/new", content_type="multipart/form-data", data={
        "customer": CUSTOMERS["JA-JZ"], "item_code": "EP02", "location": "配电室", "description": "容量不足",
        "photos": "ab" * 32})
    assert response.status_code == 422 and "photos" in response.get_data(as_text=True)
    response = _open_api(world, "insp1", CUSTOMERS["JA-JZ"], ["cd" * 32])
    assert response.status_code == 422 and "photos" in response.get_json()["errors"]
    after = world.counts()
    assert {k: after[k] for k in ("Hazard", "ProcessInstance", "AuditEvent", "HazardEvent")} == \
        {k: before[k] for k in ("Hazard", "ProcessInstance", "AuditEvent", "HazardEvent")}


def test_someone_elses_photo_cannot_be_named_to_reach_it(world):
    """insp1's upload, named by insp3 of the other county on a hazard of insp3's own customer, is refused:
    otherwise the link would hand insp3 the photo."""
    response = world.client("insp1").post("/api/v1/attachments", headers=world.bearer("insp1"),
                                          content_type="multipart/form-data",
                                          data={"kind": "photo", "file": (io.BytesIO(jpeg(123, 45)), "own.jpg")})
    assert response.status_code == 201, response.get_json()
    photo = response.get_json()["id"]
    assert world.client("insp3").get(f"/attachments/{photo}").status_code == 404
    before = world.counts()
    response = _open_api(world, "insp3", CUSTOMERS["JA-JA"], [photo])
    assert response.status_code == 422 and "photos" in response.get_json()["errors"], response.get_json()
    assert world.counts() == before
    assert world.client("insp3").get(f"/attachments/{photo}").status_code == 404


# --- writes that succeed ----------------------------------------------------------------------------

def test_an_inspector_whose_team_does_not_follow_the_customer_gets_what_they_opened(fresh):
    response = _open_api(fresh, "insp1", OTHER_TEAM_CUSTOMER)
    assert response.status_code == 201, response.get_json()
    number = response.get_json()["file_number"]
    assert response.get_json()["team"] == "JA-T3" and response.get_json()["timeline"][0]["kind"] == "registered"
    with fresh.app.app_context():
        from webui import db
        assert db.session().scalar(select(func.count()).select_from(Hazard)) == 3        # two of the world, one new
    assert number == "YH-JA-JZ-2026-00002"
    response = _open_page(fresh, "insp1", OTHER_TEAM_CUSTOMER)
    assert response.status_code == 302
    page = fresh.client("insp1").get(response.headers["Location"])
    assert page.status_code == 200 and "YH-JA-JZ-2026-00003" in page.get_data(as_text=True)
    assert fresh.client("insp1").get("/hazards/YH-JA-JZ-2026-00003").status_code == 404    # team JA-T3 follows it


def test_the_own_countys_specialist_cancels_and_edits_and_the_leader_submits(fresh):
    own = fresh.ids["JA-JA"]
    assert _cancel(fresh, "spec_ja", "JA-JA").status_code == 302
    assert _edit(fresh, "spec_ja", "JA-JA").status_code == 422         # moving it to another county: refused
    with fresh.app.app_context():
        from webui import db
        session = db.session()
        ja = session.scalars(select(Branch).where(Branch.code == "JA-JA")).one().id
    response = fresh.client("spec_ja").post(f"/customers/{own['customer']}/edit", data={
        "number": own["customer"], "name": "改名", "branch_id": str(ja), "importance": "first",
        "default_team_id": "0", "lock_version": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)
    for log in ("hazard_log", "customer_log", "summary_log"):
        assert _submit(fresh, "lead_ja", "JA-JA", log).status_code == 302
    # the request is the county's own (one was already waiting, so nothing new): its leader approves it
    asked = own["cancellation"]
    assert fresh.client("spec_ja").post(f"/cancellations/{asked}", data={"approve": "yes", "lock_version": "1"}) \
        .status_code == 403                                                      # the asker does not decide
    assert fresh.client("lead_ja").post(f"/cancellations/{asked}", data={"approve": "yes", "lock_version": "1"}) \
        .status_code == 302
    with fresh.app.app_context():
        session = db.session()
        assert session.scalars(select(Hazard).where(Hazard.file_number == own["hazard"])).one().status == "cancelled"
        assert session.scalars(select(Customer).where(Customer.number == own["customer"])).one().name == "改名"
        assert session.scalar(select(func.count()).select_from(ReportLog).where(ReportLog.status == "submitted")) == 3


def test_a_county_specialist_registers_customers_only_in_their_county(fresh):
    with fresh.app.app_context():
        from webui import db
        branches = {b.code: b.id for b in db.session().scalars(select(Branch))}
        teams = {t.code: t.id for t in db.session().scalars(select(Team))}
    before = fresh.counts()
    form = {"number": "3600300001", "name": "新客户", "importance": "second", "default_team_id": "0"}
    for branch, team in (("JA-JZ", 0), ("JA", 0), ("JA-JA", teams["JA-T1"])):
        response = fresh.client("spec_ja").post("/customers/new", data={**form, "branch_id": str(branches[branch]),
                                                                        "default_team_id": str(team)})
        assert response.status_code == 422, (branch, response.status_code)
    assert fresh.counts() == before
    response = fresh.client("spec_ja").post("/customers/new", data={**form, "branch_id": str(branches["JA-JA"]),
                                                                    "default_team_id": str(teams["JA-T2"])})
    assert response.status_code == 302
    assert fresh.client("spec_jz").get("/customers/3600300001").status_code == 404
    assert fresh.client("spec").get("/customers/3600300001").status_code == 200


def test_notifications_are_the_actors_own(fresh):
    from records import Notification
    from webui import db
    with fresh.app.app_context():
        session = db.session()
        users = {u.username: u.id for u in session.scalars(select(User))}
        now = fresh.app.extensions["gridsafe.engine"].clock.now()
        session.add_all([Notification(user_id=users["lead"], kind="x", title="给吉州的通知", created_at=now),
                         Notification(user_id=users["lead_ja"], kind="x", title="给吉安县的通知", created_at=now)])
        session.commit()
    page = fresh.client("lead").get("/notifications").get_data(as_text=True)
    assert "给吉州的通知" in page and "给吉安县的通知" not in page
    assert fresh.client("lead").post("/notifications/read").status_code == 302
    with fresh.app.app_context():
        read = dict(db.session().execute(select(Notification.title, Notification.read_at)).all())
    assert read["给吉州的通知"] is not None and read["给吉安县的通知"] is None

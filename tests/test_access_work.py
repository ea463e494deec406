"""Who may touch which task, instance, process, message and attachment: an actor of the object's own
branch or team gets it, an actor of another county is told it does not exist (404), and a refused
request writes nothing (rows and audit trail unchanged)."""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Callable

import pytest
from sqlalchemy import func, select

import services
from engine import AuditEvent, HumanTask, ProcessInstance
from records import Branch, Hazard, Team, User
from records.attachments import AttachmentLink
from records.drafts import TaskDraft
from services import access, instances, processes
from web_support import _password_hash, api_token, count_rows, csrf_of, jpeg, login, png, signed_in
from webui import current, db

# another county's people, beside web_support.USERS (whose specialist and owner sit at the company)
COUNTY_JA = {"spec_ja": ("specialist", "JA-JA"), "lead_ja": ("leader", "JA-JA")}


def add_county_people(app) -> None:
    with app.app_context():
        session = db.session()
        for username, (role, branch) in COUNTY_JA.items():
            user = User(username=username, display_name=username, created_at=app.extensions["gridsafe.engine"]
                        .clock.now(), locale="zh_CN", active=True,
                        branch=session.scalars(select(Branch).where(Branch.code == branch)).one())
            user.password_hash = _password_hash()
            user.set_roles([role])
            session.add(user)
        session.commit()


def snapshot(app) -> tuple:
    """What a refused request must leave as it was."""
    with app.app_context():
        session = db.session()
        tasks = tuple(session.execute(select(HumanTask.id, HumanTask.status, HumanTask.assignee, HumanTask.lock_version)
                                      .order_by(HumanTask.id)).all())
        return (tasks, *(session.scalar(select(func.count()).select_from(model))
                         for model in (AuditEvent, ProcessInstance, TaskDraft, AttachmentLink, Hazard)))


def bearer(app, username) -> dict:
    return {"Authorization": f"Bearer {api_token(app, username)}"}


# --- tasks: every page and API operation that takes a task id ------------------------------------------

@dataclass
class Op:
    name: str
    own: str                       # a user of the task's own team or branch
    other: str                     # a user of another county
    call: Callable                 # (client, app, user, task_id) -> response
    ok: int
    prepare: Callable | None = None


def _page_post(path, **fields):
    def call(client, app, user, task_id):
        login(client, user)
        return client.post(path.format(id=task_id), data={"csrf_token": csrf_of(client, "/"), **fields})
    return call


def _page_get(path):
    def call(client, app, user, task_id):
        login(client, user)
        return client.get(path.format(id=task_id))
    return call


def _api(method, path, body=None):
    def call(client, app, user, task_id):
        return client.open(path.format(id=task_id), method=method, headers=bearer(app, user), json=body)
    return call


def _claimed_by(user):
    def prepare(site, task_id):
        with site.app.app_context():
            site.engine.claim_task(db.session(), task_id, user)
    return prepare


def _photo_upload(client, app, user, task_id):
    """The page's photo queue sending one photo ahead of the form."""
    login(client, user)
    return client.post(f"/tasks/{task_id}/photos", data={"csrf_token": csrf_of(client, "/"),
                                                         "file": (io.BytesIO(jpeg()), "p.jpg")})


VISIT = {"action": "complete", "location": "1号配电室", "result": "pass", "customer_signature": ""}
TASK_OPS = [
    Op("page: open", "insp1", "insp3", _page_get("/tasks/{id}"), 200),
    Op("page: complete", "insp1", "insp3", _page_post("/tasks/{id}", **VISIT), 422),     # no signature: the form
    Op("page: draft", "insp1", "insp3", _page_post("/tasks/{id}/draft", location="草稿"), 302),
    Op("page: queued submit", "insp1", "insp3",
       _page_post("/tasks/{id}/submit", idempotency_key="q" * 24, location="1号配电室", result="pass"), 422),
    Op("page: claim", "insp1", "insp3", _page_post("/tasks/{id}/claim"), 302),
    Op("page: photo ahead of the form", "insp1", "insp3", _photo_upload, 201),
    Op("page: release", "insp1", "insp3", _page_post("/tasks/{id}/release"), 302, _claimed_by("insp1")),
    Op("page: reassign", "spec", "spec_ja", _page_post("/tasks/{id}/reassign", username="insp2"), 302),
    Op("api: get", "insp1", "insp3", _api("GET", "/api/v1/tasks/{id}"), 200),
    Op("api: claim", "insp1", "insp3", _api("POST", "/api/v1/tasks/{id}/claim"), 200),
    Op("api: release", "insp1", "insp3", _api("POST", "/api/v1/tasks/{id}/release"), 200, _claimed_by("insp1")),
    Op("api: assign", "spec", "spec_ja", _api("POST", "/api/v1/tasks/{id}/assign", {"username": "insp2"}), 200),
    Op("api: complete", "insp1", "insp3", _api("POST", "/api/v1/tasks/{id}/complete", {"data": {"location": "x"}}),
       422),
]


@pytest.mark.parametrize("op", TASK_OPS, ids=lambda op: op.name)
def test_a_task_is_reached_by_its_own_team_and_branch_and_absent_for_another_county(site, op):
    add_county_people(site.app)
    instance_id = site.start_visit(team="JA-T1")          # a JA-JZ task
    task_id = site.task(instance_id).id
    if op.prepare:
        op.prepare(site, task_id)
    before = snapshot(site.app)
    refused = op.call(site.app.test_client(), site.app, op.other, task_id)
    assert refused.status_code == 404, (op.name, refused.status_code)
    if op.name.startswith("api"):
        assert refused.mimetype == "application/problem+json"
    assert snapshot(site.app) == before                    # nothing written, no audit event
    allowed = op.call(site.app.test_client(), site.app, op.own, task_id)
    assert allowed.status_code == op.ok, (op.name, allowed.status_code, allowed.get_data(as_text=True)[:300])


def test_the_task_and_instance_apis_answer_one_object_without_failing(site):
    """GET /api/v1/tasks/{id} and GET /api/v1/instances/{id} serialised their answer twice (500)."""
    instance_id = site.start_visit()
    task = site.task(instance_id)
    client = site.app.test_client()
    got = client.get(f"/api/v1/tasks/{task.id}", headers=bearer(site.app, "insp1"))
    assert got.status_code == 200, got.get_data(as_text=True)[:300]
    body = got.get_json()
    assert body["id"] == task.id and body["due_at"].startswith("2026-03-05") and body["form_schema"]["properties"]
    got = client.get(f"/api/v1/instances/{instance_id}", headers=bearer(site.app, "admin"))
    assert got.status_code == 200, got.get_data(as_text=True)[:300]
    body = got.get_json()
    assert body["id"] == instance_id and body["open_tasks"][0]["id"] == task.id
    assert body["created_at"].startswith("2026-03-02") and body["events"][0]["action"] == "instance.started"


def test_the_branch_and_all_scopes_list_only_tasks_in_reach(site):
    add_county_people(site.app)
    site.start_visit(team="JA-T1", key="V-JZ")             # JA-JZ
    site.start_visit(team="JA-T2", key="V-JA")             # JA-JA
    client = site.app.test_client()

    def keys(user, scope):
        page = client.get(f"/api/v1/tasks?scope={scope}", headers=bearer(site.app, user)).get_json()
        return sorted(t["business_key"] for t in page["items"])

    assert keys("spec", "all") == ["V-JA", "V-JZ"]         # the company's specialist
    assert keys("spec_ja", "all") == ["V-JA"]              # a county's: their county only
    assert keys("lead", "branch") == ["V-JZ"]
    assert keys("lead_ja", "branch") == ["V-JA"]
    login(client, "spec_ja")
    page = client.get("/?scope=all").get_data(as_text=True)
    assert "V-JA" in page and "V-JZ" not in page


def test_a_task_is_handed_only_to_an_eligible_user_in_reach(site):
    instance_id = site.start_visit(team="JA-T1")
    task_id = site.task(instance_id).id
    before = snapshot(site.app)
    response = site.app.test_client().post(f"/api/v1/tasks/{task_id}/assign", headers=bearer(site.app, "spec"),
                                           json={"username": "insp3"})      # another county's inspector
    assert response.status_code == 422 and "username" in response.get_json()["errors"]
    assert snapshot(site.app) == before
    with site.app.app_context():
        session = db.session()
        task = session.get(HumanTask, task_id)
        spec = session.scalars(select(User).where(User.username == "spec")).one()
        names = [u.username for u in services.work.eligible_users(current.runtime(), session, spec, task)]
    assert names == ["insp1", "insp2"]


# --- instances: admins and process owners look, admins act -------------------------------------------

def test_instances_are_for_admins_and_process_owners_only_through_the_services(site):
    instance_id = site.start_visit()
    before = snapshot(site.app)
    with site.app.app_context():
        rt, session = current.runtime(), db.session()
        people = {u.username: u for u in session.scalars(select(User))}
        for name in ("insp1", "spec", "lead"):
            with pytest.raises(services.NotFound):
                instances.describe(rt, session, people[name], instance_id)
            with pytest.raises(services.NotFound):
                instances.diagram(rt, session, people[name], instance_id)
            with pytest.raises(services.Forbidden):
                instances.instance_page(rt, session, people[name], instances.InstanceQuery())
            with pytest.raises(services.NotFound):
                instances.act(rt, session, people[name], instance_id, "suspend", "no")
        with pytest.raises(services.Forbidden):
            instances.act(rt, session, people["owner"], instance_id, "suspend", "looking only")
        assert instances.describe(rt, session, people["owner"], instance_id)["instance"].id == instance_id
        session.rollback()
    assert snapshot(site.app) == before
    owner = signed_in(site.app, "owner")
    assert owner.get(f"/admin/instances/{instance_id}/diagram").status_code == 200
    assert signed_in(site.app, "insp1").get(f"/admin/instances/{instance_id}").status_code == 403


# --- generic process starts -------------------------------------------------------------------------

def test_the_shipped_processes_start_only_through_their_own_use_cases(hazard_app):
    client = hazard_app.test_client()
    before = snapshot(hazard_app)
    for user, process_id in (("spec", "hazard_lifecycle"), ("insp1", "hazard_lifecycle"), ("admin", "inspection")):
        response = client.post("/api/v1/processes/instances", headers=bearer(hazard_app, user),
                               json={"process_id": process_id, "data": {"customer_id": 1, "item_code": "EP02"}})
        assert response.status_code == 404, (user, process_id, response.status_code)
    assert snapshot(hazard_app) == before
    listed = {p["process_id"]: p for p in client.get("/api/v1/processes", headers=bearer(hazard_app, "spec"))
              .get_json() if p["latest"]}
    assert set(listed) == {"hazard_lifecycle", "inspection"}
    assert not any(p["startable"] or p["startable_by"] for p in listed.values())


def test_a_process_starts_generically_for_the_roles_its_diagram_names(site):
    client = site.app.test_client()
    listed = client.get("/api/v1/processes", headers=bearer(site.app, "insp1")).get_json()
    assert [(p["process_id"], p["startable_by"], p["startable"]) for p in listed] == \
        [("site_visit", ["admin", "specialist"], False)]
    before = snapshot(site.app)
    data = {"team": "JA-T1", "branch": "JA-JZ", "customer_name": "X", "due": None}
    response = client.post("/api/v1/processes/instances", headers=bearer(site.app, "insp1"),
                           json={"process_id": "site_visit", "data": data})
    assert response.status_code == 404 and snapshot(site.app) == before
    response = client.post("/api/v1/processes/instances", headers=bearer(site.app, "spec"),
                           json={"process_id": "site_visit", "business_key": "V-9", "data": data})
    assert response.status_code == 201


# --- messages: the right of the task they replace -----------------------------------------------------

def _hazard_at_follow_up(app) -> str:
    inspector = signed_in(app, "insp1")
    form = {"csrf_token": csrf_of(inspector, "/hazards/new"), "customer": "3600100001", "item_code": "EP02",
            "location": "地下一层配电室", "description": "发电机容量不足", "photos": (io.BytesIO(jpeg()), "h.jpg")}
    opened = inspector.post("/hazards/new", data=form, content_type="multipart/form-data")
    assert opened.status_code == 302, opened.get_data(as_text=True)[:500]
    number = opened.headers["Location"].rsplit("/", 1)[-1]
    with app.app_context():
        task = db.session().scalars(select(HumanTask).where(HumanTask.element_id == "deliver_notice",
                                                            HumanTask.status == "ready")).one()
    import base64
    signature = "data:image/png;base64," + base64.b64encode(png()).decode()
    signed = inspector.post(f"/tasks/{task.id}", data={"csrf_token": csrf_of(inspector, f"/tasks/{task.id}"),
                                                       "action": "complete", "signer_name": "王电工",
                                                       "signature": signature})
    assert signed.status_code == 302
    return number


def test_reporting_a_hazard_rectified_needs_the_follow_up_task(hazard_app):
    add_county_people(hazard_app)
    number = _hazard_at_follow_up(hazard_app)
    client = hazard_app.test_client()
    message = {"name": "rectification_reported", "correlation_key": number,
               "payload": {"measures": "已更换发电机", "completed_on": "2026-03-02"}}
    before = snapshot(hazard_app)
    for user in ("insp3", "spec_ja", "spec", "admin"):   # another county; in reach but not offered the follow-up
        response = client.post("/api/v1/messages", headers=bearer(hazard_app, user), json=message)
        assert response.status_code == 404, (user, response.status_code)
    assert snapshot(hazard_app) == before
    with hazard_app.app_context():
        assert db.session().scalars(select(Hazard)).one().status == "rectifying"
    response = client.post("/api/v1/messages", headers=bearer(hazard_app, "insp2"), json=message)   # the team
    assert response.status_code == 200, response.get_json()
    with hazard_app.app_context():
        assert db.session().scalars(select(Hazard)).one().status == "pending_acceptance"


def test_the_system_may_deliver_a_message_without_a_task(hazard_app):
    number = _hazard_at_follow_up(hazard_app)
    with hazard_app.app_context():
        processes.deliver_message(current.runtime(), db.session(), access.SYSTEM, "rectification_reported", number,
                                  {"measures": "门户报告"})
        assert db.session().scalars(select(Hazard)).one().status == "pending_acceptance"


# --- attachments: served to those who may see an object that refers to them ----------------------------

def test_a_hazard_photo_is_served_only_to_those_who_see_the_hazard(hazard_app):
    add_county_people(hazard_app)
    _hazard_at_follow_up(hazard_app)
    with hazard_app.app_context():
        photo = db.session().scalars(select(Hazard)).one().photos[0]
    stranger = signed_in(hazard_app, "insp3")
    assert stranger.get(f"/attachments/{photo}").status_code == 404                # another county's inspector
    with hazard_app.app_context():
        signature = db.session().scalars(select(AttachmentLink.attachment_id).where(
            AttachmentLink.object_kind == "hazard", AttachmentLink.attachment_id != photo)).first()
    assert signature is not None                       # the notice's signature is the hazard's too
    expected = (("insp1", 200), ("insp2", 200), ("lead", 200), ("spec", 200), ("admin", 200),
                ("insp3", 404), ("spec_ja", 404), ("lead_ja", 404))
    clients = {user: (signed_in(hazard_app, user), bearer(hazard_app, user)) for user, _status in expected}
    for digest in (photo, signature):
        for user, status in expected:
            client, token = clients[user]
            page = client.get(f"/attachments/{digest}")
            api = client.get(f"/api/v1/attachments/{digest}", headers=token)
            assert (page.status_code, api.status_code) == (status, status), (user, digest)
            if status == 200:
                assert page.headers["Cache-Control"] == "private, no-store"
                assert api.headers["Cache-Control"] == "private, no-store"


def test_an_upload_is_served_to_its_uploader_and_task_data_to_those_who_see_the_task(site):
    add_county_people(site.app)
    instance_id = site.start_visit(team="JA-T1")
    task = site.task(instance_id)
    client = site.app.test_client()
    uploaded = client.post("/api/v1/attachments", headers=bearer(site.app, "insp1"),
                           content_type="multipart/form-data",
                           data={"kind": "signature", "file": (io.BytesIO(png(61, 31)), "sig.png")})
    digest = uploaded.get_json()["id"]
    assert uploaded.headers["Cache-Control"] == "private, no-store"

    def status(user):
        return client.get(f"/api/v1/attachments/{digest}", headers=bearer(site.app, user)).status_code

    assert (status("insp1"), status("insp2"), status("lead"), status("insp3")) == (200, 404, 404, 404)
    done = client.post(f"/api/v1/tasks/{task.id}/complete", headers=bearer(site.app, "insp1"),
                       json={"data": {"location": "2号配电室", "result": "pass", "customer_signature": digest}})
    assert done.status_code == 200, done.get_json()
    assert (status("insp2"), status("lead"), status("spec"), status("insp3"), status("spec_ja")) == \
        (200, 200, 200, 404, 404)


def test_naming_someone_elses_attachment_in_task_data_does_not_open_it(site):
    """Whoever knows a photo's id cannot link it to a task of their own and then fetch it."""
    theirs = site.start_visit(team="JA-T1", key="V-1")
    mine = site.start_visit(team="JA-T2", key="V-2")
    client = site.app.test_client()
    uploaded = client.post("/api/v1/attachments", headers=bearer(site.app, "insp1"),
                           content_type="multipart/form-data",
                           data={"kind": "signature", "file": (io.BytesIO(png(62, 32)), "sig.png")})
    digest = uploaded.get_json()["id"]
    client.post(f"/api/v1/tasks/{site.task(theirs).id}/complete", headers=bearer(site.app, "insp1"),
                json={"data": {"location": "x", "result": "pass", "customer_signature": digest}})
    before = snapshot(site.app)
    stolen = client.post(f"/api/v1/tasks/{site.task(mine).id}/complete", headers=bearer(site.app, "insp3"),
                         json={"data": {"location": "x", "result": "pass", "customer_signature": digest}})
    assert stolen.status_code == 422 and "customer_signature" in stolen.get_json()["errors"]
    login(client, "insp3")
    client.post(f"/tasks/{site.task(mine).id}/draft", data={"csrf_token": csrf_of(client, "/"),
                                                            "customer_signature": digest})
    assert count_rows(site.app, AttachmentLink, AttachmentLink.object_id == site.task(mine).id) == 0
    assert client.get(f"/attachments/{digest}").status_code == 404
    assert snapshot(site.app)[1:3] == before[1:3]       # no audit event, no instance of the refusal


def test_inspection_results_link_their_photos_to_the_inspection_and_its_hazards(sessions, clock, tmp_path):
    from inspection_support import InspectionWorld
    world = InspectionWorld(sessions, clock, tmp_path)
    ins = world.plan()
    finding = world.finding()
    world.execute(ins, [finding])
    photo = finding["photos"][0]
    with sessions() as s:
        kinds = {row.object_kind for row in s.scalars(select(AttachmentLink).where(
            AttachmentLink.attachment_id == photo))}
        assert kinds == {"inspection", "hazard"}
        other = Branch(code="JA-JA", name="吉安县供电公司", kind="county")
        s.add(other)
        s.flush()
        team = Team(code="JA-T2", name="吉安县一组", branch_id=other.id)
        stranger = User(username="insp9", display_name="insp9", password_hash="x", created_at=clock.now(),
                        branch=other, active=True, teams=[team])
        stranger.set_roles(["inspector"])
        s.add_all([team, stranger])
        s.flush()
        people = {u.username: u for u in s.scalars(select(User))}
        assert access.attachment_or_404(s, people["head1"], photo).id == photo     # the team, not the uploader
        assert access.attachment_or_404(s, people["sup1"], photo).id == photo      # the county
        with pytest.raises(services.NotFound):
            access.attachment_or_404(s, people["insp9"], photo)


def test_the_migration_back_fills_links_of_existing_hazards(hazard_app):
    from alembic import command

    from engine.database import make_engine
    from services import migrate
    _hazard_at_follow_up(hazard_app)
    expected = count_rows(hazard_app, AttachmentLink, AttachmentLink.object_kind == "hazard")
    assert expected >= 2                                   # the photo and the notice's signature
    sa = make_engine(hazard_app.config["GRIDSAFE"]["DATABASE_URL"])
    try:
        with sa.begin() as connection:
            command.downgrade(migrate.alembic_config(connection), "0009")
        migrate.upgrade(sa)
    finally:
        sa.dispose()
    assert count_rows(hazard_app, AttachmentLink, AttachmentLink.object_kind == "hazard") == expected

"""The process owner's pages and API: library, validate, deploy, drafts, uploads, diff, form preview;
the admin's migration pages, instance diagram and heatmap."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine import AuditEvent, ModelVersion, ProcessInstance
from records import model_drafts
from support import DIAGRAMS, FORMS, ReviewHandlers
from web_support import api_token, csrf_of, login, png, seed_people
from webui import create_app, db, engine_of

FLOW = DIAGRAMS / "migration"
V1, V2 = (FLOW / "flow_v1.bpmn").read_text(), (FLOW / "flow_v2.bpmn").read_text()
BROKEN = V2.replace('id="test.remind"', 'id="test.no_such_operator"').replace(
    '<spiffworkflow:property name="formJsonSchemaFilename" value="review.schema.json"/>\n          '
    '<spiffworkflow:property name="candidateTeam" value="team"/>\n        </spiffworkflow:properties>\n      '
    '</bpmn:extensionElements>\n      <bpmn:incoming>f1',
    '<spiffworkflow:property name="formJsonSchemaFilename" value="missing.schema.json"/>\n          '
    '<spiffworkflow:property name="candidateTeam" value="team"/>\n        </spiffworkflow:properties>\n      '
    '</bpmn:extensionElements>\n      <bpmn:incoming>f1', 1)
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><bpmn:process id="x">&lol2;</bpmn:process></bpmn:definitions>"""


def remind(ctx):
    """Remind someone (a test handler that writes nothing)."""
    return {"at": ctx.now().isoformat()}


@pytest.fixture
def owner_app(sqlite_url, tmp_path, clock):
    app = create_app({"ENV": "testing", "SECRET_KEY": "test-secret", "DATABASE_URL": sqlite_url,
                      "DATA_DIR": str(tmp_path / "data"), "FORMS_DIR": str(FORMS), "CLOCK": clock,
                      "EXTRA_HANDLERS": {**ReviewHandlers().table(), "test.remind": remind}})
    with app.app_context():
        seed_people(db.session(), clock.now())
    return app


def signed_in(app, user="owner"):
    client = app.test_client()
    login(client, user)
    client.csrf = csrf_of(client, "/models")
    return client


def post_json(client, url, body):
    return client.post(url, json=body, headers={"X-CSRFToken": client.csrf})


def versions(app, name="flow"):
    with app.app_context():
        return list(db.session().scalars(select(ModelVersion.version).where(ModelVersion.name == name)
                                         .order_by(ModelVersion.version)))


def start(app, key):
    with app.app_context():
        return engine_of(app).start_instance(db.session(), "flow", actor="spec", business_key=key,
                                             data={"team": "JA-T1"}).id


def instance(app, instance_id):
    with app.app_context():
        return db.session().get(ProcessInstance, instance_id)


def complete_all(app, instance_id):
    from engine import HumanTask
    with app.app_context():
        session = db.session()
        while True:
            task = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                           HumanTask.status == "ready")).first()
            if task is None:
                return session.get(ProcessInstance, instance_id).status
            engine_of(app).complete_task(session, task.id, {"passed": True}, "insp1")


def test_validation_attaches_each_problem_to_its_element(owner_app):
    client = signed_in(owner_app)
    problems = post_json(client, "/models/flow/validate", {"source": BROKEN}).get_json()["problems"]
    by_element = {p["element_id"]: p["message"] for p in problems}
    assert set(by_element) == {"notify", "step_a"}
    assert "test.no_such_operator" in by_element["notify"] and "no handler" in by_element["notify"]
    assert "missing.schema.json" in by_element["step_a"]
    assert post_json(client, "/models/flow/validate", {"source": V2}).get_json() == {"problems": []}
    api = {"Authorization": f"Bearer {api_token(owner_app, 'owner')}"}
    body = client.post("/api/v1/models/validate", json={"name": "flow", "source": BROKEN}, headers=api).get_json()
    assert {p["element_id"] for p in body["problems"]} == {"notify", "step_a"}
    assert versions(owner_app) == []


def test_a_diagram_that_fails_validation_is_not_deployed_and_the_old_version_keeps_running(owner_app):
    client = signed_in(owner_app)
    assert post_json(client, "/models/flow/deploy", {"source": V1}).get_json()["status"] == "deployed"
    running = start(owner_app, "A")
    response = post_json(client, "/models/flow/deploy", {"source": BROKEN, "comment": "broken"})
    assert response.status_code == 422
    assert response.get_json()["status"] == "invalid"
    assert {p["element_id"] for p in response.get_json()["problems"]} == {"notify", "step_a"}
    assert versions(owner_app) == [1]
    fresh = start(owner_app, "B")
    assert instance(owner_app, fresh).model_version_id == instance(owner_app, running).model_version_id
    assert complete_all(owner_app, running) == "completed"


def test_a_deploy_through_the_page_makes_a_version_that_new_instances_use_while_running_ones_stay(owner_app):
    client = signed_in(owner_app)
    assert post_json(client, "/models/flow/deploy", {"source": V1}).get_json()["version"] == 1
    old = start(owner_app, "OLD")
    body = post_json(client, "/models/flow/deploy", {"source": V2, "comment": "通知客户"}).get_json()
    assert body["status"] == "deployed" and body["version"] == 2 and body["url"] == "/models/flow/versions/2"
    new = start(owner_app, "NEW")
    with owner_app.app_context():
        session = db.session()
        number = {mv.id: mv.version for mv in session.scalars(select(ModelVersion))}
        event = session.scalars(select(AuditEvent).where(AuditEvent.chain == "model:flow")
                                .order_by(AuditEvent.seq.desc())).first()
    assert number[instance(owner_app, old).model_version_id] == 1
    assert number[instance(owner_app, new).model_version_id] == 2
    assert event.action == "model.deployed" and event.actor == "owner" and event.reason == "通知客户"
    assert complete_all(owner_app, old) == complete_all(owner_app, new) == "completed"
    again = post_json(client, "/models/flow/deploy", {"source": V2}).get_json()
    assert again["status"] == "unchanged" and again["version"] == 2


def test_drafts_are_kept_per_model_with_optimistic_locking(owner_app):
    client = signed_in(owner_app)
    first = post_json(client, "/models/flow/draft", {"source": V1, "lock_version": None})
    assert first.status_code == 200 and first.get_json()["lock_version"] == 1
    stale = post_json(client, "/models/flow/draft", {"source": V2, "lock_version": None})
    assert stale.status_code == 409 and "after you opened it" in stale.get_json()["detail"]
    assert post_json(client, "/models/flow/draft", {"source": V2, "lock_version": 1}).get_json()["lock_version"] == 2
    page = client.get("/models/flow/edit").get_data(as_text=True)
    assert 'id="modeler-config"' in page and "notify" in page and "gridsafe-modeler.js" in page
    assert "test.remind" in page and "review.schema.json" in page           # what the panel offers
    assert 'id="model-flow"' in client.get("/models").get_data(as_text=True)
    assert post_json(client, "/models/flow/deploy", {"source": V2}).get_json()["status"] == "deployed"
    with owner_app.app_context():
        assert model_drafts.get(db.session(), "flow") is None              # the deployed draft is gone
        actions = list(db.session().scalars(select(AuditEvent.action).where(AuditEvent.chain == "model:flow")
                                            .order_by(AuditEvent.seq)))
    assert actions == ["model.draft_saved", "model.draft_saved", "model.deployed"]


@pytest.mark.parametrize("filename, data, why", [
    ("photo.bpmn", png(), "not well-formed XML"),
    ("notes.bpmn", b"<html><body>hello</body></html>", "neither a BPMN nor a DMN"),
    ("bomb.bpmn", BILLION_LAUGHS, "DOCTYPE declarations and entities are not allowed"),
    ("table.bpmn", (DIAGRAMS / "grade.dmn").read_bytes(), "DMN"),
])
def test_uploads_that_are_not_diagrams_are_refused_and_nothing_is_stored(owner_app, filename, data, why):
    import io
    client = signed_in(owner_app)
    for action in ("draft", "deploy"):
        response = client.post("/models/upload", data={"csrf_token": client.csrf, "action": action,
                                                       "file": (io.BytesIO(data), filename)},
                               content_type="multipart/form-data")
        assert response.status_code == 422 and why in response.get_data(as_text=True)
    if filename != "table.bpmn":                   # (a DMN table is a fine draft of a model of its own)
        draft = post_json(client, "/models/x/draft", {"source": data.decode("latin-1"), "lock_version": None})
        assert draft.status_code == 422 and why in draft.get_json()["detail"]
    with owner_app.app_context():
        assert db.session().scalar(select(func.count()).select_from(model_drafts.ModelDraft)) == 0
    assert versions(owner_app, filename.split(".")[0]) == []


def test_an_upload_deploys_or_becomes_a_draft(owner_app):
    import io
    client = signed_in(owner_app)
    response = client.post("/models/upload", data={"csrf_token": client.csrf, "action": "deploy",
                                                   "file": (io.BytesIO(V1.encode()), "flow.bpmn")},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"].endswith("/models/flow/versions/1")
    response = client.post("/models/upload", data={"csrf_token": client.csrf, "action": "deploy",
                                                   "file": (io.BytesIO(BROKEN.encode()), "flow.bpmn")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "[notify]" in response.get_data(as_text=True)
    response = client.post("/models/upload", data={"csrf_token": client.csrf, "action": "draft",
                                                   "file": (io.BytesIO(V2.encode()), "flow.bpmn")},
                           content_type="multipart/form-data")
    assert response.headers["Location"].endswith("/models/flow/edit")
    assert versions(owner_app) == [1]
    page = client.get("/models/flow/versions/1/source")
    assert page.data.decode() == V1 and "flow.v1.bpmn" in page.headers["Content-Disposition"]


def test_the_library_lists_versions_with_their_instances_and_the_diff_names_the_changes(owner_app):
    client = signed_in(owner_app)
    post_json(client, "/models/flow/deploy", {"source": V1})
    start(owner_app, "A")
    start(owner_app, "B")
    post_json(client, "/models/flow/deploy", {"source": V2})
    page = client.get("/models").get_data(as_text=True)
    assert 'data-version="2"' in page and 'data-total="2" data-unfinished="2"' in page
    assert "/models/flow/versions/1/migration" in page
    assert 'id="version-diagram"' in client.get("/models/flow/versions/2").get_data(as_text=True)
    diff = client.get("/models/flow/diff?from=1&to=2").get_data(as_text=True)
    assert 'class="diff-added"' in diff and 'data-element="notify"' in diff and 'data-element="step_b"' in diff
    api = {"Authorization": f"Bearer {api_token(owner_app, 'owner')}"}
    body = client.get("/api/v1/models/flow/diff", headers=api).get_json()
    assert [e["element_id"] for e in body["added"]] == ["notify"]
    listed = client.get("/api/v1/models", headers=api).get_json()
    assert [(v["version"], v["instances"]) for v in listed[0]["versions"]] == [(2, 0), (1, 2)]


def test_the_handler_and_form_catalogs_come_from_the_code_and_the_forms_folder(owner_app):
    client = owner_app.test_client()
    api = {"Authorization": f"Bearer {api_token(owner_app, 'owner')}"}
    handlers = {h["id"]: h for h in client.get("/api/v1/models/handlers", headers=api).get_json()}
    assert [p["name"] for p in handlers["test.register"]["params"]] == ["label", "days"]
    assert handlers["test.remind"]["params"] == []
    assert "hazards.register" in handlers and all(p["name"] != "ctx" for h in handlers.values() for p in h["params"])
    forms = client.get("/api/v1/models/forms", headers=api).get_json()
    assert "review.schema.json" in forms["schemas"] and "site_visit.uischema.json" in forms["ui"]
    assert client.get("/api/v1/models/forms",
                      headers={"Authorization": f"Bearer {api_token(owner_app, 'insp1')}"}).status_code == 403


def test_a_form_preview_renders_the_schema_with_sample_data(owner_app):
    client = signed_in(owner_app)
    page = client.get("/models/forms/site_visit.schema.json").get_data(as_text=True)
    assert 'name="location"' in page and "<fieldset disabled>" in page
    page = client.get('/models/forms/review.schema.json?data={"passed": false, "note": "样例"}').get_data(as_text=True)
    assert "样例" in page
    assert client.get("/models/forms/nope.schema.json").status_code == 404
    assert "不是有效的 JSON" in client.get("/models/forms/review.schema.json?data={").get_data(as_text=True)


def test_admins_migrate_from_the_dry_run_page_and_owners_may_only_look(owner_app):
    owner = signed_in(owner_app)
    post_json(owner, "/models/flow/deploy", {"source": V1})
    before, past = start(owner_app, "A"), start(owner_app, "C")
    with owner_app.app_context():
        session = db.session()
        from engine import HumanTask
        for _ in range(2):
            task = session.scalars(select(HumanTask).where(HumanTask.instance_id == past,
                                                           HumanTask.status == "ready")).one()
            engine_of(owner_app).complete_task(session, task.id, {"passed": True}, "insp1")
    post_json(owner, "/models/flow/deploy", {"source": V2})
    page = owner.get("/models/flow/versions/1/migration").get_data(as_text=True)
    assert 'data-movable="1" data-total="2"' in page and "Step B" in page
    assert 'data-migrate="all"' not in page
    lock = instance(owner_app, before).lock_version
    assert owner.post("/models/flow/versions/1/migration",
                      data={"csrf_token": owner.csrf, "all": "1", "movable": str(before),
                            f"lock-{before}": str(lock)}).status_code == 403
    admin = signed_in(owner_app, "admin")
    page = admin.post("/models/flow/versions/1/migration",
                      data={"csrf_token": admin.csrf, "to": "2", "all": "1", "movable": str(before),
                            f"lock-{before}": str(lock), f"lock-{past}": str(instance(owner_app, past).lock_version),
                            "reason": "加通知"}).get_data(as_text=True)
    assert 'data-migrated="1" data-total="1"' in page
    assert instance(owner_app, before).model_version_id != instance(owner_app, past).model_version_id
    stale = post_json(admin, f"/models/flow/versions/1/migration/{past}", {"to": 2, "lock_version": 1})
    assert stale.status_code == 409 and not stale.get_json()["migrated"]
    api = {"Authorization": f"Bearer {api_token(owner_app, 'admin')}"}
    body = admin.get("/api/v1/models/flow/versions/1/migration?to=2", headers=api).get_json()
    assert [(i["instance_id"], i["can_migrate"]) for i in body["instances"]] == [(past, False)]
    body = admin.post("/api/v1/models/flow/versions/1/migration", headers=api,
                      json={"to": 2, "instances": [{"id": past, "lock_version": body["instances"][0]["lock_version"]},
                                                   {"id": before, "lock_version": 99}]}).get_json()
    assert [(r["instance_id"], r["migrated"]) for r in body["results"]] == [(before, False), (past, False)]


def test_the_instance_diagram_marks_done_waiting_and_failed_elements(owner_app):
    client = signed_in(owner_app, "admin")
    post_json(client, "/models/flow/deploy", {"source": V1})
    instance_id = start(owner_app, "A")
    with owner_app.app_context():
        from engine import HumanTask
        session = db.session()
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).one()
        engine_of(owner_app).complete_task(session, task.id, {"passed": True, "note": "现场已复核"}, "insp1")
    body = client.get(f"/admin/instances/{instance_id}/diagram").get_json()
    markers = body["diagrams"][str(body["root"])]["markers"]
    assert markers["start"] == markers["step_a"] == "completed"
    assert markers["step_b"] == markers["b_late"] == "active" and "step_c" not in markers
    fragment = client.get(f"/admin/instances/{instance_id}/elements/step_a").get_data(as_text=True)
    assert "现场已复核" in fragment and "COMPLETED" in fragment and "task.completed" in fragment
    page = client.get(f"/admin/instances/{instance_id}").get_data(as_text=True)
    assert 'id="instance-diagram"' in page and "gridsafe-viewer.js" in page
    assert client.get(f"/diagrams/versions/{body['root']}/source").data.decode() == V1


def test_the_heatmap_page_shows_waiting_counts(owner_app, clock):
    client = signed_in(owner_app, "admin")
    post_json(client, "/models/flow/deploy", {"source": V1})
    start(owner_app, "A")
    start(owner_app, "B")
    clock.advance(days=2)
    page = client.get("/models/flow/versions/1/heatmap").get_data(as_text=True)
    assert 'data-instances="2"' in page and 'data-element="step_a" data-waiting="2"' in page
    assert 'id="heatmap-diagram"' in page


def test_the_properties_panel_describes_every_shipped_handler_in_chinese(owner_app):
    """The handler's docstring is for developers; the process owner reads a sentence in Chinese."""
    from handlers import HANDLERS
    from services.modeling import HANDLER_DESCRIPTIONS
    assert set(HANDLER_DESCRIPTIONS) == set(HANDLERS)
    import json
    import re
    page = signed_in(owner_app).get("/models/site_flow/edit?kind=bpmn").get_data(as_text=True)
    config = json.loads(re.search(r'<script id="modeler-config"[^>]*>(.*?)</script>', page, re.S).group(1))
    docs = {h["id"]: h["doc"] for h in config["catalog"]["handlers"]}
    assert docs["hazards.register"] == "建立隐患档案（一患一档）：编号、隐患库条目、隐患等级和整改期限。"
    assert all(re.search(r"[\u4e00-\u9fff]", docs[op]) for op in HANDLERS)         # every shipped one in Chinese
    assert docs["test.remind"]                                                     # others: their docstring

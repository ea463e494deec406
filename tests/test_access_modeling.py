"""Who may touch models, drafts and migrations, whichever door they use (pages, API, the services).

Models belong to the whole company: they have no branch or team, so the cells of this matrix are role ×
operation rather than own county × other county. Every modeling endpoint is taken from the app's URL
map (not a hand-written list) and tried with a body that would succeed for a modeller; a refusal must
leave the model versions, drafts, instances and audit trail exactly as they were. Ids and names that do
not exist (huge, non-numeric, unknown) are answered 404 on pages and API, never 500.
"""
from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import func, select

from engine import AuditEvent, ModelVersion, ProcessInstance
from records import User, model_drafts
from records.form_versions import FormVersion
from services import Forbidden, Invalid, NotFound
from services import drafts, form_editing, instance_migration, modeling
from support import DIAGRAMS
from test_web_models import V1, V2, instance, owner_app, post_json, signed_in, start, versions  # noqa: F401
from web_support import api_token
from webui import db
from webui.permissions import ACCESS, ADMIN, MODELLERS

HUGE = 10 ** 30
AREA = ("models.", "modeler.", "migration.", "models_api.")
OUTSIDERS = ("spec", "insp1", "sup", "lead")          # every role that is not a modeller
V3 = V1.replace('name="Step B"', 'name="第二步"')       # a third version: a rename never blocks a move
REVIEW_FORM = (DIAGRAMS.parent / "forms" / "review.schema.json").read_text()


def _state(app) -> dict:
    """Everything a modeling write could change."""
    with app.app_context():
        s = db.session()
        return {"versions": s.scalar(select(func.count()).select_from(ModelVersion)),
                "drafts": [(d.name, d.lock_version, d.source) for d in s.scalars(select(model_drafts.ModelDraft))],
                "instances": [(i.id, i.model_version_id, i.lock_version)
                              for i in s.scalars(select(ProcessInstance).order_by(ProcessInstance.id))],
                "audit": s.scalar(select(func.count()).select_from(AuditEvent)),
                "forms": s.scalar(select(func.count()).select_from(FormVersion))}


@pytest.fixture
def models(owner_app):
    """flow v1 (instance A) and v2 (instance B), and a draft of flow saved by the process owner."""
    owner = signed_in(owner_app)
    assert post_json(owner, "/models/flow/deploy", {"source": V1}).get_json()["version"] == 1
    a = start(owner_app, "A")
    assert post_json(owner, "/models/flow/deploy", {"source": V2}).get_json()["version"] == 2
    b = start(owner_app, "B")
    assert post_json(owner, "/models/flow/draft", {"source": V1, "lock_version": None}).status_code == 200
    return {"a": a, "b": b}


def _sample_requests(app, ids):
    """(endpoint, method, url, json body, form) for every modeling endpoint, with a body that works."""
    lock_a = instance(app, ids["a"]).lock_version
    values = {"name": "flow", "version": "1", "instance_id": str(ids["a"]), "filename": "review.schema.json"}
    bodies = {
        "modeler.create": (None, {"name": "fresh", "kind": "bpmn"}),
        "modeler.upload": (None, {"action": "deploy", "file": (io.BytesIO(V3.encode()), "flow.bpmn")}),
        "modeler.save_draft": ({"source": V3, "lock_version": 1}, None),
        "modeler.validate": ({"source": V3}, None),
        "modeler.deploy": ({"source": V3, "comment": "x"}, None),
        "modeler.discard_draft": (None, {}),
        "migration.run": (None, {"to": "2", "all": "1", "movable": str(ids["a"]), f"lock-{ids['a']}": str(lock_a)}),
        "migration.run_one": ({"to": 2, "lock_version": lock_a}, None),
        "models_api.validate_model": ({"name": "flow", "source": V3}, None),
        "models.form_editor_preview": ({"schema": REVIEW_FORM, "ui": "{}"}, None),
        "models.form_editor_deploy": ({"schema": REVIEW_FORM.replace('"Review"', '"复核"'), "ui": "{}"}, None),
        "models_api.deploy_model": ({"name": "flow", "source": V3}, None),
        "models_api.migrate_instances": ({"to": 2, "instances": [{"id": ids["a"], "lock_version": lock_a}]}, None),
    }
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(AREA):
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<int:{arg}>", values[arg]).replace(f"<{arg}>", values[arg])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            body, form = bodies.get(rule.endpoint, (None, None)) if method == "POST" else (None, None)
            yield rule.endpoint, method, url, body, form


def _call(client, method, url, body, form, headers):
    if form is not None:
        form = {k: (io.BytesIO(v[0].getvalue()), v[1]) if isinstance(v, tuple) else v for k, v in form.items()}
        form["csrf_token"] = client.csrf
        return client.open(url, method=method, data=form, headers=headers, content_type="multipart/form-data")
    if method == "POST":
        return client.open(url, method=method, json=body or {}, headers={**headers, "X-CSRFToken": client.csrf})
    return client.open(url, method=method, headers=headers)


# --- rule 1 and 2: no one outside the modellers reaches modeling; refusals write nothing -----------------

@pytest.mark.parametrize("username", OUTSIDERS + ("owner",))
def test_every_modeling_endpoint_refuses_whom_the_role_matrix_refuses_and_writes_nothing(owner_app, models,
                                                                                         username):
    client = signed_in(owner_app, username)
    api = {"Authorization": f"Bearer {api_token(owner_app, username)}"}
    role = {"spec": "specialist", "insp1": "inspector", "sup": "supervisor", "lead": "leader",
            "owner": "process_owner"}[username]
    tried = 0
    for endpoint, method, url, body, form in _sample_requests(owner_app, models):
        if role in ACCESS[endpoint]:
            continue
        before = _state(owner_app)
        response = _call(client, method, url, body, form, api if url.startswith("/api/") else {})
        assert response.status_code == 403, f"{username}: {method} {url} → {response.status_code}"
        assert _state(owner_app) == before, f"{username}: {method} {url} changed something"
        tried += 1
    assert tried >= (3 if username == "owner" else 20)


def test_the_modeling_endpoints_are_for_modellers_and_migrating_for_admins_only():
    area = {e: rule for e, rule in ACCESS.items() if e.startswith(AREA)}
    migrating = {"migration.run", "migration.run_one", "models_api.migrate_instances"}
    assert {e for e, rule in area.items() if rule == ADMIN} == migrating
    assert all(rule == MODELLERS for e, rule in area.items() if e not in migrating)


def _user(app, username):
    with app.app_context():
        user = db.session().scalars(select(User).where(User.username == username)).one()
        user.roles, user.groups        # noqa: B018 - loaded while the session is open
        db.session().expunge(user)
        return user


@pytest.mark.parametrize("username", OUTSIDERS)
def test_the_services_refuse_a_non_modeller_whatever_door_they_come_through(owner_app, models, username):
    rt = owner_app.extensions["gridsafe.runtime"]
    actor = _user(owner_app, username)
    before = _state(owner_app)
    attempts = [
        lambda s: drafts.deploy(rt, s, actor, "flow", V3, "x"),
        lambda s: drafts.validate(rt, s, actor, "flow", V3),
        lambda s: drafts.save_draft(rt, s, actor, "flow", V3, 1),
        lambda s: drafts.discard_draft(rt, s, actor, "flow", "不再需要"),
        lambda s: drafts.upload(rt, s, actor, filename="flow.bpmn", data=V3.encode(), name="", action="deploy"),
        lambda s: modeling.library(rt, s, actor),
        lambda s: modeling.version_or_404(rt, s, actor, "flow", 1),
        lambda s: modeling.editor(rt, s, actor, "flow"),
        lambda s: modeling.diff(rt, s, actor, "flow"),
        lambda s: instance_migration.dry_run(rt, s, actor, "flow", 1, 2),
        lambda s: instance_migration.migrate(rt, s, actor, "flow", 1, 2, {models["a"]: 1}),
        lambda s: form_editing.editor(rt, s, actor, "review.schema.json"),
        lambda s: form_editing.preview(rt, s, actor, "review.schema.json", REVIEW_FORM, "{}"),
        lambda s: form_editing.deploy(rt, s, actor, "review.schema.json", REVIEW_FORM.replace("Review", "x"), "{}"),
    ]
    for attempt in attempts:
        with rt.sessions() as session:
            with pytest.raises(Forbidden):
                attempt(session)
    assert _state(owner_app) == before


def test_a_process_owner_may_not_migrate_even_through_the_service(owner_app, models):
    rt = owner_app.extensions["gridsafe.runtime"]
    owner, admin = _user(owner_app, "owner"), _user(owner_app, "admin")
    before = _state(owner_app)
    with rt.sessions() as session:
        assert instance_migration.dry_run(rt, session, owner, "flow", 1, 2).checks      # looking is allowed
        with pytest.raises(Forbidden):
            instance_migration.migrate(rt, session, owner, "flow", 1, 2, {models["a"]: 1})
        with pytest.raises(Forbidden):
            instance_migration.migrate_one(rt, session, owner, "flow", 1, models["a"], 2, 1)
    assert _state(owner_app) == before
    lock = instance(owner_app, models["a"]).lock_version
    with rt.sessions() as session:
        moved = instance_migration.migrate(rt, session, admin, "flow", 1, 2, {models["a"]: lock}, "reason")
    assert [r["migrated"] for r in moved.results] == [True]


# --- rule 1: drafts are shared among the modellers, as before ----------------------------------------------

def test_a_draft_is_shared_by_the_modellers_and_guarded_by_its_lock(owner_app, models):
    admin, owner = signed_in(owner_app, "admin"), signed_in(owner_app)
    saved = post_json(admin, "/models/flow/draft", {"source": V3, "lock_version": 1})    # the owner's draft
    assert saved.status_code == 200 and saved.get_json()["lock_version"] == 2
    before = _state(owner_app)
    stale = post_json(owner, "/models/flow/draft", {"source": V1, "lock_version": 1})
    assert stale.status_code == 409 and "after you opened it" in stale.get_json()["detail"]
    assert _state(owner_app) == before
    with owner_app.app_context():
        draft = model_drafts.get(db.session(), "flow")
        assert (draft.updated_by, draft.source) == ("admin", V3)


def test_the_editor_opens_the_shared_draft_for_any_modeller(owner_app, models):
    for username in ("owner", "admin"):
        page = signed_in(owner_app, username).get("/models/flow/edit").get_data(as_text=True)
        config = json.loads(re.search(r'id="modeler-config" type="application/json">(.*?)</script>', page,
                                      re.S).group(1))
        assert config["lock_version"] == 1 and config["source"] == V1


def test_discarding_a_draft_is_one_audit_event(owner_app, models):
    owner = signed_in(owner_app)
    before = _state(owner_app)
    refused = owner.post("/models/flow/draft/discard", data={"csrf_token": owner.csrf, "reason": " "},
                         follow_redirects=True).get_data(as_text=True)
    assert "审计" in refused and _state(owner_app) == before            # no reason: nothing discarded
    assert owner.post("/models/flow/draft/discard", data={"csrf_token": owner.csrf, "reason": "改用新版本"}
                      ).status_code == 302
    after = _state(owner_app)
    assert after["drafts"] == [] and after["audit"] == before["audit"] + 1
    with owner_app.app_context():
        event = db.session().scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.chain, event.action, event.actor, event.reason) == ("model:flow", "model.draft_discarded", "owner",
                                                                      "改用新版本")


# --- rule 2: a refused deploy writes no version and no audit event ------------------------------------------

@pytest.mark.parametrize("name", ["upload", "forms", "new"])
def test_the_api_refuses_a_reserved_model_name_and_writes_nothing(owner_app, models, name):
    client = owner_app.test_client()
    before = _state(owner_app)
    response = client.post("/api/v1/models/deploy", json={"name": name, "source": V1},
                           headers={"Authorization": f"Bearer {api_token(owner_app, 'owner')}"})
    assert response.status_code == 422 and "保留名称" in response.get_json()["detail"]      # "is reserved"
    assert _state(owner_app) == before
    assert versions(owner_app, name) == []


def test_an_invalid_deploy_writes_no_version_and_no_audit_event_and_keeps_the_draft(owner_app, models):
    broken = V2.replace('id="test.remind"', 'id="test.no_such_operator"')
    owner = signed_in(owner_app)
    api = {"Authorization": f"Bearer {api_token(owner_app, 'owner')}"}
    before = _state(owner_app)
    assert post_json(owner, "/models/flow/deploy", {"source": broken}).status_code == 422
    assert owner.post("/api/v1/models/deploy", json={"name": "flow", "source": broken}, headers=api).status_code == 422
    assert post_json(owner, "/models/flow/deploy", {"source": DIAGRAMS.joinpath("grade.dmn").read_text()}
                     ).status_code == 422                       # a table under a process's name
    assert _state(owner_app) == before


# --- rule 3: migrating is for admins, and each instance is checked by the service ----------------------------

def test_an_admin_cannot_migrate_an_instance_that_is_not_on_the_version_of_the_page(owner_app, models):
    owner = signed_in(owner_app)
    assert post_json(owner, "/models/flow/deploy", {"source": V3}).get_json()["version"] == 3
    b = models["b"]                                             # on version 2, not 1
    admin = signed_in(owner_app, "admin")
    before = _state(owner_app)
    page = admin.post("/models/flow/versions/1/migration",
                      data={"csrf_token": admin.csrf, "to": "3", "all": "0", "instance": str(b),
                            f"lock-{b}": str(instance(owner_app, b).lock_version)})
    assert page.status_code == 200 and 'data-migrated="0" data-total="1"' in page.get_data(as_text=True)
    assert _state(owner_app) == before


def test_the_dry_run_is_for_modellers_and_a_refused_migration_writes_nothing(owner_app, models):
    owner, admin = signed_in(owner_app), signed_in(owner_app, "admin")
    assert 'data-movable="1"' in owner.get("/models/flow/versions/1/migration").get_data(as_text=True)
    api = {"Authorization": f"Bearer {api_token(owner_app, 'owner')}"}
    assert owner.get("/api/v1/models/flow/versions/1/migration", headers=api).status_code == 200
    before = _state(owner_app)
    stale = post_json(admin, f"/models/flow/versions/1/migration/{models['a']}", {"to": 2, "lock_version": 99})
    assert stale.status_code == 409 and not stale.get_json()["migrated"]
    wrong = post_json(admin, f"/models/flow/versions/1/migration/{models['b']}",
                      {"to": 2, "lock_version": instance(owner_app, models["b"]).lock_version})
    assert wrong.status_code == 409
    nothing = admin.post("/models/flow/versions/1/migration", data={"csrf_token": admin.csrf, "all": "0"})
    assert nothing.status_code == 422
    assert _state(owner_app) == before


# --- rule 4: unknown, huge and non-numeric ids and names are 404, never 500 -----------------------------------

PAGES_404 = [
    "/models/nope/versions/1", "/models/flow/versions/99", f"/models/flow/versions/{HUGE}", "/models/flow/versions/x",
    f"/models/flow/versions/{HUGE}/source", "/models/nope/versions/1/source", "/models/nope/diff",
    f"/models/flow/diff?from={HUGE}&to=1", "/models/flow/diff?to=99", f"/models/flow/diff?from=1&to={HUGE}",
    "/models/nope/edit", f"/models/flow/versions/{HUGE}/migration", f"/models/flow/versions/1/migration?to={HUGE}",
    "/models/nope/versions/1/migration", "/models/flow/versions/x/migration", "/models/forms/nope.schema.json",
    "/models/forms/nope.json/edit", "/models/forms/..%2Fbpmn%2Fflow.schema.json/edit",
    "/api/v1/models/nope/versions/1", f"/api/v1/models/flow/versions/{HUGE}", "/api/v1/models/flow/versions/x",
    "/api/v1/models/nope/diff", f"/api/v1/models/flow/diff?from={HUGE}", "/api/v1/models/flow/diff?to=99",
    f"/api/v1/models/flow/versions/{HUGE}/migration", f"/api/v1/models/flow/versions/1/migration?to={HUGE}",
    "/api/v1/models/nope/versions/1/migration",
]


@pytest.mark.parametrize("username", ["owner", "admin"])
def test_unknown_huge_and_non_numeric_versions_and_names_are_not_found(owner_app, models, username):
    client = signed_in(owner_app, username)
    api = {"Authorization": f"Bearer {api_token(owner_app, username)}"}
    wrong = []
    for url in PAGES_404:
        response = client.get(url, headers=api if url.startswith("/api/") else {})
        if response.status_code != 404:
            wrong.append(f"GET {url} → {response.status_code}")
    assert not wrong, "\n".join(wrong)


def test_migrating_with_unknown_or_huge_ids_is_refused_without_a_write(owner_app, models):
    admin = signed_in(owner_app, "admin")
    api = {"Authorization": f"Bearer {api_token(owner_app, 'admin')}"}
    lock = instance(owner_app, models["a"]).lock_version
    before = _state(owner_app)
    assert admin.post(f"/models/flow/versions/{HUGE}/migration",
                      data={"csrf_token": admin.csrf, "all": "0", "instance": str(models["a"]),
                            f"lock-{models['a']}": str(lock)}).status_code == 404
    assert admin.post("/models/flow/versions/1/migration",
                      data={"csrf_token": admin.csrf, "to": str(HUGE), "all": "0", "instance": str(models["a"]),
                            f"lock-{models['a']}": str(lock)}).status_code == 404
    page = admin.post("/models/flow/versions/1/migration",
                      data={"csrf_token": admin.csrf, "to": "2", "all": "0", "instance": str(HUGE),
                            f"lock-{HUGE}": "1"})
    assert page.status_code == 200 and 'data-migrated="0" data-total="1"' in page.get_data(as_text=True)
    assert post_json(admin, f"/models/flow/versions/1/migration/{HUGE}", {"to": 2, "lock_version": 1}
                     ).status_code == 409
    assert post_json(admin, f"/models/flow/versions/1/migration/{models['a']}", {"to": HUGE, "lock_version": lock}
                     ).status_code == 404
    assert post_json(admin, f"/models/nope/versions/1/migration/{models['a']}", {"to": 2, "lock_version": lock}
                     ).status_code == 404
    body = admin.post("/api/v1/models/flow/versions/1/migration", headers=api,
                      json={"to": 2, "instances": [{"id": HUGE, "lock_version": 1}]})
    assert body.status_code == 200 and [r["migrated"] for r in body.get_json()["results"]] == [False]
    assert admin.post("/api/v1/models/flow/versions/1/migration", headers=api,
                      json={"to": HUGE, "instances": [{"id": models["a"], "lock_version": lock}]}).status_code == 404
    assert admin.post(f"/api/v1/models/flow/versions/{HUGE}/migration", headers=api,
                      json={"to": 2, "instances": [{"id": models["a"], "lock_version": lock}]}).status_code == 404
    assert _state(owner_app) == before


def test_the_services_answer_unknown_and_huge_versions_as_not_found(owner_app, models):
    rt = owner_app.extensions["gridsafe.runtime"]
    owner = _user(owner_app, "owner")
    with rt.sessions() as session:
        for version in (99, HUGE, -1, 0, "x", None):
            with pytest.raises(NotFound):
                modeling.version_or_404(rt, session, owner, "flow", version)
        with pytest.raises(NotFound):
            modeling.model_or_404(rt, session, owner, "nope")
        with pytest.raises(Invalid):
            drafts.deploy(rt, session, owner, "upload", V1)

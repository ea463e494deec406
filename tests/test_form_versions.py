"""Forms in the browser (issue 16): a process owner edits a user task's form, it is versioned with the
diagrams that show it, an instance keeps the form it started with, an invalid form is refused without a
write, the forms folder is the first version (starting again writes nothing), and the diff and export show
form versions."""
from __future__ import annotations

import json
import shutil

import pytest
from sqlalchemy import func, select

from engine import AuditEvent, HumanTask, ModelVersion
from records import User
from records.form_versions import FormVersion
from services import Invalid, form_editing, maintenance, modeling, task_forms
from support import DIAGRAMS, FORMS, ReviewHandlers
from web_support import csrf_of, login, seed_people
from webui import create_app, db, engine_of

REVIEW = json.loads((FORMS / "review.schema.json").read_text())
WITH_REMARK = {**REVIEW, "properties": {**REVIEW["properties"],
                                        "remark": {"type": "string", "title": "整改说明"}}}


@pytest.fixture
def app(db_url, tmp_path, clock):
    """flow (v1, file) with review.schema.json (v1, shipped from the forms folder): SQLite and PostgreSQL."""
    return make_app(db_url, tmp_path, clock)


def make_app(url, tmp_path, clock):
    shutil.copytree(FORMS, tmp_path / "forms")
    (tmp_path / "forms" / "broken.schema.json").unlink()
    (tmp_path / "bpmn").mkdir()
    shutil.copy(DIAGRAMS / "migration" / "flow_v1.bpmn", tmp_path / "bpmn" / "flow.bpmn")
    app = create_app({"ENV": "testing", "SECRET_KEY": "test-secret", "DATABASE_URL": url,
                      "DATA_DIR": str(tmp_path / "data"), "FORMS_DIR": str(tmp_path / "forms"),
                      "BPMN_DIR": str(tmp_path / "bpmn"), "CLOCK": clock,
                      "EXTRA_HANDLERS": ReviewHandlers().table()})
    with app.app_context():
        seed_people(db.session(), clock.now())
    maintenance.deploy_folder(runtime(app))
    return app


def runtime(app):
    return app.extensions["gridsafe.runtime"]


def user(app, username="owner"):
    with app.app_context():
        found = db.session().scalars(select(User).where(User.username == username)).one()
        found.roles, found.groups        # noqa: B018 - loaded while the session is open
        db.session().expunge(found)
        return found


def counts(app) -> tuple:
    with app.app_context():
        s = db.session()
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (FormVersion, ModelVersion, AuditEvent))


def start(app, key: str) -> str:
    """Start flow; the id of its first user task."""
    with app.app_context():
        session = db.session()
        instance = engine_of(app).start_instance(session, "flow", actor="spec", business_key=key,
                                                 data={"team": "JA-T1"})
        return session.scalars(select(HumanTask.id).where(HumanTask.instance_id == instance.id)).one()


def form_of(app, task_id: str) -> dict:
    with app.app_context():
        session = db.session()
        return task_forms.form_of(runtime(app), session.get(HumanTask, task_id), session)[0]


def deploy(app, schema: dict | str, ui: dict | str = "{}", **kw):
    text = schema if isinstance(schema, str) else json.dumps(schema)
    with app.app_context():
        return form_editing.deploy(runtime(app), db.session(), user(app), "review.schema.json", text,
                                   ui if isinstance(ui, str) else json.dumps(ui), **kw)


def test_the_forms_folder_is_the_first_version_and_starting_again_writes_nothing(app):
    with app.app_context():
        s = db.session()
        row = s.scalars(select(FormVersion).where(FormVersion.name == "review.schema.json")).one()
        assert (row.version, row.origin) == (1, "file")
        flow = s.scalars(select(ModelVersion).where(ModelVersion.name == "flow")).one()
        assert flow.forms == {"review.schema.json": row.content_hash}
    before = counts(app)
    results = maintenance.deploy_folder(runtime(app))
    assert counts(app) == before
    assert [r.status for r in results] == ["unchanged"]


def test_a_form_edited_and_deployed_reaches_new_instances_while_an_older_one_keeps_its_old_form(app):
    older = start(app, "A")
    done = deploy(app, WITH_REMARK, comment="ask for a remark")
    assert done.status == "deployed" and done.versions == {"review.schema.json": 2}
    assert [(r.name, r.status, r.version) for r in done.results] == [("flow", "deployed", 2)]
    newer = start(app, "B")
    assert "remark" not in form_of(app, older)["properties"]
    assert form_of(app, newer)["properties"]["remark"]["title"] == "整改说明"
    with app.app_context():
        flow = db.session().scalars(select(ModelVersion).where(ModelVersion.name == "flow",
                                                               ModelVersion.version == 2)).one()
        assert flow.origin == "modeler" and flow.comment.startswith("ask for a remark")
        actions = [e.action for e in db.session().scalars(select(AuditEvent).where(
            AuditEvent.chain == "form:review.schema.json").order_by(AuditEvent.seq))]
        assert actions == ["form.deployed", "form.deployed"]
    assert deploy(app, WITH_REMARK).status == "unchanged"


def test_a_restart_after_a_form_deploy_keeps_the_browser_form_and_writes_nothing(app):
    deploy(app, WITH_REMARK)
    before = counts(app)
    results = maintenance.deploy_folder(runtime(app))
    assert counts(app) == before
    kept = {r.name: r for r in results}
    assert kept["review.schema.json"].status == "kept" and kept["flow"].status == "kept"
    assert "owner" in str(kept["review.schema.json"]) and "\n" not in str(kept["review.schema.json"])
    assert "remark" in form_of(app, start(app, "C"))["properties"]


@pytest.mark.parametrize("schema, ui, words", [
    ('{"type": "object", "properties": {"note": {"type": "strng"}}}', "{}", "properties/note/type"),
    ('{"type": "object", "properties": ', "{}", "Not valid JSON"),
    ('{"type": "array", "items": {}}', "{}", '"type": "object"'),
    (json.dumps(REVIEW), '{"ui:order": ["passed", "ghost"]}', "ghost"),
    (json.dumps(REVIEW), '{"remarks": {"ui:widget": "textarea"}}', "remarks"),
    (json.dumps(REVIEW), '["passed"]', "must be a JSON object"),
])
def test_an_invalid_form_is_refused_naming_the_problem_and_nothing_changes(app, schema, ui, words):
    older = start(app, "A")
    before = counts(app)
    with pytest.raises(Invalid) as refused:
        deploy(app, schema, ui)
    assert words in refused.value.message
    assert counts(app) == before
    assert form_of(app, older) == REVIEW and form_of(app, start(app, "B")) == REVIEW


def test_the_diff_between_two_versions_shows_the_form_change(app):
    deploy(app, WITH_REMARK)
    with app.app_context():
        found = modeling.diff(runtime(app), db.session(), user(app), "flow")
    assert [(c.name, c.status, c.old_version, c.new_version) for c in found.form_changes] == [
        ("review.schema.json", "changed", 1, 2)]
    assert any(line.startswith("+") and "整改说明" in line for line in found.form_changes[0].lines)
    assert [found.changes[k] for k in ("added", "removed", "changed")] == [[], [], []]


def test_export_writes_the_form_versions_the_deployed_diagrams_show(app, tmp_path):
    deploy(app, WITH_REMARK)
    maintenance.export_models(runtime(app), tmp_path / "out")
    assert json.loads((tmp_path / "out" / "forms" / "review.schema.json").read_text()) == WITH_REMARK


def test_a_new_form_made_in_the_browser_can_be_named_by_a_diagram_deployed_after_it(app):
    with app.app_context():
        done = form_editing.deploy(runtime(app), db.session(), user(app), "sign_off.schema.json",
                                   json.dumps({"type": "object", "properties": {"ok": {"type": "boolean"}}}), "")
    assert done.status == "deployed" and done.versions == {"sign_off.schema.json": 1} and done.results == []
    source = (DIAGRAMS / "migration" / "flow_v1.bpmn").read_text().replace("review.schema.json", "sign_off.schema.json")
    with app.app_context():
        result = engine_of(app).deploy_source(db.session(), "flow.bpmn", source.encode(), "owner", origin="modeler")
    assert result.status == "deployed", result.problems
    assert form_of(app, start(app, "A")) == {"type": "object", "properties": {"ok": {"type": "boolean"}}}


def test_a_non_modeller_cannot_deploy_a_form_through_the_service(app):
    from services import Forbidden
    before = counts(app)
    with app.app_context(), pytest.raises(Forbidden):
        form_editing.deploy(runtime(app), db.session(), user(app, "insp1"), "review.schema.json",
                            json.dumps(WITH_REMARK), "{}")
    assert counts(app) == before


# ---- the pages ---------------------------------------------------------------------------------

def owner(app):
    client = app.test_client()
    login(client, "owner")
    client.csrf = csrf_of(client, "/models")
    return client


def test_the_form_editor_previews_and_deploys_and_the_task_page_shows_each_instance_its_form(app):
    older = start(app, "A")
    client = owner(app)
    page = client.get("/models/forms/review.schema.json/edit")
    assert page.status_code == 200 and "gridsafe-formeditor.js" in page.get_data(as_text=True)
    headers = {"X-CSRFToken": client.csrf}
    shown = client.post("/models/forms/review.schema.json/preview", headers=headers,
                        json={"schema": json.dumps(WITH_REMARK), "ui": '{"remark": {"ui:widget": "textarea"}}'})
    assert shown.status_code == 200 and shown.get_json()["problems"] == []
    assert 'name="remark"' in shown.get_json()["html"] and "<textarea" in shown.get_json()["html"]
    bad = client.post("/models/forms/review.schema.json/deploy", headers=headers,
                      json={"schema": json.dumps(WITH_REMARK), "ui": '{"ghost": {}}'})
    assert bad.status_code == 422 and "ghost" in bad.get_json()["detail"]
    done = client.post("/models/forms/review.schema.json/deploy", headers=headers,
                       json={"schema": json.dumps(WITH_REMARK), "ui": "{}", "comment": "remark"})
    assert done.status_code == 200 and done.get_json()["models"][0]["version"] == 2
    newer = start(app, "B")
    inspector = app.test_client()
    login(inspector, "insp1")
    assert 'name="remark"' not in inspector.get(f"/tasks/{older}").get_data(as_text=True)
    assert 'name="remark"' in inspector.get(f"/tasks/{newer}").get_data(as_text=True)
    diff = client.get("/models/flow/diff").get_data(as_text=True)
    assert "review.schema.json" in diff and "整改说明" in diff
    assert "<code>review.schema.json</code></a> v2" in client.get("/models/flow/versions/2").get_data(as_text=True)
    assert "<code>review.schema.json</code></a> v1" in client.get("/models/flow/versions/1").get_data(as_text=True)


def test_a_form_editor_for_a_name_that_is_not_a_schema_file_is_not_found(app):
    client = owner(app)
    assert client.get("/models/forms/review.json/edit").status_code == 404
    assert client.get("/models/forms/new?name=site_check").headers["Location"].endswith(
        "/models/forms/site_check.schema.json/edit")
    refused = client.get("/models/forms/new?name=../x", follow_redirects=True)
    assert "表单名称只能包含" in refused.get_data(as_text=True)


def test_a_zip_with_a_changed_form_deploys_its_next_version_with_the_diagram(app):
    import io
    import zipfile

    from services import model_bundles
    older = start(app, "A")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("flow.bpmn", (DIAGRAMS / "migration" / "flow_v1.bpmn").read_text())
        z.writestr("forms/review.schema.json", json.dumps(WITH_REMARK, ensure_ascii=False))
    with app.app_context():
        done = model_bundles.deploy_bundle(runtime(app), db.session(), user(app), buffer.getvalue(), "zip")
    assert done.ok and done.forms_added == ["review.schema.json"]
    assert [(r.name, r.status, r.version) for r in done.results] == [("flow", "deployed", 2)]
    assert "remark" not in form_of(app, older)["properties"]
    assert "remark" in form_of(app, start(app, "B"))["properties"]


def test_a_caller_shows_the_forms_of_what_it_calls_and_keeps_them_for_its_running_instances(app):
    with app.app_context():
        s = db.session()
        assert engine_of(app).deploy_source(s, "caller.bpmn", (DIAGRAMS / "migration" / "caller.bpmn").read_bytes(),
                                            "owner").status == "deployed"
        running = engine_of(app).start_instance(s, "caller", actor="spec", data={"team": "JA-T1"}).id
        task = s.scalars(select(HumanTask.id).where(HumanTask.instance_id == running)).one()
    deploy(app, WITH_REMARK)
    with app.app_context():
        callers = db.session().scalars(select(ModelVersion).where(ModelVersion.name == "caller")
                                       .order_by(ModelVersion.version)).all()
        assert [mv.version for mv in callers] == [1, 2]
        assert callers[0].forms != callers[1].forms and set(callers[1].forms) == {"review.schema.json"}
    assert "remark" not in form_of(app, task)["properties"]

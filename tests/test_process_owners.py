"""Process owners own their processes (issue 16): a restart keeps what they deployed in the browser,
files deploy callees first with their own dependencies only, lint stands alone, and a process id
belongs to one model."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from engine import AmbiguousDefinition, AuditEvent, Definition, ModelVersion
from records.form_versions import FormVersion
from support import DIAGRAMS, ReviewHandlers, World

ROOT = Path(__file__).resolve().parent.parent
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def chain(process_id: str, calls: str | None = None, label: str = "x = 1") -> str:
    """A small process that calls `calls` (a call activity) or runs a script."""
    step = f'<bpmn:callActivity id="step" calledElement="{calls}">' if calls else '<bpmn:scriptTask id="step">'
    close = "</bpmn:callActivity>" if calls else f"<bpmn:script>{label}</bpmn:script></bpmn:scriptTask>"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="{BPMN}" id="{process_id}_defs" targetNamespace="http://gridsafe.example/test">
  <bpmn:process id="{process_id}" name="{process_id}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="step"/>
    {step}<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>{close}
    <bpmn:sequenceFlow id="f2" sourceRef="step" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def world(sessions, clock):
    return World(sessions, clock, ReviewHandlers().table())


def folder_deploy(world, folder: Path):
    with world.sessions() as s:
        return {r.name: r for r in world.engine.deploy_folder(s, folder, "system")}


def versions(world, name: str) -> list[tuple[int, str]]:
    with world.sessions() as s:
        return [(mv.version, mv.origin) for mv in s.scalars(
            select(ModelVersion).where(ModelVersion.name == name).order_by(ModelVersion.version))]


def writes(world) -> tuple[int, int]:
    with world.sessions() as s:
        return (s.scalar(select(func.count()).select_from(ModelVersion)),
                s.scalar(select(func.count()).select_from(AuditEvent)))


# ---- one source of truth ----------------------------------------------------------------------

def test_a_restart_after_a_browser_deploy_keeps_the_browser_version_and_says_so(world, tmp_path):
    (tmp_path / "review.bpmn").write_bytes((DIAGRAMS / "review.bpmn").read_bytes())
    assert folder_deploy(world, tmp_path)["review"].status == "deployed"
    changed = (DIAGRAMS / "review.bpmn").read_text().replace('name="Review the item"', 'name="Look again"')
    with world.sessions() as s:
        assert world.engine.deploy_source(s, "review.bpmn", changed.encode(), "owner",
                                          origin="modeler").version == 2
    before = writes(world)
    kept = folder_deploy(world, tmp_path)["review"]
    assert kept.status == "kept" and kept.version == 2
    line = str(kept)
    assert "\n" not in line and "owner" in line and "modeler" in line and "bpmn deploy" in line
    assert writes(world) == before and versions(world, "review") == [(1, "file"), (2, "modeler")]
    started = world.start(label="A", days=1, team="T")
    assert world.task(started.id).title == "Look again"


def test_an_explicit_deploy_of_the_file_replaces_the_browser_version_and_is_audited(world, tmp_path):
    original = (DIAGRAMS / "review.bpmn").read_bytes()
    world.deploy("review.bpmn")
    changed = original.decode().replace('name="Review the item"', 'name="Look again"').encode()
    with world.sessions() as s:
        world.engine.deploy_source(s, "review.bpmn", changed, "owner", origin="modeler")
        (result,) = world.engine.deploy_files(s, [("review.bpmn", original)], "admin", "back to the file")
    assert result.status == "deployed" and result.version == 3
    assert versions(world, "review")[-1] == (3, "file")
    with world.sessions() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.chain == "model:review")
                          .order_by(AuditEvent.seq.desc())).first()
    assert event.action == "model.deployed" and event.actor == "admin"
    assert "back to the file" in event.reason and "replaces version 2" in event.reason and "owner" in event.reason


def test_a_changed_file_is_deployed_at_start_when_no_browser_version_is_newer(world, tmp_path):
    (tmp_path / "solo.bpmn").write_text(chain("solo"))
    assert folder_deploy(world, tmp_path)["solo"].status == "deployed"
    assert folder_deploy(world, tmp_path)["solo"].status == "unchanged"
    (tmp_path / "solo.bpmn").write_text(chain("solo", label="x = 2"))
    assert folder_deploy(world, tmp_path)["solo"].version == 2


def _app(tmp_path, clock, sqlite_url, bpmn_dir=None):
    from webui import create_app
    config = {"ENV": "testing", "SECRET_KEY": "k", "DATABASE_URL": sqlite_url, "DATA_DIR": str(tmp_path / "d"),
              "CLOCK": clock}
    if bpmn_dir:
        config["BPMN_DIR"] = str(bpmn_dir)
    return create_app(config)


def test_starting_twice_writes_nothing_and_export_writes_the_deployed_versions(tmp_path, clock, sqlite_url):
    from cli import main
    from webui import db
    app = _app(tmp_path, clock, sqlite_url)

    def count():
        with app.app_context():
            s = db.session()
            return [s.scalar(select(func.count()).select_from(m)) for m in (ModelVersion, AuditEvent)]

    first = CliRunner().invoke(main, ["init"], obj={"app": app})
    assert first.exit_code == 0 and "NOT deployed" not in first.output, first.output
    after_first = count()
    second = CliRunner().invoke(main, ["init"], obj={"app": app})
    assert second.exit_code == 0 and "deployed (" not in second.output
    assert count() == after_first
    out = CliRunner().invoke(main, ["bpmn", "export", str(tmp_path / "export")], obj={"app": app})
    assert out.exit_code == 0, out.output
    for name in ("hazard_lifecycle.bpmn", "inspection.bpmn", "team_assessment.bpmn", "risk_grade.dmn",
                 "risk_grade.cases.json"):
        assert (tmp_path / "export" / name).read_bytes() == (ROOT / "bpmn" / name).read_bytes()
    exported_forms = {p.name for p in (tmp_path / "export" / "forms").iterdir()}
    assert {"follow_up.schema.json", "follow_up.uischema.json", "review_assessment.schema.json"} <= exported_forms
    assert exported_forms <= {p.name for p in (ROOT / "forms").glob("*.json")}
    again = CliRunner().invoke(main, ["bpmn", "export", str(tmp_path / "export")], obj={"app": app})
    assert "0 files written" in again.output


# ---- deploy order and dependencies ------------------------------------------------------------

def test_callees_deploy_first_and_unchanged_files_never_get_new_versions(world, tmp_path):
    (tmp_path / "a_caller.bpmn").write_text(chain("a_caller", calls="b_middle"))
    (tmp_path / "b_middle.bpmn").write_text(chain("b_middle", calls="c_leaf"))
    (tmp_path / "c_leaf.bpmn").write_text(chain("c_leaf"))
    (tmp_path / "d_alone.bpmn").write_text(chain("d_alone"))
    first = folder_deploy(world, tmp_path)
    assert {n: r.status for n, r in first.items()} == dict.fromkeys(first, "deployed"), [str(r) for r in first.values()]
    assert all(r.status == "unchanged" for r in folder_deploy(world, tmp_path).values())
    assert all(r.status == "unchanged" for r in folder_deploy(world, tmp_path).values())
    with world.sessions() as s:
        deps = {mv.name: mv.dependencies for mv in s.scalars(select(ModelVersion))}
    assert deps == {"a_caller": {"b_middle": deps["a_caller"]["b_middle"]},
                    "b_middle": {"c_leaf": deps["b_middle"]["c_leaf"]}, "c_leaf": {}, "d_alone": {}}
    (tmp_path / "c_leaf.bpmn").write_text(chain("c_leaf", label="x = 2"))
    third = folder_deploy(world, tmp_path)
    assert {n: r.version for n, r in third.items()} == {"c_leaf": 2, "b_middle": 2, "a_caller": 2, "d_alone": 1}
    assert third["d_alone"].status == "unchanged"
    assert all(r.status == "unchanged" for r in folder_deploy(world, tmp_path).values())


def test_a_browser_change_of_a_callee_gives_its_callers_new_versions(world, tmp_path):
    (tmp_path / "a_caller.bpmn").write_text(chain("a_caller", calls="b_middle"))
    (tmp_path / "b_middle.bpmn").write_text(chain("b_middle", calls="c_leaf"))
    (tmp_path / "c_leaf.bpmn").write_text(chain("c_leaf"))
    folder_deploy(world, tmp_path)
    with world.sessions() as s:
        world.engine.deploy_source(s, "c_leaf.bpmn", chain("c_leaf", label="x = 3").encode(), "owner",
                                   origin="modeler")
    assert versions(world, "a_caller") == [(1, "file"), (2, "file")]
    results = folder_deploy(world, tmp_path)
    assert results["c_leaf"].status == "kept"
    assert results["a_caller"].status == results["b_middle"].status == "unchanged"


# ---- lint stands alone ------------------------------------------------------------------------

def test_lint_without_a_database_resolves_a_caller_and_callee_given_together(tmp_path, clock):
    from cli import main
    from services import build
    (tmp_path / "caller.bpmn").write_text(chain("caller", calls="callee"))
    (tmp_path / "callee.bpmn").write_text(chain("callee"))
    rt = build({"DATABASE_URL": f"sqlite:///{tmp_path / 'never-initialised.db'}", "DATA_DIR": str(tmp_path / "d"),
                "BPMN_DIR": str(tmp_path / "empty")}, clock=clock)
    result = CliRunner().invoke(main, ["bpmn", "lint", str(tmp_path / "caller.bpmn"), str(tmp_path / "callee.bpmn")],
                                obj={"rt": rt})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 0, result.output
    alone = CliRunner().invoke(main, ["bpmn", "lint", str(tmp_path / "caller.bpmn")], obj={"rt": rt})
    assert alone.exit_code == 1 and "Traceback" not in alone.output
    assert "calls the process 'callee', which is neither deployed nor among the files given" in alone.output


def test_lint_resolves_calls_against_the_database_and_reports_every_file_at_once(world, tmp_path):
    world.deploy("callee.bpmn", chain("callee").encode())
    with world.sessions() as s:
        found = world.engine.lint_files(s, [
            ("caller.bpmn", chain("caller", calls="callee").encode()),
            ("bad1.bpmn", chain("bad1", label="import os").encode()),
            ("bad2.bpmn", chain("bad2", calls="nowhere").encode().replace(b'"R', b'"R')),
        ])
    assert found["caller.bpmn"] == []
    assert any("import" in p.message for p in found["bad1.bpmn"])
    assert any("'nowhere'" in p.message for p in found["bad2.bpmn"])


def test_lint_reports_lint_and_parser_problems_of_one_file_together(world):
    text = chain("twice", label="import os").replace(
        '<bpmn:sequenceFlow id="f2" sourceRef="step" targetRef="end"/>',
        '<bpmn:sequenceFlow id="f2" sourceRef="step" targetRef="nowhere_at_all"/>')
    with world.sessions() as s:
        problems = world.engine.lint_files(s, [("twice.bpmn", text.encode())])["twice.bpmn"]
    messages = " | ".join(p.message for p in problems)
    assert "import" in messages and "nowhere_at_all" in messages, messages


def test_a_duplicate_process_id_is_refused_for_that_file_only_naming_the_owner(world):
    assert world.deploy("review.bpmn").status == "deployed"
    copy = world.deploy("copy_of_review.bpmn", (DIAGRAMS / "review.bpmn").read_bytes())
    assert copy.status == "invalid"
    assert "the process id 'review' is already used by the model 'review'" in str(copy)
    assert world.deploy("solo.bpmn", chain("solo").encode()).status == "deployed"
    assert world.deploy("scripted.bpmn", (DIAGRAMS / "scripted.bpmn").read_bytes()
                        .replace(b"SCRIPT", b"x = 1")).status == "deployed"
    assert world.start(label="A", days=1, team="T").status == "running"


def test_starting_a_process_two_models_define_is_refused_not_guessed(world):
    world.deploy("review.bpmn")
    with world.sessions() as s:       # a database from before duplicates were refused
        old = s.scalars(select(ModelVersion)).one()
        twin = ModelVersion(name="twin", kind="bpmn", version=1, content_hash="x", source=old.source,
                            spec_json=old.spec_json, process_ids=old.process_ids, dependencies={},
                            deployed_at=old.deployed_at, deployed_by="owner", origin="modeler")
        s.add(twin)
        s.flush()
        s.add(Definition(kind="process", definition_id="review", title="Review", model_version_id=twin.id))
        s.commit()
    with pytest.raises(AmbiguousDefinition, match="defined by the models review, twin"):
        world.start(label="A", days=1, team="T")
    assert world.deploy("solo.bpmn", chain("solo").encode()).status == "deployed"     # other files are not hit
    with world.sessions() as s:
        assert world.engine.lint_source(s, "caller.bpmn", chain("caller", calls="solo").encode()) == []


# ---- lint and the sandbox agree; diagrams from elsewhere --------------------------------------

@pytest.mark.parametrize("script,words", [
    ("print(total)", "print() is not available in diagram scripts"),
    ("x = '{} of {}'.format(total, 2)", "str.format() is not allowed in diagram scripts"),
    ("class Box:\n    pass", "class definitions are not allowed in diagram scripts"),
    ("x = getattr(total, 'real')", "getattr() is not available in diagram scripts"),
])
def test_lint_and_the_sandbox_refuse_the_same_scripts_with_the_same_words(world, script, words):
    from xml.sax.saxutils import escape

    from SpiffWorkflow.bpmn import BpmnWorkflow

    from engine.scripting import ScriptEngine
    from engine.specs import compile_bpmn, read_xml
    text = (DIAGRAMS / "scripted.bpmn").read_text().replace("SCRIPT", escape("total = 1\n" + script))
    with world.sessions() as s:
        (problem,) = world.engine.lint_source(s, "scripted.bpmn", text.encode())
    assert words in problem.message and problem.element_id == "compute"
    root = read_xml(text.encode(), "scripted.bpmn")           # lint bypassed: the sandbox says the same
    spec, subprocesses = compile_bpmn(("scripted.bpmn", root), [], []).processes["scripted"]
    workflow = BpmnWorkflow(spec, subprocesses, script_engine=ScriptEngine(world.clock, None))
    with pytest.raises(Exception) as refused:
        workflow.do_engine_steps()
    assert words in str(refused.value)
    refusal = problem.message.split("restricted script environment: ", 1)[1]
    assert refusal.startswith("Line 2: ") and refusal in str(refused.value)


def test_what_lint_passes_runs_in_the_sandbox(world):
    script = ("def pair(a, b):\n    return [a, b]\nx = f\"{pair(1, 2)} of {len('ab')}\"\n"
              "y = sorted([3, 1, 2])\nz = round(total / 3, 2)")
    text = (DIAGRAMS / "scripted.bpmn").read_text().replace("SCRIPT", "total = 1\n" + script)
    with world.sessions() as s:
        assert world.engine.lint_source(s, "scripted.bpmn", text.encode()) == []
    assert world.deploy("scripted.bpmn", text.encode()).status == "deployed"
    inst = world.call("start_instance", "scripted", actor="alice")
    assert world.instance(inst.id).status == "completed"


REVIEW = (DIAGRAMS / "review.bpmn").read_text()
CATEGORY = ('<bpmn:dataObject id="notes"><bpmn:extensionElements><spiffworkflow:category>记录</spiffworkflow:category>'
            '</bpmn:extensionElements></bpmn:dataObject>\n    <bpmn:startEvent id="start">')


@pytest.mark.parametrize("old,new", [
    ('<bpmn:startEvent id="start">', CATEGORY),
    ('<spiffworkflow:parameter id="days" type="int" value="days"/>', '<spiffworkflow:parameter id="days" type="int"/>'),
    ('<spiffworkflow:property name="formJsonSchemaFilename" value="review.schema.json"/>', ""),
])
def test_lint_accepts_what_spiffworkflow_reads(world, old, new):
    assert old in REVIEW
    with world.sessions() as s:
        assert world.engine.lint_source(s, "review.bpmn", REVIEW.replace(old, new).encode()) == []


def test_a_user_task_without_a_form_is_a_confirmation_step(client, site):
    from web_support import csrf_of, login
    from webui import db
    source = (DIAGRAMS / "site_visit.bpmn").read_text()
    for prop in ('<spiffworkflow:property name="formJsonSchemaFilename" value="site_visit.schema.json"/>',
                 '<spiffworkflow:property name="formUiSchemaFilename" value="site_visit.uischema.json"/>'):
        source = source.replace(prop, "")
    with site.app.app_context():
        assert site.engine.deploy_source(db.session(), "site_visit.bpmn", source.encode(), "owner",
                                         origin="modeler").status == "deployed"
    task = site.task(site.start_visit())
    login(client, "insp1")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "确认完成" in page and "此步骤无需填写内容" in page
    response = client.post(f"/tasks/{task.id}", data={"csrf_token": csrf_of(client, f"/tasks/{task.id}"),
                                                      "action": "complete"})
    assert response.status_code == 302
    assert site.task(task.instance_id).status == "completed"
    assert site.task(task.instance_id, "approve").status == "ready"


# ---- correlated messages and signals ----------------------------------------------------------

def test_a_correlated_message_reaches_the_right_one_of_fifty_instances(world):
    from engine import InvalidRequest, MessageSubscription, NoSubscriber
    with world.sessions() as s:
        assert world.engine.lint_source(s, "paid.bpmn", (DIAGRAMS / "paid.bpmn").read_bytes()) == []
    assert world.deploy("paid.bpmn").status == "deployed"
    ids = {n: world.call("start_instance", "paid", actor="alice", business_key=f"K{n}",
                         data={"order_number": f"O-{n}"}).id for n in range(1, 51)}
    with world.sessions() as s:
        keys = dict(s.execute(select(MessageSubscription.instance_id, MessageSubscription.correlation_key)).all())
    assert keys[ids[37]] == "O-37"
    delivered = world.call("deliver_message", "paid", None, {"order": "O-37", "amount": 5}, "bank")
    assert delivered.id == ids[37] and world.instance(ids[37]).status == "completed"
    assert [n for n, i in ids.items() if world.instance(i).status == "completed"] == [37]
    by_key = world.call("deliver_message", "paid", "O-12", {"order": "O-12"}, "bank")
    assert by_key.id == ids[12] and world.instance(ids[12]).status == "completed"
    with pytest.raises(InvalidRequest, match="correlated by 'order'"):
        world.call("deliver_message", "paid", "O-13", {"amount": 1}, "bank")
    with pytest.raises(NoSubscriber):
        world.call("deliver_message", "paid", None, {"order": "O-99"}, "bank")
    assert world.instance(ids[13]).status == "waiting"


def test_a_signal_from_an_admin_is_caught_by_a_boundary_event(world):
    from engine import AuditEvent, InvalidRequest, NoSubscriber
    from engine.inspect import current_data
    from engine.runtime import load
    assert world.deploy("signalled.bpmn").status == "deployed", str(world.deploy("signalled.bpmn"))
    first = world.call("start_instance", "signalled", actor="alice", data={"team": "T"})
    other = world.call("start_instance", "signalled", actor="alice", data={"team": "T"})
    with pytest.raises(InvalidRequest, match="give a reason"):
        world.call("signal", first.id, "admin", "", {"signal": "withdrawn"})
    with pytest.raises(NoSubscriber, match="not waiting for the signal 'nothing'"):
        world.call("signal", first.id, "admin", "test", {"signal": "nothing"})
    world.call("signal", first.id, "admin", "the customer withdrew", {"signal": "withdrawn", "payload": {"by": "phone"}})
    assert world.instance(first.id).status == "completed"
    assert world.tasks(first.id, "cancelled")[0].element_id == "work"
    with world.sessions() as s:
        data = current_data(load(world.engine, s, first.id)[1])
        event = s.scalars(select(AuditEvent).where(AuditEvent.instance_id == first.id)
                          .order_by(AuditEvent.seq.desc())).first()
    assert data["cancelled"] is True and data["withdrawal"] == {"by": "phone"}
    assert event.action == "instance.signalled" and event.reason == "the customer withdrew"
    assert world.instance(other.id).status == "running"           # sent to one instance, not broadcast


def test_a_signal_through_the_api(app, client, clock):
    from web_support import api_token, seed_people
    from webui import db, engine_of
    with app.app_context():
        seed_people(db.session(), clock.now())
        engine_of(app).deploy_source(db.session(), "signalled.bpmn", (DIAGRAMS / "signalled.bpmn").read_bytes(), "t")
        instance_id = engine_of(app).start_instance(db.session(), "signalled", actor="t", data={"team": "JA-T1"}).id
    headers = {"Authorization": f"Bearer {api_token(app, 'admin')}"}
    refused = client.post(f"/api/v1/instances/{instance_id}/actions", headers=headers,
                          json={"action": "signal", "reason": "r", "data": {"signal": "other"}})
    assert refused.status_code == 404
    response = client.post(f"/api/v1/instances/{instance_id}/actions", headers=headers,
                           json={"action": "signal", "reason": "withdrawn by phone", "data": {"signal": "withdrawn"}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "completed"


# ---- times without a zone, Camunda attributes -------------------------------------------------

def test_a_time_date_without_a_zone_is_read_in_the_company_zone_in_lint_runtime_and_views(world):
    from zoneinfo import ZoneInfo
    world.engine.zone = ZoneInfo("Asia/Shanghai")
    text = REVIEW.replace("<bpmn:timeDate>registered['deadline']</bpmn:timeDate>",
                          '<bpmn:timeDate>"2026-03-05T09:00:00"</bpmn:timeDate>')
    with world.sessions() as s:
        (warning,) = world.engine.lint_source(s, "review.bpmn", text.encode())
    assert warning.warning and warning.element_id == "deadline_passed"
    assert "Asia/Shanghai" in warning.message and "2026-03-05 01:00 UTC" in warning.message
    assert world.deploy("review.bpmn", text.encode()).status == "deployed"
    inst = world.start(label="A", days=1, team="T")
    with world.sessions() as s:
        timers = {t["element_id"]: t["due_at"] for t in world.engine.describe(s, inst.id)["timers"]}
    assert timers["deadline_passed"].isoformat() == "2026-03-05T01:00:00+00:00"
    world.clock.set("2026-03-05T00:59:00+00:00")
    world.tick()
    assert world.tasks(inst.id)[0].element_id == "review_item"
    world.clock.set("2026-03-05T01:00:00+00:00")
    world.tick()
    assert world.tasks(inst.id) == []


def test_camunda_attributes_are_named_in_warnings_with_their_equivalent(world):
    text = REVIEW.replace('xmlns:spiffworkflow=', 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
                                                   'xmlns:spiffworkflow=').replace(
        '<bpmn:userTask id="review_item" name="Review the item">',
        '<bpmn:userTask id="review_item" name="Review the item" camunda:assignee="${boss}" '
        'camunda:candidateGroups="inspectors" camunda:dueDate="${due}" camunda:formKey="embedded:x.html">')
    with world.sessions() as s:
        problems = world.engine.lint_source(s, "review.bpmn", text.encode())
    assert problems and all(p.warning and p.element_id == "review_item" for p in problems)
    said = {p.message.split(" ", 1)[0]: p.message for p in problems}
    assert "the property assignee" in said["camunda:assignee"]
    assert "candidateTeam" in said["camunda:candidateGroups"]
    assert "the property dueDate" in said["camunda:dueDate"]
    assert "formJsonSchemaFilename" in said["camunda:formKey"]
    assert world.deploy("review.bpmn", text.encode()).status == "deployed"


# ---- a .zip of several diagrams ---------------------------------------------------------------

LEAF_FORM = b'{"type": "object", "title": "Sign off", "properties": {"ok": {"type": "boolean", "title": "OK"}}}'


def leaf(process_id: str, form: str) -> str:
    return chain(process_id).replace(
        '<bpmn:scriptTask id="step">', '<bpmn:userTask id="step" name="Sign off"><bpmn:extensionElements>'
        f'<spiffworkflow:properties><spiffworkflow:property name="formJsonSchemaFilename" value="{form}"/>'
        '</spiffworkflow:properties></bpmn:extensionElements>').replace(
        "<bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>", "</bpmn:userTask>").replace(
        'xmlns:bpmn=', 'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" xmlns:bpmn=')


def archive(files: dict) -> bytes:
    import io
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, content in files.items():
            z.writestr(name, content)
    return buffer.getvalue()


@pytest.fixture
def bundle_app(sqlite_url, tmp_path, clock):
    import shutil

    from support import FORMS
    from web_support import seed_people
    from webui import create_app, db
    shutil.copytree(FORMS, tmp_path / "forms")
    app = create_app({"ENV": "testing", "SECRET_KEY": "s", "DATABASE_URL": sqlite_url, "DATA_DIR": str(tmp_path / "d"),
                      "FORMS_DIR": str(tmp_path / "forms"), "CLOCK": clock})
    with app.app_context():
        seed_people(db.session(), clock.now())
    return app


def upload(app, data: bytes, action: str):
    import io

    from web_support import csrf_of, login
    client = app.test_client()
    login(client, "owner")
    return client.post("/models/upload", data={"csrf_token": csrf_of(client, "/models/new"), "action": action,
                                               "file": (io.BytesIO(data), "diagrams.zip")},
                       content_type="multipart/form-data")


def ten_in_a_chain() -> dict:
    """p9 calls p8 ... calls p0 (a user task with a form in the archive); the file names sort callers first."""
    files = {f"bundle/{chr(ord('j') - i)}_{i}.bpmn": chain(f"p{i}", calls=f"p{i - 1}") for i in range(1, 10)}
    files["bundle/j_0.bpmn"] = leaf("p0", "sign_off.schema.json")
    files["bundle/forms/sign_off.schema.json"] = LEAF_FORM
    files["bundle/README.txt"] = "notes"
    return files


def test_a_zip_of_ten_diagrams_with_call_chains_deploys_in_dependency_order(bundle_app, tmp_path):
    from webui import db, engine_of
    checked = upload(bundle_app, archive(ten_in_a_chain()), "lint")
    assert checked.status_code == 200, checked.get_data(as_text=True)
    with bundle_app.app_context():
        assert db.session().scalar(select(func.count()).select_from(ModelVersion)) == 0
    assert not (tmp_path / "forms" / "sign_off.schema.json").exists()
    response = upload(bundle_app, archive(ten_in_a_chain()), "deploy")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    with bundle_app.app_context():
        session = db.session()
        order = [mv.name for mv in session.scalars(select(ModelVersion).order_by(ModelVersion.id))]
        assert order == [f"{chr(ord('j') - i)}_{i}" for i in range(10)]
        assert {mv.origin for mv in session.scalars(select(ModelVersion))} == {"modeler"}
        instance = engine_of(bundle_app).start_instance(session, "p9", actor="owner")
        assert instance.status == "running"
        stored = session.scalars(select(FormVersion).where(FormVersion.name == "sign_off.schema.json")).one()
        assert (stored.content.encode(), stored.version, stored.origin) == (LEAF_FORM, 1, "modeler")
    assert not (tmp_path / "forms" / "sign_off.schema.json").exists()       # the database holds forms
    assert page.index("j_0") < page.index("a_9") and "README.txt" in page
    again = upload(bundle_app, archive(ten_in_a_chain()), "deploy")
    assert again.status_code == 200 and again.get_data(as_text=True).count("无变化") == 10


def test_a_zip_with_a_bad_file_deploys_nothing_and_names_every_problem(bundle_app, tmp_path):
    from webui import db, engine_of
    with bundle_app.app_context():
        engine_of(bundle_app).deploy_source(db.session(), "owned.bpmn", chain("p3").encode(), "owner")
    files = ten_in_a_chain()
    files["bundle/e_5.bpmn"] = files["bundle/e_5.bpmn"].replace("calledElement", "calledElementx")
    files["bundle/forms/review.schema.json"] = b'{"type": "object", "title": "something else"}'
    response = upload(bundle_app, archive(files), "deploy")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "the process id &#39;p3&#39; is already used by the model &#39;owned&#39;" in page
    assert "e_5.bpmn" in page
    with bundle_app.app_context():
        assert [mv.name for mv in db.session().scalars(select(ModelVersion))] == ["owned"]
        assert db.session().scalar(select(func.count()).select_from(FormVersion)) == 0
    assert not (tmp_path / "forms" / "sign_off.schema.json").exists()


def test_an_archive_that_is_not_a_zip_is_refused(bundle_app):
    response = upload(bundle_app, b"PK\x03\x04 not really", "deploy")
    assert response.status_code == 422 and "不是 .zip 压缩包" in response.get_data(as_text=True)


def test_bpmn_deploy_replaces_the_browser_version_from_the_command_line(tmp_path, clock, sqlite_url):
    from cli import main
    from services import drafts
    from webui import db
    folder = tmp_path / "bpmn"
    folder.mkdir()
    (folder / "solo.bpmn").write_text(chain("solo"))
    app = _app(tmp_path, clock, sqlite_url, bpmn_dir=folder)
    assert "solo: deployed (version 1)" in CliRunner().invoke(main, ["init"], obj={"app": app}).output
    with app.app_context():
        engine = app.extensions["gridsafe.engine"]
        engine.deploy_source(db.session(), "solo.bpmn", chain("solo", label="x = 5").encode(), "owner",
                             origin=drafts.MODELER)
    started = CliRunner().invoke(main, ["init"], obj={"app": app}).output
    assert "solo: kept version 2, deployed by owner" in started
    done = CliRunner().invoke(main, ["bpmn", "deploy", str(folder / "solo.bpmn")], obj={"app": app})
    assert done.exit_code == 0 and "solo: deployed (version 3)" in done.output
    with app.app_context():
        event = db.session().scalars(select(AuditEvent).where(AuditEvent.chain == "model:solo")
                                     .order_by(AuditEvent.seq.desc())).first()
    assert "bpmn deploy" in event.reason and "replaces version 2 (modeler, by owner)" in event.reason
    assert "solo: unchanged (version 3)" in CliRunner().invoke(main, ["init"], obj={"app": app}).output


def test_lint_checks_a_zip_from_the_command_line_without_a_database(tmp_path, clock):
    from cli import main
    from services import build
    files = ten_in_a_chain()
    (tmp_path / "good.zip").write_bytes(archive(files))
    files["bundle/e_5.bpmn"] = files["bundle/e_5.bpmn"].replace('calledElement="p4"', 'calledElement="p44"')
    (tmp_path / "bad.zip").write_bytes(archive(files))
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    rt = build({"DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}", "DATA_DIR": str(tmp_path / "d"),
                "BPMN_DIR": str(tmp_path / "empty")}, clock=clock)
    good = CliRunner().invoke(main, ["bpmn", "lint", str(tmp_path / "good.zip")], obj={"rt": rt})
    assert good.exit_code == 0 and good.output.count(": ok") == 11, good.output
    bad = CliRunner().invoke(main, ["bpmn", "lint", str(tmp_path / "bad.zip"), str(tmp_path / "junk.zip")],
                             obj={"rt": rt})
    assert bad.exit_code == 1 and "Traceback" not in bad.output
    assert "bad.zip:e_5.bpmn" in bad.output and "'p44'" in bad.output and "junk.zip" in bad.output
    assert not (tmp_path / "none.db").exists()

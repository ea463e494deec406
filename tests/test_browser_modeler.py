"""In Chromium: a process owner edits, validates and deploys in the modeler; an admin sees an instance
on its diagram with the active element highlighted."""
from __future__ import annotations


import pytest
from sqlalchemy import select

from browser_support import LiveServer, shot, sign_in
from engine import HumanTask, ModelVersion
from support import DIAGRAMS
from test_web_models import V1, owner_app, post_json, signed_in, start  # noqa: F401 - owner_app is a fixture
from webui import db, engine_of

pytestmark = pytest.mark.browser


def test_a_process_owner_renames_a_step_validates_and_deploys_it(hazard_app, chromium, tmp_path):
    errors = []
    with LiveServer(hazard_app) as server:
        page = chromium.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        page.on("pageerror", lambda err: errors.append(str(err)))
        sign_in(page, server, "owner")
        page.goto(f"{server.url}/models/hazard_lifecycle/edit")
        page.wait_for_selector(".editor-status[data-state=ready]")
        # the palette speaks Chinese (bpmn-io's community dictionary through bpmn-js's translate service)
        assert page.get_attribute('.djs-palette [data-action="create.task"]', "aria-label") == "创建任务"
        page.click('g.djs-element[data-element-id="register"]', position={"x": 20, "y": 20})
        assert page.input_value("#bio-properties-panel-gs-operator") == "hazards.register"
        assert page.input_value("#bio-properties-panel-gs-param-customer_id") == "customer_id"
        shot(page, tmp_path, "modeler-selected.png")
        page.fill("#bio-properties-panel-name", "建立隐患档案（一患一档）")
        page.wait_for_selector(".editor-status[data-state=dirty]")
        page.click("[data-action=validate]")
        page.wait_for_selector(".editor-status[data-state=valid]")
        page.fill("input[name=comment]", "改名")
        page.click("[data-action=deploy]")
        page.wait_for_selector(".editor-status[data-state=deployed]")
        shot(page, tmp_path, "modeler.png")
    assert not errors
    with hazard_app.app_context():
        newest = db.session().scalars(select(ModelVersion).where(ModelVersion.name == "hazard_lifecycle")
                                      .order_by(ModelVersion.version.desc())).first()
    assert newest.version == 2 and newest.deployed_by == "owner" and newest.comment == "改名"
    assert 'name="建立隐患档案（一患一档）"' in newest.source
    assert 'spiffworkflow:serviceTaskOperator id="hazards.register"' in newest.source


def test_validation_problems_are_marked_on_their_elements_in_the_modeler(hazard_app, chromium):
    with LiveServer(hazard_app) as server:
        page = chromium.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        sign_in(page, server, "owner")
        page.goto(f"{server.url}/models/hazard_lifecycle/edit")
        page.wait_for_selector(".editor-status[data-state=ready]")
        page.click('g.djs-element[data-element-id="register"]', position={"x": 20, "y": 20})
        page.fill("#bio-properties-panel-gs-param-customer_id", "__import__('os')")   # the sandbox refuses it
        page.wait_for_selector(".editor-status[data-state=dirty]")
        page.click("[data-action=validate]")
        page.wait_for_selector(".editor-status[data-state=invalid]")
        assert page.locator("ul.problems li[data-element=register]").count() == 1
        marked = page.get_attribute('g.djs-element[data-element-id="register"]', "class")
        assert "gs-problem" in marked
        page.click("[data-action=deploy]")
        # the refusal itself, not the state the validation had already set
        page.wait_for_selector(".editor-status[data-state=invalid]:has-text('未部署')")
    with hazard_app.app_context():
        assert db.session().scalars(select(ModelVersion.version).where(ModelVersion.name == "hazard_lifecycle")
                                    ).all() == [1]


def test_an_admin_sees_the_instance_on_its_diagram_with_the_active_step_highlighted(owner_app, chromium,  # noqa: F811
                                                                                   tmp_path):
    owner = signed_in(owner_app)
    assert post_json(owner, "/models/flow/deploy", {"source": V1}).get_json()["status"] == "deployed"
    assert post_json(owner, "/models/caller/deploy",
                     {"source": (DIAGRAMS / "migration" / "caller.bpmn").read_text()}).get_json()["status"] == "deployed"
    instance_id = start(owner_app, "A")
    with owner_app.app_context():
        caller_id = engine_of(owner_app).start_instance(db.session(), "caller", actor="spec",
                                                        data={"team": "JA-T1"}).id
    with owner_app.app_context():
        session = db.session()
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).one()
        engine_of(owner_app).complete_task(session, task.id, {"passed": True, "note": "现场已复核"}, "insp1")
    with LiveServer(owner_app) as server:
        page = chromium.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        sign_in(page, server, "admin")
        page.goto(f"{server.url}/admin/instances/{instance_id}")
        page.wait_for_selector("#instance-diagram .viewer-status[data-state=shown]", state="attached")
        active = page.get_attribute('#instance-diagram g.djs-element[data-element-id="step_b"]', "class")
        done = page.get_attribute('#instance-diagram g.djs-element[data-element-id="step_a"]', "class")
        ahead = page.get_attribute('#instance-diagram g.djs-element[data-element-id="step_c"]', "class")
        assert "gs-active" in active and "gs-completed" in done
        assert "gs-active" not in ahead and "gs-completed" not in ahead
        page.click('#instance-diagram g.djs-element[data-element-id="step_a"]', position={"x": 20, "y": 20})
        page.wait_for_selector('#element-detail .element-detail[data-element="step_a"]')
        assert "现场已复核" in page.inner_text("#element-detail")
        shot(page, tmp_path, "instance.png")
        page.goto(f"{server.url}/admin/instances/{caller_id}")              # a call activity opens its diagram
        page.wait_for_selector("#instance-diagram .viewer-status[data-state=shown]", state="attached")
        assert "gs-active" in page.get_attribute('#instance-diagram g[data-element-id="call_flow"]', "class")
        page.click('#instance-diagram g.djs-element[data-element-id="call_flow"]', position={"x": 20, "y": 20})
        page.wait_for_selector('#instance-diagram g.djs-element[data-element-id="step_a"].gs-active')
        assert page.inner_text("#instance-diagram .diagram-title") == "flow v1"
        page.click("#instance-diagram .diagram-back")
        page.wait_for_selector('#instance-diagram g.djs-element[data-element-id="call_flow"].gs-active')


def test_the_decision_table_opens_in_the_dmn_editor_and_validates(hazard_app, chromium, tmp_path):
    errors = []
    with LiveServer(hazard_app) as server:
        page = chromium.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        page.on("pageerror", lambda err: errors.append(str(err)))
        sign_in(page, server, "owner")
        page.goto(f"{server.url}/models/risk_grade/edit")
        page.wait_for_selector(".editor-status[data-state=ready]")
        assert page.locator(".tjs-table, .dmn-decision-table-container").count() >= 1
        page.click("[data-action=validate]")
        page.wait_for_selector(".editor-status[data-state=valid]")
        page.goto(f"{server.url}/models")
        assert page.locator("#model-hazard_lifecycle tr[data-version='1']").count() == 1
        shot(page, tmp_path, "library.png")
        page.goto(f"{server.url}/models/risk_grade/versions/1")
        page.wait_for_selector("#version-diagram .viewer-status[data-state=shown]", state="attached")
        assert page.locator("#version-diagram .tjs-table, #version-diagram .dmn-decision-table-container").count() >= 1
    assert not errors


def test_the_modeler_opens_the_diagram_fitted_without_console_errors_and_shows_the_deployed_version(
        hazard_app, chromium, tmp_path):
    errors = []
    with LiveServer(hazard_app) as server:
        page = chromium.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda err: errors.append(str(err)))
        sign_in(page, server, "owner")
        page.goto(f"{server.url}/models/hazard_lifecycle/edit")
        page.wait_for_selector(".editor-status[data-state=ready]")
        page.wait_for_timeout(300)
        shot(page, tmp_path, "modeler-opened.png")
        canvas = page.locator(".modeler-canvas").bounding_box()
        palette = page.locator(".djs-palette").bounding_box()
        drawn = page.locator(".modeler-canvas .djs-container svg g.viewport").bounding_box()
        # the whole diagram is right of the palette and inside the canvas, centred in its height, and as
        # wide as the room there allows (a wide process; before, it was a strip at the top, under the palette)
        room = canvas["x"] + canvas["width"] - (palette["x"] + palette["width"])
        assert drawn["x"] >= palette["x"] + palette["width"], (drawn, palette)
        assert drawn["x"] + drawn["width"] <= canvas["x"] + canvas["width"]
        assert drawn["y"] >= canvas["y"] and drawn["y"] + drawn["height"] <= canvas["y"] + canvas["height"]
        middle = drawn["y"] + drawn["height"] / 2 - (canvas["y"] + canvas["height"] / 2)
        assert abs(middle) < 0.1 * canvas["height"], (drawn, canvas)
        assert drawn["width"] >= 0.8 * room or drawn["height"] >= 0.8 * canvas["height"], (drawn, canvas)
        assert "第 1 版" in page.inner_text("#modeler hgroup")
        page.click('g.djs-element[data-element-id="register"]', position={"x": 20, "y": 20})
        page.fill("#bio-properties-panel-name", "建立隐患档案")
        page.wait_for_selector(".editor-status[data-state=dirty]")
        page.click("[data-action=deploy]")
        page.wait_for_selector(".editor-status[data-state=deployed]")
        assert "第 2 版" in page.inner_text("#modeler hgroup")
        page.reload()
        page.wait_for_selector(".editor-status[data-state=ready]")
        assert "第 2 版" in page.inner_text("#modeler hgroup")
    assert errors == []

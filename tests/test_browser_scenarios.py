"""In Chromium: a process owner opens the scenarios of a process from the modeler, runs an edited scenario
that fails (the row and the element on the diagram say so), corrects it, runs and saves it."""
from __future__ import annotations

from pathlib import Path

import pytest

from browser_support import LiveServer, shot, sign_in
from records import model_scenarios
from test_web_models import owner_app, post_json, signed_in  # noqa: F401 - owner_app is a fixture
from webui import db

pytestmark = pytest.mark.browser

HERE = Path(__file__).resolve().parent / "diagrams" / "scenarios"
DIAGRAM = (HERE / "checkup.bpmn").read_text(encoding="utf-8")
SCENARIOS = (HERE / "checkup.scenarios.json").read_text(encoding="utf-8")


def test_a_process_owner_edits_runs_and_saves_a_scenario(owner_app, chromium, tmp_path):
    owner = signed_in(owner_app)
    assert post_json(owner, "/models/checkup/deploy", {"source": DIAGRAM}).get_json()["version"] == 1
    errors = []
    with LiveServer(owner_app) as server:
        page = chromium.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        page.on("pageerror", lambda err: errors.append(str(err)))
        sign_in(page, server, "owner")
        page.goto(f"{server.url}/models/checkup/edit")
        page.wait_for_selector(".editor-status[data-state=ready]")
        page.click("a.scenarios-link")
        page.wait_for_url(f"{server.url}/models/checkup/scenarios")
        assert "尚无场景" in page.inner_text("main")
        page.fill("textarea[name=text]", SCENARIOS.replace('"end": "passed_end", "path"', '"end": "failed_end", "path"'))
        page.click("text=运行场景")
        page.wait_for_selector(".scenario-results")
        assert "部分场景未通过" in page.inner_text(".scenario-results h3")
        failed = page.locator("tr.failed")
        assert failed.count() == 1 and "expected to end at 'failed_end'" in failed.inner_text()
        page.wait_for_selector('g.djs-element.gs-error[data-element-id="failed_end"]')
        shot(page, tmp_path, "scenarios-failed.png")
        page.fill("textarea[name=text]", SCENARIOS)
        page.click("text=运行场景")
        page.wait_for_selector(".scenario-results")
        assert "全部场景通过" in page.inner_text(".scenario-results h3")
        assert page.locator("tr.ok").count() == 4
        page.click("text=保存场景")
        page.wait_for_url(f"{server.url}/models/checkup/scenarios")
        assert "checkup 的场景已保存" in page.inner_text("body") and "已在浏览器中保存" in page.inner_text("main")
    assert not errors
    with owner_app.app_context():
        row = model_scenarios.get(db.session(), "checkup")
    assert row.source.replace("\r\n", "\n") == SCENARIOS and row.updated_by == "owner"

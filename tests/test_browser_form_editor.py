"""In Chromium: a process owner edits a user task's form in the JSON editors, sees the problems the server
finds and the form as the inspector will, and deploys it with the diagram that shows it."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from browser_support import LiveServer, shot, sign_in
from engine import ModelVersion
from records.form_versions import FormVersion
from test_form_versions import REVIEW, WITH_REMARK, make_app
from webui import db

pytestmark = pytest.mark.browser


@pytest.fixture
def app(sqlite_url, tmp_path, clock):
    return make_app(sqlite_url, tmp_path, clock)


def replace_text(page, part: str, text: str) -> None:
    page.click(f'.json-editor[data-part="{part}"] .cm-content')
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(text)


def test_a_process_owner_edits_previews_and_deploys_a_form(app, chromium, tmp_path):
    errors = []
    with LiveServer(app) as server:
        page = chromium.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.on("console", lambda msg: errors.append(msg.text)
                if msg.type == "error" and "422" not in msg.text else None)     # the refused deploy answers 422
        sign_in(page, server, "owner")
        page.goto(f"{server.url}/models/forms")
        page.click('a[data-edit="review.schema.json"]')
        page.wait_for_selector(".editor-status[data-state=valid]")
        assert page.locator(".form-editor-preview input[name=passed]").count() == 1
        replace_text(page, "schema", json.dumps(WITH_REMARK, ensure_ascii=False, indent=2))
        page.wait_for_selector(".form-editor-preview input[name=remark]")
        replace_text(page, "ui", '{"ghost": {"ui:widget": "textarea"}}')
        page.wait_for_selector(".editor-status[data-state=invalid]")
        assert "ghost" in page.inner_text("ul.problems li[data-part=ui]")
        page.wait_for_selector('.json-editor[data-part="ui"] .cm-lintRange-error')
        assert page.locator(".form-editor-preview.stale").count() == 1
        page.click("[data-action=deploy]")
        # the status says 部署中 until the server's refusal replaces it: wait for that refusal, not the old state
        page.wait_for_selector(".editor-status[data-state=invalid]:has-text('ghost')")
        assert "ghost" in page.inner_text(".editor-status")
        replace_text(page, "ui", '{"remark": {"ui:widget": "textarea"}}')
        page.wait_for_selector(".form-editor-preview textarea[name=remark]")
        page.wait_for_selector(".editor-status[data-state=valid]")
        shot(page, tmp_path, "form-editor.png")
        page.fill("input[name=comment]", "加整改说明")
        page.click("[data-action=deploy]")
        page.wait_for_selector(".editor-status[data-state=deployed]")
        assert "flow" in page.inner_text(".editor-status")
    assert not errors, errors
    with app.app_context():
        s = db.session()
        newest = s.scalars(select(FormVersion).where(FormVersion.name == "review.schema.json")
                           .order_by(FormVersion.version.desc())).first()
        assert (newest.version, newest.deployed_by, newest.comment) == (2, "owner", "加整改说明")
        assert json.loads(newest.content) == WITH_REMARK and REVIEW != WITH_REMARK
        ui = s.scalars(select(FormVersion).where(FormVersion.name == "review.uischema.json")).one()
        assert json.loads(ui.content) == {"remark": {"ui:widget": "textarea"}}
        assert s.scalars(select(ModelVersion.version).where(ModelVersion.name == "flow")).all() == [1, 2]

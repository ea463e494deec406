"""In Chromium on a tablet-sized screen: sign in, open a task, draw a signature, upload a photo, submit."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from browser_support import LiveServer, browser
from engine.inspect import current_data
from engine.runtime import load
from records import Attachment
from web_support import PASSWORD, jpeg
from webui import db

pytestmark = pytest.mark.browser


@pytest.fixture
def chromium():
    playwright, instance = browser()
    yield instance
    instance.close()
    playwright.stop()


def test_an_inspector_completes_a_task_on_a_tablet(site, chromium, tmp_path):
    instance_id = site.start_visit()
    task = site.task(instance_id)
    photo = tmp_path / "现场.jpg"
    photo.write_bytes(jpeg(640, 480))
    with LiveServer(site.app) as server:
        page = chromium.new_page(viewport={"width": 768, "height": 1024}, locale="zh-CN")
        page.goto(f"{server.url}/login")
        page.fill("input[name=username]", "insp1")
        page.fill("input[name=password]", PASSWORD)
        page.click("#sign-in")
        page.wait_for_url(f"{server.url}/")
        assert page.locator("#nav-team .count").inner_text() == "1"
        page.click(f"a[href='/tasks/{task.id}']")
        page.wait_for_selector("canvas.signature-pad")
        page.fill("input[name=location]", "1号配电室")
        page.check("input[name=result][value=fail]")
        page.click("button[data-add-row=findings]")
        page.fill("input[name='findings.0.where']", "高压柜")
        page.select_option("select[name='findings.0.severity']", "重大")
        page.set_input_files("input[name=site_photo]", str(photo))
        page.locator("canvas.signature-pad").scroll_into_view_if_needed()
        canvas = page.locator("canvas.signature-pad").bounding_box()
        page.mouse.move(canvas["x"] + 30, canvas["y"] + 40)
        page.mouse.down()
        for step in range(1, 25):
            page.mouse.move(canvas["x"] + 30 + step * 12, canvas["y"] + 40 + (step % 5) * 9)
        page.mouse.up()
        assert page.input_value("input[name=customer_signature]").startswith("data:image/png;base64,")
        page.screenshot(path=str(Path(os.environ.get("GRIDSAFE_SCREENSHOTS", tmp_path)) / "task.png"), full_page=True)
        page.click("button[value=complete]")
        page.wait_for_url(f"{server.url}/")
        assert "已完成" in page.inner_text(".flash-success")
    assert site.task(instance_id).status == "completed"
    with site.app.app_context():
        data = current_data(load(site.engine, db.session(), instance_id)[1])
        signature = db.session().get(Attachment, data["customer_signature"])
        photo_row = db.session().get(Attachment, data["site_photo"])
    assert data["location"] == "1号配电室" and data["findings"] == [{"where": "高压柜", "severity": "重大",
                                                                   "photos": []}]
    assert signature.kind == "signature" and signature.width > 100
    assert photo_row.kind == "photo" and (photo_row.width, photo_row.height) == (640, 480)

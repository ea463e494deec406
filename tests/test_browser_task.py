"""In Chromium on a tablet-sized screen: sign in, open a task, draw a signature, upload a photo, submit."""
from __future__ import annotations

import pytest

from browser_support import LiveServer, draw_signature, shot, sign_in
from engine.inspect import current_data
from engine.runtime import load
from records import Attachment
from web_support import jpeg
from webui import db

pytestmark = pytest.mark.browser


def test_an_inspector_completes_a_task_on_a_tablet(site, chromium, tmp_path):
    instance_id = site.start_visit()
    task = site.task(instance_id)
    photo = tmp_path / "现场.jpg"
    photo.write_bytes(jpeg(640, 480))
    with LiveServer(site.app) as server:
        page = chromium.new_page(viewport={"width": 768, "height": 1024}, locale="zh-CN")
        sign_in(page, server, "insp1")
        assert page.locator("#nav-team .count").inner_text() == "1"
        page.click(f"a[href='/tasks/{task.id}']")
        page.wait_for_selector("canvas.signature-pad")
        page.fill("input[name=location]", "1号配电室")
        page.check("input[name=result][value=fail]")
        page.click("button[data-add-row=findings]")
        page.fill("input[name='findings.0.where']", "高压柜")
        page.select_option("select[name='findings.0.severity']", "重大")
        page.set_input_files("input[name=site_photo]", str(photo))
        draw_signature(page)
        assert page.input_value("input[name=customer_signature]").startswith("data:image/png;base64,")
        shot(page, tmp_path, "task.png")
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

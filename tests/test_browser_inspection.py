"""In Chromium on a tablet: an inspector works through an inspection with a finding and a photo."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from browser_support import LiveServer, draw_signature, sign_in
from inspection_walk import approve_worksheet
from records import Customer, Hazard, Inspection
from services import planning
from web_support import jpeg
from webui import db

pytestmark = pytest.mark.browser


def test_an_inspection_with_a_finding_and_a_photo_on_a_tablet(hazard_app, clock, chromium, tmp_path):
    with hazard_app.app_context():
        session = db.session()
        customer = session.scalars(select(Customer).where(Customer.number == "3600100001")).one()
        ins = planning.create(hazard_app.extensions["gridsafe.runtime"], session, customer, kind="periodic",
                              due=clock.now().date().replace(day=20), planned_from=clock.now().date(), actor="spec")
        number = ins.number
    approve_worksheet(hazard_app, number)          # approved before the visit (domain.md §6.1)
    photo = tmp_path / "配电室.jpg"
    photo.write_bytes(jpeg(800, 600))
    with LiveServer(hazard_app) as server:
        page = chromium.new_page(viewport={"width": 768, "height": 1024}, locale="zh-CN")
        sign_in(page, server, "insp1")
        page.click("text=现场用电检查")
        page.wait_for_selector("canvas.signature-pad")
        for radio in page.locator("input[type=radio][value=pass]").all():
            radio.check()
        page.check("input[name='checklist.7.result'][value=fail]")
        page.fill("input[name='checklist.7.note']", "闭锁装置缺失")
        # the failed item becomes the hazard file: its dictionary item is prefilled, the photo is the item's
        page.check("input[name='checklist.7.disposition'][value=hazard]")
        assert page.input_value("input[type=hidden][name='checklist.7.item_code']") == "IL01"
        page.fill("input[name='checklist.7.location']", "地下一层配电室")
        page.set_input_files("input[name='checklist.7.photos']", str(photo))
        page.fill("input[name=second_inspector]", "王检查")
        page.fill("input[name=customer_name]", "王电工")
        for name in ("inspector_signature", "second_inspector_signature", "customer_signature"):
            draw_signature(page, f"canvas[data-target={name}]")
        page.click("button[value=complete]")
        page.wait_for_url(f"{server.url}/")
        assert "已完成" in page.inner_text(".flash-success")
    with hazard_app.app_context():
        session = db.session()
        done = session.scalars(select(Inspection).where(Inspection.number == number)).one()
        hazard = session.scalars(select(Hazard).where(Hazard.inspection_id == done.id)).one()
    assert done.status == "completed" and done.hazard_numbers == [hazard.file_number]
    assert hazard.item_code == "IL01" and len(hazard.photos) == 1 and hazard.severity == "major"
    assert done.result["checklist"][7]["result"] == "fail"

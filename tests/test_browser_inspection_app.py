"""In Chromium on a tablet: the inspection form answered one tap per item, checked before sending, and
every answer, photo and signature kept in the browser (IndexedDB) and restored after a reload."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from browser_support import LiveServer, draw_signature, sign_in, wait_kept
from engine import HumanTask
from inspection_walk import item, plan, walk_one_failed_item
from process_support import wait_until
from records import Hazard, Inspection
from records.drafts import TaskDraft
from web_support import jpeg
from webui import db

pytestmark = pytest.mark.browser
TABLET = {"width": 768, "height": 1024}
KEPT = """(() => new Promise((done) => { const open = indexedDB.open('gridsafe');
  open.onsuccess = () => { const all = open.result.transaction('task-forms').objectStore('task-forms').getAll();
    all.onsuccess = () => done(all.result.length); }; }))()"""
_SIGNED = """() => new Promise((done) => { const open = indexedDB.open('gridsafe');
  open.onsuccess = () => { const all = open.result.transaction('task-forms').objectStore('task-forms').getAll();
    all.onsuccess = () => done(all.result.some((r) => (r.fields.inspector_signature || [''])[0]
                                                        .startsWith('data:image'))); }; })"""


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "配电室.jpg"
    path.write_bytes(jpeg(800, 600))
    return path


def _open(chromium, server, user="insp1", viewport=TABLET):
    context = chromium.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    sign_in(page, server, user)
    page.click("text=现场用电检查")
    page.wait_for_selector("form.task-form[data-ready]")
    return context, page


def test_one_failed_item_of_28_is_inspected_and_submitted_in_at_most_12_taps(hazard_app, clock, chromium, photo):
    number = plan(hazard_app, clock)
    with LiveServer(hazard_app) as server:
        page = chromium.new_page(viewport=TABLET, locale="zh-CN")
        sign_in(page, server, "insp1")
        taps = walk_one_failed_item(page, server, photo, fail=5)
        assert "已完成" in page.inner_text(".flash-success")
        for _ in range(50):                                       # the server took it: the browser lets go
            if page.evaluate(KEPT) == 0:
                break
            page.wait_for_timeout(100)
        assert page.evaluate(KEPT) == 0
    assert taps.count <= 12, taps.log
    with hazard_app.app_context():
        session = db.session()
        done = session.scalars(select(Inspection).where(Inspection.number == number)).one()
        hazard = session.scalars(select(Hazard).where(Hazard.inspection_id == done.id)).one()
    checklist = done.result["checklist"]
    assert len(checklist) == 28 and [r["result"] for r in checklist].count("pass") == 27
    failed = checklist[5]
    assert failed["result"] == "fail" and failed["note"].startswith("不符合：")    # the finding's text, not retyped
    assert hazard.item_code == failed["hazard"] and hazard.location == "地下一层配电室" and len(hazard.photos) == 1
    assert failed["text"] in hazard.description


def test_failing_an_item_opens_its_own_hazard_file_prefilled_and_counts_progress(hazard_app, clock, chromium, photo):
    plan(hazard_app, clock)
    with LiveServer(hazard_app) as server:
        context, page = _open(chromium, server)
        assert page.inner_text("[data-progress]").replace(" ", "") == "已查0/28"
        page.click(item(0, "pass"))
        page.click(item(1, "na"))
        assert not page.locator("#checklist-2 [name='checklist.2.location']").is_visible()
        page.click(item(2, "fail"))
        assert page.inner_text("[data-progress]").replace(" ", "") == "已查3/28"
        hazard_code = page.get_attribute("#checklist-2", "data-hazard")
        assert hazard_code                               # the item's dictionary item goes with the row, not typed
        assert page.input_value("#checklist-2 input[type=hidden][name='checklist.2.item_code']") == hazard_code
        assert page.locator("#checklist-2 input[name='checklist.2.disposition'][value=hazard]").is_checked()
        assert page.input_value("#checklist-2 [name='checklist.2.note']").startswith("不符合：")
        location = page.locator("#checklist-2 [name='checklist.2.location']")
        assert location.is_visible() and location.evaluate("el => el === document.activeElement")
        assert not page.locator("#checklist-2 [name='checklist.2.reason']").is_visible()
        assert page.locator("fieldset[data-rows=findings] .row-item").count() == 0     # no second finding
        page.click("#checklist-2 label:has(input[name='checklist.2.disposition'][value=not_hazard])")
        assert page.locator("#checklist-2 [name='checklist.2.reason']").is_visible()   # fixed on the spot: say why
        assert not location.is_visible()
        page.click("button[value=complete]")                   # checked before sending, as the server does
        assert "不合格的项目须拍摄照片" in page.locator("#form-problem").inner_text()
        page.set_input_files("#checklist-2 input[type=file][name='checklist.2.photos']", str(photo))
        page.click("button[value=complete]")
        assert "请说明不作为隐患的理由" in page.locator("#form-problem").inner_text()
        assert "task" in page.url                                       # nothing was sent
        page.click(item(2, "pass"))                              # changed their mind: the detail closes
        assert not page.locator("#checklist-2 [name='checklist.2.reason']").is_visible()
        page.click("[data-rest-pass]")
        assert page.inner_text("[data-progress]").replace(" ", "") == "已查28/28"
        assert page.locator("#checklist-1 input[value=na]").is_checked()     # answered items are left alone
        page.locator(".checklist-section summary").first.click()          # sections fold away
        assert not page.locator("#checklist-0 .answer").is_visible()
        context.close()


def test_a_failed_items_severity_can_be_raised_with_a_reason_and_never_lowered(hazard_app, clock, chromium, photo):
    number = plan(hazard_app, clock)
    with LiveServer(hazard_app) as server:
        context, page = _open(chromium, server)
        floors = page.eval_on_selector_all(".check-item", "items => items.map((i) => i.dataset.severityFloor)")
        index = next(i for i, floor in enumerate(floors) if floor == "significant")
        code = page.input_value(f"#checklist-{index} input[name$='.code']")
        box = f"#checklist-{index}"
        page.click(item(index, "fail"))
        severity = page.locator(f"{box} .severity")
        assert severity.is_visible() and "隐患库等级：较大" in severity.inner_text()
        assert page.locator(f"{box} input[name$='.severity'][value=significant]").is_checked()
        assert page.locator(f"{box} input[name$='.severity'][value=general]").is_disabled()     # never lower
        reason = page.locator(f"{box} [name$='.severity_reason']")
        assert not reason.is_visible()
        page.click(f"{box} label:has(input[name$='.severity'][value=major])")
        assert reason.is_visible() and reason.evaluate("el => el === document.activeElement")
        wait_kept(page, page.get_attribute(f"{box} input[name$='.severity'][value=major]", "name"), "major")
        page.reload()                                          # the raise is kept on the device like any tap
        page.wait_for_selector("form.task-form[data-ready]")
        assert page.locator(f"{box} input[name$='.severity'][value=major]").is_checked() and reason.is_visible()
        page.fill(f"{box} [name$='.location']", "地下一层配电室")
        page.set_input_files(f"{box} input[type=file][name$='.photos']", str(photo))
        page.click("[data-rest-pass]")
        page.fill("input[name=second_inspector]", "王检查")
        for name in ("inspector_signature", "second_inspector_signature", "customer_signature"):
            draw_signature(page, f"canvas[data-target={name}]")
        page.fill("input[name=customer_name]", "王电工")
        page.click("button[value=complete]")
        problem = page.locator("#form-problem").inner_text()
        assert code in problem and "请填写提高隐患等级的理由" in problem and "task" in page.url
        reason.fill("电缆沟积水已漫至接头")
        page.click("button[value=complete]")
        page.wait_for_url(f"{server.url}/")
        context.close()
    with hazard_app.app_context():
        session = db.session()
        done = session.scalars(select(Inspection).where(Inspection.number == number)).one()
        hazard = session.scalars(select(Hazard).where(Hazard.inspection_id == done.id)).one()
        assert hazard.severity == "major" and hazard.severity_reason == "电缆沟积水已漫至接头"


def test_a_missing_answer_takes_the_inspector_to_that_item_and_names_it(hazard_app, clock, chromium):
    plan(hazard_app, clock)
    with LiveServer(hazard_app) as server:
        context, page = _open(chromium, server)
        for index in range(28):
            if index != 17:
                page.click(item(index, "pass"))
        page.evaluate("window.scrollTo(0, 0)")
        page.click("button[value=complete]")
        problem = page.locator("#form-problem")
        problem.wait_for()
        code = page.input_value("#checklist-17 input[name$='.code']")
        assert code in problem.inner_text() and "请选择结果" in problem.inner_text()
        box = page.locator("#checklist-17").bounding_box()
        assert 0 <= box["y"] <= TABLET["height"]                      # it was scrolled to
        assert "task" in page.url                                       # nothing was sent
        context.close()


def test_answers_given_offline_photo_and_signature_survive_a_reload(hazard_app, clock, chromium, photo):
    plan(hazard_app, clock)
    with LiveServer(hazard_app) as server:
        context, page = _open(chromium, server)
        context.set_offline(True)
        page.click(item(0, "fail"))
        page.fill("#checklist-0 [name$='.location']", "1号配电室")
        page.set_input_files("#checklist-0 input[type=file][name='checklist.0.photos']", str(photo))
        page.click(item(1, "na"))
        wait_kept(page, page.get_attribute(item(1, "na") + " input", "name"), "na")
        draw_signature(page, "canvas[data-target=inspector_signature]")
        page.wait_for_function(_SIGNED)                   # the drawing, kept on the device as a data URL
        with hazard_app.app_context():                   # nothing reached the server while offline (once
            assert db.session().scalars(select(TaskDraft)).all() == []   # online, the page may send its draft)
        context.set_offline(False)
        page.reload()
        page.wait_for_selector("form.task-form[data-ready]")
        assert page.locator(item(0, "fail") + " input").is_checked()
        assert page.locator(item(1, "na") + " input").is_checked()
        assert page.input_value("#checklist-0 [name$='.location']") == "1号配电室"
        kept = page.evaluate("(() => { const f = document.querySelector("
                             "'#checklist-0 input[type=file][name=\"checklist.0.photos\"]').files[0]; "
                             "return [f.type, f.size]; })()")
        assert kept[0] == "image/jpeg" and kept[1] > 1000
        assert page.input_value("input[name=inspector_signature]").startswith("data:image/png;base64,")
        assert page.locator("fieldset.signature img.signed").count() == 1
        assert page.inner_text("[data-progress]").replace(" ", "") == "已查2/28"
        context.close()


def test_editing_takes_the_task_and_a_teammate_sees_who_saved_it_and_when(hazard_app, clock, chromium):
    plan(hazard_app, clock)
    with LiveServer(hazard_app) as server:
        context, page = _open(chromium, server)
        page.click(item(0, "pass"))
        page.wait_for_selector("[data-save-state]:has-text('服务器草稿已保存')", timeout=10000)
        assert page.inner_text("[data-holder]") == "INSP1"              # by real name, not the login
        context.close()
        with hazard_app.app_context():
            task = db.session().scalars(select(HumanTask).where(HumanTask.status == "ready")).one()
            assert task.assignee == "insp1"
            draft = db.session().scalars(select(TaskDraft)).one()
            assert draft.data["checklist"][0]["result"] == "pass"
        other = chromium.new_page(viewport=TABLET, locale="zh-CN")
        sign_in(other, server, "insp2")
        other.goto(f"{server.url}/tasks/{task.id}")
        assert "INSP1" in other.inner_text("[data-holder]")
        assert "最后保存" in other.inner_text("dl.facts") and "INSP1" in other.inner_text(".last-saved")
        assert other.locator("form.task-form").count() == 0          # not offered to them any more


def test_an_uploaded_photo_goes_to_the_servers_draft_by_its_id(hazard_app, clock, chromium, photo):
    plan(hazard_app, clock)
    with LiveServer(hazard_app) as server:
        context, page = _open(chromium, server)
        page.click(item(3, "fail"))
        page.set_input_files("#checklist-3 input[type=file][name='checklist.3.photos']", str(photo))
        page.wait_for_selector("#checklist-3 ul.photo-queue li[data-state=uploaded]")
        page.fill("#checklist-3 [name$='.location']", "水泵房")            # the next edit saves the draft
        # the line already says 服务器草稿已保存 from the save of the tap: the draft itself is what is awaited

        def saved_row():
            with hazard_app.app_context():
                draft = db.session().scalars(select(TaskDraft)).one_or_none()
                row = draft.data["checklist"][3] if draft else {}
                return row if row.get("location") == "水泵房" else None

        row = wait_until(saved_row, 10, "the draft with the location reached the server")
        context.close()
    assert len(row["photos"]) == 1 and len(row["photos"][0]) == 64


def _set_hospital_location(app, lat=27.1133, lon=114.9922):
    from records import Customer
    from inspection_walk import CUSTOMER
    with app.app_context():
        session = db.session()
        customer = session.scalars(select(Customer).where(Customer.number == CUSTOMER)).one()
        customer.gps_lat, customer.gps_lon = lat, lon
        session.commit()


@pytest.mark.parametrize("where, flagged", [((27.1138, 114.9926), False), ((27.1500, 115.0300), True)],
                         ids=["near", "far"])
def test_the_device_position_is_kept_and_a_far_visit_is_listed_to_verify(hazard_app, clock, chromium, photo,
                                                                         where, flagged):
    _set_hospital_location(hazard_app)
    number = plan(hazard_app, clock)
    with LiveServer(hazard_app) as server:
        context = chromium.new_context(viewport=TABLET, locale="zh-CN", permissions=["geolocation"],
                                       geolocation={"latitude": where[0], "longitude": where[1], "accuracy": 20})
        context.clock.set_system_time(clock.now())              # the tablet's clock agrees with the server's
        page = context.new_page()
        sign_in(page, server, "insp1")
        walk_one_failed_item(page, server, photo)
        context.close()
        with hazard_app.app_context():
            done = db.session().scalars(select(Inspection).where(Inspection.number == number)).one()
            presence = done.result["presence"]
        assert presence["arrived"]["lat"] == pytest.approx(where[0]) and presence["left"]["accuracy"] == 20
        assert presence["device_clock"] and presence["server_clock"]
        assert [f["kind"] for f in presence["flags"]] == (["far", "far"] if flagged else [])
        assert done.needs_verification is flagged
        specialist = chromium.new_page(viewport=TABLET, locale="zh-CN")
        sign_in(specialist, server, "spec")
        specialist.goto(f"{server.url}/inspections/to-verify")
        listed = specialist.inner_text("#visits-to-verify")
        assert (number in listed) is flagged
        specialist.goto(f"{server.url}/inspections/{number}")
        assert (specialist.locator("#to-verify-flags").count() == 1) is flagged
        if flagged:
            assert "距客户登记位置约" in listed and "待核验" in specialist.inner_text("#to-verify-flags")


@pytest.mark.parametrize("viewport", [TABLET, {"width": 390, "height": 844}], ids=["tablet", "phone"])
def test_the_checklist_fits_the_screen_with_thumb_sized_answers(hazard_app, clock, chromium, viewport):
    plan(hazard_app, clock)
    with LiveServer(hazard_app) as server:
        context, page = _open(chromium, server, viewport=viewport)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        for result in ("pass", "fail", "na"):
            box = page.locator(item(0, result)).bounding_box()
            assert box["height"] >= 44 and box["width"] >= 88 and box["x"] + box["width"] <= viewport["width"]
        floors = page.eval_on_selector_all(".check-item", "items => items.map((i) => i.dataset.severityFloor)")
        index = next(i for i, floor in enumerate(floors) if floor in ("general", "significant"))
        page.click(item(index, "fail"))                          # the finding opens inline, still one column
        for choice in page.locator(f"#checklist-{index} .severity-choices label").all():
            box = choice.bounding_box()
            assert box["height"] >= 44 and box["x"] + box["width"] <= viewport["width"]
        page.click(f"#checklist-{index} .severity-choices label:last-child")
        assert page.locator(f"#checklist-{index} [name$='.severity_reason']").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        context.close()


def test_a_submission_lost_on_the_way_loses_nothing_that_was_tapped(hazard_app, clock, chromium, photo):
    plan(hazard_app, clock)
    with LiveServer(hazard_app) as server:
        context, page = _open(chromium, server)
        url = page.url
        page.click(item(3, "fail"))
        page.fill("#checklist-3 [name$='.location']", "水泵房")
        page.set_input_files("#checklist-3 input[type=file][name='checklist.3.photos']", str(photo))
        page.click("[data-rest-pass]")
        page.wait_for_timeout(300)
        page.route(url, lambda route: route.abort("connectionreset") if route.request.method == "POST"
                   else route.continue_())
        page.click("button[value=complete]")
        page.wait_for_timeout(500)
        page.unroute(url)
        page.goto(url)
        page.wait_for_selector("form.task-form[data-ready]")
        assert page.inner_text("[data-progress]").replace(" ", "") == "已查28/28"
        assert page.input_value("#checklist-3 [name$='.location']") == "水泵房"
        assert page.evaluate("document.querySelector("
                             "'#checklist-3 input[type=file][name=\"checklist.3.photos\"]').files.length") == 1
        context.close()


def test_a_large_photo_is_made_smaller_on_the_device_and_keeps_when_and_where_it_was_taken(
        hazard_app, clock, chromium, tmp_path):
    from io import BytesIO

    from PIL import Image

    from records import Attachment
    big = tmp_path / "大照片.jpg"
    big.write_bytes(jpeg(3200, 2400))
    _set_hospital_location(hazard_app)
    plan(hazard_app, clock)
    with LiveServer(hazard_app) as server:
        context = chromium.new_context(viewport=TABLET, locale="zh-CN", permissions=["geolocation"],
                                       geolocation={"latitude": 27.1138, "longitude": 114.9926, "accuracy": 10})
        page = context.new_page()
        sign_in(page, server, "insp1")
        page.click("text=现场用电检查")
        page.wait_for_selector("form.task-form[data-ready]")
        page.click(item(0, "pass"))                               # the first edit: the position is known
        page.wait_for_timeout(300)
        page.set_input_files("#checklist-1 input[type=file][name$='.photos']", str(big))
        page.wait_for_function("() => document.querySelector('#checklist-1 input[type=file]').files[0].name"
                               ".endsWith('.jpg')"
                               " && document.querySelector('#checklist-1 input[type=file]').files[0].size < 1000000")
        page.click(item(1, "fail"))
        page.fill("#checklist-1 [name$='.location']", "配电室")
        page.click("[data-rest-pass]")
        page.click("button[value=draft]")                        # kept on the server with the upload
        page.wait_for_selector(".flash-info")
        context.close()
    with hazard_app.app_context():
        photos = db.session().scalars(select(Attachment).where(Attachment.kind == "photo")).all()
        assert len(photos) == 1 and max(photos[0].width, photos[0].height) == 1600
        data = hazard_app.extensions["gridsafe.files"].get(photos[0].id)
    exif = Image.open(BytesIO(data)).getexif()
    assert exif.get_ifd(0x8769).get(36867)                               # DateTimeOriginal
    gps = exif.get_ifd(0x8825)
    lat = sum(float(v) / 60 ** i for i, v in enumerate(gps[2]))
    assert gps[1] == "N" and abs(lat - 27.1138) < 0.001

"""In Chromium without network (context.set_offline), with the real service worker: the task page opens
again offline with everything tapped; a submission made offline waits (待同步) and completes once when
the network is back, also when the first answer is lost; a task handed to someone else meanwhile is
told in words (失败) and the local record is kept and exportable; a delivery sent before its notice
exists waits, saying why, and completes once the notice is rendered. Photos wait in their own queue
(待上传 / 已上传 / 失败 and why): uploaded once, then named by id in the submission."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from browser_support import LiveServer, draw_signature, sign_in, wait_kept
from engine import AuditEvent, HumanTask
from inspection_walk import item, plan
from records import Hazard, Inspection
from services import access, work
from web_support import jpeg
from webui import db

pytestmark = pytest.mark.browser
TABLET = {"width": 768, "height": 1024}


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "配电室.jpg"
    path.write_bytes(jpeg(800, 600))
    return path


def _open_taken_along(chromium, server):
    """Signed in, the task opened once online with the service worker in control (so it is kept)."""
    context = chromium.new_context(viewport=TABLET, locale="zh-CN")
    page = context.new_page()
    sign_in(page, server, "insp1")
    page.wait_for_function("() => document.documentElement.dataset.serviceWorker === 'ready'")
    page.click("text=现场用电检查")
    page.wait_for_selector("form.task-form[data-ready]")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.reload()                                   # now through the service worker: the page is kept
    page.wait_for_selector("form.task-form[data-ready]")
    return context, page


PHOTOS = """(() => new Promise((done) => { const open = indexedDB.open('gridsafe');
  open.onsuccess = () => { const all = open.result.transaction('photos').objectStore('photos').getAll();
    all.onsuccess = () => done(all.result.map((r) => ({ state: r.state, reason: r.reason, name: r.name,
      size: r.file.size, attachment: r.attachment || null }))); }; }))()"""


def _fill_all(page, photo):
    page.click(item(5, "fail"))
    page.fill("#checklist-5 [name$='.location']", "地下一层配电室")
    page.set_input_files("#checklist-5 input[type=file][name='checklist.5.photos']",
                         photo if isinstance(photo, dict) else str(photo))
    page.click("[data-rest-pass]")
    page.fill("input[name=second_inspector]", "王检查")
    for name in ("inspector_signature", "second_inspector_signature", "customer_signature"):
        draw_signature(page, f"canvas[data-target={name}]")
    page.fill("input[name=customer_name]", "王电工")


def test_the_task_page_reopens_offline_with_every_answer_photo_and_signature(hazard_app, clock, chromium, photo):
    plan(hazard_app, clock)
    with LiveServer(hazard_app) as server:
        context, page = _open_taken_along(chromium, server)
        url = page.url
        context.set_offline(True)
        _fill_all(page, photo)
        wait_kept(page, "customer_name", "王电工")            # the last entry of _fill_all
        answer = page.reload()
        page.wait_for_selector("form.task-form[data-ready]")
        assert answer.from_service_worker and page.url == url and page.evaluate("navigator.onLine") is False
        assert page.inner_text("[data-progress]").replace(" ", "") == "已查28/28"
        assert page.locator(item(5, "fail") + " input").is_checked()
        assert page.input_value("#checklist-5 [name$='.location']") == "地下一层配电室"
        assert page.evaluate("document.querySelector("
                             "'#checklist-5 input[type=file][name=\"checklist.5.photos\"]').files.length") == 1
        for name in ("inspector_signature", "second_inspector_signature", "customer_signature"):
            assert page.input_value(f"input[name={name}]").startswith("data:image/png;base64,")
        assert page.input_value("input[name=customer_name]") == "王电工"
        customer = page.goto(f"{server.url}/customers/3600100001")            # the customer's file went along
        assert customer.from_service_worker and "吉安市中心人民医院" in page.inner_text("main")
        dictionary = page.goto(f"{server.url}/dictionary")
        assert dictionary.from_service_worker and "IL01" in page.inner_text("main")
        context.close()


def test_an_offline_submission_completes_once_when_back_online_even_if_the_first_answer_is_lost(
        hazard_app, clock, chromium, photo):
    number = plan(hazard_app, clock)
    with LiveServer(hazard_app) as server:
        context, page = _open_taken_along(chromium, server)
        context.set_offline(True)
        _fill_all(page, photo)
        page.click("button[value=complete]")
        page.wait_for_selector("[data-outbox-list] li[data-state=pending]")
        assert "待同步" in page.inner_text("[data-outbox-list]")
        sent = []

        def lose_the_first_answer(route):
            sent.append(route.request.post_data_buffer)
            if len(sent) == 1:
                route.fetch()                       # the server does the work ...
                route.abort("connectionreset")      # ... and the answer never arrives
            else:
                route.continue_()
        page.route("**/submit", lose_the_first_answer)
        context.set_offline(False)
        page.wait_for_function("() => document.querySelector('[data-outbox-list] li') && "     # a function: CSP
                               "document.querySelector('[data-outbox-list] li').textContent.includes('无网络')")
        page.evaluate("window.dispatchEvent(new Event('online'))")            # the next try
        page.wait_for_selector("[data-outbox-list] li[data-state=synced]")
        assert "已同步" in page.inner_text("[data-outbox-list]") and len(sent) == 2
        context.close()
    with hazard_app.app_context():
        session = db.session()
        done = session.scalars(select(Inspection).where(Inspection.number == number)).one()
        assert done.status == "completed"
        assert len(session.scalars(select(Hazard).where(Hazard.inspection_id == done.id)).all()) == 1
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "task.completed", AuditEvent.element_id == "execute_on_site")) == 1


def test_a_task_handed_over_meanwhile_is_told_in_words_and_the_record_is_kept(hazard_app, clock, chromium, photo,
                                                                             tmp_path):
    plan(hazard_app, clock)
    with LiveServer(hazard_app) as server:
        context, page = _open_taken_along(chromium, server)
        context.set_offline(True)
        _fill_all(page, photo)
        page.click("button[value=complete]")
        page.wait_for_selector("[data-outbox-list] li[data-state=pending]")
        with hazard_app.app_context():
            session = db.session()
            task = session.scalars(select(HumanTask).where(HumanTask.status == "ready")).one()
            work.reassign(hazard_app.extensions["gridsafe.runtime"], session, access.SYSTEM, task.id, "insp2",
                          "就近安排")
        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        failed = page.wait_for_selector("[data-outbox-list] li[data-state=failed]")
        assert "失败" in failed.inner_text() and "改派给 insp2" in failed.inner_text()
        with page.expect_download() as download:
            failed.query_selector("button").click()
        kept = json.loads(open(download.value.path(), encoding="utf-8").read())
        assert kept["fields"]["customer_name"] == ["王电工"] and kept["state"] == "failed"
        assert kept["files"] and list(kept["files"].values())[0][0]["data"].startswith("data:image/jpeg;base64,")
        context.close()
    with hazard_app.app_context():
        assert db.session().get(HumanTask, task.id).status == "ready"


def test_a_photo_taken_offline_is_uploaded_once_and_the_submission_completes_once(hazard_app, clock, chromium, photo):
    number = plan(hazard_app, clock)
    with LiveServer(hazard_app) as server:
        context, page = _open_taken_along(chromium, server)
        context.set_offline(True)
        _fill_all(page, photo)
        queued = page.wait_for_selector("#checklist-5 ul.photo-queue li[data-state=pending]")
        assert "待上传" in queued.inner_text() and "配电室.jpg" in queued.inner_text()
        page.click("button[value=complete]")
        page.wait_for_selector("[data-outbox-list] li[data-state=pending]")
        uploads, submits = [], []
        page.on("request", lambda r: r.method == "POST" and (
            uploads if r.url.endswith("/photos") else submits if r.url.endswith("/submit") else []).append(r))
        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        page.wait_for_selector("[data-outbox-list] li[data-state=synced]")
        uploaded = page.wait_for_selector("#checklist-5 ul.photo-queue li[data-state=uploaded]")
        assert "已上传" in uploaded.inner_text()
        page.evaluate("window.dispatchEvent(new Event('online'))")          # more tries change nothing
        page.wait_for_timeout(500)
        kept = page.evaluate(PHOTOS)
        assert len(uploads) == 1 and len(submits) == 1, (uploads, submits)
        assert len(kept) == 1 and kept[0]["state"] == "uploaded"
        body = submits[0].post_data_buffer
        assert kept[0]["attachment"].encode() in body and b"\xff\xd8\xff" not in body     # the id, not the photo
        context.close()
    with hazard_app.app_context():
        session = db.session()
        done = session.scalars(select(Inspection).where(Inspection.number == number)).one()
        hazard = session.scalars(select(Hazard).where(Hazard.inspection_id == done.id)).one()
        assert done.status == "completed" and hazard.photos == [kept[0]["attachment"]]
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "task.completed", AuditEvent.element_id == "execute_on_site")) == 1


def test_a_photo_the_server_refuses_says_why_and_is_kept_on_the_device(hazard_app, clock, chromium):
    plan(hazard_app, clock)
    bad = {"name": "不是照片.jpg", "mimeType": "image/jpeg", "buffer": b"%PDF-1.4 a scanned form, not a photo"}
    with LiveServer(hazard_app) as server:
        context, page = _open_taken_along(chromium, server)
        context.set_offline(True)
        _fill_all(page, bad)
        page.click("button[value=complete]")
        page.wait_for_selector("[data-outbox-list] li[data-state=pending]")
        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        failed = page.wait_for_selector("#checklist-5 ul.photo-queue li[data-state=failed]")
        assert "失败" in failed.inner_text() and "不是可读取的图片" in failed.inner_text()
        refused = page.wait_for_selector("[data-outbox-list] li[data-state=failed]")
        assert "不是照片.jpg" in refused.inner_text()                 # the submission says which photo
        kept = page.evaluate(PHOTOS)
        assert [(k["state"], k["size"]) for k in kept] == [("failed", len(bad["buffer"]))]
        assert page.evaluate("document.querySelector("
                             "'#checklist-5 input[type=file][name=\"checklist.5.photos\"]').files.length") == 1
        context.close()
    with hazard_app.app_context():
        assert db.session().scalars(select(HumanTask).where(HumanTask.element_id == "execute_on_site")).one() \
            .status == "ready"


def test_a_delivery_sent_before_its_notice_exists_waits_and_says_why_then_completes(hazard_app, chromium):
    """A notice only the sweep renders: the delivery made offline is sent when the network is back, the
    server answers 503 (the notice is 正在生成), and the queue keeps it pending with that reason; once the
    notice exists, the next try completes the task."""
    import io
    from services import rendering
    from web_support import csrf_of, signed_in
    rt = hazard_app.extensions["gridsafe.runtime"]
    rt.engine.context_factory.keywords["settings"]["DOCUMENTS_RENDER"] = "worker_only"   # the sweep renders,
    rt.engine.context_factory.keywords["documents_queued"] = None                        # nothing after the commit
    inspector = signed_in(hazard_app, "insp1")
    assert inspector.post("/hazards/new", content_type="multipart/form-data", data={
        "csrf_token": csrf_of(inspector, "/hazards/new"), "customer": "3600100001", "item_code": "EP02",
        "location": "配电室", "description": "容量不足", "photos": (io.BytesIO(jpeg()), "h.jpg")}).status_code == 302
    with hazard_app.app_context():
        task = db.session().scalars(select(HumanTask).where(HumanTask.element_id == "deliver_notice")).one()
    with LiveServer(hazard_app) as server:
        context = chromium.new_context(viewport=TABLET, locale="zh-CN")
        page = context.new_page()
        sign_in(page, server, "insp1")
        page.wait_for_function("() => document.documentElement.dataset.serviceWorker === 'ready'")
        page.goto(f"{server.url}/tasks/{task.id}")
        page.wait_for_selector("form.task-form[data-ready]")
        assert "生成中" in page.inner_text("body")
        context.set_offline(True)
        page.fill("input[name=signer_name]", "王电工")
        draw_signature(page, "canvas[data-target=signature]")
        page.click("button[value=complete]")
        page.wait_for_selector("[data-outbox-list] li[data-state=pending]")
        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        page.wait_for_function("() => document.querySelector('[data-outbox-list] li') && "
                               "document.querySelector('[data-outbox-list] li').textContent.includes('正在生成')")
        assert page.query_selector("[data-outbox-list] li[data-state=pending]") is not None
        with hazard_app.app_context():
            assert db.session().get(HumanTask, task.id).status == "ready"
        assert rendering.render_due(rt)["rendered"] == 1
        page.evaluate("window.dispatchEvent(new Event('online'))")            # the next try
        page.wait_for_selector("[data-outbox-list] li[data-state=synced]")
        context.close()
    with hazard_app.app_context():
        assert db.session().get(HumanTask, task.id).status == "completed"

"""Documents rendered after the step's commit (services.rendering): the step numbers the document and
queues its snapshot; a worker renders it exactly once, retries a failure, and shows what failed."""
from __future__ import annotations

import hashlib
import io
import threading
import time
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from docx import Document as Docx
from sqlalchemy import delete, select

from engine import AuditEvent
from hazard_support import HazardWorld
from handlers import docx_layout
from records import Document, Hazard
from records.files import FileChunk
from records.render_jobs import RenderJob
from services import access, config, rendering
from services.errors import Forbidden
from services.runtime import build_engine


def _world(sessions, clock, tmp_path, mode: str, **settings) -> HazardWorld:
    world = HazardWorld(sessions, clock, tmp_path)
    world.settings = config.load({"ENV": "testing", "SECRET_KEY": "x", "DATA_DIR": str(tmp_path),
                                  "RUN_SCENARIOS": False, "DOCUMENTS_RENDER": mode, **settings}, environ={})
    world.engine = build_engine(world.settings, clock, world.files)
    return world


@pytest.fixture
def world(sessions, clock, tmp_path):
    return _world(sessions, clock, tmp_path, "worker_only", RENDER_MAX_ATTEMPTS=3, RENDER_RETRY_BASE_SECONDS=30)


@pytest.fixture
def replays(monkeypatch):
    """Every render of a snapshot, counted (thread-safe: list.append)."""
    calls: list = []
    real = docx_layout.replay

    def counted(ops, ctx):
        calls.append(ops[1])
        return real(ops, ctx)
    monkeypatch.setattr(docx_layout, "replay", counted)
    return calls


def _rows(world):
    with world.sessions() as s:
        return (s.scalars(select(Document).order_by(Document.id)).all(),
                s.scalars(select(RenderJob).order_by(RenderJob.id)).all())


def _text(world, doc: Document) -> str:
    data = world.files.get(doc.sha256)
    assert hashlib.sha256(data).hexdigest() == doc.sha256 and len(data) == doc.size
    docx = Docx(io.BytesIO(data))
    cells = [c.text for t in docx.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in docx.paragraphs] + cells)


def test_a_step_commits_its_numbered_document_and_job_and_the_worker_renders_it(world, replays):
    iid = world.open()
    world.sign(iid)
    docs, jobs = _rows(world)
    assert docs and all(d.sha256 is None and d.size is None and not d.ready for d in docs)
    assert [j.document_id for j in jobs] == [d.id for d in docs] and {j.status for j in jobs} == {"pending"}
    assert replays == []                                     # python-docx has not run in the steps
    notices = [d for d in docs if d.kind == "hazard_notice"]
    assert [d.version for d in notices] == [1, 2] and notices[0].number == notices[1].number

    report = rendering.render_due(world.rt)
    assert report == {"rendered": len(jobs), "retrying": 0, "failed": 0, "skipped": 0}
    docs, jobs = _rows(world)
    assert all(d.ready for d in docs) and {j.status for j in jobs} == {"done"}
    assert notices[0].number in _text(world, [d for d in docs if d.id == notices[1].id][0])
    with world.sessions() as s:
        trail = [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.instance_id == iid))]
        rendered = s.scalars(select(AuditEvent).where(AuditEvent.action == "document.rendered")).all()
    assert "document.queued" in trail and "document.rendered" not in trail
    assert len(rendered) == len(jobs)
    assert rendering.render_due(world.rt)["rendered"] == 0          # nothing twice


def test_two_workers_racing_render_each_document_exactly_once(world, replays):
    for _ in range(3):
        world.open()
    _, jobs = _rows(world)
    start = threading.Barrier(2)
    reports: list = []

    def work(name):
        start.wait()
        reports.append(rendering.render_due(world.rt, worker=name))
    threads = [threading.Thread(target=work, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(replays) == len(jobs) == sum(r["rendered"] for r in reports)
    docs, jobs = _rows(world)
    assert all(d.ready for d in docs) and {j.status for j in jobs} == {"done"}
    assert all(j.attempts == 1 for j in jobs)


def test_a_crashed_workers_claim_is_taken_over_after_the_lease_and_its_late_result_is_refused(world):
    world.open()
    _, jobs = _rows(world)
    job = jobs[0]
    rt = world.rt
    with world.sessions() as s:
        from records import render_jobs
        assert render_jobs.claim(s, job.id, "crashed", world.clock.now(), timedelta(seconds=300))
        s.commit()
    assert rendering.render_one(rt, job.id, "other") == "skipped"      # within the lease
    world.clock.advance(seconds=301)
    assert rendering.render_one(rt, job.id, "other") == "rendered"
    assert rendering._store(rt, job.id, "crashed", b"late") == "skipped"
    with world.sessions() as s:
        row = s.get(RenderJob, job.id)
        assert row.status == "done" and row.attempts == 2
        assert s.get(Document, job.document_id).size != len(b"late")


def test_a_failing_render_is_retried_with_backoff_then_failed_for_admins_who_retry_it(world, monkeypatch):
    world.open()
    real = docx_layout.replay
    monkeypatch.setattr(docx_layout, "replay", lambda ops, ctx: (_ for _ in ()).throw(OSError("no space left")))
    rt = world.rt
    _, jobs = _rows(world)
    n = len(jobs)
    assert rendering.render_due(rt)["retrying"] == n
    _, jobs = _rows(world)
    assert all(j.attempts == 1 and "no space left" in j.last_error for j in jobs)
    assert all(j.next_attempt_at == world.clock.now() + timedelta(seconds=30) for j in jobs)
    assert rendering.render_due(rt) == {"rendered": 0, "retrying": 0, "failed": 0, "skipped": 0}   # not yet due
    world.clock.advance(seconds=30)
    assert rendering.render_due(rt)["retrying"] == n
    _, jobs = _rows(world)
    assert all(j.next_attempt_at == world.clock.now() + timedelta(seconds=60) for j in jobs)
    world.clock.advance(seconds=60)
    assert rendering.render_due(rt)["failed"] == n

    with world.sessions() as s:
        listed, counts = rendering.failed_jobs(s, access.SYSTEM)
        assert counts["failed"] == n and [j.status for j, _ in listed] == ["failed"] * n
        with pytest.raises(Forbidden):
            rendering.failed_jobs(s, SimpleNamespace(roles=["inspector"], is_system=False))
    monkeypatch.setattr(docx_layout, "replay", real)
    admin = SimpleNamespace(roles=["admin"], username="admin1", is_system=False)
    with world.sessions() as s:
        rendering.retry(rt, s, admin, jobs[0].id)
    assert rendering.render_due(rt)["rendered"] == 1
    with world.sessions() as s:
        assert s.get(Document, jobs[0].document_id).ready
        assert s.scalars(select(AuditEvent).where(AuditEvent.action == "document.render_retried")).one()


def test_administrators_retry_every_failed_render_at_once_in_one_transaction(world, monkeypatch):
    """After a template or the disk is repaired: one action makes every failed job due again (a bounded
    batch, oldest first), with one audit event; the next sweep renders them."""
    world.open()
    world.open()
    rt = world.rt
    real = docx_layout.replay
    monkeypatch.setattr(docx_layout, "replay", lambda ops, ctx: (_ for _ in ()).throw(OSError("no space left")))
    rt.config["RENDER_MAX_ATTEMPTS"] = 1
    _, jobs = _rows(world)
    assert len(jobs) >= 2 and rendering.render_due(rt)["failed"] == len(jobs)
    admin = SimpleNamespace(roles=["admin"], username="admin1", is_system=False)
    with world.sessions() as s:
        with pytest.raises(Forbidden):
            rendering.retry_failed(rt, s, SimpleNamespace(roles=["inspector"], username="i", is_system=False))
    assert all(j.status == "failed" for j in _rows(world)[1])            # refused: nothing written
    monkeypatch.setattr(rendering, "RETRY_ALL_LIMIT", len(jobs) - 1)
    with world.sessions() as s:
        assert rendering.retry_failed(rt, s, admin) == (len(jobs) - 1, 1)
    _, after = _rows(world)
    assert [j.status for j in after] == ["pending"] * (len(jobs) - 1) + ["failed"]     # the oldest first
    assert all(j.attempts == 0 and j.next_attempt_at == world.clock.now() for j in after[:-1])
    with world.sessions() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "document.renders_retried")).one()
        assert event.actor == "admin1" and event.after["jobs"] == [j.id for j in jobs[:-1]]
        assert event.after["documents"] == [j.document_id for j in jobs[:-1]]
    monkeypatch.setattr(docx_layout, "replay", real)
    assert rendering.render_due(rt)["rendered"] == len(jobs) - 1
    with world.sessions() as s:
        assert rendering.retry_failed(rt, s, admin) == (1, 0)
        assert rendering.retry_failed(rt, s, admin) == (0, 0)              # nothing failed: no event
        assert len(s.scalars(select(AuditEvent).where(AuditEvent.action == "document.renders_retried")).all()) == 2
    assert rendering.render_due(rt)["rendered"] == 1
    with world.sessions() as s:
        assert all(s.get(Document, j.document_id).ready for j in jobs)


def test_a_photo_missing_from_the_store_fails_the_render_by_name_never_a_gap(world):
    photos = [world.photo(1), world.photo(2)]
    world.open(photos=photos)
    lost = photos[1]                                   # an attachment's id is its content's SHA-256
    with world.sessions() as s:
        if world.files.kind == "database":
            s.execute(delete(FileChunk).where(FileChunk.sha256 == lost))
            s.commit()
        else:
            world.files.path(lost).unlink()
    report = rendering.render_due(world.rt)
    assert report["retrying"] >= 1 and report["rendered"] < sum(report.values())
    _, jobs = _rows(world)
    failed = [j for j in jobs if j.last_error]
    assert failed and all(f"the stored file {lost} named by the document is missing" in j.last_error
                          for j in failed)


def test_the_document_holds_what_was_true_at_its_step_not_at_its_render(world):
    iid = world.open()
    with world.sessions() as s:
        hazard = s.scalars(select(Hazard).where(Hazard.instance_id == iid)).one()
        hazard.description = "事后改写的描述"
        s.commit()
    rendering.render_due(world.rt)
    docs, _ = _rows(world)
    notice = [d for d in docs if d.kind == "hazard_notice"][-1]
    text = _text(world, notice)
    assert "自备应急电源容量不足" in text and "事后改写的描述" not in text


def test_the_scheduler_tick_sweeps_the_documents_due(world):
    from services import jobs
    world.open()
    report = jobs.run_tick(world.rt, "test", beat=False)
    assert report["documents"]["rendered"] == len(_rows(world)[1]) and not report["errors"]
    assert all(d.ready for d in _rows(world)[0])


def test_inline_mode_renders_in_the_step_and_queues_nothing(sessions, clock, tmp_path):
    world = _world(sessions, clock, tmp_path, "inline")
    world.open()
    docs, jobs = _rows(world)
    assert docs and all(d.ready for d in docs) and jobs == []


def test_after_commit_the_committing_session_reads_the_rendered_document(sessions, clock, tmp_path):
    world = _world(sessions, clock, tmp_path, "after_commit")
    data = {"customer_id": world.ids["hospital"], "item_code": "EP02", "location": "1号配电室", "photos": [world.photo(1)],
            "description": "自备应急电源容量不足", "equipment": "柴油发电机", "severity": None, "severity_reason": None,
            "team": None, "inspection_id": None, "interim_measures": None}
    with world.sessions() as s:                  # as a request answers with the dossier after the step
        world.engine.start_instance(s, "hazard_lifecycle", actor="insp1", data=data)
        docs = s.scalars(select(Document)).all()
        assert docs and all(d.ready for d in docs)


def test_background_mode_renders_soon_after_the_step_returns(sessions, clock, tmp_path):
    world = _world(sessions, clock, tmp_path, "background")
    try:
        world.open()
        deadline = time.monotonic() + 20
        while not all(d.ready for d in _rows(world)[0]):
            assert time.monotonic() < deadline, "the background worker did not render the documents"
            time.sleep(0.05)
        assert {j.status for j in _rows(world)[1]} == {"done"}
    finally:
        rendering.stop_background()


@pytest.fixture
def late_app(sqlite_url, tmp_path, clock):
    """The web app whose documents only the sweep renders (DOCUMENTS_RENDER=worker_only)."""
    from inspection_walk import make_app
    return make_app(sqlite_url, tmp_path / "data", clock, DOCUMENTS_RENDER="worker_only")


def test_pages_say_generating_until_the_document_exists_then_link_it(late_app):
    from engine import HumanTask
    from web_support import csrf_of, jpeg, signed_in
    from webui import db
    inspector = signed_in(late_app, "insp1")
    response = inspector.post("/hazards/new", content_type="multipart/form-data", data={
        "csrf_token": csrf_of(inspector, "/hazards/new"), "customer": "3600100001", "item_code": "EP02",
        "location": "地下一层配电室", "equipment": "1号柴油发电机", "description": "发电机容量不足",
        "photos": (io.BytesIO(jpeg()), "hazard.jpg")})
    assert response.status_code == 302
    dossier = response.headers["Location"]
    with late_app.app_context():
        notice = db.session().scalars(select(Document).where(Document.kind == "hazard_notice")).one()
        task = db.session().scalars(select(HumanTask).where(HumanTask.element_id == "deliver_notice")).one()
    state = f"/documents/{notice.id}/state"
    page = inspector.get(dossier).get_data(as_text=True)
    assert "生成中" in page and state in page and f'href="/documents/{notice.id}"' not in page
    task_page = inspector.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "待送达文书" in task_page and "生成中" in task_page and notice.number in task_page
    download = inspector.get(f"/documents/{notice.id}")
    assert download.status_code == 409 and "文书生成中" in download.get_data(as_text=True)
    assert "生成中" in inspector.get(state).get_data(as_text=True)

    assert rendering.render_due(late_app.extensions["gridsafe.runtime"])["rendered"] == 1
    line = inspector.get(state).get_data(as_text=True)
    assert f'href="/documents/{notice.id}"' in line and "生成中" not in line and "hx-get" not in line
    assert f'href="/documents/{notice.id}"' in inspector.get(dossier).get_data(as_text=True)
    download = inspector.get(f"/documents/{notice.id}")
    assert download.status_code == 200 and download.data[:2] == b"PK"


def test_the_delivery_waits_for_its_notice_and_keeps_what_was_entered(late_app):
    """Delivering a notice that is still 生成中 is refused for now (503, Retry-After), on the page, from the
    page's queue and over the API; what was entered is kept as the draft and the task stays ready. Once
    the notice exists, the same submission completes the task."""
    import base64
    from engine import HumanTask
    from records.drafts import TaskDraft
    from web_support import api_token, csrf_of, jpeg, png, signed_in
    from webui import db
    inspector = signed_in(late_app, "insp1")
    assert inspector.post("/hazards/new", content_type="multipart/form-data", data={
        "csrf_token": csrf_of(inspector, "/hazards/new"), "customer": "3600100001", "item_code": "EP02",
        "location": "配电室", "equipment": "发电机", "description": "容量不足",
        "photos": (io.BytesIO(jpeg()), "hazard.jpg")}).status_code == 302
    with late_app.app_context():
        task = db.session().scalars(select(HumanTask).where(HumanTask.element_id == "deliver_notice")).one()
        notice = db.session().scalars(select(Document).where(Document.kind == "hazard_notice")).one()
    signature = "data:image/png;base64," + base64.b64encode(png()).decode()
    form = {"csrf_token": csrf_of(inspector, f"/tasks/{task.id}"), "action": "complete", "signer_name": "王电工",
            "signature": signature}
    page = inspector.post(f"/tasks/{task.id}", data=form)
    text = page.get_data(as_text=True)
    assert page.status_code == 503 and page.headers["Retry-After"] == "2"
    assert f"隐患告知书 {notice.number} 正在生成" in text and 'value="王电工"' in text
    queued = inspector.post(f"/tasks/{task.id}/submit", data={**form, "idempotency_key": uuid.uuid4().hex})
    assert queued.status_code == 503 and queued.get_json()["state"] == "later"       # the queue sends it again
    api = late_app.test_client().post(f"/api/v1/tasks/{task.id}/complete", json={"data": {"signer_name": "王电工"}},
                                      headers={"Authorization": f"Bearer {api_token(late_app, 'insp1')}"})
    assert api.status_code == 503 and "正在生成" in api.get_json()["detail"]
    with late_app.app_context():
        assert db.session().get(HumanTask, task.id).status == "ready"
        drafts = db.session().scalars(select(TaskDraft).where(TaskDraft.task_id == task.id)).all()
        assert [d.data["signer_name"] for d in drafts] == ["王电工"]

    assert rendering.render_due(late_app.extensions["gridsafe.runtime"])["rendered"] == 1
    done = inspector.post(f"/tasks/{task.id}", data={**form, "csrf_token": csrf_of(inspector, f"/tasks/{task.id}")})
    assert done.status_code == 302
    with late_app.app_context():
        assert db.session().get(HumanTask, task.id).status == "completed"


def _a_failed_render(late_app, monkeypatch):
    """An inspector files a hazard whose notice cannot be rendered ("disk full", one attempt): the runtime,
    the inspector's client, the real replay (to put back) and how many jobs failed."""
    from web_support import csrf_of, jpeg, signed_in
    rt = late_app.extensions["gridsafe.runtime"]
    inspector = signed_in(late_app, "insp1")
    assert inspector.post("/hazards/new", content_type="multipart/form-data", data={
        "csrf_token": csrf_of(inspector, "/hazards/new"), "customer": "3600100001", "item_code": "EP02",
        "location": "配电室", "equipment": "发电机", "description": "容量不足",
        "photos": (io.BytesIO(jpeg()), "hazard.jpg")}).status_code == 302
    real = docx_layout.replay
    monkeypatch.setattr(docx_layout, "replay", lambda ops, ctx: (_ for _ in ()).throw(OSError("disk full")))
    rt.config["RENDER_MAX_ATTEMPTS"] = 1
    return rt, inspector, real, rendering.render_due(rt)["failed"]


def test_administrators_see_failed_renders_on_the_outbox_page_and_retry_them(late_app, monkeypatch):
    from web_support import csrf_of, signed_in
    rt, inspector, real, failed = _a_failed_render(late_app, monkeypatch)
    assert failed == 1
    from engine import HumanTask
    from webui import db
    with late_app.app_context():
        task = db.session().scalars(select(HumanTask).where(HumanTask.element_id == "deliver_notice")).one()
    refused = inspector.post(f"/tasks/{task.id}", data={"csrf_token": csrf_of(inspector, f"/tasks/{task.id}"),
                                                        "action": "complete", "signer_name": "王电工"})
    assert refused.status_code == 503 and "未能生成，需由管理员在“发件箱”页面重试" in refused.get_data(as_text=True)
    admin = signed_in(late_app, "admin")
    page = admin.get("/admin/outbox").get_data(as_text=True)
    assert "未能生成的文书" in page and "disk full" in page and 'data-status="failed"' in page
    assert "全部重新生成" in page
    monkeypatch.setattr(docx_layout, "replay", real)
    job_id = _rows(SimpleNamespace(sessions=rt.sessions))[1][0].id
    response = admin.post(f"/admin/outbox/renders/{job_id}/retry", data={"csrf_token": csrf_of(admin, "/admin/outbox")})
    assert response.status_code == 302
    assert rendering.render_due(rt)["rendered"] == 1         # worker_only: the next sweep renders it
    assert "全部重新生成" not in admin.get("/admin/outbox").get_data(as_text=True)     # nothing failed now
    assert inspector.post("/admin/outbox/renders/retry-failed",
                          data={"csrf_token": csrf_of(inspector, "/inbox")}).status_code in (403, 404)
    assert inspector.get("/admin/outbox").status_code in (403, 404)


def test_the_outbox_page_retries_every_failed_render_with_one_button(late_app, monkeypatch):
    from web_support import csrf_of, signed_in
    rt, _inspector, real, failed = _a_failed_render(late_app, monkeypatch)
    assert failed >= 1
    monkeypatch.setattr(docx_layout, "replay", real)
    admin = signed_in(late_app, "admin")
    answer = admin.post("/admin/outbox/renders/retry-failed", data={"csrf_token": csrf_of(admin, "/admin/outbox")},
                        follow_redirects=True).get_data(as_text=True)
    assert f"{failed} 份文书将在调度程序下次运行时重新生成。" in answer and "全部重新生成" not in answer
    assert rendering.render_due(rt)["rendered"] == failed

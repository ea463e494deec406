"""What the task form's script talks to: the draft saved in the background, the claim on the first edit
(both answering JSON), and static assets sent compressed."""
from __future__ import annotations

import gzip

from records.drafts import TaskDraft
from web_support import csrf_of, login
from webui import db

JSON = {"Accept": "application/json"}


def test_a_background_draft_save_answers_when_it_was_kept(client, site):
    task = site.task(site.start_visit())
    login(client, "insp1")
    token = csrf_of(client, f"/tasks/{task.id}")
    answer = client.post(f"/tasks/{task.id}/draft", data={"csrf_token": token, "location": "2号配电室"}, headers=JSON)
    assert answer.status_code == 200 and answer.json["saved_at"] and answer.json["by"] == "INSP1"
    with site.app.app_context():
        assert db.session().query(TaskDraft).filter_by(task_id=task.id).one().data["location"] == "2号配电室"
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "最后保存" in page and 'data-draft-saved="' in page


def test_the_first_edit_claims_the_task_and_a_teammate_is_refused_in_words(client, site, app):
    task = site.task(site.start_visit())
    login(client, "insp1")
    token = csrf_of(client, f"/tasks/{task.id}")
    answer = client.post(f"/tasks/{task.id}/claim", data={"csrf_token": token}, headers=JSON)
    assert answer.status_code == 200 and answer.json["holder"] == "INSP1"          # shown on the page: the real name
    other = app.test_client()
    login(other, "insp2")
    token = csrf_of(other, "/")
    refused = other.post(f"/tasks/{task.id}/claim", data={"csrf_token": token}, headers=JSON)
    assert refused.status_code == 409 and "INSP1" in refused.json["message"]
    assert site.task(task.instance_id).assignee == "insp1"


def test_static_scripts_go_out_compressed_and_pages_do_not(client, site):
    raw = client.get("/static/vendor/htmx.min.js")
    packed = client.get("/static/vendor/htmx.min.js", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == raw.data and len(packed.data) < len(raw.data) / 2
    login(client, "insp1")
    page = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in page.headers               # it carries the CSRF token


def test_signing_out_clears_the_pages_kept_on_the_device(client, site):
    login(client, "insp1")
    response = client.post("/logout", data={"csrf_token": csrf_of(client, "/")})
    assert response.status_code == 302 and response.headers["Clear-Site-Data"] == '"cache"'


def test_the_app_can_be_installed_and_its_service_worker_covers_the_site(client, site):
    manifest = client.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json" and manifest.json["display"] == "standalone"
    assert manifest.json["start_url"].startswith("/") and manifest.json["icons"]
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in worker.headers["Cache-Control"] and b"gridsafe-pages" in worker.data

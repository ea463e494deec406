"""A task form sent with an idempotency key (the page's offline queue): sent twice it completes once;
a task changed meanwhile is refused in words and nothing is written."""
from __future__ import annotations

from sqlalchemy import func, select

from engine import AuditEvent
from records.drafts import TaskSubmission
from test_web_tasks import form_data
from web_support import csrf_of, login
from webui import db

JSON = {"Accept": "application/json"}
KEY = "k" * 8 + "0123456789abcdef"


def _submit(client, task_id, key=KEY, **overrides):
    data = form_data(client, task_id, **overrides)
    data.pop("action")
    data["idempotency_key"] = key
    return client.post(f"/tasks/{task_id}/submit", data=data, headers=JSON)


def _completions(site, instance_id) -> int:
    with site.app.app_context():
        return db.session().scalar(select(func.count()).select_from(AuditEvent)
                                   .where(AuditEvent.action == "task.completed", AuditEvent.instance_id == instance_id,
                                          AuditEvent.element_id == "record_visit"))


def test_the_same_submission_sent_twice_completes_the_task_once(client, site):
    instance_id = site.start_visit()
    task = site.task(instance_id)
    login(client, "insp1")
    first = _submit(client, task.id)
    assert first.status_code == 200 and first.json["state"] == "completed"
    again = _submit(client, task.id)                          # the answer was lost; the device retries
    assert again.status_code == 200 and again.json["state"] == "already"
    assert site.task(instance_id).status == "completed"
    assert _completions(site, instance_id) == 1
    with site.app.app_context():
        assert db.session().scalars(select(TaskSubmission)).one().task_id == task.id


def test_a_submission_for_a_task_completed_meanwhile_is_refused_in_words(client, site, app):
    instance_id = site.start_visit()
    task = site.task(instance_id)
    other = app.test_client()
    login(other, "insp2")
    assert other.post(f"/tasks/{task.id}", data=form_data(other, task.id)).status_code == 302
    login(client, "insp1")
    refused = _submit(client, task.id)
    assert refused.status_code == 409 and "INSP2" not in refused.json["message"]
    assert "insp2" in refused.json["message"] and "已" in refused.json["message"]
    assert _completions(site, instance_id) == 1


def test_a_submission_for_a_task_handed_to_someone_else_is_refused_in_words(client, site, app):
    instance_id = site.start_visit()
    task = site.task(instance_id)
    login(client, "insp1")
    token = csrf_of(client, f"/tasks/{task.id}")
    specialist = app.test_client()
    login(specialist, "spec")
    specialist.post(f"/tasks/{task.id}/reassign", data={"csrf_token": csrf_of(specialist, f"/tasks/{task.id}"),
                                                       "username": "insp2", "reason": "近"})
    data = {"csrf_token": token, "idempotency_key": KEY, "location": "1号配电室", "result": "pass"}
    refused = client.post(f"/tasks/{task.id}/submit", data=data, headers=JSON)
    assert refused.status_code == 409 and "insp2" in refused.json["message"]
    assert site.task(instance_id).status == "ready"
    with site.app.app_context():
        assert db.session().scalars(select(TaskSubmission)).all() == []


def test_a_submission_without_a_key_or_with_bad_data_writes_nothing(client, site):
    instance_id = site.start_visit()
    task = site.task(instance_id)
    login(client, "insp1")
    no_key = _submit(client, task.id, key="")
    assert no_key.status_code == 422 and no_key.json["message"]
    bad = _submit(client, task.id, location="", result="")
    assert bad.status_code == 422 and bad.json["errors"]
    assert site.task(instance_id).status == "ready"
    good = _submit(client, task.id)                       # the corrected form under the same key goes through
    assert good.json["state"] == "completed"

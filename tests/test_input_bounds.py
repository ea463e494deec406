"""Input bounds where people type or upload: rows of a form (findings), photos per item, text lengths,
photos per hazard, request bytes — each refused with a message that says the limit, nothing stored;
opening a hazard carries an idempotency key so a retry files it once."""
from __future__ import annotations

import io

from sqlalchemy import select

from engine import ProcessInstance
from forms import fields
from records import Attachment, Hazard
from test_web_tasks import form_data
from web_support import api_hazard_body, api_token, count_rows, csrf_of, jpeg, login, png, signed_in
from webui import db


def test_texts_rows_and_photos_a_schema_leaves_open_have_default_limits_with_the_limit_in_the_message():
    schema = {"type": "object", "properties": {
        "note": {"type": "string"}, "rows": {"type": "array", "items": {"type": "object", "properties": {}}},
        "photos": {"type": "array", "items": {"type": "string", "format": "attachment"}},
        "few": {"type": "array", "maxItems": 2, "items": {"type": "string"}}}}
    data = {"note": "字" * (fields.MAX_TEXT + 1), "rows": [{}] * (fields.MAX_ROWS + 1),
            "photos": ["a" * 64] * (fields.MAX_PHOTOS + 1), "few": ["x"] * 3}
    errors = fields.validate(schema, data)
    assert errors == {"note": f"Use at most {fields.MAX_TEXT} characters.",
                      "rows": f"Add at most {fields.MAX_ROWS}.", "photos": f"Add at most {fields.MAX_PHOTOS}.",
                      "few": "Add at most 2."}
    fine = {"note": "字" * fields.MAX_TEXT, "rows": [{}] * fields.MAX_ROWS, "photos": ["a" * 64] * fields.MAX_PHOTOS,
            "few": ["x"] * 2}
    assert fields.validate(schema, fine) == {}
    assert "maxLength" not in schema["properties"]["note"]              # the form's own schema is not changed


def test_the_inspection_form_bounds_its_findings_and_checklist():
    from forms import load
    schema = load("inspection_execute.schema.json")
    assert fields.max_items(schema["properties"]["findings"]) == 200
    assert fields.max_items(schema["properties"]["findings"]["items"]["properties"]["photos"]) == fields.MAX_PHOTOS


def test_too_many_findings_through_the_page_are_refused_with_the_limit_and_nothing_is_stored(client, site):
    instance_id = site.start_visit()
    task = site.task(instance_id)
    login(client, "insp1")
    extra = {f"findings.{n}.where": f"部位{n}" for n in range(fields.MAX_ROWS + 1)}
    extra.update({f"findings.{n}.photos": (io.BytesIO(jpeg(40 + n, 30)), f"{n}.jpg") for n in range(3)})
    response = client.post(f"/tasks/{task.id}", data=form_data(client, task.id, **extra),
                           content_type="multipart/form-data")
    assert response.status_code == 422 and f"最多添加 {fields.MAX_ROWS} 项" in response.get_data(as_text=True)
    assert site.task(instance_id).status == "ready"
    assert count_rows(site.app, Attachment, Attachment.kind == "photo") == 0    # nothing of them was stored


def test_too_many_photos_on_one_finding_are_refused_before_they_are_stored(client, site):
    instance_id = site.start_visit()
    task = site.task(instance_id)
    login(client, "insp1")
    photos = [(io.BytesIO(jpeg(40 + n, 30)), f"{n}.jpg") for n in range(fields.MAX_PHOTOS + 1)]
    response = client.post(f"/tasks/{task.id}", data=form_data(client, task.id, **{"findings.0.photos": photos}),
                           content_type="multipart/form-data")
    assert response.status_code == 422 and f"最多添加 {fields.MAX_PHOTOS} 项" in response.get_data(as_text=True)
    assert count_rows(site.app, Attachment, Attachment.kind == "photo") == 0


def test_too_many_findings_through_the_api_are_a_422_naming_the_limit(client, app, site):
    instance_id = site.start_visit()
    task = site.task(instance_id)
    token = {"Authorization": f"Bearer {api_token(app, 'insp1')}"}
    signature = client.post("/api/v1/attachments", headers=token, content_type="multipart/form-data",
                            data={"kind": "signature", "file": (io.BytesIO(png()), "s.png")}).get_json()["id"]
    body = {"data": {"location": "配电室", "result": "fail", "customer_signature": signature,
                     "findings": [{"where": f"部位{n}"} for n in range(fields.MAX_ROWS + 1)]}}
    response = client.post(f"/api/v1/tasks/{task.id}/complete", json=body, headers=token)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert str(fields.MAX_ROWS) in response.get_json()["errors"]["findings"]
    assert site.task(instance_id).status == "ready"


def test_a_request_over_the_byte_limit_says_the_limit(tmp_path, sqlite_url, clock):
    from support import FORMS
    from webui import create_app
    app = create_app({"ENV": "testing", "SECRET_KEY": "test-secret", "DATABASE_URL": sqlite_url, "CLOCK": clock,
                      "DATA_DIR": str(tmp_path / "data"), "FORMS_DIR": str(FORMS), "MAX_REQUEST_BYTES": 1024 * 1024,
                      "WTF_CSRF_ENABLED": False})
    response = app.test_client().post("/login", data={"username": "x", "big": (io.BytesIO(b"x" * 2 * 1024 * 1024),
                                                                               "big.bin")},
                                      content_type="multipart/form-data")
    assert response.status_code == 413 and "1 MB" in response.get_data(as_text=True)


def _open_form(client, key, **overrides):
    data = {"csrf_token": csrf_of(client, "/hazards/new"), "customer": "3600100001", "item_code": "EP02",
            "location": "地下一层配电室", "description": "发电机容量不足", "idempotency_key": key,
            "photos": (io.BytesIO(jpeg()), "hazard.jpg")}
    data.update(overrides)
    return data


def test_more_photos_than_allowed_on_a_new_hazard_are_refused_and_none_is_kept(hazard_app):
    inspector = signed_in(hazard_app, "insp1")
    photos = [(io.BytesIO(jpeg(40 + n, 30)), f"{n}.jpg") for n in range(fields.MAX_PHOTOS + 1)]
    response = inspector.post("/hazards/new", data=_open_form(inspector, "k" * 32, photos=photos),
                              content_type="multipart/form-data")
    assert response.status_code == 422 and f"最多添加 {fields.MAX_PHOTOS} 项" in response.get_data(as_text=True)
    assert count_rows(hazard_app, Attachment) == 0 and count_rows(hazard_app, Hazard) == 0


def test_the_opening_form_carries_a_key_and_a_resubmission_files_the_hazard_once(hazard_app):
    inspector = signed_in(hazard_app, "insp1")
    page = inspector.get("/hazards/new").get_data(as_text=True)
    import re
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page).group(1)
    first = inspector.post("/hazards/new", data=_open_form(inspector, key), content_type="multipart/form-data")
    again = inspector.post("/hazards/new", data=_open_form(inspector, key), content_type="multipart/form-data")
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert count_rows(hazard_app, Hazard) == 1 and count_rows(hazard_app, ProcessInstance) == 1
    other = inspector.post("/hazards/new", data=_open_form(inspector, "another-key-123"),
                           content_type="multipart/form-data")
    assert other.status_code == 302 and count_rows(hazard_app, Hazard) == 2


def test_an_api_retry_with_the_same_idempotency_key_returns_the_first_file(hazard_app):
    api = hazard_app.test_client()
    token = {"Authorization": f"Bearer {api_token(hazard_app, 'insp1')}"}
    body = api_hazard_body(api, token)
    keyed = {**token, "Idempotency-Key": "2f0c8e3a-retry-1"}
    first = api.post("/api/v1/hazards", headers=keyed, json=body)
    again = api.post("/api/v1/hazards", headers=keyed, json=body)
    assert first.status_code == 201 and again.status_code == 201, again.get_json()
    assert first.get_json()["file_number"] == again.get_json()["file_number"]
    assert count_rows(hazard_app, Hazard) == 1
    bad = api.post("/api/v1/hazards", headers={**token, "Idempotency-Key": "bad key!"}, json=body)
    assert bad.status_code == 422 and "idempotency_key" in bad.get_json()["errors"]
    with hazard_app.app_context():
        assert db.session().scalars(select(Hazard)).one().description == "无闭锁"


def test_an_api_upload_over_the_byte_limit_is_a_problem_naming_the_limit(tmp_path, sqlite_url, clock):
    from support import FORMS
    from webui import create_app
    app = create_app({"ENV": "testing", "SECRET_KEY": "test-secret", "DATABASE_URL": sqlite_url, "CLOCK": clock,
                      "DATA_DIR": str(tmp_path / "data"), "FORMS_DIR": str(FORMS), "MAX_REQUEST_BYTES": 1024 * 1024})
    from web_support import seed_people
    with app.app_context():
        seed_people(db.session(), clock.now())
    token = {"Authorization": f"Bearer {api_token(app, 'insp1')}"}
    response = app.test_client().post("/api/v1/attachments", headers=token, content_type="multipart/form-data",
                                      data={"kind": "photo", "file": (io.BytesIO(b"x" * 2 * 1024 * 1024), "p.jpg")})
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    assert "1 MB" in response.get_json()["detail"]


def test_the_idempotency_key_commits_with_the_hazard_it_opened(hazard_app):
    """A keyed opening takes no more commits than an unkeyed one: the key is written with the instance, so a
    crash in between cannot leave a key that answers "still being filed" for ever."""
    from sqlalchemy import event
    from records.request_keys import RequestKey
    api = hazard_app.test_client()
    token = {"Authorization": f"Bearer {api_token(hazard_app, 'insp1')}"}
    body = api_hazard_body(api, token)
    commits = []

    def count(conn):
        commits.append(1)
    sa = hazard_app.extensions["gridsafe.runtime"].sa
    event.listen(sa, "commit", count)
    try:
        assert api.post("/api/v1/hazards", headers=token, json=body).status_code == 201
        unkeyed, commits[:] = len(commits), []
        keyed = api.post("/api/v1/hazards", headers={**token, "Idempotency-Key": "one-commit-key-1"}, json=body)
        assert keyed.status_code == 201 and len(commits) == unkeyed
    finally:
        event.remove(sa, "commit", count)
    with hazard_app.app_context():
        row = db.session().get(RequestKey, ("insp1", "one-commit-key-1"))
        assert row.instance_id == keyed.get_json()["instance_id"]

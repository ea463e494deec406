"""Bad input never gives a 500: forged ids, huge page numbers, malformed files, control characters."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from engine import ProcessInstance
from records import Document, Hazard
from web_support import api_token, jpeg, png
from webui import db


def test_one_task_and_one_instance_are_read_through_the_api(client, app, site):
    instance_id = site.start_visit()
    task = site.task(instance_id)
    token = {"Authorization": f"Bearer {api_token(app, 'admin')}"}
    own = {"Authorization": f"Bearer {api_token(app, 'insp1')}"}
    response = client.get(f"/api/v1/tasks/{task.id}", headers=own)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["id"] == task.id and response.get_json()["form_schema"]["type"] == "object"
    response = client.get(f"/api/v1/instances/{instance_id}", headers=token)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["id"] == instance_id and response.get_json()["open_tasks"]


HUGE = str(10 ** 20)
NUMBERS = {"page": HUGE, "version": HUGE, "from": HUGE, "to": HUGE, "year": HUGE, "month": HUGE, "period": HUGE}


def _server_errors(client, urls, **kwargs) -> dict:
    """url -> status (or the exception) for every url that answers with a server error."""
    failures = {}
    for url in urls:
        try:
            response = client.get(url, **kwargs)
        except Exception as err:  # noqa: BLE001 - the test app propagates what would be a 500
            failures[url] = repr(err)[:120]
            continue
        if response.status_code >= 500 and not (url == "/healthz" and response.status_code == 503):
            failures[url] = response.status_code       # (/healthz answers 503 by design: no scheduler beat here)
    return failures


def _plain_get_rules(app, api: bool):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static" \
                and rule.rule.startswith("/api/") == api and "openapi" not in rule.rule and "logout" not in rule.rule:
            yield rule.rule


def test_huge_page_numbers_and_counts_on_every_page_answer_without_a_server_error(app, site):
    from web_support import signed_in
    client = signed_in(app, "admin")
    assert not _server_errors(client, _plain_get_rules(app, api=False), query_string=NUMBERS)


def test_huge_page_numbers_and_counts_on_every_api_operation_answer_4xx_or_an_empty_page(client, app, site):
    token = {"Authorization": f"Bearer {api_token(app, 'admin')}"}
    assert not _server_errors(client, _plain_get_rules(app, api=True), query_string=NUMBERS, headers=token)


def _open_form(client, **overrides):
    from web_support import csrf_of, jpeg
    data = {"csrf_token": csrf_of(client, "/hazards/new"), "customer": "3600100001", "item_code": "EP02",
            "location": "地下一层配电室", "equipment": "1号柴油发电机", "description": "发电机容量不足",
            "photos": (io.BytesIO(jpeg()), "hazard.jpg")}
    data.update(overrides)
    return data


@pytest.mark.parametrize("fake", ["0" * 64, "../../etc/passwd", "x" * 5000, "signature"])
def test_a_fake_photo_id_on_the_opening_form_is_refused_before_anything_is_filed(hazard_app, fake):
    from web_support import count_rows, signed_in
    inspector = signed_in(hazard_app, "insp1")
    if fake == "signature":        # a real attachment, but not a photo
        token = {"Authorization": f"Bearer {api_token(hazard_app, 'insp1')}"}
        fake = hazard_app.test_client().post("/api/v1/attachments", headers=token, content_type="multipart/form-data",
                                             data={"kind": "signature", "file": (io.BytesIO(png()), "s.png")}
                                             ).get_json()["id"]
    form = _open_form(inspector, photos=[(io.BytesIO(jpeg()), "hazard.jpg"), fake])
    response = inspector.post("/hazards/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 422 and "只能附上已上传的照片" in response.get_data(as_text=True)
    assert count_rows(hazard_app, Hazard) == 0 and count_rows(hazard_app, ProcessInstance) == 0


def test_control_characters_pasted_into_a_form_are_dropped_and_the_documents_are_made(hazard_app):
    from web_support import signed_in
    inspector = signed_in(hazard_app, "insp1")
    form = _open_form(inspector, location="地下\x0b一层\x00配电室", description="发电机\x0c容量\x1b不足\x07",
                      equipment="1号\x1f柴油发电机")
    response = inspector.post("/hazards/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    with hazard_app.app_context():
        hazard = db.session().scalars(select(Hazard)).one()
        instance = db.session().get(ProcessInstance, hazard.instance_id)
        assert instance.status != "error", instance.error_message
        assert (hazard.location, hazard.description) == ("地下一层配电室", "发电机容量不足")
        assert db.session().scalars(select(Document).where(Document.hazard_id == hazard.id)).first() is not None


def test_control_characters_in_json_raw_or_escaped_are_dropped_before_the_api_sees_them(hazard_app):
    api = hazard_app.test_client()
    token = {"Authorization": f"Bearer {api_token(hazard_app, 'insp1')}"}
    photo = api.post("/api/v1/attachments", headers=token, content_type="multipart/form-data",
                     data={"kind": "photo", "file": (io.BytesIO(jpeg()), "h.jpg")}).get_json()["id"]
    body = ('{"customer": "3600100001", "item_code": "IL01", "location": "配电\\u000b室\\u0000",'
            ' "description": "无\x0b闭锁\\ud800", "photos": ["%s"]}' % photo)
    response = api.post("/api/v1/hazards", headers={**token, "Content-Type": "application/json"},
                        data=body.encode())
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["location"], response.get_json()["description"]) == ("配电室", "无闭锁")
    assert response.get_json()["status"] != "error"


def test_markdown_in_a_customer_name_is_shown_as_typed_in_task_instructions(client, app, site):
    from web_support import login
    from webui import engine_of
    name = "![x](http://evil.example/a.png) [点此](http://evil.example) <img src=x> **粗体** `代码` #1 a_b"
    with app.app_context():
        instance = engine_of(app).start_instance(
            db.session(), "site_visit", actor="spec", business_key="V-9", subject="9010001",
            data={"team": "JA-T1", "branch": "JA-JZ", "customer_name": name, "due": "2026-03-09T00:00:00+00:00"})
    task = site.task(instance.id)
    login(client, "insp1")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "evil.example" in page                                      # the name is shown ...
    assert "<img" not in page.split('<main', 1)[-1] and 'href="http://evil.example' not in page   # ... as text
    assert "**粗体**" in page and "#1 a_b" in page and "<strong>粗体</strong>" not in page
    assert "<strong>" in page                                          # the diagram's own Markdown still works

"""A failed checklist item filed as a hazard keeps the dictionary's severity or a raised one with a reason:
the server names the item when the reason is missing, refuses a lower severity, and the reason stays on
the hazard's timeline. Photos may be sent ahead of the form (the page's photo queue), still checked as
images."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from engine import HumanTask
from inspection_walk import plan
from records import Hazard, HazardEvent, Inspection
from records.dictionary import SEVERITIES
from web_support import PASSWORD, csrf_of, jpeg, login, png
from webui import db

JSON = {"Accept": "application/json"}
KEY = "severity-0123456789abcdef"


@pytest.fixture
def execute(hazard_app, clock):
    """(number of the planned inspection, its ready execution task)."""
    number = plan(hazard_app, clock)
    with hazard_app.app_context():
        task = db.session().scalars(select(HumanTask).where(HumanTask.status == "ready",
                                                            HumanTask.element_id == "execute_on_site")).one()
    return number, task


@pytest.fixture
def client(hazard_app):
    client = hazard_app.test_client()
    assert login(client, "insp1", PASSWORD).status_code == 302
    return client


def _raisable(task) -> tuple[int, dict]:
    """The first checklist item that names a dictionary item below 重大 (so it can be raised)."""
    for index, row in enumerate(task.prefill["checklist"]):
        if row.get("dictionary_severity") in SEVERITIES[:-1]:
            return index, row
    raise AssertionError("no checklist item can be raised")


def _form(client, task, index, photo_id, **failed) -> dict:
    data = {"csrf_token": csrf_of(client, f"/tasks/{task.id}"), "idempotency_key": KEY,
            "second_inspector": "王检查", "customer_name": "王电工",
            "inspector_signature": "data:image/png;base64,", "second_inspector_signature": "", "customer_signature": ""}
    for name in ("inspector_signature", "second_inspector_signature", "customer_signature"):
        import base64
        data[name] = "data:image/png;base64," + base64.b64encode(png()).decode()
    for i, row in enumerate(task.prefill["checklist"]):
        for key in ("code", "section", "text", "hazard", "item_code", "dictionary_severity"):
            if row.get(key):
                data[f"checklist.{i}.{key}"] = row[key]
        data[f"checklist.{i}.result"] = "pass"
    data.update({f"checklist.{index}.result": "fail", f"checklist.{index}.note": "不符合：电缆沟积水",
                 f"checklist.{index}.disposition": "hazard", f"checklist.{index}.location": "地下一层配电室",
                 f"checklist.{index}.photos": photo_id})
    data.update({f"checklist.{index}.{k}": v for k, v in failed.items()})
    return data


def _photo(client, task, content=None, name="配电室.jpg"):
    return client.post(f"/tasks/{task.id}/photos", headers=JSON, content_type="multipart/form-data",
                       data={"csrf_token": csrf_of(client, f"/tasks/{task.id}"),
                             "file": (io.BytesIO(content if content is not None else jpeg(120, 90)), name)})


def test_a_raised_severity_without_a_reason_is_refused_naming_the_item(client, execute, hazard_app):
    _number, task = execute
    index, row = _raisable(task)
    photo = _photo(client, task).json["id"]
    higher = SEVERITIES[SEVERITIES.index(row["dictionary_severity"]) + 1]
    answer = client.post(f"/tasks/{task.id}/submit", data=_form(client, task, index, photo, severity=higher),
                         headers=JSON)
    assert answer.status_code == 422, answer.json
    message = answer.json["errors"][f"checklist.{index}.severity_reason"]
    assert row["code"] in message and "理由" in message
    page = client.post(f"/tasks/{task.id}", data={**_form(client, task, index, photo, severity=higher),
                                                  "action": "complete"})
    assert page.status_code == 422                          # the page comes back with the field marked
    html = page.get_data(as_text=True)
    assert f'id="checklist.{index}.severity_reason-error"' in html and row["code"] in html
    with hazard_app.app_context():
        assert db.session().get(HumanTask, task.id).status == "ready"


def test_a_severity_below_the_dictionarys_is_refused(client, execute, hazard_app):
    _number, task = execute
    rows = task.prefill["checklist"]
    index = next(i for i, r in enumerate(rows) if r.get("dictionary_severity") in SEVERITIES[1:])
    lower = SEVERITIES[SEVERITIES.index(rows[index]["dictionary_severity"]) - 1]
    photo = _photo(client, task).json["id"]
    answer = client.post(f"/tasks/{task.id}/submit", headers=JSON,
                         data=_form(client, task, index, photo, severity=lower, severity_reason="客户要求"))
    assert answer.status_code == 422
    assert rows[index]["code"] in answer.json["errors"][f"checklist.{index}.severity"]
    with hazard_app.app_context():
        assert db.session().get(HumanTask, task.id).status == "ready"


def test_a_raised_severity_with_its_reason_is_filed_and_kept_on_the_hazards_timeline(client, execute, hazard_app):
    number, task = execute
    index, row = _raisable(task)
    photo = _photo(client, task).json["id"]
    higher = SEVERITIES[SEVERITIES.index(row["dictionary_severity"]) + 1]
    answer = client.post(f"/tasks/{task.id}/submit", headers=JSON,
                         data=_form(client, task, index, photo, severity=higher,
                                    severity_reason="积水已漫至电缆接头，随时可能短路"))
    assert answer.status_code == 200 and answer.json["state"] == "completed", answer.json
    with hazard_app.app_context():
        session = db.session()
        ins = session.scalars(select(Inspection).where(Inspection.number == number)).one()
        hazard = session.scalars(select(Hazard).where(Hazard.inspection_id == ins.id)).one()
        filed = session.scalars(select(HazardEvent).where(HazardEvent.hazard_id == hazard.id,
                                                          HazardEvent.kind == "registered")).one()
        assert hazard.severity == higher and hazard.severity_reason == "积水已漫至电缆接头，随时可能短路"
        assert hazard.photos == [photo]
        assert filed.detail["severity_reason"] == hazard.severity_reason
        assert filed.detail["dictionary_severity"] == row["dictionary_severity"]
        file_number = hazard.file_number
    spec = hazard_app.test_client()
    login(spec, "spec")
    dossier = spec.get(f"/hazards/{file_number}").get_data(as_text=True)
    assert "积水已漫至电缆接头，随时可能短路" in dossier


def test_a_photo_sent_ahead_must_be_an_image(client, execute):
    _number, task = execute
    refused = _photo(client, task, content=b"%PDF-1.4 not a photo", name="照片.jpg")
    assert refused.status_code == 422 and refused.json["message"]
    first, again = _photo(client, task), _photo(client, task)
    assert first.status_code == 201 and again.json["id"] == first.json["id"]      # the same bytes: one photo

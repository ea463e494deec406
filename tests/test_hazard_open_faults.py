"""POST /api/v1/hazards when the process's first step fails after the hazard row was written: a clear 202 (the
request is recorded, the file waits for an administrator's retry), never a 500, and never a second file
when the client retries, with or without an idempotency key."""
from __future__ import annotations


import pytest
from sqlalchemy import select

from engine import ProcessInstance
from handlers import hazards as hazard_handlers
from records import Hazard
from web_support import api_hazard_body, api_token, count_rows
from webui import db, engine_of

FAULT = {"on": True}


def register_then_fail(ctx, **params):
    """The real first step, then a fault after its row exists (a full disk, a lost connection to a service)."""
    result = hazard_handlers.register(ctx, **params)
    if FAULT["on"]:
        raise RuntimeError("the document store is full")
    return result


@pytest.fixture
def faulty_app(sqlite_url, tmp_path, clock):
    from inspection_walk import make_app
    FAULT["on"] = True
    return make_app(sqlite_url, tmp_path / "data", clock, EXTRA_HANDLERS={"hazards.register": register_then_fail})


def _retry_instance(app, instance_id: int) -> None:
    with app.app_context():
        engine_of(app).retry(db.session(), instance_id, "admin", "the store has room again")


@pytest.mark.parametrize("key", ["open-fault-0001", None])
def test_a_failed_first_step_answers_202_and_a_retry_never_files_twice(faulty_app, key):
    api = faulty_app.test_client()
    token = {"Authorization": f"Bearer {api_token(faulty_app, 'insp1')}"}
    headers = {**token, **({"Idempotency-Key": key} if key else {})}
    body = api_hazard_body(api, token)
    first = api.post("/api/v1/hazards", headers=headers, json=body)
    assert first.status_code == 202, first.get_data(as_text=True)
    answer = first.get_json()
    assert answer["status"] == "error" and "document store is full" in answer["error"]
    assert count_rows(faulty_app, Hazard) == 0                  # the step's row went with the step
    again = api.post("/api/v1/hazards", headers=headers, json=body)
    assert again.status_code == 202 and again.get_json()["instance_id"] == answer["instance_id"]
    assert count_rows(faulty_app, ProcessInstance) == 1          # the retry started nothing
    FAULT["on"] = False
    _retry_instance(faulty_app, answer["instance_id"])
    filed = api.post("/api/v1/hazards", headers=headers, json=body)
    assert filed.status_code == 201, filed.get_data(as_text=True)
    with faulty_app.app_context():
        hazard = db.session().scalars(select(Hazard)).one()
    assert filed.get_json()["file_number"] == hazard.file_number and hazard.instance_id == answer["instance_id"]
    assert count_rows(faulty_app, ProcessInstance) == 1


def test_without_a_key_another_hazard_with_other_content_is_a_second_file(faulty_app):
    FAULT["on"] = False
    api = faulty_app.test_client()
    token = {"Authorization": f"Bearer {api_token(faulty_app, 'insp1')}"}
    first = api.post("/api/v1/hazards", headers=token, json=api_hazard_body(api, token))
    second = api.post("/api/v1/hazards", headers=token, json=api_hazard_body(api, token) | {"location": "二号配电室"})
    assert first.status_code == second.status_code == 201
    assert first.get_json()["file_number"] != second.get_json()["file_number"]
    assert count_rows(faulty_app, Hazard) == 2

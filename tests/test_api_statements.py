"""What an API call asks the database: a generic start looks up the newest version of its process once (the
version whose roles are checked is the version started), and reading an instance reads its row once."""
from __future__ import annotations

import re
from contextlib import contextmanager

from sqlalchemy import event, select

from test_access_work import bearer

DATA = {"team": "JA-T1", "branch": "JA-JZ", "customer_name": "X", "due": None}


@contextmanager
def statements(app):
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    sa = app.extensions["gridsafe.sa"]
    event.listen(sa, "after_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(sa, "after_cursor_execute", record)


def _reads(seen: list[str], table: str) -> list[str]:
    """The SELECTs whose first FROM is the table (joins of other tables' reads excluded)."""
    return [s for s in seen if s.startswith("SELECT") and re.search(rf"\bFROM {table}\b(?! JOIN)", s)]


def _started(site, client, headers, key: str):
    """Start a site visit through the API: (the answer, the statements it ran)."""
    with statements(site.app) as seen:
        started = client.post("/api/v1/processes/instances", headers=headers,
                              json={"process_id": "site_visit", "business_key": key, "data": DATA})
    assert started.status_code == 201, started.get_data(as_text=True)
    return started, seen


def test_a_start_looks_up_its_process_once_and_an_instance_read_reads_the_row_once(site):
    client, headers = site.app.test_client(), bearer(site.app, "admin")
    started, seen = _started(site, client, headers, "V-1")
    assert len(_reads(seen, "definition")) == 1, _reads(seen, "definition")
    instance_id = started.get_json()["instance"]["id"]
    with statements(site.app) as seen:
        read = client.get(f"/api/v1/instances/{instance_id}", headers=headers)
    assert read.status_code == 200 and read.get_json()["id"] == instance_id
    assert len(_reads(seen, "process_instance")) == 1, _reads(seen, "process_instance")


def test_a_start_answers_with_its_ready_tasks_without_reading_them_back(site):
    client, headers = site.app.test_client(), bearer(site.app, "admin")
    _answer, seen = _started(site, client, headers, "V-2")
    assert _reads(seen, "human_task") == [], _reads(seen, "human_task")


def test_the_ready_tasks_an_engine_call_answers_with_are_the_rows_it_wrote(site):
    from engine import HumanTask
    from webui import db, engine_of
    columns = [c.name for c in HumanTask.__table__.columns]

    def as_stored(instance_id):
        with site.app.app_context():
            rows = db.session().scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                                HumanTask.status == "ready")).all()
            return sorted([{c: getattr(t, c) for c in columns} for t in rows], key=lambda r: r["id"])

    eng = engine_of(site.app)
    with site.app.app_context():
        session = db.session()
        instance = eng.start_instance(session, "site_visit", actor="admin", business_key="V-3",
                                      data={**DATA, "due": "2026-03-09T08:00:00+08:00"})
        answered = [{c: getattr(t, c) for c in columns} for t in eng.ready_tasks(session, instance)]
        instance_id, task_id = instance.id, answered[0]["id"]
    assert [t["element_id"] for t in answered] == ["record_visit"] and answered == as_stored(instance_id)
    with site.app.app_context():
        session = db.session()
        instance = eng.complete_task(session, task_id, {"location": "配电室", "result": "pass",
                                                        "customer_signature": "x"}, "insp1")
        answered = [{c: getattr(t, c) for c in columns} for t in eng.ready_tasks(session, instance)]
    assert [t["element_id"] for t in answered] == ["approve"] and answered == as_stored(instance_id)


def test_a_completion_that_queued_no_findings_does_not_look_for_them(site):
    from services import work
    from webui import db
    with site.app.app_context(), statements(site.app) as seen:
        work._fan_out(site.app.extensions["gridsafe.runtime"], db.session(), 1)
    assert seen == []

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


def test_a_completion_deletes_the_tasks_drafts_and_asks_nothing_of_a_task_without_any(site):
    """Every draft of a completed task goes with the completion (a teammate's too); a task nobody drafted, as
    its read in the same transaction found, is completed without a DELETE."""
    import io

    from records import drafts
    from records.drafts import TaskDraft
    from records.people import User
    from web_support import png
    from webui import db
    drafted, plain = site.task(site.start_visit(key="V-6")), site.task(site.start_visit(key="V-7"))
    with site.app.app_context():
        session = db.session()
        for user_id in session.scalars(select(User.id).where(User.username.in_(("insp1", "insp2")))):
            drafts.save(session, drafted.id, user_id, {"location": "草稿"}, site.clock.now())
        session.commit()
    client, headers = site.app.test_client(), bearer(site.app, "insp1")
    deletes = {}
    for task in (drafted, plain):
        signature = client.post("/api/v1/attachments", headers=headers, content_type="multipart/form-data",
                                data={"kind": "signature", "file": (io.BytesIO(png(61, 31)), "sig.png")})
        with statements(site.app) as seen:
            done = client.post(f"/api/v1/tasks/{task.id}/complete", headers=headers, json={"data": {
                "location": "2号配电室", "result": "pass", "customer_signature": signature.get_json()["id"]}})
        assert done.status_code == 200, done.get_json()
        deletes[task.id] = [s for s in seen if s.startswith("DELETE FROM task_draft")]
    assert (len(deletes[drafted.id]), deletes[plain.id]) == (1, [])
    with site.app.app_context():
        assert db.session().scalars(select(TaskDraft)).all() == []

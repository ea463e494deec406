"""While the database is unreachable, or a write cannot get SQLite's lock within the bounded busy
timeout, pages and the API answer 503 with Retry-After and a message — never a 500 — and nothing is
half-saved."""
from __future__ import annotations

import sqlite3
import time

from records.tokens import PREFIX
from web_support import api_token, png


def test_the_api_answers_503_with_retry_after_when_the_database_is_unreachable(tmp_path, clock):
    from webui import create_app
    app = create_app({"ENV": "testing", "SECRET_KEY": "k", "DATA_DIR": str(tmp_path / "data"), "CLOCK": clock,
                      "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"})
    client = app.test_client()
    answer = client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {PREFIX}some-token"})
    assert answer.status_code == 503 and answer.mimetype == "application/problem+json"
    assert int(answer.headers["Retry-After"]) > 0 and "请一分钟后再试" in answer.get_json()["detail"]
    page = client.get("/login")
    assert page.status_code in (200, 503)          # the login page itself needs no database
    posted = client.post("/login", data={"username": "a", "password": "b"})
    assert posted.status_code in (400, 503) and posted.status_code != 500


def test_a_write_that_cannot_get_the_sqlite_lock_answers_503_with_retry_after(sqlite_url, tmp_path, clock):
    from webui import create_app
    from web_support import seed_people
    app = create_app({"ENV": "testing", "SECRET_KEY": "k", "DATA_DIR": str(tmp_path / "data"), "CLOCK": clock,
                      "DATABASE_URL": sqlite_url, "DB_BUSY_TIMEOUT_MS": 300})
    with app.app_context():
        from webui import db
        seed_people(db.session(), clock.now())
        db.session().commit()
    token = {"Authorization": f"Bearer {api_token(app, 'insp1')}"}
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")              # another writer holds the lock (a long request)
    try:
        started = time.monotonic()
        answer = app.test_client().post("/api/v1/attachments", headers=token, content_type="multipart/form-data",
                                        data={"kind": "photo", "file": (__import__("io").BytesIO(png()), "a.png")})
        waited = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert answer.status_code == 503, answer.get_data(as_text=True)[:500]
    assert answer.headers["Retry-After"] and "数据库正忙" in answer.get_json()["detail"]
    assert waited < 10                             # the bounded busy timeout, not a hung worker
    again = app.test_client().post("/api/v1/attachments", headers=token, content_type="multipart/form-data",
                                   data={"kind": "photo", "file": (__import__("io").BytesIO(png()), "a.png")})
    assert again.status_code == 201                # the lock is free: the same request works


def test_a_deadlock_while_completing_a_task_is_retried_and_the_task_completes_once(client, app, site, monkeypatch):
    import psycopg.errors
    from sqlalchemy import select
    from sqlalchemy.exc import OperationalError

    from engine import AuditEvent, runtime
    from webui import db
    instance_id = site.start_visit()
    task = site.task(instance_id)
    token = {"Authorization": f"Bearer {api_token(app, 'insp1')}"}
    signature = client.post("/api/v1/attachments", headers=token, content_type="multipart/form-data",
                            data={"kind": "signature", "file": (__import__("io").BytesIO(png()), "s.png")}
                            ).get_json()["id"]
    thrown, write = [], runtime.write_instance

    def lose_the_first_deadlock(session, instance):
        if not thrown:                     # PostgreSQL chose this transaction as the deadlock's victim
            thrown.append(instance.id)
            raise OperationalError("UPDATE process_instance ...", {},
                                   psycopg.errors.DeadlockDetected("deadlock detected"))
        return write(session, instance)
    monkeypatch.setattr(runtime, "write_instance", lose_the_first_deadlock)
    body = {"data": {"location": "2号配电室", "result": "pass", "customer_signature": signature}}
    response = client.post(f"/api/v1/tasks/{task.id}/complete", json=body, headers=token)
    assert thrown and response.status_code == 200, response.get_data(as_text=True)[:500]
    with app.app_context():
        completed = db.session().scalars(select(AuditEvent.action).where(
            AuditEvent.instance_id == instance_id, AuditEvent.action == "task.completed")).all()
        assert len(completed) == 1
    assert site.task(instance_id).status == "completed"

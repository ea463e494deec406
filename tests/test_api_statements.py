"""What an API call asks the database: a generic start looks up the newest version of its process once (the
version whose roles are checked is the version started), and reading an instance reads its row once."""
from __future__ import annotations

import re
from contextlib import contextmanager

from sqlalchemy import event

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


def test_a_start_looks_up_its_process_once_and_an_instance_read_reads_the_row_once(site):
    client, headers = site.app.test_client(), bearer(site.app, "admin")
    with statements(site.app) as seen:
        started = client.post("/api/v1/processes/instances", headers=headers,
                              json={"process_id": "site_visit", "business_key": "V-1", "data": DATA})
    assert started.status_code == 201, started.get_data(as_text=True)
    assert len(_reads(seen, "definition")) == 1, _reads(seen, "definition")
    instance_id = started.get_json()["instance"]["id"]
    with statements(site.app) as seen:
        read = client.get(f"/api/v1/instances/{instance_id}", headers=headers)
    assert read.status_code == 200 and read.get_json()["id"] == instance_id
    assert len(_reads(seen, "process_instance")) == 1, _reads(seen, "process_instance")

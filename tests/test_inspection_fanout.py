"""An inspection's hazard files are opened after its submission is recorded, each in a transaction of its own:
a stop right after the submission's commit is resumed by the scheduler and files each hazard exactly once; a
retried submission files nothing twice; and on SQLite others sign in while the largest submission fans out."""
from __future__ import annotations

import io
import threading

import pytest
from docx import Document as Docx
from sqlalchemy import func, select

from inspection_support import InspectionWorld
from records import Document, Hazard, User, findings
from services import hazard_filing, jobs, submissions


@pytest.fixture
def world(sessions, clock, tmp_path):
    return InspectionWorld(sessions, clock, tmp_path)


def _rows(world, inspection_id):
    with world.sessions() as s:
        return findings.of_inspection(s, inspection_id)


def _worksheet_text(world) -> str:
    with world.sessions() as s:
        row = s.scalars(select(Document).where(Document.kind == "inspection_worksheet")).one()
    doc = Docx(io.BytesIO(world.files.get(row.sha256)))
    return "\n".join(p.text for p in doc.paragraphs) + "\n".join(c.text for t in doc.tables for r in t.rows
                                                                 for c in r.cells)


def test_a_submission_stopped_after_its_commit_is_resumed_and_files_each_hazard_once(world):
    ins = world.plan()
    extra = [world.finding("EN02", n) for n in range(4)]
    world.execute(ins, extra, fail_items=("B02",), file=False)        # the request stops right after its commit
    done = world.inspection(ins.id)
    assert done.status == "completed" and done.hazard_numbers == []   # the submission itself is recorded
    assert [r.status for r in _rows(world, ins.id)] == ["pending"] * 5 and world.hazards_of(ins.id) == []
    assert done.worksheet_id is None                                   # deferred until every file is open
    with world.sessions() as s:
        assert hazard_filing.file_one(world.rt, s, ins.id).position == 0   # one piece, then the process dies
    assert len(world.hazards_of(ins.id)) == 1
    report = jobs.run_tick(world.rt, "test", beat=False)              # the scheduler's tick resumes
    assert report["hazards"] == 4, report
    assert hazard_filing.file_waiting(world.rt) == 0                   # and again: nothing is left to file
    hazards = world.hazards_of(ins.id)
    rows = _rows(world, ins.id)
    assert len(hazards) == 5 and len({h.file_number for h in hazards}) == 5
    assert [r.status for r in rows] == ["filed"] * 5
    assert [r.file_number for r in rows] == [h.file_number for h in hazards]
    assert [h.item_code for h in hazards] == ["EP02"] + ["EN02"] * 4
    assert [h.description for h in hazards[1:]] == [f["description"] for f in extra]
    done = world.inspection(ins.id)
    assert done.hazard_numbers == [h.file_number for h in hazards] and done.worksheet_id is not None
    text = _worksheet_text(world)
    assert all(h.file_number in text for h in hazards)                 # the worksheet names every file


def test_two_resumes_at_once_file_each_hazard_once(world):
    ins = world.plan()
    world.execute(ins, [world.finding("EN02", n) for n in range(6)], file=False)
    filed, errors = [], []

    def resume():
        try:
            filed.append(hazard_filing.file_waiting(world.rt))
        except Exception as err:  # noqa: BLE001 - reported by the assertion below
            errors.append(err)
    threads = [threading.Thread(target=resume) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == [] and sum(filed) == 6
    assert len(world.hazards_of(ins.id)) == 6 and {r.status for r in _rows(world, ins.id)} == {"filed"}


def test_a_retried_submission_files_nothing_twice(world):
    ins = world.plan()
    data = world.execution_data(ins, [world.finding("EN02", n) for n in range(3)])
    task = world.task(ins.instance_id, "execute_on_site")
    key = "retry-of-the-same-submission"
    answers = []
    for _ in range(2):                     # the device did not see the answer and sends it again
        with world.sessions() as s:
            actor = s.scalars(select(User).where(User.username == "insp1")).one()
            answers.append(submissions.submit(world.rt, s, actor, task.id, data, key))
    assert answers == [("completed", None), ("already", None)]        # (state, what to tell after a failure)
    hazard_filing.file_waiting(world.rt)               # what the request left (its time is bounded)
    assert hazard_filing.file_waiting(world.rt) == 0
    hazards = world.hazards_of(ins.id)
    assert len(hazards) == 3 and len(_rows(world, ins.id)) == 3
    assert world.inspection(ins.id).hazard_numbers == [h.file_number for h in hazards]


def test_the_inspection_page_shows_files_opened_and_findings_still_waiting(hazard_app, clock):
    from inspection_walk import plan
    from web_support import signed_in
    from webui import db, engine_of
    number = plan(hazard_app, clock)
    with hazard_app.app_context():
        session = db.session()
        from records import Inspection
        ins = session.scalars(select(Inspection).where(Inspection.number == number)).one()
        session.add_all([findings.PendingFinding(inspection_id=ins.id, position=n, actor="insp1", status="pending",
                                                 data={"item_code": "EN02", "location": f"{n + 1}号配电室"},
                                                 created_at=clock.now()) for n in range(2)])
        session.commit()
        assert engine_of(hazard_app) is not None
    page = signed_in(hazard_app, "insp1").get(f"/inspections/{number}").get_data(as_text=True)
    assert "0 / 2" in page and "2 条生成中" in page and page.count("待建档（生成中）") == 2


@pytest.fixture
def busy_app(tmp_path, sqlite_url, clock):
    """The app on a SQLite file whose requests file an inspection's hazards for 20 s before they answer."""
    from inspection_walk import make_app
    app = make_app(sqlite_url, tmp_path / "data", clock)
    app.extensions["gridsafe.runtime"].config["HAZARD_FILING_REQUEST_SECONDS"] = 20
    return app


def test_on_sqlite_others_sign_in_while_the_largest_submission_fans_out(busy_app, clock):
    from forms import fields, load
    from inspection_walk import plan
    from web_support import api_token, jpeg, login, png
    from webui import db
    limit = fields.max_items(load("inspection_execute.schema.json")["properties"]["findings"])
    number = plan(busy_app, clock)
    api = busy_app.test_client()
    token = {"Authorization": f"Bearer {api_token(busy_app, 'insp1')}"}

    def upload(kind, data, name):
        return api.post("/api/v1/attachments", headers=token, content_type="multipart/form-data",
                        data={"kind": kind, "file": (io.BytesIO(data), name)}).get_json()["id"]
    photo, signature = upload("photo", jpeg(), "p.jpg"), upload("signature", png(), "s.png")
    with busy_app.app_context():
        from engine import HumanTask
        from records import Inspection
        session = db.session()
        ins = session.scalars(select(Inspection).where(Inspection.number == number)).one()
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == ins.instance_id,
                                                       HumanTask.status == "ready")).one()
        checklist = [dict(row, result="pass") for row in task.prefill["checklist"]]
    data = {"checklist": checklist, "conclusion": "多处隐患", "second_inspector": "王检查",
            "inspector_signature": signature, "second_inspector_signature": signature,
            "customer_name": "王电工", "customer_signature": signature,
            "findings": [{"item_code": "EN02", "location": f"{n + 1}号配电室", "description": f"发现问题 {n + 1}",
                          "photos": [photo]} for n in range(limit)]}
    submitted = {}

    def submit():
        submitted["response"] = api.post(f"/api/v1/tasks/{task.id}/complete", headers=token,
                                         json={"data": data})
    worker = threading.Thread(target=submit)
    worker.start()
    signed, during = [], 0
    users = ["insp2", "spec", "sup", "lead", "owner", "admin"]
    while worker.is_alive() and len(signed) < 48:
        with busy_app.app_context():
            session = db.session()
            filed = session.scalar(select(func.count()).select_from(findings.PendingFinding)
                                   .where(findings.PendingFinding.status == "filed"))
            session.rollback()
        client = busy_app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"127.0.0.{len(signed) % 200 + 2}"
        signed.append(login(client, users[len(signed) % len(users)]).status_code)
        during += 0 < filed < limit
    worker.join(900)
    assert submitted["response"].status_code == 200, submitted["response"].get_data(as_text=True)[:500]
    assert signed and all(code == 302 for code in signed), signed          # every sign-in went through
    assert during > 0                                                       # ... while the files were opened
    with busy_app.app_context():
        session = db.session()
        opened = session.scalar(select(func.count()).select_from(Hazard))
        waiting = session.scalar(select(func.count()).select_from(findings.PendingFinding)
                                 .where(findings.PendingFinding.status == "pending"))
    assert opened > 0 and opened + waiting == limit          # the rest is the scheduler's


def test_more_findings_than_the_form_allows_are_refused_with_the_limit_in_the_message():
    from forms import fields, load
    schema = load("inspection_execute.schema.json")
    row = {"item_code": "EN02", "location": "配电室", "description": "问题", "photos": ["a" * 64]}
    errors = fields.validate(schema, {"findings": [row] * 201})
    assert "200" in str(errors["findings"])
    assert "findings" not in fields.validate(schema, {"findings": [row] * 200})

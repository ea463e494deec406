"""inspection.bpmn through the engine: assignment, execution on site, worksheet, one hazard file per finding."""
from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from docx import Document as Docx
from sqlalchemy import select

import forms
from hazard_support import FORMS_DIR
from inspection_support import InspectionWorld
from records import Attachment, Customer, Document, Notification


@pytest.fixture
def world(sessions, clock, tmp_path):
    return InspectionWorld(sessions, clock, tmp_path)


def test_an_inspection_with_three_findings_opens_three_hazard_files(world):
    ins = world.plan()
    assert world.ready(ins.instance_id) == ["execute_on_site"]          # the customer has a default team
    task = world.task(ins.instance_id)
    assert task.candidate_team == "JA-T1" and task.instance_title.startswith(ins.number)
    assert len(task.prefill["checklist"]) == 28                          # 一级: the full checklist
    findings = [world.finding("EP02", 0), world.finding("IL01", 1), world.finding("EN02", 2)]
    world.execute(ins, findings, fail_items=("B02", "B05"))
    done = world.inspection(ins.id)
    assert done.status == "completed" and len(done.hazard_numbers) == 3
    hazards = world.hazards_of(ins.id)
    assert [h.file_number for h in hazards] == done.hazard_numbers
    assert [h.item_code for h in hazards] == ["EP02", "IL01", "EN02"]
    assert all(h.customer_id == world.ids["hospital"] and h.team.code == "JA-T1" for h in hazards)
    assert [h.photos for h in hazards] == [f["photos"] for f in findings]
    assert all(world.ready(h.instance_id) == ["deliver_notice"] for h in hazards)
    with world.sessions() as s:
        customer = s.get(Customer, world.ids["hospital"])
    assert customer.last_inspected_on == world.clock.now().date()
    assert customer.next_inspection_due == world.clock.now().date().replace(month=6)   # 一级: every 3 months


def test_the_worksheet_holds_the_checklist_results_and_signatures(world):
    ins = world.plan()
    world.execute(ins, [world.finding("EP02")], fail_items=("B02",))
    with world.sessions() as s:
        row = s.scalars(select(Document).where(Document.kind == "inspection_worksheet")).one()
        signatures = {a.id for a in s.scalars(select(Attachment).where(Attachment.kind == "signature"))}
    doc = Docx(io.BytesIO(world.files.get(row.sha256)))
    text = "\n".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    text += "\n".join(p.text for p in doc.paragraphs)
    assert row.number == ins.number and "用电检查工作单" in text and "吉安市中心人民医院" in text
    rows = [[c.text for c in r.cells] for t in doc.tables for r in t.rows]
    assert ["B02", "自备应急电源容量不低于保安负荷的120%", "不合格", "现场不符合", "—"] in rows
    assert ["B01", next(r[1] for r in rows if r[0] == "B01"), "合格", "—", "—"] in rows
    assert world.inspection(ins.id).hazard_numbers[0] in text
    images = {hashlib.sha256(p.blob).hexdigest() for p in doc.part.package.parts if p.content_type.startswith("image/")}
    assert signatures <= images and len(signatures) >= 1


def test_without_a_default_team_a_specialist_assigns_the_inspection_first(world):
    ins = world.plan(team=False)
    task = world.task(ins.instance_id, "assign_team")
    assert task.lane == "specialist"
    world.complete(ins.instance_id, "assign_team", {"team": "JA-T1"}, actor="spec")
    assert world.inspection(ins.id).team.code == "JA-T1" and world.ready(ins.instance_id) == ["execute_on_site"]
    assert world.task(ins.instance_id).prefill["checklist"]


def test_the_overdue_warning_fires_at_the_due_date(world):
    ins = world.plan(due=world.clock.now().date() + timedelta(days=3))
    assert world.tick(days=3).fired == 0
    assert world.tick(days=1).fired == 1                     # after the end of the due day
    with world.sessions() as s:
        notes = s.scalars(select(Notification).where(Notification.kind == "inspection_overdue")).all()
    assert notes and world.inspection(ins.id).overdue_warned_at is not None
    assert world.ready(ins.instance_id) == ["execute_on_site"]   # the work is still to be done
    world.execute(ins)
    assert world.inspection(ins.id).status == "completed"


def test_a_failed_item_needs_a_note_or_a_photo_and_a_finding_needs_a_dictionary_item(world):
    ins = world.plan()
    task = world.task(ins.instance_id)
    schema = forms.load(task.form, FORMS_DIR)
    checklist = [dict(r, result="pass") for r in task.prefill["checklist"]]
    checklist[3]["result"] = "fail"
    base = {"checklist": checklist, "second_inspector": "王", "inspector_signature": "a" * 64,
            "second_inspector_signature": "a" * 64, "customer_name": "王", "customer_signature": "a" * 64}
    options = {"hazard_items": [("EP02", "EP02")], "teams": []}
    errors = forms.validate(schema, base, options=options)
    assert errors == {"checklist.3": "不合格的项目须填写说明或拍摄照片。"}
    errors = forms.validate(schema, {**base, "findings": [{"item_code": "ZZ99", "location": "x", "description": "y",
                                                          "photos": ["a" * 64]}]}, options=options)
    assert "findings.0.item_code" in errors and "checklist.3" in errors


def test_a_customer_who_refuses_to_sign_the_worksheet_is_recorded_with_a_witness(world):
    ins = world.plan()
    world.execute(ins, refuse=True)
    done = world.inspection(ins.id)
    assert done.status == "completed" and done.result["customer_refused"] is True
    assert done.result["witness"] == "保安 张三"

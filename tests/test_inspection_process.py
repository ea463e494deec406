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
    # two failed checklist items (B02 → EP02, B05 → IL01, prefilled) and one finding outside the checklist
    assert [r.get("item_code") for r in task.prefill["checklist"] if r["code"] in ("B02", "B05")] == ["EP02", "IL01"]
    findings = [world.finding("EN02", 2)]
    world.execute(ins, findings, fail_items=("B02", "B05"))
    done = world.inspection(ins.id)
    assert done.status == "completed" and len(done.hazard_numbers) == 3
    hazards = world.hazards_of(ins.id)
    assert [h.file_number for h in hazards] == done.hazard_numbers
    assert [h.item_code for h in hazards] == ["EP02", "IL01", "EN02"]
    assert all(h.customer_id == world.ids["hospital"] and h.team.code == "JA-T1" for h in hazards)
    failed = {r["code"]: r for r in done.result["checklist"] if r["result"] == "fail"}
    assert [h.photos for h in hazards] == [failed["B02"]["photos"], failed["B05"]["photos"], findings[0]["photos"]]
    assert hazards[0].description == "自备应急电源容量不低于保安负荷的120%：现场不符合"    # from the item, not retyped
    assert hazards[0].location == "自备应急电源"
    assert all(world.ready(h.instance_id) == ["deliver_notice"] for h in hazards)
    with world.sessions() as s:
        customer = s.get(Customer, world.ids["hospital"])
    assert customer.last_inspected_on == world.clock.now().date()
    assert customer.next_inspection_due == world.clock.now().date().replace(month=6)   # 一级: every 3 months


def test_the_worksheet_holds_the_checklist_results_and_signatures(world):
    ins = world.plan()
    world.execute(ins, fail_items=("B02",))
    with world.sessions() as s:
        row = s.scalars(select(Document).where(Document.kind == "inspection_worksheet")).one()
        signatures = {a.id for a in s.scalars(select(Attachment).where(Attachment.kind == "signature"))}
    doc = Docx(io.BytesIO(world.files.get(row.sha256)))
    text = "\n".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    text += "\n".join(p.text for p in doc.paragraphs)
    assert row.number == ins.number and "用电检查工作单" in text and "吉安市中心人民医院" in text
    rows = [[c.text for c in r.cells] for t in doc.tables for r in t.rows]
    [b02] = [r for r in rows if r[0] == "B02"]              # result, then the note and what became of it
    assert b02[1:3] == ["自备应急电源容量不低于保安负荷的120%", "不合格"]
    assert b02[3] == f"现场不符合；隐患档案 {world.inspection(ins.id).hazard_numbers[0]}"
    assert ["B01", next(r[1] for r in rows if r[0] == "B01"), "合格", "—", "—"] in rows
    assert world.inspection(ins.id).hazard_numbers[0] in text
    images = {hashlib.sha256(p.blob).hexdigest() for p in doc.part.package.parts if p.content_type.startswith("image/")}
    assert signatures <= images and len(signatures) >= 1


def test_without_a_default_team_a_specialist_assigns_the_inspection_first(world):
    ins = world.plan(team=False)
    task = world.task(ins.instance_id, "assign_team")
    assert task.lane == "specialist"
    world.complete(ins.instance_id, "assign_team", {"team": "JA-T1"}, actor="spec")
    assert world.inspection(ins.id).team.code == "JA-T1" and world.ready(ins.instance_id) == ["approve_worksheet"]
    world.approve(ins)
    assert world.ready(ins.instance_id) == ["execute_on_site"]
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
    with world.sessions() as s:
        from records import dictionary
        options = {"hazard_items": [(i.code, i.code) for i in dictionary.current_items(s)], "teams": []}
    errors = forms.validate(schema, base, options=options)
    assert errors == {"checklist.3": "不合格的项目须填写说明或拍摄照片。", "checklist.3.disposition": "This field is required."}
    errors = forms.validate(schema, {**base, "findings": [{"item_code": "ZZ99", "location": "x", "description": "y",
                                                          "photos": ["a" * 64]}]}, options=options)
    assert "findings.0.item_code" in errors and "checklist.3" in errors


def test_a_customer_who_refuses_to_sign_the_worksheet_is_recorded_with_a_witness(world):
    ins = world.plan()
    world.execute(ins, refuse=True)
    done = world.inspection(ins.id)
    assert done.status == "completed" and done.result["customer_refused"] is True
    assert done.result["witness"] == "保安 张三"


def test_a_failed_item_cannot_be_submitted_without_a_hazard_or_a_reason(world):
    """The 不合格 item either becomes a hazard file (from the item: dictionary code prefilled, note, photos)
    or says why it is none, with a photo; otherwise the submission is refused and nothing is written."""
    from records import User
    from services import Invalid, work
    ins = world.plan()
    task = world.task(ins.instance_id)
    photo = world.photo(70)

    def submit(**row):
        checklist = [dict(r, result="pass") for r in task.prefill["checklist"]]
        checklist[3].update(result="fail", note="切换时间过长", **row)          # B03 → EP03
        data = {"checklist": checklist, "second_inspector": "王", "inspector_signature": world.signature(),
                "second_inspector_signature": world.signature(), "customer_name": "王",
                "customer_signature": world.signature()}
        with world.sessions() as s:
            actor = s.scalars(select(User).where(User.username == "insp1")).one()
            return work.complete(world.rt, s, actor, task.id, data, locale="en")

    refusals = [({}, "checklist.3.disposition"), ({"disposition": "hazard"}, "checklist.3.photos"),
                ({"disposition": "not_hazard", "photos": [photo]}, "checklist.3.reason"),
                ({"disposition": "not_hazard", "reason": "已现场整改"}, "checklist.3.photos"),
                ({"disposition": "hazard", "photos": [photo], "item_code": "ZZ99"}, "checklist.3.item_code")]
    for row, field in refusals:
        with pytest.raises(Invalid) as refused:
            submit(**row)
        assert field in refused.value.errors, (row, refused.value.errors)
    assert world.ready(ins.instance_id) == ["execute_on_site"] and world.hazards_of(ins.id) == []
    submit(disposition="not_hazard", reason="切换装置参数已现场调整，复测合格", photos=[photo])
    done = world.inspection(ins.id)
    assert done.status == "completed" and done.hazard_numbers == [] and world.hazards_of(ins.id) == []


def test_the_worksheet_never_says_failed_in_one_section_and_no_hazard_in_another(world):
    ins = world.plan()
    world.execute(ins, fixed_items=("B03",))
    with world.sessions() as s:
        row = s.scalars(select(Document).where(Document.kind == "inspection_worksheet")).one()
    doc = Docx(io.BytesIO(world.files.get(row.sha256)))
    text = "\n".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert "接线松动；不作为隐患：已现场紧固整改" in text
    assert "未发现隐患" not in text and "未建立隐患档案" in text
    other = world.plan(customer="mall")
    world.execute(other, fail_items=("B03",))
    number = world.inspection(other.id).hazard_numbers[0]
    with world.sessions() as s:
        row = s.scalars(select(Document).where(Document.kind == "inspection_worksheet",
                                               Document.subject == other.number)).one()
    text = "\n".join(c.text for t in Docx(io.BytesIO(world.files.get(row.sha256))).tables for r in t.rows
                     for c in r.cells)
    assert f"现场不符合；隐患档案 {number}" in text and "未发现隐患" not in text


def _worksheet_rows(world, number) -> dict:
    with world.sessions() as s:
        row = s.scalars(select(Document).where(Document.kind == "inspection_worksheet",
                                               Document.number == number)).one()
    doc = Docx(io.BytesIO(world.files.get(row.sha256)))
    return {r.cells[0].text: r.cells[-1].text for t in doc.tables for r in t.rows}


def test_the_worksheet_is_approved_by_the_team_head_before_the_inspectors_go(world):
    """domain.md §6.1: prepared and approved before the visit — nobody is offered the on-site task until
    the team head (or a specialist) approves; the worksheet names the approver and the time."""
    from engine import AuditEvent
    ins = world.plan(approve=False)
    assert world.ready(ins.instance_id) == ["approve_worksheet"]
    task = world.task(ins.instance_id, "approve_worksheet")
    assert task.assignee == "head1" and task.lane == "specialist"      # the team head, else the specialists
    world.clock.advance(hours=2)
    approved_at = world.clock.now()
    world.approve(ins, actor="head1")
    assert world.ready(ins.instance_id) == ["execute_on_site"]
    done = world.inspection(ins.id)
    assert done.approved_by == "head1" and done.approved_at == approved_at
    world.clock.advance(days=1)
    world.execute(ins)
    rows = _worksheet_rows(world, ins.number)
    assert rows["审批"] == "李检查（用电检查一组组长）"
    local = approved_at.astimezone(world.rt.zone)
    assert rows["审批时间"].startswith(f"{local.year}年{local.month}月{local.day}日")
    with world.sessions() as s:
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "inspection.approved",
                                                 AuditEvent.instance_id == ins.instance_id)).actor == "head1"


def test_a_refused_worksheet_goes_back_to_preparation_with_the_reason(world):
    from engine import AuditEvent
    ins = world.plan(approve=False)
    world.approve(ins, actor="spec", refuse="检查人员不足两人，请重新派工")
    assert world.ready(ins.instance_id) == ["assign_team"]
    task = world.task(ins.instance_id, "assign_team")
    assert "检查人员不足两人，请重新派工" in task.instructions
    returned = world.inspection(ins.id)
    assert returned.returned_reason == "检查人员不足两人，请重新派工" and returned.approved_at is None
    with world.sessions() as s:
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "inspection.returned"))
        assert event.actor == "spec" and event.reason == "检查人员不足两人，请重新派工"
    world.complete(ins.instance_id, "assign_team", {"team": "JA-T1"}, actor="spec")
    assert world.ready(ins.instance_id) == ["approve_worksheet"]          # approved again before the visit
    world.approve(ins, actor="spec")
    again = world.inspection(ins.id)
    assert again.approved_by == "spec" and again.returned_reason is None
    assert world.ready(ins.instance_id) == ["execute_on_site"]


def test_a_refusal_without_a_reason_is_refused_by_the_form(world):
    schema = forms.load("approve_worksheet.schema.json", FORMS_DIR)
    assert "comment" in forms.validate(schema, {"approved": "no"})
    assert forms.validate(schema, {"approved": "yes"}) == {}


def test_an_inspection_still_awaiting_approval_at_its_due_date_is_warned_once(world):
    ins = world.plan(due=world.clock.now().date() + timedelta(days=3), approve=False)
    assert world.tick(days=4).fired == 1                     # the approval's timer: the due date passed
    with world.sessions() as s:
        assert len(s.scalars(select(Notification).where(Notification.kind == "inspection_overdue")).all()) >= 1
        warned = len(s.scalars(select(Notification).where(Notification.kind == "inspection_overdue")).all())
    assert world.inspection(ins.id).overdue_warned_at is not None
    world.approve(ins)                                        # approved late: the visit's timer fires at once ...
    world.tick(seconds=1)
    with world.sessions() as s:                               # ... and does not warn a second time
        assert len(s.scalars(select(Notification).where(Notification.kind == "inspection_overdue")).all()) == warned
    world.execute(ins)
    assert world.inspection(ins.id).status == "completed"

"""Every official document, rendered from a fresh hazard (through the real process) and from the demo, read
back with python-docx as a customer or a government clerk reads it: no login name, no English word or
internal code outside the allowed ones (document_support.ALLOWED), every field of domain.md §6 filled,
people by name with their 检查证 numbers, letters numbered in the company's pattern with 签发人, 主送,
抄送, contact and seal."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from demo_support import demo_app, demo_template  # noqa: F401 - fixtures
from document_support import (REQUIRED, docx_of, fields_of, has_page_numbers, login_names_in, stray_latin, text_of,
                              unfilled)
from inspection_support import InspectionWorld
from records import Document, ReportLog, User

LETTER = re.compile(r"^吉供营销〔2026〕\d+号$")


@pytest.fixture
def world(sessions, clock, tmp_path):
    return InspectionWorld(sessions, clock, tmp_path)


def _documents(files, session) -> list[tuple[Document, object]]:
    rows = session.scalars(select(Document).order_by(Document.id)).all()
    return [(row, docx_of(files.get(row.sha256))) for row in rows]


def _check_reads_as_official(rows, usernames) -> None:
    for row, doc in rows:
        text = text_of(doc)
        where = f"{row.kind} {row.number} v{row.version}"
        assert not stray_latin(text), f"{where} prints: {stray_latin(text)}"
        assert not login_names_in(text, usernames), f"{where} names {login_names_in(text, usernames)}"
        assert has_page_numbers(doc), where
        assert "安全生产监督管理" not in text, f"{where} names the authority by its old name"
        assert not re.search(r"S\s?=|×\s?\(", text), f"{where} prints a formula"


def _check_fields(row, doc) -> None:
    labels, lines = REQUIRED[row.kind]
    text = text_of(doc)
    assert not unfilled(fields_of(doc), labels), f"{row.kind} {row.number}: {unfilled(fields_of(doc), labels)} empty"
    for line in lines:
        assert line in text, f"{row.kind} {row.number} lacks {line}"


def _add_planner(world) -> None:
    """The specialist who plans the inspection (the support world plans as "spec")."""
    from web_support import _password_hash
    with world.sessions() as s:
        user = User(username="spec", display_name="张专责", post="用电检查专责", password_hash=_password_hash(),
                    created_at=world.clock.now(), active=True, locale="zh_CN")
        user.set_roles(["specialist"])
        s.add(user)
        s.commit()


def test_a_fresh_major_hazard_and_its_inspection_print_official_documents(world):
    _add_planner(world)
    ins = world.plan()
    world.execute(ins, [world.finding("IL01")])                      # 重大 at a 一级 customer: reported, grade A
    [hazard] = world.hazards_of(ins.id)
    iid = hazard.instance_id
    world.sign(iid)
    world.clock.set(world.hazard(iid).deadline)
    world.tick(seconds=1)
    world.supervise(iid)                                             # issued by the supervisor, delivered
    world.rectified(iid)
    new_day = (world.clock.now() + timedelta(days=10)).date().isoformat()
    world.accept(iid, passed=False, new_deadline=new_day)
    with world.sessions() as s:
        usernames = set(s.scalars(select(User.username)))
        rows = _documents(world.files, s)
        logs = s.scalars(select(ReportLog)).all()
    kinds = {row.kind for row, _ in rows}
    assert {"inspection_worksheet", "hazard_notice", "supervision_order", "acceptance_record", "government_report",
            "superior_report"} <= kinds
    _check_reads_as_official(rows, usernames)
    newest = {row.kind: (row, doc) for row, doc in rows}
    for kind, (row, doc) in newest.items():
        _check_fields(row, doc)

    notice = fields_of(newest["hazard_notice"][1])
    assert notice["检查工作单编号"] == ins.number
    assert notice["检查人员"] == "孙检查（检查证号：赣用检0312）、王检查"   # a typed name that is no user stays as typed
    notice_text = text_of(newest["hazard_notice"][1])
    assert "抄送：吉安市发展和改革委员会（电力主管部门）、吉安市应急管理局" in notice_text    # 重大: copied to both
    assert "联系人：李检查（用电检查一组组长），电话：13907960311" in notice_text        # the team head

    record = fields_of(newest["acceptance_record"][1])
    assert record["验收结论"] == "不合格" and record["不合格原因"] == "容量仍不足"
    day = new_day.split("-")
    assert record["重新整改期限"] == f"{int(day[0])}年{int(day[1])}月{int(day[2])}日前"
    assert record["验收人员"] == "孙检查（检查证号：赣用检0312）、李检查（检查证号：赣用检0311）"

    letters = [row for row, _ in rows if row.kind in ("government_report", "superior_report")]
    assert all(LETTER.match(row.number) for row in letters)
    assert len({row.number for row in letters}) == len(letters)     # one number each, no gaps reused
    government = next(doc for row, doc in rows if row.kind == "government_report" and row.hazard_id)
    text = text_of(government)
    assert "签发人：陈领导" in text and "\n吉安市发展和改革委员会（电力主管部门）：" in text
    assert "抄送：吉安市应急管理局，国家能源局华中监管局，国网江西省电力有限公司。" in text
    assert "联系人：李检查（用电检查一组组长），电话：13907960311" in text
    superior = text_of(newest["superior_report"][1])
    assert "\n国网江西省电力有限公司：" in superior
    assert "一级客户存在1项重大隐患（IL01 " in superior                  # the grade's reason as a sentence
    assert {log.recipient for log in logs if log.reason == "grade_a"} >= {"国网江西省电力有限公司"}


def test_the_grade_reasons_read_as_a_sentence(world):
    from handlers import wording
    with world.sessions() as s:
        hospital = s.get(__import__("records").Customer, world.ids["hospital"])
        words = wording.grade_reasons(s, hospital, ["A: IL01 重大 at 一级", "S = 1.2 × (20) = 24", "IL01 逾期×2"])
        raised = wording.grade_reasons(s, hospital, ["B: EP02 较大 at 一级", "S = 1.2 × (4) = 4.8",
                                                     "EN02 一般→较大（拒签）"])
    assert words.startswith("一级客户存在1项重大隐患（IL01 ") and words.endswith("）已逾期")
    assert "EN02 " in raised and "因拒签由一般隐患升为较大隐患" in raised
    assert not stray_latin(words.replace("IL01", "")) and "S =" not in raised


@pytest.fixture
def demo(demo_app):  # noqa: F811
    """The demo data set (the real `gridsafe init` and `gridsafe demo`), a copy of the run's one load."""
    return demo_app


def test_every_document_of_the_demo_reads_as_an_official_document(demo):
    from webui import db
    with demo.app_context():
        s = db.session()
        usernames = set(s.scalars(select(User.username)))
        rows = _documents(demo.extensions["gridsafe.files"], s)
    assert len(rows) > 50
    _check_reads_as_official(rows, usernames)
    newest = {}
    for row, doc in rows:
        newest[row.kind] = (row, doc)
    assert set(REQUIRED) <= set(newest), set(REQUIRED) - set(newest)
    for kind in REQUIRED:
        _check_fields(*newest[kind])
    worksheet = fields_of(newest["inspection_worksheet"][1])
    assert worksheet["检查人员"].count("检查证号") == 2


def test_letter_numbers_follow_the_configured_pattern_without_gaps(sessions, clock):
    from types import SimpleNamespace

    from handlers.letters import letter_number
    from services import config
    with sessions() as s:
        ctx = SimpleNamespace(session=s, now=clock.now, settings={"LETTER_NUMBER_PATTERN": "赣电营〔{year}〕第{n}号"})
        assert [letter_number(ctx) for _ in range(3)] == ["赣电营〔2026〕第1号", "赣电营〔2026〕第2号", "赣电营〔2026〕第3号"]
        s.rollback()
    for bad in ("吉供营销〔2026〕号", "{year}-{x}"):
        with pytest.raises(ValueError, match="LETTER_NUMBER_PATTERN"):
            config.load({"ENV": "testing", "SECRET_KEY": "x", "LETTER_NUMBER_PATTERN": bad}, environ={})

"""The periodic summary agrees with itself as of the period's end (the A/B list with the grade counts), and
a period has one summary per scope: a new version replaces a pending one in the report log; a submitted
one is not made again."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from document_support import docx_of, text_of
from hazard_support import HazardWorld
from records import Document, ReportLog
from services import access, reports, summaries
from services.periods import PeriodError


@pytest.fixture
def world(sessions, clock, tmp_path):
    return HazardWorld(sessions, clock, tmp_path)


def _tables(world, number):
    with world.sessions() as s:
        row = s.scalars(select(Document).where(Document.number == number).order_by(Document.version.desc())).first()
    doc = docx_of(world.files.get(row.sha256))
    return [[[c.text for c in r.cells] for r in t.rows] for t in doc.tables], text_of(doc)


def test_a_customer_graded_a_after_the_period_is_neither_counted_nor_listed(world):
    world.open(item_code="IL01")                                 # 2026-03-02: the hospital enters grade A
    world.clock.set("2026-04-02T01:00:00+00:00")
    with world.sessions() as s:
        summaries.generate(world.rt, s, access.SYSTEM, kind="periodic", period="2026-02")
        summaries.generate(world.rt, s, access.SYSTEM, kind="periodic", period="2026-03")
    february, text = _tables(world, "YHTJ-2026-02")
    assert next(t for t in february if t[0][1] == "A级（红）")[1][1] == "0"        # no A at the end of February
    assert not any(t[0][0] == "客户名称" for t in february) and "本期无A级、B级客户" in text
    assert "均以2026年2月28日24时的状态统计" in text
    march, text = _tables(world, "YHTJ-2026-03")
    counts = next(t for t in march if t[0][1] == "A级（红）")[1]
    listed = next(t for t in march if t[0][0] == "客户名称")[1:]
    assert counts[1] == "1" and [r[3] for r in listed] == ["A级"]        # the count and the list agree
    assert listed[0][5].startswith("一级客户存在1项重大隐患（IL01 ")        # the reason as a sentence


def test_a_period_has_one_summary_a_pending_one_is_replaced_a_submitted_one_stays(world):
    world.clock.set("2026-04-02T01:00:00+00:00")
    with world.sessions() as s:
        first = summaries.generate(world.rt, s, access.SYSTEM, kind="periodic", period="2026-03")
        second = summaries.generate(world.rt, s, access.SYSTEM, kind="periodic", period="2026-03")
        logs = s.scalars(select(ReportLog)).all()
        assert (first["version"], second["version"]) == (1, 2) and first["number"] == second["number"]
        assert len(logs) == 1 and logs[0].document_id == second["document_id"]
        reports.submit(world.rt, s, access.SYSTEM, logs[0].id, delivery="post", lock_version=logs[0].lock_version)
        with pytest.raises(PeriodError) as refused:
            summaries.generate(world.rt, s, access.SYSTEM, kind="periodic", period="2026-03")
        assert "2026-03" in refused.value.message
        assert s.scalar(select(func.count()).select_from(Document)) == 2    # nothing written
        assert s.scalar(select(func.count()).select_from(ReportLog)) == 1


def test_the_annual_report_and_the_summary_read_as_official_documents(world):
    from document_support import has_page_numbers, login_names_in, stray_latin
    from records import User
    world.open(item_code="IL01")
    world.clock.set("2026-04-02T01:00:00+00:00")
    with world.sessions() as s:
        summaries.generate(world.rt, s, access.SYSTEM, kind="periodic", period="2026-Q1")
        summaries.generate(world.rt, s, access.SYSTEM, kind="annual", year="2026")
        usernames = set(s.scalars(select(User.username)))
        rows = s.scalars(select(Document).where(Document.kind.in_(["periodic_summary", "annual_report"]))).all()
    assert {r.kind for r in rows} == {"periodic_summary", "annual_report"}
    for row in rows:
        doc = docx_of(world.files.get(row.sha256))
        text = text_of(doc)
        assert not stray_latin(text) and not login_names_in(text, usernames), (row.number, stray_latin(text))
        assert has_page_numbers(doc) and "（盖章）" in text, row.number

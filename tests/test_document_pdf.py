"""The documents printed: each converted to PDF with LibreOffice (as an office or an archive would) shows
Chinese in an embedded CJK font, fits its pages, and no page holds only a closing line or ends with a
heading whose table went over. Skipped, with the reason, only where LibreOffice is not installed
(`make documents` installs it; `make test` depends on it)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from document_support import closing_only, ends_with_heading, pdf_fonts, pdf_pages, pdf_tools_missing, to_pdf
from engine.database import make_engine, make_session_factory
from inspection_support import InspectionWorld
from records import Document

pytestmark = pytest.mark.skipif(bool(pdf_tools_missing()), reason=pdf_tools_missing() or "")

TITLES = {"hazard_notice": "隐患告知书", "supervision_order": "隐患督导单", "acceptance_record": "隐患验收及销号记录",
          "inspection_worksheet": "用电检查工作单", "government_report": "存在重大隐患的报告",
          "superior_report": "风险等级升为A级的报告"}
# pages each may take with the photos of this test (two per hazard, two before and after)
MAX_PAGES = {"hazard_notice": 4, "supervision_order": 3, "acceptance_record": 3, "inspection_worksheet": 5,
             "government_report": 4, "superior_report": 2}


@pytest.fixture
def world(sqlite_url, clock, tmp_path):
    sa = make_engine(sqlite_url)
    yield InspectionWorld(make_session_factory(sa), clock, tmp_path)
    sa.dispose()


def test_the_documents_of_a_hazard_convert_to_pdf_with_chinese_and_no_stranded_lines(world, tmp_path):
    ins = world.plan()
    world.execute(ins, [world.finding("IL01")])
    [hazard] = world.hazards_of(ins.id)
    iid = hazard.instance_id
    world.sign(iid)
    world.clock.set(world.hazard(iid).deadline)
    world.tick(seconds=1)
    world.supervise(iid)                                             # issued by the supervisor, delivered
    world.rectified(iid)
    world.accept(iid, passed=False, new_deadline=(world.clock.now() + timedelta(days=10)).date().isoformat())
    with world.sessions() as s:
        newest = {row.kind: row for row in s.scalars(select(Document).order_by(Document.id))}
    assert set(TITLES) <= set(newest)
    paths = []
    for kind in TITLES:
        path = tmp_path / f"{kind}.docx"
        path.write_bytes(world.files.get(newest[kind].sha256))
        paths.append(path)
    for kind, pdf in zip(TITLES, to_pdf(paths, tmp_path)):
        pages = pdf_pages(pdf)
        text = "\n".join(line for page in pages for line in page)
        assert TITLES[kind] in text.replace(" ", "").replace("\n", ""), f"{kind}: the title is not readable text in the PDF"
        fonts = pdf_fonts(pdf)
        assert "NotoSerifCJK" in fonts and "NotoSansCJK" in fonts, f"{kind}: the official fonts' alternatives: {fonts}"
        assert 1 <= len(pages) <= MAX_PAGES[kind], f"{kind}: {len(pages)} pages"
        for number, lines in enumerate(pages, start=1):
            assert not closing_only(lines), f"{kind}: page {number} holds only closing lines: {lines}"
            assert not ends_with_heading(lines), f"{kind}: page {number} ends with a heading: {lines[-3:]}"
        assert any("（盖章）" in line for line in pages[-1]), f"{kind}: the seal area is not on the last page: {pages[-2:]}"


def test_the_page_checks_recognise_a_stranded_close_and_a_stranded_heading():
    assert closing_only(["国网吉安供电公司（盖章）", "2026年3月2日", "— 3 —"])
    assert closing_only(["抄送：吉安市应急管理局，国家能源局华中监管局，国网江西省电力有", "限公司。",
                         "国网吉安供电公司营销部 2026年3月2日印发", "— 2 —"])
    assert not closing_only(["我公司已履行告知、服务、督导义务。", "国网吉安供电公司（盖章）", "— 2 —"])
    assert ends_with_heading(["正文", "二、整改要求", "— 1 —"])
    assert not ends_with_heading(["二、整改要求", "整改期限 2026年5月31日前", "— 1 —"])

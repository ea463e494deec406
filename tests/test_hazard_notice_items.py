"""The hazard notice (隐患告知书) prints the item's own basis, consequences, requirements, measures and interim
measures, rendered by the real lifecycle and read back with python-docx."""
from __future__ import annotations

import io

import pytest
from docx import Document as Docx
from sqlalchemy import select

from handlers import documents
from hazard_support import HazardWorld
from records import Document, dictionary

ITEMS = dictionary.seed_items()


@pytest.fixture
def world(sessions, clock, tmp_path):
    return HazardWorld(sessions, clock, tmp_path)


def _notice(world, hazard_id) -> dict[str, str]:
    """The newest notice of a hazard: its table rows by label, and all its text under the key ''."""
    with world.sessions() as s:
        row = s.scalars(select(Document).where(Document.kind == "hazard_notice", Document.hazard_id == hazard_id)
                        .order_by(Document.version.desc())).first()
    doc = Docx(io.BytesIO(world.files.get(row.sha256)))
    rows = {r.cells[0].text: r.cells[1].text for table in doc.tables for r in table.rows if len(r.cells) == 2}
    rows[""] = "\n".join([p.text for p in doc.paragraphs] + list(rows.values()))
    return rows


def test_two_items_print_their_own_basis_consequences_and_remedies(world):
    il01 = world.hazard(world.open(item_code="IL01", description="发电机与市电之间无闭锁"))
    en02 = world.hazard(world.open(item_code="EN02", customer="mall", description="灭火器过期"))
    first, second = _notice(world, il01.id), _notice(world, en02.id)
    for notice, code, other in ((first, "IL01", "EN02"), (second, "EN02", "IL01")):
        item = ITEMS[code]
        assert notice["依据"] == item["legal_basis"]
        assert notice["可能后果"] == item["consequences"]
        assert notice["整改要求"].startswith(item["requirements"])
        assert notice["建议措施"] == item["measures"]
        for name in ("legal_basis", "consequences", "requirements", "measures"):
            assert ITEMS[other][name] not in notice[""], f"{code}'s notice prints {other}'s {name}"
        assert "用电检查管理办法" not in notice[""]
    assert first["临时安全措施"] == f"{ITEMS['IL01']['interim_measures']}（立即落实）"
    assert "临时安全措施" not in second                    # EN02 needs none
    assert ITEMS["IL01"]["notes"] not in first[""]          # notes are for staff


def test_interim_measures_print_their_time_limit_and_the_ones_set_on_site(world):
    ep01 = world.hazard(world.open(item_code="EP01", interim_measures="已租用一台移动发电车"))
    notice = _notice(world, ep01.id)
    assert notice["临时安全措施"] == f"{ITEMS['EP01']['interim_measures']}（告知书送达之日起7日内落实）"
    assert notice["现场确定的临时措施"] == "已租用一台移动发电车"


def test_a_hazard_filed_before_the_items_had_texts_gets_a_basis_in_force(world):
    iid = world.open(item_code="EP02")
    hazard = world.hazard(iid)
    with world.sessions() as s:
        row = s.get(type(hazard), hazard.id)
        row.item = {k: v for k, v in row.item.items() if k not in (*dictionary.TEXTS, "rules", "interim_days")} \
            | {"legal_basis": None, "notes": "Rule [S]"}
        s.commit()
    world.sign(iid)                                          # the signed notice is rendered again
    notice = _notice(world, hazard.id)
    assert notice["依据"] == documents.GENERAL_BASIS and notice["可能后果"] == documents.GENERAL_CONSEQUENCES
    assert "Rule [S]" not in notice[""] and "用电检查管理办法" not in notice[""]
    assert notice["临时安全措施"] == "须在7日内落实临时安全措施。"

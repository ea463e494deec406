"""The documents of a hazard file, opened with python-docx: the right facts and the embedded signature."""
from __future__ import annotations

import hashlib
import io

import pytest
from docx import Document as Docx
from sqlalchemy import select

from hazard_support import HazardWorld, build_engine
from records import Attachment, Document


@pytest.fixture
def world(sessions, clock, tmp_path):
    made = HazardWorld(sessions, clock, tmp_path)
    # on PostgreSQL the documents and the signatures they embed are read from the database
    assert made.files.kind == ("database" if sessions.kw["bind"].dialect.name == "postgresql" else "folder")
    return made


def _docx(world, kind, version=None):
    with world.sessions() as s:
        rows = s.scalars(select(Document).where(Document.kind == kind).order_by(Document.version)).all()
    row = rows[-1] if version is None else rows[version - 1]
    data = world.files.get(row.sha256)
    assert hashlib.sha256(data).hexdigest() == row.sha256
    doc = Docx(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs)
    text += "\n".join(cell.text for table in doc.tables for row_ in table.rows for cell in row_.cells)
    images = {hashlib.sha256(part.blob).hexdigest() for part in doc.part.package.parts
              if part.content_type.startswith("image/")}
    return row, text, images


def _signature_digests(world):
    with world.sessions() as s:
        return {a.id for a in s.scalars(select(Attachment).where(Attachment.kind == "signature"))}


def test_the_notice_holds_customer_file_number_deadline_and_the_signature(world):
    iid = world.open()
    world.sign(iid)
    hazard = world.hazard(iid)
    first, text_before, images_before = _docx(world, "hazard_notice", 1)
    second, text, images = _docx(world, "hazard_notice", 2)
    assert first.sha256 != second.sha256 and (first.version, second.version) == (1, 2)
    assert "吉安市中心人民医院" in text and hazard.file_number in text and "3600100001" in text
    assert "2026年5月31日前" in text            # EP02: 90 days from 2026-03-02
    assert "隐患告知书" in text and "王电工" in text
    assert images & _signature_digests(world)  # the customer's signature is embedded
    assert not images_before & _signature_digests(world)   # the unsigned version has none


def test_the_supervision_order_acceptance_record_and_report_hold_their_facts(world):
    iid = world.open(item_code="IL01")          # 重大: reported at once
    world.sign(iid)
    hazard = world.hazard(iid)
    _row, report, _ = _docx(world, "government_report")
    assert "关于吉安市中心人民医院存在重大隐患的报告" in report and hazard.file_number in report
    assert "吉供营销〔2026〕" in _row.number and "签发人：陈领导" in report
    world.clock.set(hazard.deadline)
    world.tick(seconds=1)
    world.supervise(iid)
    order, text, images = _docx(world, "supervision_order")
    assert order.number == f"{hazard.file_number}-DD1" and "第1次" in text and "吉安市中心人民医院" in text
    assert images & _signature_digests(world)
    world.rectified(iid)
    world.accept(iid)
    record, text, images = _docx(world, "acceptance_record")
    assert "整改前后照片对照" in text and "合格" in text
    before, after = set(world.hazard(iid).photos), set(world.hazard(iid).after_photos)
    # the before photos sit beside the after photos, each printed with its stamp (the stored ones unchanged)
    assert not (before | after) & images and len(images - _signature_digests(world)) >= len(before | after)
    assert all(hashlib.sha256(world.files.get(d)).hexdigest() == d for d in before | after)


def test_a_regenerated_document_is_a_new_version_and_the_old_one_stays(world):
    iid = world.open()
    world.sign(iid)
    with world.sessions() as s:
        versions = s.scalars(select(Document).where(Document.kind == "hazard_notice")).all()
    assert len(versions) == 2 and all(world.files.exists(v.sha256) for v in versions)


def test_record_numbers_follow_the_configured_patterns_and_stay_with_their_record(world):
    world.settings.update({"NOTICE_NUMBER_PATTERN": "吉供营销告〔{year}〕{n}号",
                           "SUPERVISION_NUMBER_PATTERN": "吉供营销督〔{year}〕{n}号（第{count}次）",
                           "ACCEPTANCE_NUMBER_PATTERN": "{file}-验{year}"})
    world.engine = build_engine(world.settings, world.clock, world.files)     # handlers take the settings at start
    iid = world.open(item_code="EN01")
    world.sign(iid)                                        # the notice is rendered again once signed
    hazard = world.hazard(iid)
    with world.sessions() as s:
        notices = s.scalars(select(Document).where(Document.kind == "hazard_notice")).all()
    assert {n.number for n in notices} == {"吉供营销告〔2026〕1号"} and len(notices) == 2
    _row, text, _ = _docx(world, "hazard_notice")
    assert "编号：吉供营销告〔2026〕1号" in text
    world.clock.set(hazard.deadline)
    world.tick(seconds=1)
    world.supervise(iid)
    order, text, _ = _docx(world, "supervision_order")
    assert order.number == "吉供营销督〔2026〕1号（第1次）"
    assert "告知书编号 吉供营销告〔2026〕1号" in text and "关联告知书编号" in text
    with world.sessions() as s:
        assert {d.number for d in s.scalars(select(Document).where(Document.kind == "supervision_order"))} == \
            {order.number}                                 # issued and delivered: one order, one number
    world.rectified(iid)
    world.accept(iid)
    record, text, _ = _docx(world, "acceptance_record")
    assert record.number == f"{hazard.file_number}-验2026" and record.number in text


@pytest.mark.parametrize("setting", ["NOTICE_NUMBER_PATTERN", "SUPERVISION_NUMBER_PATTERN",
                                     "ACCEPTANCE_NUMBER_PATTERN"])
def test_a_record_number_pattern_that_cannot_tell_records_apart_is_refused_at_start(setting):
    from services import config
    for bad in ("吉供营销告〔{year}〕号", "{file", "{year}-{x}"):
        with pytest.raises(ValueError, match=setting):
            config.load({"ENV": "testing", "SECRET_KEY": "x", setting: bad}, environ={})
    assert config.load({"ENV": "testing", "SECRET_KEY": "x", setting: "吉供〔{year}〕{n}号"}, environ={})

"""Every SMS text fits one 70-character segment and says whose, which file, and what to do by when —
rendered with the demo's customers (the longest names) and numbers."""
from __future__ import annotations

import re
from datetime import date

import pytest

from handlers import sms
from services.demo import CUSTOMERS

COMPANY = "国网吉安供电公司"
TODAY = date(2026, 12, 6)
FILES = ["YH-JA-QY-2026-00012", "YH-JA-QY-2026-00013", "YH-JA-QY-2026-00014"]
NAMES = [name for _n, name, *_rest in CUSTOMERS] + ["吉安市某某区某某某某某某某某某某有限责任公司第一分公司"]
A_DAY = re.compile(r"\d{1,2}月\d{1,2}日")


def _texts(name: str, number: str):
    """(text, file or work order it must name, whether it must say by when)."""
    yield sms.risk_raised(COMPANY, name, "A", FILES, date(2026, 12, 31), TODAY), FILES[0], True
    yield sms.risk_raised(COMPANY, name, "C", FILES[:1], date(2026, 11, 30), TODAY), FILES[0], True   # overdue
    yield sms.risk_reminder(COMPANY, name, "B", date(2026, 11, 2), FILES, date(2027, 1, 15), TODAY), FILES[0], True
    yield sms.risk_lowered(COMPANY, name, number, "A", "C"), None, False
    yield sms.inspection_overdue(COMPANY, name, "JC-JA-JZ-2026-00002", date(2026, 11, 28), TODAY), \
        "JC-JA-JZ-2026-00002", True


@pytest.mark.parametrize("name", NAMES)
def test_each_sms_fits_one_segment_and_names_the_file_and_the_deadline(name):
    number = "3608010006"
    for text, reference, deadline in _texts(name, number):
        assert len(text) <= sms.SEGMENT, (len(text), text)
        assert text.startswith(f"【{COMPANY}】")
        if len(name) <= 13:                                      # every demo customer keeps its whole name
            assert name in text, text
        if reference:
            assert reference in text, text
        if deadline:
            assert A_DAY.search(text) and ("前" in text or "今日" in text or "即" in text), text
        assert not re.search(r"[a-z_]|S = | at ", text), text     # no identifiers, formulas or English


def test_the_texts_say_what_to_do():
    raised = sms.risk_raised(COMPANY, "吉安北站", "A", FILES, date(2026, 12, 31), TODAY)
    assert "红色预警" in raised and "等3项" in raised and "请督促于12月31日前整改" in raised
    late = sms.risk_raised(COMPANY, "吉安北站", "B", FILES[:1], date(2026, 11, 30), TODAY)
    assert "已于11月30日逾期，请即督办" in late and "等" not in late
    lowered = sms.risk_lowered(COMPANY, "吉安北站", "3608010003", "B", None)
    assert "3608010003" in lowered and "无风险等级" in lowered and "无需处理" in lowered
    overdue = sms.inspection_overdue(COMPANY, "吉安北站", "JC-JA-JZ-2026-00002", date(2026, 11, 28), TODAY)
    assert "已逾期8天" in overdue and "请今日安排检查" in overdue

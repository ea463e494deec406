"""The checklist's failed item, rendered: its own row carries what the server files (dictionary item,
what it becomes, location, equipment, reason, photos); no separate finding is asked for."""
from __future__ import annotations

import json
import re
from pathlib import Path

from flask import render_template_string

from forms.fields import build_fields

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "forms" / "inspection_execute.schema.json").read_text(encoding="utf-8"))
UI = json.loads((ROOT / "forms" / "inspection_execute.uischema.json").read_text(encoding="utf-8"))
ROWS = {"checklist": [{"code": "B02", "text": "自备应急电源容量", "hazard": "IL01", "item_code": "IL01", "result": None,
                       "dictionary_severity": "significant", "severity": "significant"},
                      {"code": "B03", "text": "切换装置", "hazard": "XX99", "result": None}]}


def _item(app, index: int, rows=None) -> str:
    fields = build_fields(SCHEMA, UI, rows or ROWS, {}, options={"hazard_items": [("IL01", "IL01 闭锁"), ("IL02", "IL02 接地")]})
    checklist = next(f for f in fields if f.widget == "checklist")
    with app.test_request_context("/"):
        html = render_template_string("{% import 'forms/macros.html' as m %}{{ m.checklist(f) }}", f=checklist)
    return re.search(rf'id="checklist-{index}".*?(?=id="checklist-{index + 1}"|</fieldset>\s*$)', html, re.S).group(0)


def test_a_failed_item_carries_its_dictionary_item_and_what_it_becomes_in_its_own_row(app):
    first = _item(app, 0)
    assert re.search(r'<input type="hidden" name="checklist\.0\.item_code" value="IL01">', first)
    for key in ("note", "photos", "disposition", "location", "equipment", "reason"):
        assert f'name="checklist.0.{key}"' in first, key
    assert 'value="hazard"' in first and 'value="not_hazard"' in first
    assert "findings" not in first and "data-finding-slot" not in first


def test_an_item_whose_dictionary_item_is_not_current_lets_the_inspector_choose_one(app):
    second = _item(app, 1)
    assert '<input type="hidden" name="checklist.1.item_code"' not in second
    assert re.search(r'<select name="checklist\.1\.item_code"', second) and 'value="IL02"' in second


def test_a_failed_item_offers_its_severity_from_the_dictionarys_up_and_the_others_carry_only_the_floor(app):
    untouched = _item(app, 0)
    assert 'data-severity-floor="significant"' in untouched and 'name="checklist.0.severity"' not in untouched
    failed_rows = {"checklist": [dict(ROWS["checklist"][0], result="fail", severity="major"), ROWS["checklist"][1]]}
    failed = _item(app, 0, failed_rows)
    assert re.search(r'value="general" disabled', failed)                  # never below the dictionary's
    assert re.search(r'value="major" checked', failed) and 'name="checklist.0.severity_reason"' in failed
    assert "隐患库等级：<span data-floor-name>较大</span>" in failed

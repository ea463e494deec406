"""The hazard dictionary's content and its seed: each of the 59 items has its own basis, consequences,
requirements and measures, in Chinese, citing instruments in force and listed in legal_sources.md; its
rules are data; and an old database is brought up to date by new versions, never by rewriting one."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select, text

from engine.database import make_engine, make_session_factory
from handlers import documents
from records import dictionary
from records.dictionary import HazardItem
from services import migrate

ITEMS = dictionary.seed_items()
SOURCES = (dictionary.DATA / "legal_sources.md").read_text(encoding="utf-8")
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)

# the only Latin letters a text for customers may hold: standard numbers and item codes
ALLOWED = re.compile(r"(?:GB/T|GB/Z|GB|DL/T)\s?\d+(?:\.\d+)?-\d{4}|(?<![A-Za-z])[A-Z]{2}\d{2}(?!\d)")
STANDARD = re.compile(r"(?:GB/T|GB/Z|GB|DL/T)\s?\d+(?:\.\d+)?-\d{4}")
TITLE = re.compile(r"《([^》]+)》")


def _texts(item: dict) -> dict[str, str]:
    out = {name: item[name] or "" for name in (*dictionary.TEXTS, "notes")}
    for n, rule in enumerate((item["rules"] or {}).get("severity", []), 1):
        out[f"rule {n} reason"] = rule["reason"]
    return out


# -- the content ------------------------------------------------------------------------------------

def test_the_seed_holds_the_59_items_of_domain_4_2():
    assert len(ITEMS) == 59
    assert {code[:2] for code in ITEMS} == {"PS", "EP", "IL", "NE", "EQ", "PR", "MG", "EM", "EN", "ST", "CT", "PQ"}


@pytest.mark.parametrize("code", sorted(ITEMS))
def test_every_item_has_its_own_basis_consequences_requirements_and_measures(code):
    item = ITEMS[code]
    for name in ("legal_basis", "consequences", "requirements", "measures"):
        assert (item[name] or "").strip(), f"{code} has no {name}"
    assert TITLE.search(item["legal_basis"]) or STANDARD.search(item["legal_basis"]), code


def test_no_two_items_share_consequences_or_requirements():
    for name in ("consequences", "requirements", "measures"):
        values = [item[name] for item in ITEMS.values()]
        assert len(set(values)) == len(values), f"two items print the same {name}"


@pytest.mark.parametrize("code", sorted(ITEMS))
def test_every_text_is_chinese_apart_from_standard_numbers_and_item_codes(code):
    for name, value in _texts(ITEMS[code]).items():
        left = ALLOWED.sub("", value)
        assert not re.search(r"[A-Za-z]", left), f"{code} {name}: {left}"
        if value:
            assert re.search(r"[\u4e00-\u9fff]", value), f"{code} {name} is not Chinese"


def test_no_item_cites_the_repealed_inspection_rules_or_the_abolished_licence():
    for code, item in ITEMS.items():
        printed = " ".join(item[name] or "" for name in dictionary.TEXTS)
        assert "用电检查管理办法" not in printed, code
        assert "进网作业" not in printed, code
        assert "电力工业部令第8号" not in printed, code
    assert "用电检查管理办法" not in documents.GENERAL_BASIS


def test_every_instrument_cited_is_listed_with_its_status_in_the_sources_file():
    bases = [item["legal_basis"] for item in ITEMS.values()] + [documents.GENERAL_BASIS]
    cited = {m for basis in bases for m in TITLE.findall(basis)} | {m for b in bases for m in STANDARD.findall(b)}
    missing = sorted(c for c in cited if c not in SOURCES)
    assert not missing, f"cited but not in legal_sources.md: {missing}"
    assert "2024年第14号" in SOURCES and "Repealed" in SOURCES


def test_items_with_a_deadline_of_90_days_or_more_have_interim_measures_within_7_days():
    """domain.md §4.1: interim risk measures within 7 days for anything with a deadline of 90 days or more."""
    for code, item in ITEMS.items():
        if item["interim_measures"]:
            assert item["interim_required"] and item["interim_days"] is not None, code
        if item["deadline_days"] >= 90:
            assert item["interim_measures"] and item["interim_days"] <= 7, code


def test_the_notes_that_are_rules_are_data_and_the_others_stay_notes():
    ne01 = ITEMS["NE01"]
    assert ne01["rules"]["severity"][0]["severity"] == "major"
    assert "煤矿" in ne01["rules"]["severity"][0]["industries"] and "化工" in ne01["rules"]["severity"][0]["industries"]
    assert not ne01["notes"]                                   # the rule is no longer a sentence
    assert ITEMS["PS06"]["rules"] == {"deadline_before_assurance": True}
    assert ITEMS["IL01"]["interim_days"] == 0                  # "no genset use until fixed", now an interim measure
    assert "倒送电" in ITEMS["IL01"]["consequences"]            # "back-feed endangers line crews"
    assert "其他用户" in ITEMS["PR02"]["consequences"]          # "can trip the upstream feeder"
    assert ITEMS["EM03"]["notes"] and ITEMS["EQ01"]["notes"]   # notes that are not rules stay notes
    assert all(not dictionary.check_rules(item["rules"]) for item in ITEMS.values())


@pytest.mark.parametrize("rules, words", [
    ({"sevrity": []}, "unknown rule"),
    ({"severity": [{"industries": ["煤矿"], "severity": "fatal", "reason": "理由"}]}, "severity must be"),
    ({"severity": [{"severity": "major", "reason": "理由"}]}, "names no condition"),
    ({"severity": [{"classes": ["gold"], "severity": "major", "reason": "理由"}]}, "classes must be"),
    ({"severity": [{"high_risk": True, "severity": "major"}]}, "say why"),
    ({"severity": "煤矿"}, "must be a list"),
    ({"severity": ["煤矿"]}, "must be a table"),
    ({"deadline_before_assurance": "是"}, "true or false"),
])
def test_malformed_rules_are_refused(rules, words):
    assert any(words in problem for problem in dictionary.check_rules(rules))


def test_a_severity_rule_raises_but_never_lowers():
    item = {"default_severity": "significant", "top_severity": "major", "rules": {"severity": [
        {"industries": ["煤矿"], "severity": "major", "reason": "矿山"},
        {"high_risk": True, "severity": "general", "reason": "不会降低"}]}}
    assert dictionary.severity_of(item, "second", industry="永丰煤矿") == "major"
    assert dictionary.severity_of(item, "second", industry="医疗卫生", high_risk=True) == "significant"
    assert dictionary.severity_of(item, None, industry=None) == "significant"
    assert dictionary.severity_of({**item, "rules": None}, "second", industry="煤矿") == "significant"
    assert dictionary.severity_of(item, "first", industry="医疗卫生") == "major"


# -- the seed ---------------------------------------------------------------------------------------

def test_the_seed_fills_an_empty_dictionary_with_first_versions_and_a_second_run_adds_nothing(sessions):
    with sessions() as s:
        assert dictionary.seed(s, NOW) == 59
        s.commit()
        assert dictionary.seed(s, NOW) == 0
        items = dictionary.current_items(s)
        assert len(items) == 59 and {i.version for i in items} == {1}
        ne01 = dictionary.current(s, "NE01")
        assert ne01.legal_basis == ITEMS["NE01"]["legal_basis"] and ne01.rules == ITEMS["NE01"]["rules"]
        assert ne01.snapshot()["rules"] == ITEMS["NE01"]["rules"]
        assert ne01.snapshot()["consequences"] == ITEMS["NE01"]["consequences"]


OLD_COLUMNS = ("code, version, category, category_en, name_zh, name_en, default_severity, top_severity, "
               "deadline_days, interim_required, legal_basis, notes, active, created_at, created_by")


def _old_rows(connection) -> None:
    """The dictionary as the seed of schema 0009 left it: English notes, no basis; IL01 revised by a person."""
    insert = text(f"INSERT INTO hazard_item ({OLD_COLUMNS}) VALUES (:code, :version, :category, :category_en, "
                  ":name_zh, :name_en, :default_severity, :top_severity, :deadline_days, :interim_required, "
                  ":legal_basis, :notes, :active, :created_at, :created_by)")
    for code, item in ITEMS.items():
        connection.execute(insert, {**{k: item[k] for k in ("category", "category_en", "name_zh", "name_en",
                                                             "default_severity", "top_severity", "deadline_days")},
                                    "code": code, "version": 1, "interim_required": item["deadline_days"] >= 90,
                                    "legal_basis": None, "notes": "Rule [S]" if code == "EP02" else None,
                                    "active": True, "created_at": NOW.replace(tzinfo=None), "created_by": "seed"})
    connection.execute(insert, {**{k: ITEMS["IL01"][k] for k in ("category", "category_en", "name_zh", "name_en",
                                                                  "default_severity", "top_severity")},
                                "code": "IL01", "version": 2, "deadline_days": 2, "interim_required": False,
                                "legal_basis": "本公司规定", "notes": None, "active": True,
                                "created_at": NOW.replace(tzinfo=None), "created_by": "zhuanze"})


def test_an_old_database_is_brought_up_to_date_by_new_versions_and_no_version_is_rewritten(tmp_path):
    sa = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        migrate.upgrade(sa, "0009")                     # the schema before items had texts and rules
        with sa.begin() as connection:
            _old_rows(connection)
            before = [tuple(r) for r in connection.execute(text(f"SELECT {OLD_COLUMNS} FROM hazard_item ORDER BY id"))]
        migrate.upgrade(sa)                              # gridsafe init: the schema, then the seed
        sessions = make_session_factory(sa)
        with sessions() as s:
            assert dictionary.seed(s, NOW) == 59
            s.commit()
            assert dictionary.seed(s, NOW) == 0          # idempotent
        with sa.connect() as connection:
            after = [tuple(r) for r in connection.execute(text(f"SELECT {OLD_COLUMNS} FROM hazard_item ORDER BY id"))]
        assert after[:len(before)] == before              # the old versions are untouched
        with sessions() as s:
            for code, item in ITEMS.items():
                new = dictionary.current(s, code)
                assert new.created_by == "seed" and new.legal_basis and new.consequences, code
                if code == "IL01":
                    assert new.version == 3
                else:
                    assert new.version == 2 and new.content() == item, code
            il01 = dictionary.current(s, "IL01")         # a person's revision keeps that person's values
            assert (il01.deadline_days, il01.legal_basis) == (2, "本公司规定")
            assert il01.consequences == ITEMS["IL01"]["consequences"]
            assert il01.interim_measures == ITEMS["IL01"]["interim_measures"] and il01.interim_required
            assert s.scalar(select(HazardItem.notes).where(HazardItem.code == "EP02", HazardItem.version == 1)) \
                == "Rule [S]"
    finally:
        sa.dispose()


def test_a_changed_seed_adds_one_version_of_the_changed_item_only(sessions, monkeypatch):
    with sessions() as s:
        dictionary.seed(s, NOW)
        s.commit()
        changed = {code: dict(item) for code, item in ITEMS.items()}
        changed["EN02"]["measures"] = "配置二氧化碳灭火器。"
        monkeypatch.setattr(dictionary, "seed_items", lambda: changed)
        assert dictionary.seed(s, NOW) == 1
        s.commit()
        versions = s.scalars(select(HazardItem).where(HazardItem.code == "EN02").order_by(HazardItem.version)).all()
        assert [(v.version, v.measures) for v in versions] == [(1, ITEMS["EN02"]["measures"]), (2, "配置二氧化碳灭火器。")]


def test_a_revision_carries_the_texts_and_rules_of_the_previous_version(sessions):
    with sessions() as s:
        dictionary.seed(s, NOW)
        new = dictionary.revise(s, "NE01", {"deadline_days": 20}, "zhuanze", NOW)
        s.commit()
        assert (new.version, new.deadline_days) == (2, 20)
        assert new.rules == ITEMS["NE01"]["rules"] and new.legal_basis == ITEMS["NE01"]["legal_basis"]
        with pytest.raises(ValueError, match="severity must be"):
            dictionary.revise(s, "NE01", {"rules": {"severity": [{"high_risk": True, "severity": "x",
                                                                   "reason": "理由"}]}}, "zhuanze", NOW)

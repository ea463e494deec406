"""The hazard dictionary (domain.md §4.2): versioned items; a hazard keeps a snapshot of its item.

Editing an item adds a new version; the newest active version of a code is what new hazards use.
Severities: general (一般, weight 1), significant (较大, 4), major (重大, 10).

Besides its severities and deadline an item carries, in Chinese, what the hazard notice prints: the
legal or standard basis, the possible consequences, the rectification requirements, the suggested
measures and, where the item needs them, interim measures with the days allowed to put them in place.
The notes of §4.2 that are rules are data (`rules`), read by the grading; the others stay notes,
which are for staff and never printed to customers.

The seed lives in data/: the table of items (hazard_dictionary.csv) and their content
(hazard_dictionary.toml). Seeding an existing database adds a new version of every item whose
content changed; no version is ever rewritten.
"""
from __future__ import annotations

import csv
import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import JSON, Boolean, Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime

SEVERITIES = ("general", "significant", "major")
SEVERITY_NAMES = {"general": "一般", "significant": "较大", "major": "重大"}
WEIGHTS = {"general": 1, "significant": 4, "major": 10}
DATA = Path(__file__).resolve().parent / "data"
SEED = DATA / "hazard_dictionary.csv"
CONTENT = DATA / "hazard_dictionary.toml"
TOP_CLASSES = ("special", "first")   # the classes whose severity column is 'Sev. at 特/一级'
RULE_CLASSES = ("special", "first", "second", "temporary", "none")   # "none": not graded today
SEED_ACTOR = "seed"

# what the notice prints of an item, each a Chinese text
TEXTS = ("legal_basis", "consequences", "requirements", "measures", "interim_measures")
# what a version holds besides its code, number, active flag and authorship
CONTENT_FIELDS = ("category", "category_en", "name_zh", "name_en", "default_severity", "top_severity",
                  "deadline_days", "interim_required", "interim_days", *TEXTS, "notes", "rules")


class HazardItem(Base):
    __tablename__ = "hazard_item"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), index=True)
    version: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(40))
    category_en: Mapped[str] = mapped_column(String(40))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    default_severity: Mapped[str] = mapped_column(String(12))
    top_severity: Mapped[str] = mapped_column(String(12))
    deadline_days: Mapped[int] = mapped_column(Integer)
    interim_required: Mapped[bool] = mapped_column(Boolean, default=False)
    interim_days: Mapped[int | None] = mapped_column(Integer)          # 0: at once
    legal_basis: Mapped[str | None] = mapped_column(Text)              # 依据
    consequences: Mapped[str | None] = mapped_column(Text)             # 可能后果
    requirements: Mapped[str | None] = mapped_column(Text)             # 整改要求
    measures: Mapped[str | None] = mapped_column(Text)                 # 建议措施
    interim_measures: Mapped[str | None] = mapped_column(Text)         # 临时安全措施
    notes: Mapped[str | None] = mapped_column(Text)                    # for staff; never printed
    rules: Mapped[dict | None] = mapped_column(JSON)                   # see check_rules
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(60))

    def severity_for(self, customer_class: str | None, *, industry: str | None = None,
                     high_risk: bool = False) -> str:
        """The item's severity at a customer of this class (特级/一级 may escalate it), after its rules."""
        return severity_of(self.snapshot(), customer_class, industry=industry, high_risk=high_risk)

    def severity_at(self, customer, on: date) -> str:
        """The item's severity at this customer on this day (its class then, its industry, its high-risk flag)."""
        return self.severity_for(customer.effective_class(on), industry=customer.industry,
                                 high_risk=bool(customer.high_risk))

    def content(self) -> dict:
        return {name: getattr(self, name) for name in CONTENT_FIELDS}

    def snapshot(self) -> dict:
        """What a hazard keeps of its item, so that later edits never rewrite history."""
        kept = ("code", "version", "category", "name_zh", "name_en", "default_severity", "top_severity",
                "deadline_days", "interim_required", "interim_days", *TEXTS, "notes")
        return {name: getattr(self, name) for name in kept} | {"rules": dict(self.rules or {})}


# -- rules ------------------------------------------------------------------------------------------
#
# rules = {"severity": [{"industries": [...], "high_risk": bool, "classes": [...], "severity": "major",
#                        "reason": "..."}, ...],
#          "deadline_before_assurance": bool, "notice_days": int}
#
# A severity rule applies when every condition it names holds: the customer's industry contains one of
# `industries`; its high-risk flag equals `high_risk`; its class today is one of `classes` ("none" when
# it is not graded). It raises the severity to at least `severity`; a rule never lowers one.
# `deadline_before_assurance`: at a temporary customer, the deadline falls before its assurance window.
# `notice_days`: the working days allowed to deliver the notice (0: the same day), instead of the
# configured NOTICE_DELIVERY_DAYS.

RULE_KEYS = {"severity", "deadline_before_assurance", "notice_days"}
CONDITION_KEYS = {"industries", "high_risk", "classes", "severity", "reason"}


def check_rules(rules: dict | None) -> list[str]:
    """What is wrong with an item's rules (empty when they are well formed)."""
    problems = []
    rules = rules or {}
    if not isinstance(rules, dict):
        return ["rules must be a table"]
    problems += [f"unknown rule {key!r}" for key in rules if key not in RULE_KEYS]
    if not isinstance(rules.get("deadline_before_assurance", False), bool):
        problems.append("deadline_before_assurance must be true or false")
    days = rules.get("notice_days", 0)
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 10:
        problems.append("notice_days must be a whole number of working days from 0 to 10")
    if not isinstance(rules.get("severity") or [], list):
        return problems + ["severity rules must be a list"]
    for n, rule in enumerate(rules.get("severity") or [], 1):
        where = f"severity rule {n}"
        if not isinstance(rule, dict):
            problems.append(f"{where} must be a table")
            continue
        problems += [f"{where}: unknown key {key!r}" for key in rule if key not in CONDITION_KEYS]
        if rule.get("severity") not in SEVERITIES:
            problems.append(f"{where}: severity must be one of {', '.join(SEVERITIES)}")
        if not {"industries", "high_risk", "classes"} & set(rule):
            problems.append(f"{where}: names no condition, so it would apply everywhere")
        if not isinstance(rule.get("industries", []), list) or not all(
                isinstance(i, str) and i for i in rule.get("industries", [])):
            problems.append(f"{where}: industries must be a list of words")
        if any(c not in RULE_CLASSES for c in rule.get("classes", [])):
            problems.append(f"{where}: classes must be among {', '.join(RULE_CLASSES)}")
        if not (rule.get("reason") or "").strip():
            problems.append(f"{where}: say why (reason)")
    return problems


def _applies(rule: dict, customer_class: str | None, industry: str | None, high_risk: bool) -> bool:
    if "industries" in rule and not any(word in (industry or "") for word in rule["industries"]):
        return False
    if "high_risk" in rule and bool(rule["high_risk"]) != bool(high_risk):
        return False
    if "classes" in rule and (customer_class or "none") not in rule["classes"]:
        return False
    return True


def rules_applied(item: dict, customer_class: str | None, *, industry: str | None = None,
                  high_risk: bool = False) -> list[dict]:
    """The severity rules of an item (or of a hazard's snapshot of it) that hold at this customer."""
    return [rule for rule in ((item.get("rules") or {}).get("severity") or [])
            if _applies(rule, customer_class, industry, high_risk)]


def severity_of(item: dict, customer_class: str | None, *, industry: str | None = None,
                high_risk: bool = False) -> str:
    """The severity an item (or a snapshot) gives a hazard at a customer: by class, then raised by its rules.

    A snapshot taken before rules existed has none, so a hazard keeps the rules of the version it was
    filed with."""
    severity = item["top_severity"] if customer_class in TOP_CLASSES else item["default_severity"]
    for rule in rules_applied(item, customer_class, industry=industry, high_risk=high_risk):
        if SEVERITIES.index(rule["severity"]) > SEVERITIES.index(severity):
            severity = rule["severity"]
    return severity


def notice_days(item: dict, default: int) -> int:
    """The working days allowed to deliver the notice of a hazard of this item (its rule, else `default`)."""
    days = (item.get("rules") or {}).get("notice_days")
    return int(days) if days is not None else int(default)


def deadline_cap(item: dict, customer) -> date | None:
    """The last day a deadline may fall on by the item's rules (None: no cap): the day before a temporary
    customer's assurance window opens, for items that must be fixed before the event (PS06)."""
    if not (item.get("rules") or {}).get("deadline_before_assurance"):
        return None
    if customer.importance != "temporary" or customer.temporary_from is None:
        return None
    return customer.temporary_from - timedelta(days=1)


# -- versions ---------------------------------------------------------------------------------------

def newest(session, code: str) -> HazardItem | None:
    """The newest version of a code, active or not."""
    return session.scalars(select(HazardItem).where(HazardItem.code == code)
                           .order_by(HazardItem.version.desc()).limit(1)).first()


def current(session, code: str) -> HazardItem | None:
    """The newest version of a code, if it is active."""
    item = newest(session, code)
    return item if item is not None and item.active else None


def current_items(session) -> list[HazardItem]:
    """The newest version of every code (active or not), ordered by code."""
    latest = select(HazardItem.code, func.max(HazardItem.version).label("v")).group_by(HazardItem.code).subquery()
    return list(session.scalars(select(HazardItem).join(latest, (HazardItem.code == latest.c.code)
                                                        & (HazardItem.version == latest.c.v))
                                .order_by(HazardItem.code)))


def revise(session, code: str, changes: dict, actor: str, now: datetime) -> HazardItem:
    """A new version of an item with the changes applied (the old version stays for history)."""
    old = newest(session, code)
    if old is None:
        raise KeyError(code)
    fields = old.content() | {"active": old.active}
    fields.update(changes)
    problems = check_rules(fields.get("rules"))
    if problems:
        raise ValueError(f"{code}: " + "; ".join(problems))
    item = HazardItem(code=code, version=old.version + 1, created_at=now, created_by=actor, **fields)
    session.add(item)
    return item


# -- the seed ---------------------------------------------------------------------------------------

def seed_items() -> dict[str, dict]:
    """The content of every item of the seed by code: the table's columns joined with the texts and rules.

    Raises ValueError when the two files disagree or a rule is malformed."""
    with SEED.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with CONTENT.open("rb") as f:
        texts = tomllib.load(f)
    codes = [row["code"] for row in rows]
    if sorted(codes) != sorted(texts) or len(set(codes)) != len(codes):
        raise ValueError(f"the item table and the item texts name different codes: "
                         f"{sorted(set(codes) ^ set(texts))}")
    items = {}
    for row in rows:
        text = texts[row["code"]]
        unknown = set(text) - {*TEXTS, "interim_days", "notes", "rules"}
        if unknown:
            raise ValueError(f"{row['code']}: unknown fields {sorted(unknown)}")
        problems = check_rules(text.get("rules"))
        if problems:
            raise ValueError(f"{row['code']}: " + "; ".join(problems))
        interim = (text.get("interim_measures") or "").strip() or None
        items[row["code"]] = {
            "category": row["category"], "category_en": row["category_en"], "name_zh": row["name_zh"],
            "name_en": row["name_en"], "default_severity": row["default_severity"],
            "top_severity": row["top_severity"], "deadline_days": int(row["deadline_days"]),
            "interim_required": interim is not None,
            "interim_days": text.get("interim_days") if interim is not None else None,
            **{name: (text.get(name) or "").strip() or None for name in TEXTS}, "interim_measures": interim,
            "notes": (text.get("notes") or "").strip() or None, "rules": text.get("rules") or None}
    return items


def _blank(value):
    return None if value is None or value == "" or value == {} or value == [] else value


def _same(a, b) -> bool:
    return _blank(a) == _blank(b)          # an empty text, an empty table and None are alike; 0 is not


def seed(session, now: datetime) -> int:
    """Bring the dictionary up to the seed; returns how many versions were added.

    A code missing from the database gets version 1. A code that only the seed ever wrote gets a new
    version when the seed's content differs. A code that a person ever revised keeps that person's
    values, now and in later runs: its new version only fills what the newest version left empty (for
    instance the texts that older seeds lacked). Running it twice adds nothing the second time.
    """
    added = 0
    for code, content in seed_items().items():
        old = newest(session, code)
        if old is None:
            session.add(HazardItem(code=code, version=1, active=True, created_at=now, created_by=SEED_ACTOR,
                                   **content))
            added += 1
            continue
        revised_by_a_person = session.scalar(select(func.count()).select_from(HazardItem).where(
            HazardItem.code == code, HazardItem.created_by != SEED_ACTOR))
        if not revised_by_a_person:
            changes = {k: v for k, v in content.items() if not _same(getattr(old, k), v)}
        else:
            changes = {k: v for k, v in content.items() if _same(getattr(old, k), None) and not _same(v, None)}
            if "interim_measures" in changes:
                changes["interim_required"] = True
        if changes:
            revise(session, code, changes, SEED_ACTOR, now)
            added += 1
    session.flush()
    return added

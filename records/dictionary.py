"""The hazard dictionary (domain.md §4.2): versioned items; a hazard keeps a snapshot of its item.

Editing an item adds a new version; the newest active version of a code is what new hazards use.
Severities: general (一般, weight 1), significant (较大, 4), major (重大, 10).
"""
from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from sqlalchemy import Boolean, Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime

SEVERITIES = ("general", "significant", "major")
SEVERITY_NAMES = {"general": "一般", "significant": "较大", "major": "重大"}
WEIGHTS = {"general": 1, "significant": 4, "major": 10}
SEED = Path(__file__).resolve().parent / "data" / "hazard_dictionary.csv"
TOP_CLASSES = ("special", "first")   # the classes whose severity column is 'Sev. at 特/一级'


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
    legal_basis: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(60))

    def severity_for(self, customer_class: str | None) -> str:
        """The item's severity at a customer of this class (特级/一级 may escalate it)."""
        return self.top_severity if customer_class in TOP_CLASSES else self.default_severity

    def snapshot(self) -> dict:
        """What a hazard keeps of its item, so that later edits never rewrite history."""
        return {name: getattr(self, name) for name in (
            "code", "version", "category", "name_zh", "name_en", "default_severity", "top_severity",
            "deadline_days", "interim_required", "legal_basis", "notes")}


def current(session, code: str) -> HazardItem | None:
    """The newest version of a code, if it is active."""
    item = session.scalars(select(HazardItem).where(HazardItem.code == code)
                           .order_by(HazardItem.version.desc()).limit(1)).first()
    return item if item is not None and item.active else None


def current_items(session) -> list[HazardItem]:
    """The newest version of every code (active or not), ordered by code."""
    newest = select(HazardItem.code, func.max(HazardItem.version).label("v")).group_by(HazardItem.code).subquery()
    return list(session.scalars(select(HazardItem).join(newest, (HazardItem.code == newest.c.code)
                                                       & (HazardItem.version == newest.c.v))
                                .order_by(HazardItem.code)))


def revise(session, code: str, changes: dict, actor: str, now: datetime) -> HazardItem:
    """A new version of an item with the changes applied (the old version stays for history)."""
    old = session.scalars(select(HazardItem).where(HazardItem.code == code)
                          .order_by(HazardItem.version.desc()).limit(1)).first()
    if old is None:
        raise KeyError(code)
    fields = {c: getattr(old, c) for c in ("code", "category", "category_en", "name_zh", "name_en",
                                           "default_severity", "top_severity", "deadline_days", "interim_required",
                                           "legal_basis", "notes", "active")}
    fields.update(changes)
    item = HazardItem(version=old.version + 1, created_at=now, created_by=actor, **fields)
    session.add(item)
    return item


def seed(session, now: datetime) -> int:
    """Load the 59 items of domain.md §4.2 where the dictionary is empty; returns how many were added."""
    if session.scalar(select(func.count()).select_from(HazardItem)):
        return 0
    with SEED.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        days = int(row["deadline_days"])
        session.add(HazardItem(
            code=row["code"], version=1, category=row["category"], category_en=row["category_en"],
            name_zh=row["name_zh"], name_en=row["name_en"], default_severity=row["default_severity"],
            top_severity=row["top_severity"], deadline_days=days,
            interim_required=days >= 90 or row["notes"].startswith("Interim"),
            notes=row["notes"] or None, created_at=now, created_by="seed"))
    return len(rows)

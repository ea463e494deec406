"""High-risk and important customers (高危及重要客户): the part of the register the hazard work needs.

Importance class and high-risk industry are separate attributes (domain.md §2.1): a coal mine can
be 一级 and high-risk, a government office 一级 and not, a small chemical plant high-risk and not
graded. A temporary class (临时性) holds only inside its validity window.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime
from .people import Branch, Team

CLASSES = ("special", "first", "second", "temporary")
CLASS_NAMES = {"special": "特级", "first": "一级", "second": "二级", "temporary": "临时性"}


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)          # 户号 (SG186)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    importance: Mapped[str | None] = mapped_column(String(12), index=True)   # CLASSES or None
    temporary_from: Mapped[date | None] = mapped_column(Date)
    temporary_to: Mapped[date | None] = mapped_column(Date)
    high_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    industry: Mapped[str | None] = mapped_column(String(100))
    legal_representative: Mapped[str | None] = mapped_column(String(60))
    contacts: Mapped[list] = mapped_column(JSON, default=list)             # [{name, post, mobile}]
    default_team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    # the profile fields of domain.md §2.5 the inspection work needs
    government_list_ref: Mapped[str | None] = mapped_column(String(100))   # 政府重要用户名单文号
    supply_voltage_kv: Mapped[float | None] = mapped_column(Float)
    power_sources: Mapped[int | None] = mapped_column(Integer)              # 电源数目
    supply_mode: Mapped[str | None] = mapped_column(String(40))             # 双电源 / 双回路 / 单电源...
    capacity_kva: Mapped[float | None] = mapped_column(Float)
    security_load_kw: Mapped[float | None] = mapped_column(Float)           # 保安负荷
    emergency_power_kw: Mapped[float | None] = mapped_column(Float)         # 自备应急电源容量
    emergency_power_type: Mapped[str | None] = mapped_column(String(40))
    interlock_status: Mapped[str | None] = mapped_column(String(40))        # 闭锁情况
    non_electrical_measures: Mapped[bool | None] = mapped_column(Boolean)
    emergency_plan: Mapped[bool | None] = mapped_column(Boolean)
    electricians: Mapped[int | None] = mapped_column(Integer)
    gps_lat: Mapped[float | None] = mapped_column(Float)
    gps_lon: Mapped[float | None] = mapped_column(Float)
    cycle_months: Mapped[int | None] = mapped_column(Integer)               # per-customer override
    last_inspected_on: Mapped[date | None] = mapped_column(Date)
    next_inspection_due: Mapped[date | None] = mapped_column(Date)
    delisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)      # off the inspection plan (销户...)
    delisted_reason: Mapped[str | None] = mapped_column(Text)
    delisted_by: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    branch: Mapped[Branch] = relationship(lazy="joined")
    default_team: Mapped[Team | None] = relationship(lazy="joined")
    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def class_name(self) -> str:
        return CLASS_NAMES.get(self.importance or "", "未定级")

    def effective_class(self, on: date) -> str | None:
        """The class that applies on a day: a temporary class only inside its window."""
        if self.importance != "temporary":
            return self.importance
        if self.temporary_from and on < self.temporary_from:
            return None
        if self.temporary_to and on > self.temporary_to:
            return None
        return "temporary"

    @property
    def emergency_ratio(self) -> float | None:
        """Emergency capacity over security load (GB/T 29328: at least 1.2)."""
        if self.emergency_power_kw and self.security_load_kw:
            return round(self.emergency_power_kw / self.security_load_kw, 2)
        return None


def by_number(session, number: str) -> Customer | None:
    return session.scalars(select(Customer).where(Customer.number == number.strip())).first()

"""Inspections (用电检查): cycles per class, planned and special tasks, campaigns, checklist templates.

The periodic generator keeps at most one open periodic inspection per customer: a partial unique
index enforces it, so two generators running at once cannot create a duplicate.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

from dateutil.relativedelta import relativedelta
from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, select, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime
from .customers import Customer
from .people import Team

KINDS = ("periodic", "special", "seasonal", "incident", "assurance")
KIND_NAMES = {"periodic": "周期检查", "special": "专项检查", "seasonal": "季节性检查", "incident": "事故性检查",
              "assurance": "保电检查"}
OPEN = ("planned", "assigned", "in_progress")
STATUS_NAMES = {"planned": "待派工", "assigned": "待检查", "in_progress": "检查中", "completed": "已完成",
                "cancelled": "已取消"}
# domain.md §3.2 defaults (months); editable by specialists, overridable per customer
DEFAULT_CYCLES = {"special": 3, "first": 3, "second": 6, "temporary": 0, "high_risk_hv": 6, "hv": 12, "lv": 24}
CYCLE_NAMES = {"special": "特级", "first": "一级", "second": "二级", "temporary": "临时性（保电前）",
               "high_risk_hv": "高危未定级（35kV及以上）", "hv": "其他高压（10kV等）", "lv": "低压"}
CHECKLISTS = Path(__file__).resolve().parent / "data" / "checklists.json"


class InspectionCycle(Base):
    __tablename__ = "inspection_cycle"

    key: Mapped[str] = mapped_column(String(20), primary_key=True)
    months: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(60))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": lock_version}


class Campaign(Base):
    """A batch of special inspections (exam season, flood season...) over a list or filter of customers."""

    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(12))
    due_date: Mapped[date] = mapped_column(Date)
    selection: Mapped[dict] = mapped_column(JSON, default=dict)       # how the customers were chosen
    customer_ids: Mapped[list] = mapped_column(JSON, default=list)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(12), default="running")   # running | done
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Inspection(Base):
    __tablename__ = "inspection"
    __table_args__ = (
        Index("uq_inspection_open_periodic", "customer_id", unique=True,
              sqlite_where=text("kind = 'periodic' AND status IN ('planned', 'assigned', 'in_progress')"),
              postgresql_where=text("kind = 'periodic' AND status IN ('planned', 'assigned', 'in_progress')")),
        # the planner's 保电 visits of a temporary customer: once per customer and date, even with two schedulers
        Index("uq_inspection_assurance_visit", "customer_id", "due_date", unique=True,
              sqlite_where=text("kind = 'assurance' AND created_by = 'planner'"),
              postgresql_where=text("kind = 'assurance' AND created_by = 'planner'")),
        Index("ix_inspection_status_due", "status", "due_date"),
        Index("ix_inspection_team_status", "team_id", "status", "due_date"),
        Index("ix_inspection_customer", "customer_id", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)      # worksheet no. JC-<branch>-<year>-<seq>
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    kind: Mapped[str] = mapped_column(String(12))
    full_inspection: Mapped[bool] = mapped_column(default=True)       # counts for the cycle
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    planned_from: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="planned")
    checklist_template: Mapped[str] = mapped_column(String(40))
    result: Mapped[dict] = mapped_column(JSON, default=dict)          # checklist, findings, signatures
    hazard_numbers: Mapped[list] = mapped_column(JSON, default=list)
    worksheet_id: Mapped[int | None] = mapped_column(Integer)
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    note: Mapped[str | None] = mapped_column(Text)
    needs_verification: Mapped[bool] = mapped_column(default=False, index=True)   # presence flags (visits to verify)
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(60))       # the worksheet's approval before the visit
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_reason: Mapped[str | None] = mapped_column(Text)         # the last refusal, for the preparer
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_on: Mapped[date | None] = mapped_column(Date)
    overdue_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    customer: Mapped[Customer] = relationship(lazy="joined")
    team: Mapped[Team | None] = relationship(lazy="joined")
    __mapper_args__ = {"version_id_col": lock_version}

    def overdue_on(self, day: date) -> bool:
        return self.status in OPEN and self.due_date < day


def cycles(session) -> dict[str, int]:
    """Months per cycle key: the defaults overridden by what specialists saved."""
    out = dict(DEFAULT_CYCLES)
    out.update({c.key: c.months for c in session.scalars(select(InspectionCycle))})
    return out


def cycle_key(customer: Customer, on: date) -> str | None:
    """Which cycle applies to a customer (domain.md §3.2); None: not on a periodic cycle. A temporary
    customer is on the temporary cycle until its assurance window ends, then on its underlying class's
    (by voltage and high risk, as any customer without a class)."""
    klass = customer.importance
    if klass in ("special", "first", "second"):
        return klass
    if klass == "temporary" and not (customer.temporary_to and on > customer.temporary_to):
        return "temporary"
    voltage = customer.supply_voltage_kv or 10
    if customer.high_risk and voltage >= 35:
        return "high_risk_hv"
    return "hv" if voltage >= 6 else "lv"


def cycle_months(customer: Customer, on: date, table: dict) -> int | None:
    """The cycle in months that applies on a day: the customer's override, else its cycle key's. A temporary
    customer's override holds during its assurance window; after it, its underlying class's cycle."""
    key = cycle_key(customer, on)
    if customer.cycle_months and not (customer.importance == "temporary" and key != "temporary"):
        return customer.cycle_months
    return table.get(key) or None


def go_live(settings: dict, customer: Customer) -> date:
    """Where a customer's first cycle starts when it has no inspection yet."""
    start = settings.get("PLAN_START")
    return date.fromisoformat(start) if start else customer.created_at.date()


def next_due(session, settings: dict, customer: Customer, today: date, table: dict | None = None) -> date | None:
    """When the customer's next periodic inspection is due (None: delisted, or not on a periodic cycle now).
    Only a periodic (or full) inspection resets the cycle: the last of those, not a special visit, counts."""
    if customer.delisted_at is not None:
        return None
    table = table if table is not None else cycles(session)
    key = cycle_key(customer, today)
    if key == "temporary":               # its visits before the assurance period are assurance_visits()
        if not customer.cycle_months:                                 # its own cycle during the window, if any
            return None
        return customer.next_inspection_due or (customer.last_inspected_on or go_live(settings, customer)) \
            + relativedelta(months=customer.cycle_months)
    months = cycle_months(customer, today, table)
    if not months:
        return None
    computed = (customer.last_inspected_on or go_live(settings, customer)) + relativedelta(months=months)
    if customer.next_inspection_due and customer.next_inspection_due < computed:
        return customer.next_inspection_due                    # a class change never postpones
    return computed


ASSURANCE_VISITS = {"ASSURANCE_VISIT_DAYS": (15, 7), "ASSURANCE_EVE_DAYS": (2, 1)}


def assurance_visits(settings: dict, customer: Customer, today: date) -> list[tuple[date, date]]:
    """(planned from, due) of the 保电 visits a temporary customer gets for its coming assurance period
    (domain.md §3.2): one 7–15 days before it starts and one just before the event (1–2 days), each window
    configurable; a visit whose window has passed is not planned any more. None for other customers."""
    start = customer.temporary_from
    if customer.importance != "temporary" or customer.delisted_at is not None or start is None or start < today:
        return []
    visits = []
    for name, default in ASSURANCE_VISITS.items():
        earliest, latest = settings.get(name) or default
        due = start - timedelta(days=latest)
        if due >= today and all(d != due for _f, d in visits):
            visits.append((start - timedelta(days=earliest), due))
    return visits


def checklist_templates() -> dict:
    with CHECKLISTS.open(encoding="utf-8") as f:
        return json.load(f)


def template_for(customer: Customer, kind: str) -> tuple[str, list[dict]]:
    """(template id, items) of the checklist for this customer's class and the inspection kind."""
    templates = checklist_templates()
    klass = customer.importance or ("high_risk" if customer.high_risk else "general")
    for key in (f"{kind}:{klass}", f"{kind}:*", f"*:{klass}", "*:*"):
        if key in templates:
            return key, templates[key]["items"]
    raise KeyError("no checklist template")

"""Hazard files (一患一档): the record, its timeline, its numbering. The process moves it; this holds it.

Status machine (domain.md §10): found → notified → rectifying (extension) → overdue → supervising →
pending_acceptance → acceptance_failed → rectifying … → accepted → closed; cancelled (with reason).
found → overdue when the notice is not delivered by its delivery deadline. Reported to government is a
flag, set from any open state.

Two deadlines: `deadline` is the one in force, which the process waits for (the notice's delivery
deadline until it is delivered, then the rectification deadline, then a 督导单's); and
`rectification_deadline` (整改期限), counted from the notice's delivery and moved only by an approved
extension or a new rectification round. Grading counts a hazard overdue against the latter, so a 督导单
never makes an unrectified hazard "on time" again.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, event, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session, relationship

from .base import Base, UTCDateTime, forget, memo
from .customers import Customer
from . import people
from .people import Branch, Team

STATUSES = ("found", "notified", "rectifying", "overdue", "supervising", "pending_acceptance",
            "acceptance_failed", "accepted", "closed", "cancelled")
STATUS_NAMES = {"found": "已发现", "notified": "已告知", "rectifying": "整改中", "overdue": "已逾期",
                "supervising": "督导中", "pending_acceptance": "待验收", "acceptance_failed": "验收不合格",
                "accepted": "已验收", "closed": "已销号", "cancelled": "已撤销"}
OPEN = ("found", "notified", "rectifying", "overdue", "supervising", "pending_acceptance", "acceptance_failed",
        "accepted")


class FileCounter(Base):
    """The last sequence number given out per scope (e.g. 'YH-JA-2026'); gap-free because it is
    incremented in the same transaction that creates the file."""

    __tablename__ = "file_counter"

    scope: Mapped[str] = mapped_column(String(60), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Hazard(Base):
    __tablename__ = "hazard"
    __table_args__ = (
        Index("ix_hazard_status_deadline", "status", "deadline"),
        Index("ix_hazard_status_opened", "status", "opened_at"),      # the list: a status, newest first
        Index("ix_hazard_severity_opened", "severity", "opened_at"),
        Index("ix_hazard_branch_status", "branch_id", "status", "opened_at"),
        Index("ix_hazard_team_status", "team_id", "status", "opened_at"),
        Index("ix_hazard_customer", "customer_id", "opened_at"),
        Index("ix_hazard_opened", "opened_at"),
        Index("ix_hazard_item", "item_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    file_number: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    item_code: Mapped[str] = mapped_column(String(10))
    item: Mapped[dict] = mapped_column(JSON)                  # the dictionary snapshot
    severity: Mapped[str] = mapped_column(String(12))
    severity_reason: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str] = mapped_column(String(200))
    equipment: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    interim_measures: Mapped[str | None] = mapped_column(Text)
    photos: Mapped[list] = mapped_column(JSON, default=list)   # attachment ids, before rectification
    after_photos: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20))
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    original_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    rectification_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)   # None: notice not delivered
    supervision_count: Mapped[int] = mapped_column(Integer, default=0)
    refused_to_sign: Mapped[bool] = mapped_column(Boolean, default=False)
    refused_to_rectify: Mapped[bool] = mapped_column(Boolean, default=False)      # 拒不整改, with evidence
    supervision_failed: Mapped[bool] = mapped_column(Boolean, default=False)     # a 督导单's deadline passed, unrectified
    reported_to_government: Mapped[bool] = mapped_column(Boolean, default=False)
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)     # its hazard_lifecycle instance
    inspection_id: Mapped[int | None] = mapped_column(Integer, index=True)   # the inspection that found it
    opened_by: Mapped[str] = mapped_column(String(60))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rectified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)     # approved: it counts nowhere from then
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    customer: Mapped[Customer] = relationship(lazy="joined")
    branch: Mapped[Branch] = relationship(lazy="joined")
    team: Mapped[Team | None] = relationship(lazy="joined")
    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def overdue_at(self, now: datetime) -> bool:
        """Past the deadline in force (delivery, rectification or 督导单)."""
        return self.is_open and self.status not in ("pending_acceptance", "accepted") and self.deadline < now

    def late_at(self, now: datetime) -> bool:
        """Overdue for grading (domain.md §5.2): past the rectification deadline, whatever 督导单 was
        delivered since; only rectification or an approved extension ends it. A notice not yet delivered
        has no rectification deadline: its lateness is chased, not graded, so delivery never lowers a grade."""
        due = self.rectification_deadline
        return (due is not None and self.is_open and self.status not in ("pending_acceptance", "accepted")
                and due < now)

    def report_started(self) -> bool:
        """A government report was prepared or submitted for this hazard: the process reports a hazard
        once (the flag `reported_to_government` waits for the submission, services/reports.py)."""
        session = object_session(self)
        if self.reported_to_government or session is None or self.id is None:
            return bool(self.reported_to_government)
        # the whole timeline, not a query of its own: the step's document reads it next (kept for the transaction)
        return any(e.kind in ("report_prepared", "reported") for e in timeline(session, self.id))

    def summary(self) -> dict:
        """What the process keeps of its hazard (variable `hazard`): small and JSON-able."""
        team = self.team
        session = object_session(self)
        head = None if not (team and team.head_id) else team.head.username if session is None \
            else people.staff_by_id(session, team.head_id).username
        return {"id": self.id, "file_number": self.file_number, "status": self.status, "severity": self.severity,
                "deadline": self.deadline.isoformat(), "customer_id": self.customer_id,
                "customer_number": self.customer.number, "customer_name": self.customer.name,
                "item_code": self.item_code, "item_name": self.item["name_zh"], "location": self.location,
                "team": team.code if team else None, "team_head": head,
                "branch": self.branch.code, "supervision_count": self.supervision_count,
                "refused_to_sign": self.refused_to_sign, "refused_to_rectify": bool(self.refused_to_rectify),
                "reported": self.report_started(), "deadline_days": self.item.get("deadline_days"),
                "rectification_deadline": self.rectification_deadline.isoformat()
                if self.rectification_deadline else None}


class HazardEvent(Base):
    """The hazard's timeline: every status change and duty performed, who, when, with what evidence."""

    __tablename__ = "hazard_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazard.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(40))
    status_before: Mapped[str | None] = mapped_column(String(20))
    status_after: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    document_id: Mapped[int | None] = mapped_column(Integer)


class Cancellation(Base):
    """A request to cancel a hazard raised in error (已撤销), with its reason, and the decision on it: the
    hazard is cancelled only when a leader (or, by configuration, another specialist) approves."""

    __tablename__ = "hazard_cancellation"
    __table_args__ = (Index("ix_hazard_cancellation_status", "status", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazard.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending")       # pending | approved | refused
    requested_by: Mapped[str] = mapped_column(String(60))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(60))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    comment: Mapped[str | None] = mapped_column(Text)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    hazard: Mapped[Hazard] = relationship(lazy="joined")
    __mapper_args__ = {"version_id_col": lock_version}


def next_number(session, prefix: str, branch_code: str, year: int, width: int = 5) -> str:
    """The next file number in its scope, e.g. YH-JA-2026-00042. Call inside the creating transaction."""
    scope = f"{prefix}-{branch_code}-{year}"
    table = FileCounter.__table__
    result = session.execute(update(table).where(table.c.scope == scope).values(last=table.c.last + 1)
                             .returning(table.c.last)).first()
    if result is None:
        try:
            with session.begin_nested():
                session.execute(table.insert().values(scope=scope, last=1))
            last = 1
        except IntegrityError:          # another transaction created the scope first: take the next one
            last = session.execute(update(table).where(table.c.scope == scope).values(last=table.c.last + 1)
                                   .returning(table.c.last)).scalar_one()
    else:
        last = result[0]
    return f"{scope}-{last:0{width}d}"


def record_event(session, hazard: Hazard, *, at: datetime, actor: str, kind: str, status: str | None = None,
                 detail: dict | None = None, document_id: int | None = None) -> HazardEvent:
    """Append to the timeline, moving the status when `status` is given."""
    before = hazard.status
    if status is not None:
        hazard.status = status
    event = HazardEvent(hazard_id=hazard.id, at=at, actor=actor, kind=kind, status_before=before,
                        status_after=hazard.status, detail=detail or {}, document_id=document_id)
    session.add(event)
    return event


def status_as_of(session, hazard_id: int, moment: datetime) -> str | None:
    """The status the timeline shows at a moment (for an event recorded after the fact, e.g. a report
    submitted on an earlier day)."""
    return session.scalars(select(HazardEvent.status_after).where(HazardEvent.hazard_id == hazard_id,
                                                                  HazardEvent.at <= moment)
                           .order_by(HazardEvent.at.desc(), HazardEvent.id.desc()).limit(1)).first()


def timeline(session, hazard_id: int) -> list[HazardEvent]:
    """The hazard's events in order, read once per transaction (an event added meanwhile: read again)."""
    known = memo(session, "timeline")
    if hazard_id not in known:
        known[hazard_id] = list(session.scalars(select(HazardEvent).where(HazardEvent.hazard_id == hazard_id)
                                                .order_by(HazardEvent.at, HazardEvent.id)))
    return list(known[hazard_id])


@event.listens_for(Session, "transient_to_pending")
def _event_added(session, instance) -> None:
    """Events are only ever added (record_event): a timeline read before one was added is read again."""
    if isinstance(instance, HazardEvent):
        forget(session, "timeline")


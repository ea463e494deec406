"""Findings of a submitted inspection waiting for their hazard files: one row per finding, written with the
submission, so that each hazard is then opened in a transaction of its own and exactly once (the row is the
idempotency key: (inspection, position) is unique, and a row is marked filed in the transaction that opens
its hazard)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime
from .inspections import Inspection

STATUSES = ("pending", "filed", "error")


class PendingFinding(Base):
    __tablename__ = "pending_finding"
    __table_args__ = (UniqueConstraint("inspection_id", "position", name="uq_pending_finding_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)                   # 0-based, the order of result["findings"]
    data: Mapped[dict] = mapped_column(JSON)                         # the hazard_lifecycle start data
    actor: Mapped[str] = mapped_column(String(60))                   # who submitted (opens the file)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    instance_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    file_number: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def of_inspection(session, inspection_id: int) -> list[PendingFinding]:
    return list(session.scalars(select(PendingFinding).where(PendingFinding.inspection_id == inspection_id)
                                .order_by(PendingFinding.position)))


def next_pending(session, inspection_id: int) -> PendingFinding | None:
    """The first finding of the inspection still waiting, locked (FOR UPDATE on PostgreSQL)."""
    return session.scalars(select(PendingFinding).where(PendingFinding.inspection_id == inspection_id,
                                                        PendingFinding.status == "pending")
                           .order_by(PendingFinding.position).limit(1).with_for_update()).first()


def inspections_waiting(session, limit: int = 100) -> list[int]:
    """Inspections with findings still waiting for their files, oldest first."""
    first = select(PendingFinding.inspection_id, PendingFinding.id).where(PendingFinding.status == "pending")
    rows = session.execute(first.order_by(PendingFinding.id).limit(limit * 50)).all()
    return list(dict.fromkeys(r.inspection_id for r in rows))[:limit]


def any_pending(session, inspection_id: int) -> bool:
    return session.scalar(select(PendingFinding.id).where(PendingFinding.inspection_id == inspection_id,
                                                          PendingFinding.status == "pending").limit(1)) is not None


def waiting_for_instance(session, instance_id: int) -> int | None:
    """The inspection of this process instance when findings of it wait for their files, else None: one
    query, asked after every task completion."""
    return session.scalar(select(PendingFinding.inspection_id)
                          .join(Inspection, Inspection.id == PendingFinding.inspection_id)
                          .where(Inspection.instance_id == instance_id, PendingFinding.status == "pending").limit(1))

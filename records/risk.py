"""Customer risk grades (A/B/C): the current grade and its history, each with score and drivers."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime

GRADES = ("A", "B", "C")
GRADE_COLOURS = {"A": "red", "B": "yellow", "C": "blue", None: "grey"}


class CustomerGrade(Base):
    __tablename__ = "customer_grade"
    __table_args__ = (Index("ix_customer_grade_current", "customer_id", "current"),
                      Index("ix_customer_grade_list", "current", "grade", "score"))

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    grade: Mapped[str | None] = mapped_column(String(1))           # None: no open hazards
    score: Mapped[float] = mapped_column(Float, default=0.0)
    drivers: Mapped[list] = mapped_column(JSON, default=list)       # ["A: IL01 重大 at 一级", ...]
    model_version: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(String(60))                 # what triggered the grading
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    open_hazards: Mapped[int] = mapped_column(Integer, default=0)


def current_grade(session, customer_id: int) -> CustomerGrade | None:
    return session.scalars(select(CustomerGrade).where(CustomerGrade.customer_id == customer_id,
                                                       CustomerGrade.current.is_(True))).first()


def store(session, customer_id: int, *, grade, score, drivers, model_version, reason, now, open_hazards
          ) -> tuple[CustomerGrade, CustomerGrade | None]:
    """Record a new grade as current (the previous one stays in the history). Returns (new, previous)."""
    previous = current_grade(session, customer_id)
    table = CustomerGrade.__table__
    session.execute(update(table).where(table.c.customer_id == customer_id, table.c.current.is_(True))
                    .values(current=False))
    row = CustomerGrade(customer_id=customer_id, grade=grade, score=score, drivers=drivers,
                        model_version=model_version, reason=reason, computed_at=now, current=True,
                        open_hazards=open_hazards)
    session.add(row)
    return row, previous

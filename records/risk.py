"""Customer risk grades (A/B/C): the current grade and its history, each with score and drivers; the
warnings sent about them (at most one per customer, grade and local day).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint, select,
                        update)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime

GRADES = ("A", "B", "C")
GRADE_COLOURS = {"A": "red", "B": "yellow", "C": "blue", None: "grey"}
RANK = {None: 0, "C": 1, "B": 2, "A": 3}       # higher is worse


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

    @property
    def colour(self) -> str:
        return GRADE_COLOURS.get(self.grade, "grey")


def current_grade(session, customer_id: int) -> CustomerGrade | None:
    return session.scalars(select(CustomerGrade).where(CustomerGrade.customer_id == customer_id,
                                                       CustomerGrade.current.is_(True))).first()


def history(session, customer_id: int, limit: int = 100) -> list[CustomerGrade]:
    return list(session.scalars(select(CustomerGrade).where(CustomerGrade.customer_id == customer_id)
                                .order_by(CustomerGrade.computed_at.desc(), CustomerGrade.id.desc()).limit(limit)))


def grade_since(session, customer_id: int) -> datetime | None:
    """When the customer entered its current grade (the first of the newest run of equal grades)."""
    since = None
    for row in session.scalars(select(CustomerGrade).where(CustomerGrade.customer_id == customer_id)
                               .order_by(CustomerGrade.computed_at.desc(), CustomerGrade.id.desc()).limit(500)):
        if since is not None and row.grade != since.grade:
            break
        since = row
    return since.computed_at if since is not None else None


_LOOK_UP = object()


def store(session, customer_id: int, *, grade, score, drivers, model_version, reason, now, open_hazards,
          previous=_LOOK_UP) -> tuple[CustomerGrade, CustomerGrade | None]:
    """Record a new grade as current (the previous one stays in the history). Returns (new, previous).
    `previous`: the current grade when the caller read it already (under the customer's lock).

    When nothing changed (grade, score, drivers, model version), nothing is written and (previous,
    previous) is returned: regrading twice, e.g. a daily job run twice, leaves one history row.
    """
    if previous is _LOOK_UP:
        previous = current_grade(session, customer_id)
    if previous is not None and (previous.grade, previous.score, list(previous.drivers or []),
                                 previous.model_version) == (grade, score, list(drivers), model_version):
        return previous, previous
    table = CustomerGrade.__table__
    session.execute(update(table).where(table.c.customer_id == customer_id, table.c.current.is_(True))
                    .values(current=False))
    row = CustomerGrade(customer_id=customer_id, grade=grade, score=score, drivers=drivers,
                        model_version=model_version, reason=reason, computed_at=now, current=True,
                        open_hazards=open_hazards)
    session.add(row)
    session.flush()
    return row, previous


class RiskWarning(Base):
    """A warning about a customer's grade (domain.md §5.2 step 5): raise, lower (information) or reminder.

    Unique per (customer, grade, local day): a second grade change to the same grade that day, or a
    reminder on the day of a raise, is not sent again.
    """

    __tablename__ = "risk_warning"
    __table_args__ = (UniqueConstraint("customer_id", "grade", "day", name="uq_risk_warning_day"),
                      Index("ix_risk_warning_customer", "customer_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    grade: Mapped[str] = mapped_column(String(4))                   # A | B | C | none
    previous: Mapped[str | None] = mapped_column(String(4))
    kind: Mapped[str] = mapped_column(String(10))                   # raise | lower | reminder | grow
    day: Mapped[date] = mapped_column(Date)
    grade_id: Mapped[int | None] = mapped_column(Integer)           # the CustomerGrade it tells of
    report_document_id: Mapped[int | None] = mapped_column(Integer)
    hazard_ids: Mapped[list | None] = mapped_column(JSON)              # the open hazards a grade-A report covered
    recipients: Mapped[list] = mapped_column(JSON, default=list)    # who was told, in words
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


def claim_warning(session, *, customer_id: int, grade: str | None, previous: str | None, kind: str, day: date,
                  grade_id: int | None, now: datetime) -> RiskWarning | None:
    """The warning row for (customer, grade, day), or None when one was sent already (de-duplication).

    Inserted in a savepoint: a concurrent transaction that claimed it first makes this one a no-op.
    """
    key = grade or "none"
    if session.scalar(select(RiskWarning.id).where(RiskWarning.customer_id == customer_id,
                                                   RiskWarning.grade == key, RiskWarning.day == day)):
        return None
    row = RiskWarning(customer_id=customer_id, grade=key, previous=previous or ("none" if kind != "reminder" else None),
                      kind=kind, day=day, grade_id=grade_id, recipients=[], created_at=now)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def last_warning(session, customer_id: int, grade: str) -> RiskWarning | None:
    """The newest raise or reminder about this grade (reminders are counted from it)."""
    return session.scalars(select(RiskWarning).where(RiskWarning.customer_id == customer_id,
                                                     RiskWarning.grade == grade,
                                                     RiskWarning.kind.in_(("raise", "reminder")))
                           .order_by(RiskWarning.day.desc(), RiskWarning.id.desc()).limit(1)).first()


def warning_of_day(session, customer_id: int, grade: str, day: date) -> RiskWarning | None:
    return session.scalars(select(RiskWarning).where(RiskWarning.customer_id == customer_id,
                                                     RiskWarning.grade == grade, RiskWarning.day == day)).first()


def last_report(session, customer_id: int) -> RiskWarning | None:
    """The newest warning that sent a grade-A report (its hazard_ids: the hazards the report covered)."""
    return session.scalars(select(RiskWarning).where(RiskWarning.customer_id == customer_id,
                                                     RiskWarning.report_document_id.is_not(None))
                           .order_by(RiskWarning.created_at.desc(), RiskWarning.id.desc()).limit(1)).first()


def warnings_of(session, customer_id: int, limit: int = 50) -> list[RiskWarning]:
    return list(session.scalars(select(RiskWarning).where(RiskWarning.customer_id == customer_id)
                                .order_by(RiskWarning.created_at.desc(), RiskWarning.id.desc()).limit(limit)))

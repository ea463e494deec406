"""Long jobs done in steps (a large import, a campaign over hundreds of customers): each step is one
transaction, so progress shows and a stopped job resumes where it was."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import JSON, ForeignKey, Integer, String, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class Job(Base):
    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))          # customer_import | campaign
    status: Mapped[str] = mapped_column(String(12), default="running")   # running | done | failed
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[dict] = mapped_column(JSON, default=dict)      # what the job needs to go on
    report: Mapped[dict] = mapped_column(JSON, default=dict)     # counts and rejected rows with reasons
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, int(self.done * 100 / self.total))


class JobRow(Base):
    """One input row of a job (an imported file's row), kept once when the job starts so that each step
    reads only its own rows; removed when the job is done."""

    __tablename__ = "job_row"

    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)          # the row's number in the file
    data: Mapped[dict] = mapped_column(JSON)


class PeriodicRun(Base):
    """A periodic job (daily plan, monthly assessment...) done for one period: the primary key makes a
    second scheduler's attempt for the same period fail, so each runs once."""

    __tablename__ = "periodic_run"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    period: Mapped[str] = mapped_column(String(20), primary_key=True)     # e.g. 2026-03-02, 2026-03, 2026-Q1
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    report: Mapped[dict] = mapped_column(JSON, default=dict)


def claim_period(session, name: str, period: str, now: datetime, *, lease: timedelta | None = None,
                 owner: str | None = None, gone=None) -> bool:
    """True (and the period recorded) if nobody ran `name` for `period` yet; call in its own transaction.

    With a lease, the claim is a promise rather than a record: until finish_period marks the run done,
    a claim older than the lease (its scheduler crashed in the middle) may be taken over, and so may a
    claim whose `owner` the caller's `gone(owner)` knows to have died (a process of this machine that no
    longer runs), at once: rerunning the tick after a crash runs the job again."""
    try:
        with session.begin_nested():
            session.add(PeriodicRun(name=name, period=period, started_at=now,
                                    report={"owner": owner} if owner else {}))
    except IntegrityError:
        if lease is None:
            return False
        table = PeriodicRun.__table__
        row = session.execute(select(table.c.started_at, table.c.report).where(
            table.c.name == name, table.c.period == period)).first()
        if row is None or (row.report or {}).get("done"):
            return False
        stale = row.started_at < now - lease
        dead = gone is not None and (row.report or {}).get("owner") and gone(row.report["owner"])
        if not (stale or dead):
            return False
        taken = session.execute(update(table).where(          # compare and set: one of two takers wins
            table.c.name == name, table.c.period == period, table.c.started_at == row.started_at)
            .values(started_at=now, report={"owner": owner} if owner else {}))
        return taken.rowcount == 1
    return True


def finish_period(session, name: str, period: str, report: dict | None = None) -> None:
    """Mark a claimed run done (call in the transaction of its last piece of work)."""
    session.execute(update(PeriodicRun.__table__).where(PeriodicRun.name == name, PeriodicRun.period == period)
                    .values(report={**(report or {}), "done": True}))


def release_period(session, name: str, period: str) -> None:
    """Give a claim back after the run failed, so that the next tick tries again."""
    session.execute(delete(PeriodicRun.__table__).where(PeriodicRun.name == name, PeriodicRun.period == period))

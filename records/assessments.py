"""Team performance assessments (domain.md §8): one run per period, one scorecard per team.

A run is computed by the team_assessment process, reviewed and scored by the leader, then published
with its document. The unique period makes a second start for the same period fail, so the scheduler
may try it as often as it likes.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from .base import Base, UTCDateTime
from .people import Team

STATUSES = ("computing", "reviewing", "published")


class AssessmentRun(Base):
    __tablename__ = "assessment_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(20), unique=True)     # 2026-03 or 2026-Q1
    kind: Mapped[str] = mapped_column(String(10))                    # month | quarter
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="computing")
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    weights: Mapped[dict] = mapped_column(JSON, default=dict)        # the weights used, as configured then
    comment: Mapped[str | None] = mapped_column(Text)                # the leader's overall comment
    document_id: Mapped[int | None] = mapped_column(Integer)
    started_by: Mapped[str] = mapped_column(String(60))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by: Mapped[str | None] = mapped_column(String(60))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    scores: Mapped[list["TeamScore"]] = relationship(back_populates="run", order_by="TeamScore.team_code",
                                                     cascade="all, delete-orphan")
    __mapper_args__ = {"version_id_col": lock_version}


class TeamScore(Base):
    """One team's scorecard in one run: the computed components, and the leader's score and comment."""

    __tablename__ = "team_score"
    __table_args__ = (UniqueConstraint("run_id", "team_id"), Index("ix_team_score_team", "team_id", "run_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("assessment_run.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    team_code: Mapped[str] = mapped_column(String(40))               # as it was then
    team_name: Mapped[str] = mapped_column(String(100))
    members: Mapped[int] = mapped_column(Integer, default=0)
    components: Mapped[dict] = mapped_column(JSON, default=dict)     # {name: {num, den, rate}}
    computed_score: Mapped[float | None] = mapped_column(Float)      # None: nothing to score
    leader_score: Mapped[float | None] = mapped_column(Float)
    comment: Mapped[str | None] = mapped_column(Text)
    rank: Mapped[int | None] = mapped_column(Integer)

    run: Mapped[AssessmentRun] = relationship(back_populates="scores")
    team: Mapped[Team] = relationship(lazy="joined")


def by_period(session, period: str) -> AssessmentRun | None:
    return session.scalars(select(AssessmentRun).where(AssessmentRun.period == period)).first()


def history(session, limit: int = 24) -> list[AssessmentRun]:
    """The newest published runs (oldest first), for the per-team scores over time."""
    runs = session.scalars(select(AssessmentRun).where(AssessmentRun.status == "published")
                           .order_by(AssessmentRun.first_day.desc()).limit(limit)
                           .options(selectinload(AssessmentRun.scores))).all()
    return list(reversed(runs))

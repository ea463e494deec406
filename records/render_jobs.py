"""Render jobs: a document numbered at its step and rendered after the step's commit, from the snapshot
(its layout operations) taken in the step's transaction.

A worker claims a job with one conditional UPDATE, so that of several workers (threads, processes,
nodes; SQLite or PostgreSQL) exactly one renders it; a claim older than the lease may be taken over (the
worker died). A failure is retried with exponential backoff and, after the last attempt, stays `failed`
for administrators to see and retry. This module holds the rows and their state changes; it renders
nothing and never commits.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, func, or_, select, update
from sqlalchemy.orm import Mapped, defer, mapped_column

from .base import Base, UTCDateTime
from .documents import Document

STATUSES = ("pending", "done", "failed")     # failed: given up until an administrator retries


class RenderJob(Base):
    __tablename__ = "render_job"
    __table_args__ = (Index("ix_render_job_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), unique=True)
    snapshot: Mapped[list] = mapped_column(JSON)            # the layout operations (handlers.docx_ops)
    actor: Mapped[str] = mapped_column(String(60))          # who took the step
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def enqueue(session, document_id: int, snapshot: list, *, actor: str, now: datetime) -> RenderJob:
    """The job of a reserved document, in the step's transaction (never commits)."""
    job = RenderJob(document_id=document_id, snapshot=snapshot, actor=actor, status="pending", attempts=0,
                    next_attempt_at=now, created_at=now)
    session.add(job)
    session.flush()
    return job


def _claimable(now: datetime, lease: timedelta):
    return ((RenderJob.status == "pending") & (RenderJob.next_attempt_at <= now)
            & or_(RenderJob.claimed_at.is_(None), RenderJob.claimed_at < now - lease))


def due(session, now: datetime, lease: timedelta, limit: int) -> list[int]:
    """Ids of jobs a worker may claim now, oldest first."""
    return list(session.scalars(select(RenderJob.id).where(_claimable(now, lease))
                                .order_by(RenderJob.next_attempt_at, RenderJob.id).limit(limit)))


def claim(session, job_id: int, worker: str, now: datetime, lease: timedelta) -> dict | list | None:
    """Take a job for `worker` (counts an attempt): its snapshot (what to render), read by the same
    statement; None when another worker has it or it is done."""
    found = session.execute(update(RenderJob).where(RenderJob.id == job_id, _claimable(now, lease))
                            .values(claimed_by=worker, claimed_at=now, attempts=RenderJob.attempts + 1)
                            .returning(RenderJob.snapshot)
                            .execution_options(synchronize_session=False)).first()
    return None if found is None else found[0]


def held(session, job_id: int, worker: str) -> RenderJob | None:
    """The job if `worker` still holds its claim (locked on PostgreSQL until the transaction ends), without
    its snapshot (the layout operations, tens of kilobytes of JSON): whoever holds it has rendered it."""
    found = session.execute(_held(session, job_id, worker)).first()
    return None if found is None else found[0]


def held_with_document(session, job_id: int, worker: str) -> tuple[RenderJob, Document] | None:
    """As held, with the job's document read by the same statement: (job, document), or None."""
    query = _held(session, job_id, worker, Document).join(Document, Document.id == RenderJob.document_id)
    found = session.execute(query).first()
    return None if found is None else (found[0], found[1])


def _held(session, job_id: int, worker: str, *more):
    query = select(RenderJob, *more).options(defer(RenderJob.snapshot)).where(
        RenderJob.id == job_id, RenderJob.claimed_by == worker, RenderJob.status == "pending")
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=RenderJob.__table__)
    return query


def done(job: RenderJob, now: datetime) -> None:
    job.status, job.finished_at, job.last_error, job.claimed_by, job.claimed_at = "done", now, None, None, None


def attempt_failed(job: RenderJob, error: str, now: datetime, *, base_seconds: float, cap_seconds: float,
                   max_attempts: int) -> None:
    """Due again after base * 2^(attempts-1) seconds (at most cap), or failed after max_attempts."""
    job.last_error, job.claimed_by, job.claimed_at = error[:4000], None, None
    if max_attempts and job.attempts >= max_attempts:
        job.status, job.finished_at = "failed", now
        return
    job.next_attempt_at = now + timedelta(seconds=min(cap_seconds, base_seconds * 2 ** max(0, job.attempts - 1)))


def retry(job: RenderJob, now: datetime) -> None:
    """A failed (or waiting) job due again now, its attempts counted afresh."""
    if job.status == "done":
        raise ValueError(f"render job {job.id} is done")
    job.status, job.attempts, job.next_attempt_at, job.finished_at = "pending", 0, now, None
    job.claimed_by = job.claimed_at = None


def of_document(session, document_id: int) -> RenderJob | None:
    return session.scalars(select(RenderJob).where(RenderJob.document_id == document_id)).first()


def counts(session) -> dict:
    found = dict(session.execute(select(RenderJob.status, func.count()).group_by(RenderJob.status)).all())
    return {s: found.get(s, 0) for s in STATUSES}

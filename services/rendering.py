"""Rendering the documents that steps queued (records.render_jobs): the worker, the kick after a step's
commit, and the administrators' view of the jobs that failed.

DOCUMENTS_RENDER (services.config) says who renders: `background` (production) wakes a worker thread of
this process after the step's commit, so the request does not wait; `after_commit` renders in the
committing thread right after the commit (tests: a request returns with its documents made);
`worker_only` leaves them to the sweep (the scheduler's tick, `render_due`); `inline` renders in the
step's own transaction (the old way, for comparison). In every mode the scheduler's tick sweeps what is
due, for other nodes and after a restart.

Each job: a claim (one conditional UPDATE, its own transaction), the render from the snapshot in a
read-only transaction, then one transaction that stores the bytes, fills the document row, marks the
job done and audits `document.rendered`. A failure is retried with exponential backoff, and after
RENDER_MAX_ATTEMPTS the job is `failed` until an administrator retries it. Imports no web framework.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from typing import Any, Callable

from sqlalchemy import event, select
from sqlalchemy.orm import defer

from engine import audit
from engine.database import make_session_factory
from handlers import docx_layout
from records import documents, render_jobs
from records.documents import Document
from records.render_jobs import RenderJob

from . import access
from .config import SECRET_SETTINGS
from .errors import Conflict, NotFound
from .i18n import _

LOG = logging.getLogger("gridsafe.rendering")
MODES = ("background", "after_commit", "worker_only", "inline")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _lease(config) -> timedelta:
    return timedelta(seconds=config.get("RENDER_LEASE_SECONDS", 300))


# --- the worker -----------------------------------------------------------------------------------

def render_due(rt, *, limit: int | None = None, worker: str | None = None) -> dict:
    """Render the documents due now; counts {"rendered", "retrying", "failed", "skipped"}.
    rt: config, files, sessions, read_sessions and now() (a services Runtime, or `Renderer`)."""
    worker = worker or worker_name()
    with rt.read_sessions() as session:
        ids = render_jobs.due(session, rt.now(), _lease(rt.config), limit or rt.config.get("RENDER_BATCH", 50))
    report = {"rendered": 0, "retrying": 0, "failed": 0, "skipped": 0}
    for job_id in ids:
        report[render_one(rt, job_id, worker)] += 1
    return report


def render_one(rt, job_id: int, worker: str) -> str:
    """Claim, render and store one job: "rendered", "retrying", "failed", or "skipped" (another has it)."""
    with rt.sessions() as session:
        snapshot = render_jobs.claim(session, job_id, worker, rt.now(), _lease(rt.config))
        if snapshot is None:
            return "skipped"
        session.commit()
    try:
        with rt.read_sessions() as session:         # the render takes no write lock
            data = docx_layout.replay(snapshot, _replay_context(rt, session))
        return _store(rt, job_id, worker, data)
    except Exception as err:  # noqa: BLE001 - any failure of a render is its job's, never the caller's
        LOG.warning("render job %s failed: %s: %s", job_id, type(err).__name__, err)
        return _failed(rt, job_id, worker, f"{type(err).__name__}: {err}")


def _replay_context(rt, session):
    settings = {k: v for k, v in rt.config.items() if k not in SECRET_SETTINGS}
    return SimpleNamespace(session=session, files=rt.files, settings=settings)


def _store(rt, job_id: int, worker: str, data: bytes) -> str:
    now = rt.now()
    with rt.sessions() as session:
        found = render_jobs.held_with_document(session, job_id, worker)
        if found is None:
            return "skipped"                 # the lease ran out and another worker took the job over
        job, doc = found
        documents.fill(session, rt.files, doc, data)
        render_jobs.done(job, now)
        audit.record(session, f"document:{doc.id}", at=now, actor=job.actor, action="document.rendered",
                     after={"kind": doc.kind, "number": doc.number, "version": doc.version, "sha256": doc.sha256,
                            "job": job.id, "attempts": job.attempts})
        session.commit()
    return "rendered"


def _failed(rt, job_id: int, worker: str, error: str) -> str:
    c = rt.config
    with rt.sessions() as session:
        job = render_jobs.held(session, job_id, worker)
        if job is None:
            return "skipped"
        render_jobs.attempt_failed(job, error, rt.now(), base_seconds=c.get("RENDER_RETRY_BASE_SECONDS", 30),
                                   cap_seconds=c.get("RENDER_RETRY_MAX_SECONDS", 3600),
                                   max_attempts=c.get("RENDER_MAX_ATTEMPTS", 8))
        outcome = "failed" if job.status == "failed" else "retrying"
        session.commit()
    return outcome


# --- the kick after a step's commit ----------------------------------------------------------------

@dataclass
class Renderer:
    """What render_due needs, for the kick: settings, files, the database of the session that committed."""

    config: dict
    files: Any
    sessions: Any
    read_sessions: Any
    clock_of: Callable[[], Any]

    def now(self):
        return self.clock_of().now()


class _Background:
    """One worker thread per process and database, woken after each commit that queued a job."""

    def __init__(self, renderer: Renderer):
        self.renderer, self.wake, self.stopped = renderer, threading.Event(), False
        self.thread = threading.Thread(target=self._run, name="gridsafe-render", daemon=True)
        self.thread.start()
        _RUNNING.append(self)

    def _run(self) -> None:
        while True:
            self.wake.wait(timeout=60)
            self.wake.clear()
            if self.stopped:
                return
            try:
                while render_due(self.renderer)["rendered"]:
                    pass
            except Exception:  # noqa: BLE001 - the thread outlives a failed sweep (the database away)
                LOG.exception("the background render sweep failed")


_RUNNING: list[_Background] = []


def stop_background() -> None:
    """End this process's worker threads (tests; a process that exits needs not: they are daemons)."""
    while _RUNNING:
        worker = _RUNNING.pop()
        worker.stopped = True
        worker.wake.set()
        worker.thread.join(30)


def drain(rt) -> int:
    """Before a command exits: let this process's worker threads finish, then render what is still due
    here; how many documents this call rendered."""
    stop_background()
    rendered = 0
    while True:
        count = render_due(rt)["rendered"]
        if not count:
            return rendered
        rendered += count


def hook(config: dict, files, clock_of: Callable[[], Any]) -> Callable[[Any], None] | None:
    """Context.documents_queued for DOCUMENTS_RENDER: after the session's commit, render (after_commit)
    or wake this process's worker thread (background). None for the modes that do not kick."""
    mode = config.get("DOCUMENTS_RENDER") or "inline"
    if mode not in ("background", "after_commit"):
        return None
    renderers: dict = {}
    workers: dict = {}
    lock = threading.Lock()

    def renderer_for(bind) -> Renderer:
        with lock:
            if bind not in renderers:
                renderers[bind] = Renderer(config=config, files=files, sessions=make_session_factory(bind),
                                           read_sessions=make_session_factory(bind, read_only=True),
                                           clock_of=clock_of)
            return renderers[bind]

    def after_commit(session) -> None:
        if session.in_nested_transaction():
            return                                 # a savepoint: the step's transaction goes on
        if not session.info.pop("gridsafe.render_kick", None):
            return
        renderer = renderer_for(session.get_bind().engine)
        try:
            if mode == "after_commit":
                render_due(renderer)
                for obj in list(session.identity_map.values()):      # what the session shows next: the bytes
                    if isinstance(obj, Document) and obj.sha256 is None:
                        session.expire(obj, ["sha256", "size"])
                return
            with lock:
                key = (id(renderer), os.getpid())
                if key not in workers:
                    workers[key] = _Background(renderer)
            workers[key].wake.set()
        except Exception:  # noqa: BLE001 - the step is committed; its document waits for the sweep
            LOG.exception("rendering after the commit failed; the scheduler's sweep will retry")

    def queued(session) -> None:
        session.info["gridsafe.render_kick"] = True
        if not session.info.get("gridsafe.render_listening"):
            session.info["gridsafe.render_listening"] = True
            event.listen(session, "after_commit", after_commit)
    return queued


# --- the administrators' view ---------------------------------------------------------------------

def failed_jobs(session, actor, limit: int = 100) -> tuple[list[tuple[RenderJob, Document]], dict]:
    """The failed render jobs and the retrying ones with their documents, newest first, and the counts."""
    access.require_outbox(actor)
    rows = session.execute(select(RenderJob, Document).options(defer(RenderJob.snapshot))
                           .join(Document, Document.id == RenderJob.document_id)
                           .where((RenderJob.status == "failed")
                                  | ((RenderJob.status == "pending") & RenderJob.last_error.is_not(None)))
                           .order_by(RenderJob.created_at.desc(), RenderJob.id.desc()).limit(limit)).all()
    return [tuple(r) for r in rows], render_jobs.counts(session)


RETRY_ALL_LIMIT = 500      # failed jobs one "retry all" makes due again: a write transaction of bounded length


def retry_failed(rt, session, actor) -> tuple[int, int]:
    """Every failed render job due again now (at most RETRY_ALL_LIMIT, oldest first), e.g. once a template
    or the disk is repaired: one transaction, one audit event. The scheduler's next sweep renders them, not
    this request. Returns (how many, how many failed ones are left)."""
    access.require_outbox(actor)
    now = rt.now()
    jobs = session.scalars(select(RenderJob).where(RenderJob.status == "failed")
                           .order_by(RenderJob.id).limit(RETRY_ALL_LIMIT)).all()
    if jobs:
        for job in jobs:
            render_jobs.retry(job, now)
        audit.record(session, "documents", at=now, actor=actor.username, action="document.renders_retried",
                     after={"jobs": [j.id for j in jobs], "documents": [j.document_id for j in jobs]})
        session.commit()
    else:
        session.rollback()
    return len(jobs), render_jobs.counts(session)["failed"]


def retry(rt, session, actor, job_id: int) -> RenderJob:
    """A failed render job due again now; one transaction, one audit event."""
    access.require_outbox(actor)
    job = session.get(RenderJob, job_id)
    if job is None:
        raise NotFound(_("There is no render job %(id)s.", id=job_id))
    before = {"status": job.status, "attempts": job.attempts, "last_error": job.last_error}
    try:
        render_jobs.retry(job, rt.now())
    except ValueError as err:
        session.rollback()
        raise Conflict(str(err)) from err
    audit.record(session, f"document:{job.document_id}", at=rt.now(), actor=actor.username,
                 action="document.render_retried", before=before, after={"status": job.status})
    session.commit()
    if rt.config.get("DOCUMENTS_RENDER") in ("background", "after_commit"):
        render_one(rt, job.id, worker_name())          # one document: the administrator sees the outcome
        session.refresh(job)
    return job

"""Opening the hazard files of a submitted inspection, one per finding, each in a transaction of its own.

The submission commits the findings as pending rows (handlers.inspections.open_hazards); then the
request files as many as it can within HAZARD_FILING_REQUEST_SECONDS, and the scheduler's tick files
the rest, or what a crash left. A piece locks the inspection and its first pending finding, starts the
finding's hazard_lifecycle in the same transaction and marks the finding filed with it, so every finding
is filed exactly once however often, or by however many processes, this is resumed. The transaction
that files the last one renders the inspection's worksheet, with every file number.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from sqlalchemy import select

from engine import audit, transient
from handlers.worksheet import inspection_worksheet
from records import Hazard, Inspection, findings

LOG = logging.getLogger("gridsafe.hazard_filing")
PAUSE = 0.15               # seconds between two pieces: a writer waiting for SQLite's lock polls it every
                           # 100 ms at most, so a loop that took the lock again sooner could keep it waiting
                           # for the whole fan-out (and then answer 503)
MAX_PAUSE = 5.0


@dataclass
class Progress:
    filed: int = 0
    pending: int = 0


def file_one(rt, session, inspection_id: int) -> findings.PendingFinding | None:
    """File the inspection's first pending finding in one transaction; None when none is left."""
    return transient.attempts(lambda: _piece(rt, session, inspection_id), retry_if=transient.is_transient,
                              what=f"filing a hazard of inspection {inspection_id}")


def _piece(rt, session, inspection_id: int):
    try:
        # the inspection's row first (FOR UPDATE on PostgreSQL): its pieces run one after another
        session.execute(select(Inspection.id).where(Inspection.id == inspection_id).with_for_update())
        ins = session.get(Inspection, inspection_id, populate_existing=True)
        finding = findings.next_pending(session, inspection_id) if ins is not None else None
        if finding is None:
            session.commit()          # nothing was written: ends the transaction without expiring the caller's objects
            return None
        instance = rt.engine.start_instance(session, "hazard_lifecycle", actor=finding.actor, data=finding.data,
                                            subject=ins.customer.number, commit=False)
        hazard = session.scalars(select(Hazard).where(Hazard.instance_id == instance.id)).first()
        finding.instance_id, finding.filed_at = instance.id, rt.now()
        finding.status = "filed" if hazard is not None else "error"
        finding.file_number = hazard.file_number if hazard is not None else None
        finding.error = None if hazard is not None else (instance.error_message or "")[:2000]
        rows = findings.of_inspection(session, inspection_id)
        ins.hazard_numbers = [f.file_number for f in rows if f.file_number]
        audit.record(session, f"inspection:{ins.number}", at=rt.now(), actor=finding.actor,
                     action="inspection.hazard_filed" if hazard is not None else "inspection.hazard_failed",
                     after={"position": finding.position, "file_number": finding.file_number,
                            "instance_id": instance.id, "error": finding.error})
        if not any(f.status == "pending" for f in rows):
            _render_worksheet(rt, session, ins, finding.actor)
        session.commit()
        return finding
    except BaseException:
        session.rollback()
        raise


def _render_worksheet(rt, session, ins: Inspection, actor: str) -> None:
    """The worksheet deferred while findings waited, now with every file number (same transaction)."""
    eng = rt.engine

    def record(action, *, before=None, after=None, reason=None, element_id=None):
        audit.record(session, f"inspection:{ins.number}", at=eng.clock.now(), actor=actor, action=action,
                     before=before, after=after, reason=reason)
    ctx = eng.context_factory(session=session, clock=eng.clock, actor=actor, instance_id=ins.instance_id or 0,
                              business_key=ins.number, element_id="render_worksheet", audit=record)
    inspection_worksheet(ctx, ins.id)


def file_inspection(rt, session, inspection_id: int, *, seconds: float | None = None) -> Progress:
    """File the inspection's pending findings one transaction each, until none is left or `seconds` passed."""
    deadline = None if seconds is None else time.monotonic() + seconds
    progress = Progress()
    while deadline is None or time.monotonic() < deadline:
        started = time.monotonic()
        if file_one(rt, session, inspection_id) is None:
            break
        progress.filed += 1
        if rt.sa.dialect.name == "sqlite":
            # writers waiting for the one write lock get it between two pieces: at least PAUSE, and as long
            # as the piece took (on a busy machine pieces are slow; the fan-out then yields more, and nobody
            # waits for two). PostgreSQL locks rows: the pieces block nobody else's writes.
            time.sleep(min(MAX_PAUSE, max(PAUSE, time.monotonic() - started)))
    progress.pending = sum(1 for f in findings.of_inspection(session, inspection_id) if f.status == "pending")
    session.commit()          # end the read (nothing written), so that no transaction stays open
    return progress


def after_completion(rt, session, instance_id: int) -> Progress | None:
    """After a task of this process instance was completed (and committed): file what it queued, for as
    long as the request may (HAZARD_FILING_REQUEST_SECONDS); the scheduler files what is left."""
    ins_id = findings.waiting_for_instance(session, instance_id)
    if ins_id is None:
        session.commit()
        return None
    return file_inspection(rt, session, ins_id, seconds=float(rt.config.get("HAZARD_FILING_REQUEST_SECONDS", 3)))


def file_waiting(rt, *, limit: int = 100) -> int:
    """The scheduler's job: file every finding still waiting (a request's leftovers, a crash's), each in
    its own transaction. Returns how many were filed."""
    with rt.sessions() as session:
        waiting = findings.inspections_waiting(session, limit)
        session.commit()
        filed = 0
        for inspection_id in waiting:
            try:
                filed += file_inspection(rt, session, inspection_id).filed
            except Exception as err:  # noqa: BLE001 - one inspection's failure must not stop the others
                if transient.is_outage(err):
                    raise
                LOG.exception("filing the hazards of inspection %s failed", inspection_id)
        return filed


def status(session, ins: Inspection) -> list[dict]:
    """Each queued finding of an inspection with its file number, or that it waits (生成中) or failed."""
    rows = findings.of_inspection(session, ins.id)
    missing = [f.instance_id for f in rows if f.file_number is None and f.instance_id]
    late = dict(session.execute(select(Hazard.instance_id, Hazard.file_number)
                                .where(Hazard.instance_id.in_(missing))).all()) if missing else {}
    return [{"position": f.position + 1, "item_code": f.data.get("item_code"), "location": f.data.get("location"),
             "status": "filed" if (f.file_number or late.get(f.instance_id)) else f.status,
             "file_number": f.file_number or late.get(f.instance_id), "error": f.error} for f in rows]

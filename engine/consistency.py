"""Do the projections still say what the workflow states say? Every instance's open human tasks, status,
wake-up time and message subscriptions recomputed from its stored state and compared with the rows.

Read-only: it reports, it repairs nothing (after a crash or a restore, a disagreement means a write was
torn, which the one-transaction-per-call rule should make impossible).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timezone

from sqlalchemy import select

from . import projections, runtime
from .models import ACTIVE_STATUSES, HumanTask, MessageSubscription, ProcessInstance


@dataclass(frozen=True)
class Disagreement:
    instance_id: int
    what: str

    def __str__(self) -> str:
        return f"instance {self.instance_id}: {self.what}"


def _utc(value):
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def check_instance(eng, session, instance: ProcessInstance) -> list[Disagreement]:
    """What of this instance's projections disagrees with its stored workflow state."""
    try:
        workflow = runtime.restore(eng, session, instance)
    except Exception as exc:  # noqa: BLE001 - a state that cannot be loaded is itself the finding
        return [Disagreement(instance.id, f"its state cannot be loaded ({type(exc).__name__}: {exc})")]
    out = []
    ready = projections.ready_user_tasks(workflow)
    open_rows = set(session.scalars(select(HumanTask.id).where(HumanTask.instance_id == instance.id,
                                                              HumanTask.status == "ready")))
    expected = {str(t.id) for t in ready} if instance.status not in ("completed", "terminated") else set()
    if open_rows != expected:
        out.append(Disagreement(instance.id, f"open task rows {sorted(open_rows)} but ready tasks {sorted(expected)}"))
    if instance.status in ("running", "waiting", "completed"):
        status = projections.compute_status(workflow, False, ready)
        if status != instance.status:
            out.append(Disagreement(instance.id, f"status {instance.status} but its state says {status}"))
    wake = projections.next_wake_at(workflow) if instance.status in ACTIVE_STATUSES else None
    if _utc(wake) != _utc(instance.next_wake_at):
        out.append(Disagreement(instance.id, f"next_wake_at {instance.next_wake_at} but its timers say {wake}"))
    if instance.status not in ("completed", "terminated"):
        subs = {(s.message_name, s.element_id) for s in session.scalars(
            select(MessageSubscription).where(MessageSubscription.instance_id == instance.id))}
        waiting = {(name, element) for name, element, _ in projections.waiting_messages(workflow)}
        if subs != waiting:
            out.append(Disagreement(instance.id, f"subscriptions {sorted(subs)} but waiting for {sorted(waiting)}"))
    return out


def check_all(eng, session, batch: int = 200) -> tuple[int, list[Disagreement]]:
    """(instances checked, disagreements) over every instance, read in batches by id."""
    checked, found, after = 0, [], 0
    while True:
        rows = session.scalars(select(ProcessInstance).where(ProcessInstance.id > after)
                               .order_by(ProcessInstance.id).limit(batch)).all()
        if not rows:
            return checked, found
        for instance in rows:
            found.extend(check_instance(eng, session, instance))
        checked += len(rows)
        after = rows[-1].id
        session.expunge_all()

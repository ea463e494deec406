"""The audit trail: append-only events, hash-chained per subject, and their verification.

Each chain (an instance, or a named subject such as "model:hazard_lifecycle") keeps its head
(seq and hash) on its own row, so an edited, inserted or deleted event, including the last one,
breaks the chain. The table refuses UPDATE and DELETE by trigger (see the first migration).
"""
from __future__ import annotations

import hashlib
import json
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from .clock import utc
from .models import AuditChain, AuditEvent, ProcessInstance


_INSERT = insert(AuditEvent.__table__)
_COLUMNS = ("chain", "seq", "at", "actor", "action", "instance_id", "element_id", "before", "after", "reason",
            "prev_hash")


REQUEST_ID: ContextVar[str | None] = ContextVar("gridsafe_request_id", default=None)
"""The id of the web request (or scheduler tick) on whose behalf events are written: set by the caller
(webui per request), copied onto each event so that the JSON log lines and the trail can be joined."""


def _digest(fields) -> str:
    """SHA-256 of an event's content and its predecessor's hash (fields: a mapping or a row). The request
    id is hashed only when there is one, so the events written before it existed still verify."""
    get = fields.get if isinstance(fields, dict) else (lambda name: getattr(fields, name))
    body = {name: get(name) for name in _COLUMNS}
    if get("request_id"):
        body["request_id"] = get("request_id")
    body["at"] = body["at"].isoformat(timespec="microseconds")
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def append(session, head, *, chain: str, at: datetime, actor: str, action: str, instance_id=None,
           element_id=None, before=None, after=None, reason=None) -> dict:
    """Add the next event to the chain whose head row (instance or AuditChain) is `head`."""
    event = _next(head, chain=chain, at=at, actor=actor, action=action, instance_id=instance_id,
                  element_id=element_id, before=before, after=after, reason=reason)
    session.connection().execute(_INSERT, event)
    return event


def append_all(session, head, chain: str, events: list[dict]) -> list[dict]:
    """Add several events to one chain in order, written in one statement (an engine call's events)."""
    rows = [_next(head, chain=chain, **event) for event in events]
    if rows:
        session.connection().execute(_INSERT, rows)
    return rows


def _next(head, *, chain: str, at: datetime, actor: str, action: str, instance_id=None, element_id=None,
          before=None, after=None, reason=None) -> dict:
    """The next event of the chain, hashed, and the head moved to it."""
    event = {"chain": chain, "seq": (head.audit_seq or 0) + 1, "at": utc(at), "actor": actor, "action": action,
             "instance_id": instance_id, "element_id": element_id, "before": _jsonable(before),
             "after": _jsonable(after), "reason": reason, "prev_hash": head.audit_hash or "",
             "request_id": REQUEST_ID.get()}
    event["hash"] = _digest(event)
    head.audit_seq, head.audit_hash = event["seq"], event["hash"]
    return event


def record(session, chain: str, *, at: datetime, actor: str, action: str, **fields) -> dict:
    """Append to a named (non-instance) chain, creating its head on first use."""
    head = session.get(AuditChain, chain)
    if head is None:
        head = AuditChain(chain=chain, audit_seq=0, audit_hash="")
        session.add(head)
    return append(session, head, chain=chain, at=at, actor=actor, action=action, **fields)


def _jsonable(value):
    if value is None:
        return None
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


@dataclass
class Break:
    """One place where a chain does not verify."""

    chain: str
    seq: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.chain}" + (f" #{self.seq}" if self.seq else "") + f": {self.message}"


def verify(session) -> tuple[int, list[Break]]:
    """Recompute every chain. Returns (events checked, breaks found)."""
    heads = {f"instance:{i}": (seq, h) for i, seq, h in session.execute(
        select(ProcessInstance.id, ProcessInstance.audit_seq, ProcessInstance.audit_hash))}
    heads.update({c.chain: (c.audit_seq, c.audit_hash) for c in session.scalars(select(AuditChain))})
    breaks: list[Break] = []
    count, current, expected_seq, prev = 0, None, 0, ""
    rows = session.scalars(select(AuditEvent).order_by(AuditEvent.chain, AuditEvent.seq)).yield_per(2000)
    for event in rows:
        if event.chain != current:
            if current is not None:
                _check_head(current, expected_seq, prev, heads, breaks)
            current, expected_seq, prev = event.chain, 0, ""
        count += 1
        expected_seq += 1
        if event.seq != expected_seq:
            breaks.append(Break(event.chain, event.seq, f"expected event #{expected_seq}: an event was deleted"))
            expected_seq = event.seq
        if event.prev_hash != prev:
            breaks.append(Break(event.chain, event.seq, "does not link to the event before it"))
        if _digest(event) != event.hash:
            breaks.append(Break(event.chain, event.seq, "content does not match its hash: the event was edited"))
        prev = event.hash
    if current is not None:
        _check_head(current, expected_seq, prev, heads, breaks)
    seen = {b.chain for b in breaks}
    for chain, (seq, _) in heads.items():
        if seq and chain not in seen and not _has_events(session, chain):
            breaks.append(Break(chain, None, f"head says {seq} events but none are stored"))
    return count, breaks


def _check_head(chain, last_seq, last_hash, heads, breaks) -> None:
    head = heads.get(chain)
    if head is None:
        return
    seq, digest = head
    if seq != last_seq or digest != last_hash:
        breaks.append(Break(chain, seq, f"head is at event #{seq} but the stored chain ends at #{last_seq}: "
                                        "events were removed or added"))


def _has_events(session, chain: str) -> bool:
    return session.scalar(select(AuditEvent.id).where(AuditEvent.chain == chain).limit(1)) is not None

"""Visits to verify: inspections whose proof of presence did not fit (positions far from the customer,
no position, a device clock off the server's), for the specialist to look at. Reads only, in reach."""
from __future__ import annotations

from sqlalchemy import func, select

from records import Inspection

from . import access

PAGE_SIZE = 50


def to_verify(rt, session, actor, page: int = 1) -> dict:
    """One page of the flagged inspections in the actor's reach, the latest first, with the flags and
    the inspector's explanation."""
    condition = access.inspections(session, actor) & Inspection.needs_verification.is_(True)
    total = session.scalar(select(func.count()).select_from(Inspection).where(condition))
    rows = session.scalars(select(Inspection).where(condition)
                           .order_by(Inspection.completed_at.desc().nulls_last(), Inspection.id.desc())
                           .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    visits = [{"ins": ins, "flags": (ins.result or {}).get("presence", {}).get("flags") or [],
               "explanation": (ins.result or {}).get("presence", {}).get("explanation")} for ins in rows]
    return {"visits": visits, "total": total, "page": page, "page_size": PAGE_SIZE}

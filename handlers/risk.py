"""Customer risk grading (stand-in until the DMN model of the risk issue lands).

The stand-in follows domain.md §5.2's matrix only: the worst open hazard decides (重大 → A,
较大 → B, 一般 → C, none → no grade). It stores the grade, drivers and model version like the real one.
"""
from __future__ import annotations

from sqlalchemy import select

from records import customers, dictionary, risk
from records.hazards import OPEN, Hazard

from .context import Context

MODEL = "stand-in-matrix-1"
GRADE_OF = {"major": "A", "significant": "B", "general": "C"}


def grade(ctx: Context, customer_id, reason: str = "event") -> dict:
    """Grade a customer from its open hazards; returns the grade, score and drivers."""
    customer = ctx.session.get(customers.Customer, int(customer_id))
    open_hazards = ctx.session.scalars(select(Hazard).where(Hazard.customer_id == customer.id,
                                                            Hazard.status.in_(OPEN))).all()
    worst = max((h.severity for h in open_hazards), key=dictionary.SEVERITIES.index, default=None)
    value = GRADE_OF.get(worst)
    drivers = [f"{value}: {h.item_code} {dictionary.SEVERITY_NAMES[h.severity]} at {customer.class_name}"
               for h in open_hazards if h.severity == worst]
    score = float(sum(dictionary.WEIGHTS[h.severity] for h in open_hazards))
    row, previous = risk.store(ctx.session, customer.id, grade=value, score=score, drivers=drivers,
                               model_version=MODEL, reason=reason, now=ctx.now(), open_hazards=len(open_hazards))
    ctx.audit("risk.graded", before={"grade": previous.grade if previous else None},
              after={"grade": value, "score": score, "drivers": drivers, "reason": reason})
    return {"grade": value, "score": score, "drivers": drivers, "previous": previous.grade if previous else None}

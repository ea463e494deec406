"""Service-task handlers, registered by operator id.

The operator id `module.function` in a diagram names the function `function` of
`handlers/module.py`. Handlers receive a Context, return a small JSON-able dict and never commit.
"""
from __future__ import annotations

from . import documents, hazards, risk
from .context import Context

HANDLERS: dict = {
    "hazards.register": hazards.register,
    "hazards.record_delivery": hazards.record_delivery,
    "hazards.mark_overdue": hazards.mark_overdue,
    "hazards.supervise": hazards.supervise,
    "hazards.escalate": hazards.escalate,
    "hazards.record_assistance": hazards.record_assistance,
    "hazards.decide_extension": hazards.decide_extension,
    "hazards.rectification_reported": hazards.rectification_reported,
    "hazards.record_acceptance": hazards.record_acceptance,
    "hazards.close": hazards.close,
    "risk.grade": risk.grade,
    "documents.hazard_notice": documents.hazard_notice,
    "documents.supervision_order": documents.supervision_order,
    "documents.acceptance_record": documents.acceptance_record,
    "documents.government_report": documents.government_report,
}

__all__ = ["HANDLERS", "Context"]

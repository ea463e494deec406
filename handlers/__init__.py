"""Service-task handlers, registered by operator id.

The operator id `module.function` in a diagram names the function `function` of
`handlers/module.py`. Handlers receive a Context, return a small JSON-able dict and never commit.
"""
from __future__ import annotations

from . import assessment, documents, hazards, inspections, letters, risk, worksheet
from .context import Context

HANDLERS: dict = {
    "hazards.register": hazards.register,
    "hazards.record_delivery": hazards.record_delivery,
    "hazards.notice_overdue": hazards.notice_overdue,
    "hazards.mark_overdue": hazards.mark_overdue,
    "hazards.issue_order": hazards.issue_order,
    "hazards.supervise": hazards.supervise,
    "hazards.escalate": hazards.escalate,
    "hazards.record_assistance": hazards.record_assistance,
    "hazards.record_refusal": hazards.record_refusal,
    "hazards.decide_extension": hazards.decide_extension,
    "hazards.rectification_reported": hazards.rectification_reported,
    "hazards.record_acceptance": hazards.record_acceptance,
    "hazards.close": hazards.close,
    "risk.grade": risk.grade,
    "documents.hazard_notice": documents.hazard_notice,
    "documents.supervision_order": documents.supervision_order,
    "documents.acceptance_record": documents.acceptance_record,
    "documents.government_report": letters.government_report,
    "inspections.prepare": inspections.prepare,
    "inspections.assign": inspections.assign,
    "inspections.approve": inspections.approve,
    "inspections.record_result": inspections.record_result,
    "inspections.open_hazards": inspections.open_hazards,
    "inspections.complete": inspections.complete,
    "inspections.warn_overdue": inspections.warn_overdue,
    "worksheet.inspection_worksheet": worksheet.inspection_worksheet,
    "assessment.compute": assessment.compute,
    "assessment.publish": assessment.publish,
}

__all__ = ["HANDLERS", "Context"]

"""The fixed names the interfaces show and validate against — roles, hazard statuses and severities,
inspection kinds and statuses — named here so that pages and the API take them from services rather than
reaching into the records themselves. Names only; no decisions.
"""
from __future__ import annotations

from records import ROLES
from records.customers import CLASS_NAMES as CUSTOMER_CLASS_NAMES
from records.dictionary import SEVERITIES, SEVERITY_NAMES
from records.hazards import STATUS_NAMES as HAZARD_STATUS_NAMES, STATUSES as HAZARD_STATUSES
from records.inspections import KIND_NAMES as INSPECTION_KIND_NAMES, STATUS_NAMES as INSPECTION_STATUS_NAMES

__all__ = ["ROLES", "CUSTOMER_CLASS_NAMES", "SEVERITIES", "SEVERITY_NAMES", "HAZARD_STATUSES", "HAZARD_STATUS_NAMES",
           "INSPECTION_KIND_NAMES", "INSPECTION_STATUS_NAMES"]

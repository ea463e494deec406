"""What the codes in the decision tables mean, in the reader's language: the DMN editor shows each
cell's code ("major", "first", "A") with its label beside it. Labels only; the tables keep the codes
the grading handler passes (handlers/risk.py INPUTS) and the engine compares."""
from __future__ import annotations

from .i18n import _l

VALUE_LABELS = {
    # worst_severity: the effective severity of the worst open hazard
    "major": _l("major hazard"), "significant": _l("significant hazard"), "general": _l("general hazard"),
    "none": _l("none"),
    # customer_class
    "special": _l("special-class customer"), "first": _l("first-class customer"),
    "second": _l("second-class customer"), "temporary": _l("temporary customer (within its window)"),
    "high_risk": _l("high-risk customer without a class"),
    # outputs: the grade and what decided it
    "A": _l("grade A (red)"), "B": _l("grade B (yellow)"), "C": _l("grade C (blue)"),
    "None": _l("no grade (grey)"), "matrix": _l("by the matrix"), "score": _l("by the score"),
    "-": _l("any"),
}


def value_labels() -> dict[str, str]:
    """Each code a decision table cell may hold, with its label (translated now)."""
    return {code: str(label) for code, label in VALUE_LABELS.items()}

"""Demo data for `make run`: realistic Chinese examples, loaded idempotently."""
from __future__ import annotations


def load(app) -> list[str]:
    """Create what is missing of the demo data set; returns what was done."""
    return ["demo data: nothing to load yet"]

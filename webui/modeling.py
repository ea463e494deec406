"""Kept only for webui/diagrams.py (the admin area's heatmap page), which looks a version up here until
it moves. New code calls `services.modeling.version_or_404(rt, session, actor, name, version)`."""
from __future__ import annotations

from services import modeling

from .current import actor, runtime


def version_or_404(session, name: str, version):
    """The deployed version of `name` for the signed-in modeller (NotFound: absent, huge or not a number)."""
    return modeling.version_or_404(runtime(), session, actor(), name, version)

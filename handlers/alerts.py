"""Telling people: in-app notifications to the holders of a role in the hazard's branch."""
from __future__ import annotations

from records import notifications

from .context import Context


def tell_role(ctx: Context, hazard, role: str, *, kind: str, title: str, body: str) -> int:
    """Notify every active holder of `role` in the hazard's branch (or above it); returns how many."""
    users = notifications.users_with_role(ctx.session, role, hazard.branch.code)
    return notifications.notify(ctx.session, users, kind=kind, title=title, body=body,
                                link=f"/hazards/{hazard.file_number}", now=ctx.now())
